"""The roles of the design, each declared once: what it consumes, how it is reached, what it does.

Everything that needs to know the roles derives from ROLE_TABLE: `handles`, the broker's
triggers, run_role's claims, each cloud's topics and subscriptions, packaging, the Knative
manifests and costing. A new role (or a new property of one) is one line here.

`consumes` holds event types; an entry ending in "." is a prefix (every command type).
mono consumes what the three bus roles consume: on a webhook it runs them in one
invocation, and on the bus it takes back the work it deferred.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

from core import events as ev


@dataclass(frozen=True)
class Role:
    """One role: a function from one CloudEvent (or one webhook) to zero or more events."""

    name: str
    consumes: tuple[str, ...]  # event types it acts on; "x." is a prefix
    serves_http: bool  # the chat platforms' webhooks reach it (a public HTTP route)
    publishes: bool  # it emits events onto the bus (receive, parse, command; mono defers)
    deduplicates: bool  # it claims each bus delivery in the dedupe store (run_role)
    topologies: tuple[str, ...]  # the topologies that deploy it
    emits: tuple[str, ...] = ()  # event types it publishes (core/channels.py wires Channels from them)

    def handles(self, event_type: str) -> bool:
        """True when this role acts on events of `event_type`."""
        return any(event_type.startswith(kind) if kind.endswith(".") else event_type == kind
                   for kind in self.consumes)

    @property
    def bus_triggered(self) -> bool:
        """True when the bus delivers events to it (a Trigger, a subscription, a rule)."""
        return bool(self.consumes)


_BUS_TYPES = (ev.CHAT_MESSAGE, ev.COMMAND_PREFIX, ev.BOT_RESPONSE)

ROLE_TABLE: dict[str, Role] = {role.name: role for role in (
    Role("receive", (), serves_http=True, publishes=True, deduplicates=False, topologies=("pipeline",),
         emits=(ev.CHAT_MESSAGE,)),
    # parse answers an unknown command itself, so it emits responses as well as commands.
    Role("parse", (ev.CHAT_MESSAGE,), serves_http=False, publishes=True, deduplicates=True,
         topologies=("pipeline",), emits=(ev.COMMAND_PREFIX, ev.BOT_RESPONSE)),
    Role("command", (ev.COMMAND_PREFIX,), serves_http=False, publishes=True, deduplicates=True,
         topologies=("pipeline",), emits=(ev.BOT_RESPONSE,)),
    Role("respond", (ev.BOT_RESPONSE,), serves_http=False, publishes=False, deduplicates=True,
         topologies=("pipeline",)),
    # mono defers slow work to itself: any step of the flow may be what it hands on.
    Role("mono", _BUS_TYPES, serves_http=True, publishes=True, deduplicates=True, topologies=("mono",),
         emits=_BUS_TYPES),
)}

# Every role a deployment can play (BOTLESS_ROLE), in the order of the flow.
TARGET_ROLES: tuple[str, ...] = tuple(ROLE_TABLE)
# The roles one function each in the pipeline topology, in the order of the flow.
PIPELINE_ROLES: tuple[str, ...] = tuple(name for name, role in ROLE_TABLE.items() if "pipeline" in role.topologies)
# The roles a chat platform's webhook reaches, and those that publish onto the bus.
HTTP_ROLES: tuple[str, ...] = tuple(name for name, role in ROLE_TABLE.items() if role.serves_http)
PUBLISHING_ROLES: tuple[str, ...] = tuple(name for name, role in ROLE_TABLE.items() if role.publishes)
# The roles of the pipeline that the bus triggers (parse, command, respond).
BUS_ROLES: tuple[str, ...] = tuple(name for name in PIPELINE_ROLES if ROLE_TABLE[name].bus_triggered)


def roles_of(topology: str) -> tuple[str, ...]:
    """The roles deployed as their own function in `topology` (mono: one; pipeline: four)."""
    found = tuple(name for name, role in ROLE_TABLE.items() if topology in role.topologies)
    if not found:
        raise ValueError(f"unknown topology {topology!r}")
    return found


@functools.lru_cache(maxsize=1024)  # asked for each event each role meets; the answer never changes
def handles(role: str, event_type: str) -> bool:
    """True when `role` acts on events of `event_type`; False for a role that is not in the table."""
    entry = ROLE_TABLE.get(role)
    return entry is not None and entry.handles(event_type)
