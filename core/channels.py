"""The seed's Channel + Subscription wiring, derived from the role table.

Under this wiring each role that publishes has a Channel of its own, which carries what it
emits (receive: chat messages; parse: commands, and the replies to unknown commands;
command: responses). A Channel has no filters: every Subscription to it gets every event.
So each role that consumes subscribes to every Channel whose producer emits a type it
handles, and its Subscription's `reply` is the role's own Channel: parse -> commands ->
responses, as the seed wires parser -> commands -> replies. mono defers to itself, so its
one Subscription takes its own Channel and replies to it too: its bus face answers nothing,
except a rate-limited reply it hands on alone, which then comes back to it once.

`botless manifests --wiring channels` (Knative's messaging.knative.dev/v1 objects) and the
embedded bus's ChannelBus (core/channel_bus.py) both read `channel_subscriptions`.
"""

from __future__ import annotations

from dataclasses import dataclass

from core import events as ev
from core.role_table import ROLE_TABLE, roles_of

# A Channel is named after the first type its producer emits.
_CHANNEL_NAMES = {ev.CHAT_MESSAGE: "botless-chat-messages", ev.COMMAND_PREFIX: "botless-commands",
                  ev.BOT_RESPONSE: "botless-responses"}
WIRINGS = ("broker", "channels")


@dataclass(frozen=True)
class ChannelSubscription:
    """`role` subscribed to `channel`; what it emits goes to `reply` (None: nowhere)."""

    channel: str
    role: str
    reply: str | None


def channel_of(role: str) -> str:
    """The Channel that carries what `role` emits; ValueError for a role that emits nothing."""
    emits = ROLE_TABLE[role].emits
    if not emits:
        raise ValueError(f"the {role} role emits nothing, so it has no Channel")
    return _CHANNEL_NAMES[emits[0]]


def entry_channel(topology: str) -> str:
    """The Channel a webhook's chat message enters the flow on, in `topology`."""
    [first] = [name for name in roles_of(topology) if ROLE_TABLE[name].serves_http]
    return channel_of(first)


def channels_of(topology: str) -> tuple[str, ...]:
    """The Channels of `topology`, in the order of the flow."""
    return tuple(dict.fromkeys(channel_of(name) for name in roles_of(topology) if ROLE_TABLE[name].emits))


def channel_subscriptions(topology: str) -> tuple[ChannelSubscription, ...]:
    """Every Subscription of `topology`: each consumer on each Channel that carries a type it handles."""
    roles = roles_of(topology)
    producers = [name for name in roles if ROLE_TABLE[name].emits]
    found = []
    for consumer in roles:
        role = ROLE_TABLE[consumer]
        if not role.bus_triggered:
            continue
        for producer in producers:
            if not any(role.handles(kind) for kind in ROLE_TABLE[producer].emits):
                continue
            channel = channel_of(producer)
            reply = channel_of(consumer) if role.emits else None
            found.append(ChannelSubscription(channel, consumer, reply))
    return tuple(found)

