"""Slack's rate limits, waited out by slack_sdk's own retry handler within respond's budget.

slack_sdk's RateLimitErrorRetryHandler sleeps a 429's Retry-After (plus up to a second of
jitter). It runs in the worker thread of the blocking client, which `asyncio.to_thread`
gives respond's context, so it reads the same deadline (core/chat/rate_limits.py). A wait
that does not fit is not taken: the 429 becomes RateLimited with the wait Slack named,
and goes back to the bus. A 5xx is DeliveryError, which core/chat/rate_limits.py's
with_retries tries again like every platform's; any other refusal is permanent, with
Slack's error code.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from core.chat.base import DeliveryError, PermanentDeliveryError, RateLimited
from core.chat.rate_limits import fits

# Slack's `ok: false` errors that another attempt may not meet (https://api.slack.com/methods/chat.postMessage).
TRANSIENT_ERRORS = frozenset({"internal_error", "fatal_error", "service_unavailable", "request_timeout"})
_JITTER_SECONDS = 1.0  # what slack_sdk adds to a Retry-After


def retry_after(headers: Mapping[str, Any] | None) -> float | None:
    """A Retry-After header's seconds (slack_sdk keeps header values as strings or lists of them)."""
    for name, value in (headers or {}).items():
        if name.lower() != "retry-after":
            continue
        raw = value[0] if isinstance(value, list | tuple) and value else value
        try:
            return float(raw)
        except (TypeError, ValueError):
            return None
    return None


def budgeted_retry_handlers() -> list[Any]:
    """slack_sdk's rate-limit handler, taking only the waits that fit respond's budget."""
    from slack_sdk.http_retry.builtin_handlers import RateLimitErrorRetryHandler

    class RateLimitWithinBudget(RateLimitErrorRetryHandler):
        def _can_retry(self, *, state: Any, request: Any, response: Any = None, error: Any = None) -> bool:
            if not super()._can_retry(state=state, request=request, response=response, error=error):
                return False
            wait = retry_after(response.headers) or 0.0
            return fits(wait + _JITTER_SECONDS)

    return [RateLimitWithinBudget(max_retry_count=3)]


def refusal(what: str, status: int, headers: Mapping[str, Any] | None, code: str) -> DeliveryError:
    """What Slack's answer means once the handlers gave up: RateLimited, DeliveryError or PermanentDeliveryError."""
    message = f"Slack {what} failed: {code or status}"
    if status == 429 or code == "ratelimited":
        return RateLimited(message, retry_after(headers) or 1.0)
    if status >= 500 or code in TRANSIENT_ERRORS:
        return DeliveryError(message)
    return PermanentDeliveryError(message, code or str(status))
