"""The embedded bus under Channel + Subscription wiring (core/channels.py): Knative Channels in one process.

A Channel has no filters: an event published to it goes to every Subscription of that
Channel, and what the subscriber answers goes to the Subscription's `reply` Channel (or
nowhere). Hops, retries and dead letters are the Broker's (core/bus.py), so the two
wirings differ only in how an event finds its subscribers, and answer the same.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from cloudevents.http import CloudEvent

from core.bus import Broker, Subscriber, Trigger, hops_of
from core.channels import channel_subscriptions, entry_channel
from core.events import EXT_HOPS


class ChannelBus(Broker):
    """`publish` puts an event on the entry Channel; each Subscription's replies go to its reply Channel.

    `triggers[i]` is the subscriber of `routes[i]` (channel, reply): a Trigger without
    filters, so wrappers of a Broker's triggers (the web chat's tracer) wrap these too.
    """

    def __init__(self, topology: str, subscriber_of: Callable[[str], Subscriber], *, max_hops: int = 10,
                 retries: int = 2, retry_delay: float = 0.05) -> None:
        subscriptions = channel_subscriptions(topology)
        super().__init__([Trigger(s.role, subscriber_of(s.role)) for s in subscriptions],
                         max_hops=max_hops, retries=retries, retry_delay=retry_delay)
        self.routes: list[tuple[str, str | None]] = [(s.channel, s.reply) for s in subscriptions]
        self.entry = entry_channel(topology)

    def add(self, trigger: Trigger) -> None:
        raise TypeError("a ChannelBus takes Subscriptions from core/channels.py, not Triggers")

    async def publish(self, event: CloudEvent) -> None:
        """Put `event` on the entry Channel; returns when it and every reply are handled."""
        await self.publish_to(self.entry, event)

    async def publish_to(self, channel: str, event: CloudEvent) -> None:
        """Deliver `event` to every Subscription of `channel`, then each one's replies to its reply Channel."""
        hops = hops_of(event)
        if hops >= self.max_hops:
            self._dead_letter(event, channel, f"hop limit {self.max_hops} reached (a loop?)")
            return
        subscribed = [(trigger, reply) for trigger, (on, reply) in zip(self.triggers, self.routes, strict=True)
                      if on == channel]
        results = await asyncio.gather(*(self._deliver(trigger, event) for trigger, _ in subscribed))
        for (_, reply_channel), replies in zip(subscribed, results, strict=True):
            for reply in replies:
                if reply_channel is None:
                    continue  # a Subscription without `reply`: Knative drops what the subscriber answers
                reply[EXT_HOPS] = str(hops + 1)
                await self.publish_to(reply_channel, reply)
