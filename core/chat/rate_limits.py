"""How long respond may wait for a platform's rate limit or a 5xx within one invocation.

A reply the platform refuses with 429 is sent again after its Retry-After when that wait
fits the time left (`remaining_wait`); otherwise `RateLimited` reaches the target, which
hands the reply back to its bus with the delay (never retried at once, never dropped).
A 5xx or a timeout is tried again with jittered exponential backoff while time is left.
The budget is a ContextVar deadline: Roles.respond opens it with the bot's
BOTLESS_RATE_LIMIT_WAIT_SECONDS, and a target that knows its own remaining time (a
Lambda's context) narrows it, never widens it. slack_sdk's retry handlers run in a
worker thread, which `asyncio.to_thread` gives the same context, so they read it too.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import TypeVar

from core.backoff import Backoff
from core.chat.base import DeliveryError, PermanentDeliveryError, RateLimited

T = TypeVar("T")

# A monotonic deadline for waiting on the platform, or None outside a respond step.
_deadline: ContextVar[float | None] = ContextVar("botless_wait_deadline", default=None)
# A 5xx is tried at most this many times in one invocation; then the bus retries it later.
TRANSIENT_ATTEMPTS = 3


@contextmanager
def waiting_up_to(seconds: float) -> Iterator[None]:
    """Within the block, respond may wait up to `seconds` (or less, when a deadline is already set)."""
    wanted = time.monotonic() + max(0.0, seconds)
    current = _deadline.get()
    token = _deadline.set(wanted if current is None else min(current, wanted))
    try:
        yield
    finally:
        _deadline.reset(token)


def remaining_wait() -> float:
    """Seconds respond may still wait here; 0 outside `waiting_up_to`."""
    deadline = _deadline.get()
    return 0.0 if deadline is None else max(0.0, deadline - time.monotonic())


def fits(delay: float) -> bool:
    """True when waiting `delay` seconds (then trying again) fits what is left."""
    return delay <= remaining_wait()


async def with_retries(attempt: Callable[[], Awaitable[T]], *,
                       backoff: Backoff | None = None) -> T:
    """`attempt()`, tried again after a 429 whose wait fits and after a 5xx while time is left.

    Raises what the last attempt raised: RateLimited with a wait that does not fit,
    PermanentDeliveryError at once, DeliveryError after TRANSIENT_ATTEMPTS or when the next
    backoff would not fit.
    """
    backoff = backoff or Backoff(initial=0.25, maximum=4.0)
    failures = 0
    while True:
        try:
            return await attempt()
        except PermanentDeliveryError:
            raise
        except RateLimited as limited:
            if not fits(limited.retry_after):
                raise
            await asyncio.sleep(limited.retry_after)
        except DeliveryError:
            failures += 1
            delay = backoff.next_delay()
            if failures >= TRANSIENT_ATTEMPTS or not fits(delay):
                raise
            await asyncio.sleep(delay)
