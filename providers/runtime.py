"""What every cloud target shares: run one role on one event and publish what it emits.

A target supplies a `Publisher` (its bus: Knative sink, EventBridge, Pub/Sub, Event
Grid). The receive role is the ASGI app of `providers.asgi`; parse, command and respond
are bus-triggered and go through `run_role`. In the mono topology one invocation runs
every role and publishes nothing.

Buses deliver at least once, so `run_role` claims each bus-delivered event in the bot's
dedupe store first (`<role>:ce:<event id>`), and a failed run gives its claim back so
that the bus's retry runs it. The claim is a lease (`BOTLESS_DEDUPE_LEASE_SECONDS`) until
the role succeeded, then it is confirmed for 24 h. A redelivery that finds the claim
confirmed is acknowledged and skipped; one that finds a lease still running fails with
InFlightError, which every target answers the way its bus retries (the first run may
yet crash: an acknowledged redelivery would then be lost). By the retry the first run
either confirmed (the retry is a duplicate) or died and its lease lapsed (the retry runs).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping
from typing import Protocol

from cloudevents.http import CloudEvent

from core.bot import Bot
from core.dedupe import claim, confirm, is_confirmed, release
from core.events import EventValidationError, is_botless_type, validated
from core.logs import log_event
from core.role_table import TARGET_ROLES, handles
from core.roles import StepGuard

# Re-exported: the cloud stores (providers/*/dedupe.py) import it from here.

logger = logging.getLogger("botless")
# How long a handled bus event is remembered: longer than any bus here keeps retrying
# (Event Grid's 24 h event time to live; Pub/Sub's 1-day retention in infra/gcf).
BUS_DEDUPE_TTL_SECONDS = 24 * 3600
# The clock that times a role against its lease (a test moves it; the event loop's is left alone).
_lease_clock = time.monotonic


class PublishError(RuntimeError):
    """The bus refused an event; the invocation must fail so the platform retries it."""


class InFlightError(RuntimeError):
    """A redelivered event whose claim is a lease still running: another invocation is
    handling it. The delivery must fail retryably, so the bus retries it later (then it is
    a duplicate, or, when that invocation died and its lease lapsed, it is run)."""

    def __init__(self, role: str, event_id: str) -> None:
        super().__init__(f"event {event_id} is being handled elsewhere ({role}'s claim on it is a lease "
                         "not yet confirmed): retry later")
        self.role = role
        self.event_id = event_id


class Publisher(Protocol):
    """Sends an event to the target's bus."""

    async def publish(self, event: CloudEvent) -> None: ...


class Deferrer(Protocol):
    """Hands an event to the target's own asynchronous mechanism, for a later invocation.

    That later invocation of the same (mono) function continues the work: a Lambda
    `Event` invoke, a Pub/Sub message, an Event Grid or queue message, the Knative Broker.

    It must return quickly (the platform is waiting for its ack) and raise
    PublishError when the hand-off is refused, so that the HTTP answer is an error the
    platform retries instead of a lost message.
    """

    async def defer(self, event: CloudEvent) -> None: ...


class ConfigurationError(RuntimeError):
    """A target is started without what it needs; raised at start-up, never at first use."""


def publish_timeout_from_env(env: Mapping[str, str], default: float = 10.0) -> float:
    """Seconds a publish to the target's bus may take (`BOTLESS_PUBLISH_TIMEOUT_SECONDS`)."""
    raw = env.get("BOTLESS_PUBLISH_TIMEOUT_SECONDS", "") or str(default)
    try:
        return float(raw)
    except ValueError:
        raise ConfigurationError(f"BOTLESS_PUBLISH_TIMEOUT_SECONDS={raw!r} is not a number") from None


def role_from_env(env: dict[str, str] | None = None, default: str = "mono") -> str:
    """The role this deployment plays (`BOTLESS_ROLE`), validated."""
    import os

    role = (env if env is not None else os.environ).get("BOTLESS_ROLE", default) or default
    if role not in TARGET_ROLES:
        raise ConfigurationError(f"BOTLESS_ROLE={role!r}: choose one of {', '.join(TARGET_ROLES)}")
    return role


async def run_role(bot: Bot, role: str, event: CloudEvent, publisher: Publisher | None, *,
                   deduplicate: bool = True, guard: StepGuard | None = None) -> list[CloudEvent]:
    """Run `role` on a bus-delivered `event`; publish what it emits when a publisher is given.

    Returns the emitted events (Knative's reply contract sends them back in the HTTP
    response instead of publishing). An event its door decoded (a ValidEvent) is trusted;
    any other is checked here, and a malformed one raises EventValidationError, which
    the caller turns into a non-retryable rejection; types Botless does not know are
    ignored politely and return nothing. `guard` wraps each step of mono's chain
    (core/roles.py's StepGuard; MonoChain's budget).

    With `deduplicate` (the default) the event is first claimed in `bot.dedupe` as
    `<role>:ce:<id>`, and a failure releases the claim before it propagates, so the
    bus's retry is run. The claim is taken for `bot.settings.dedupe_lease_seconds` and
    confirmed for BUS_DEDUPE_TTL_SECONDS once the role succeeded. A redelivery that
    finds the claim confirmed returns nothing (logged `duplicate`); one that finds a
    lease still running raises InFlightError (logged `in-flight`) and leaves the claim
    alone, so the bus retries it later. A caller passes
    False for an event that did not come from a bus (mono's chain on a webhook, which
    its adapter already deduplicated) or when the hand-off happens after it returns
    (Knative's reply contract: a redelivery may mean the Broker never got the answer).
    """
    if not is_botless_type(event["type"]):
        log_event(event, role, 0.0, "ignored")
        return []
    event = validated(event)
    key = f"{role}:ce:{event['id']}"
    # A type this role ignores costs no claim (Pub/Sub's emulator, for one, ignores filters).
    if not (deduplicate and handles(role, event["type"])):
        return await _run(bot, role, event, publisher, guard)
    if not await claim(bot.dedupe, key, bot.settings.dedupe_lease_seconds):
        if not await is_confirmed(bot.dedupe, key):
            # Not ours to release: the invocation holding the lease confirms or gives it back.
            log_event(event, role, 0.0, "in-flight", reason=(
                "a redelivery while another invocation holds the claim's lease: failed so the bus retries later"))
            raise InFlightError(role, event["id"])
        log_event(event, role, 0.0, "duplicate", reason="a redelivery of an event already handled")
        return []
    started = _lease_clock()
    try:
        emitted = await _run(bot, role, event, publisher, guard)
    except BaseException:
        await _give_back(bot, role, event, key)
        raise
    await _confirm(bot, role, event, key, _lease_clock() - started)
    return emitted


async def _run(bot: Bot, role: str, event: CloudEvent, publisher: Publisher | None,
               guard: StepGuard | None) -> list[CloudEvent]:
    emitted = await bot.roles.run(role, event, guard)  # mono's chain emits nothing
    if publisher is not None:
        for produced in emitted:
            await publisher.publish(produced)
    return emitted


async def _confirm(bot: Bot, role: str, event: CloudEvent, key: str, seconds: float) -> None:
    lease = bot.settings.dedupe_lease_seconds
    if seconds > lease:
        # Meanwhile a redelivery may have taken the lapsed claim and run the role a second time.
        log_event(event, role, seconds * 1000, "lease-overrun", reason=(
            f"the role ran {seconds:.0f} s, longer than its {lease} s lease: set BOTLESS_DEDUPE_LEASE_SECONDS "
            "above the function's timeout"))
    try:
        await confirm(bot.dedupe, key, BUS_DEDUPE_TTL_SECONDS)
    except Exception as error:  # noqa: BLE001 - the role's work is done; failing now would only repeat it
        # The claim lapses after the lease: a redelivery after that runs the role again.
        log_event(event, role, 0.0, "confirm-failed", reason=f"{type(error).__name__}: {error}")


async def _give_back(bot: Bot, role: str, event: CloudEvent, key: str) -> None:
    try:
        await release(bot.dedupe, key)
    except Exception as error:  # noqa: BLE001 - the role's own failure is what propagates
        # The retry will be skipped as a duplicate until the claim expires: say so loudly.
        log_event(event, role, 0.0, "release-failed", reason=f"{type(error).__name__}: {error}")


__all__ = [
    "BUS_DEDUPE_TTL_SECONDS", "ConfigurationError", "Deferrer", "EventValidationError", "InFlightError",
    "PublishError",
    "Publisher", "TARGET_ROLES", "role_from_env", "run_role",
]
