"""The embedded broker: Knative Broker/Trigger semantics in one process.

Triggers filter on exact attribute values (type, source, extensions) and, as Knative's
newer `filters: [{prefix: ...}]` dialect allows, on attribute prefixes. A subscriber's
reply events re-enter the broker. Each re-entry adds one hop (Knative's broker TTL):
past the limit the event is dead-lettered, so a loop ends. A subscriber that raises is
retried a bounded number of times, then the event is dead-lettered: kept and logged,
never silently dropped. A platform's rate limit (RateLimited) is redelivered after the
wait it named, and a permanent refusal (PermanentDeliveryError) dead-lettered at once.
`role_triggers` wires the roles of core/role_table.py.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass, field

from cloudevents.http import CloudEvent

from core.chat.base import PermanentDeliveryError, RateLimited
from core.events import EXT_HOPS
from core.role_table import BUS_ROLES, PIPELINE_ROLES, ROLE_TABLE

logger = logging.getLogger("botless")

Subscriber = Callable[[CloudEvent], Awaitable[list[CloudEvent]]]


@dataclass(frozen=True)
class Trigger:
    """A subscription to the broker: every filter must match for the event to be delivered."""

    name: str
    subscriber: Subscriber
    exact: Mapping[str, str] = field(default_factory=dict)
    prefix: Mapping[str, str] = field(default_factory=dict)

    def matches(self, event: CloudEvent) -> bool:
        attributes = event.get_attributes()
        for name, wanted in self.exact.items():
            if str(attributes.get(name, "")) != wanted:
                return False
        return all(str(attributes.get(name, "")).startswith(start) for name, start in self.prefix.items())


def role_triggers(roles: Iterable[str], subscriber_of: Callable[[str], Subscriber]) -> list[Trigger]:
    """One trigger per event type each of `roles` consumes (core/role_table.py), named after its role.

    A type ending in "." filters on the prefix. mono, alone on one machine, defers nothing,
    so it takes only what enters the flow (parse's types): a command or response event
    published to it is ignored.
    """
    triggers = []
    for name in roles:
        consumed = ROLE_TABLE[name].consumes if name in PIPELINE_ROLES else ROLE_TABLE[BUS_ROLES[0]].consumes
        for kind in consumed:
            on_prefix = kind.endswith(".")
            triggers.append(Trigger(name, subscriber_of(name), exact={} if on_prefix else {"type": kind},
                                    prefix={"type": kind} if on_prefix else {}))
    return triggers


@dataclass(frozen=True)
class DeadLetter:
    """An event that could not be delivered, with the trigger and the reason."""

    event: CloudEvent
    trigger: str
    reason: str


class Broker:
    """Deliver each published event to every matching trigger; replies are published again."""

    def __init__(self, triggers: list[Trigger] | None = None, *, max_hops: int = 10,
                 retries: int = 2, retry_delay: float = 0.05, rate_limited_redeliveries: int = 20) -> None:
        self.triggers: list[Trigger] = list(triggers or [])
        self.max_hops = max_hops
        self.retries = retries
        self.retry_delay = retry_delay
        self.rate_limited_redeliveries = rate_limited_redeliveries
        self.dead_letters: list[DeadLetter] = []

    def add(self, trigger: Trigger) -> None:
        self.triggers.append(trigger)

    async def publish(self, event: CloudEvent) -> None:
        """Deliver `event` and, recursively, every reply; returns when all are handled."""
        hops = hops_of(event)
        if hops >= self.max_hops:
            self._dead_letter(event, "-", f"hop limit {self.max_hops} reached (a loop?)")
            return
        deliveries = [t for t in self.triggers if t.matches(event)]
        results = await asyncio.gather(*(self._deliver(t, event) for t in deliveries))
        for replies in results:
            for reply in replies:
                reply[EXT_HOPS] = str(hops + 1)
                await self.publish(reply)

    async def _deliver(self, trigger: Trigger, event: CloudEvent) -> list[CloudEvent]:
        failures = waits = 0
        while True:
            try:
                return list(await trigger.subscriber(event) or [])
            except RateLimited as limited:
                # The platform said when: redelivered after that, as a bus's delayed retry would,
                # and not counted as a failure (a burst is slowed down, never dropped).
                waits += 1
                if waits <= self.rate_limited_redeliveries:
                    await asyncio.sleep(limited.retry_after)
                    event = limited.pending or event  # mono: the reply again, not the whole chain
                    continue
                error: Exception = limited
            except PermanentDeliveryError as refused:
                error = refused  # the platform will never take it: dead-lettered at once
            except Exception as failed:
                failures += 1
                if failures <= self.retries:
                    await asyncio.sleep(self.retry_delay * (2 ** (failures - 1)))
                    continue
                error = failed
            logger.debug("delivery failed", exc_info=error)
            self._dead_letter(event, trigger.name, f"{type(error).__name__}: {error}")
            return []

    def _dead_letter(self, event: CloudEvent, trigger: str, reason: str) -> None:
        self.dead_letters.append(DeadLetter(event, trigger, reason))
        logger.error(json.dumps({"id": event["id"], "type": event["type"], "trigger": trigger,
                                 "outcome": "dead-lettered", "reason": reason}))


def hops_of(event: CloudEvent) -> int:
    """How many times `event` re-entered the bus (its EXT_HOPS; 0 when absent or unreadable)."""
    try:
        return int(event.get_attributes().get(EXT_HOPS, 0))
    except (TypeError, ValueError):
        return 0
