"""What Slack's refusals mean: a 429's Retry-After, a 5xx to try again, or a permanent error code.

The wait itself is core/chat/rate_limits.py's `with_retries`, on the event loop, as for
every platform. slack_sdk's RateLimitErrorRetryHandler is not used: it sleeps inside the
blocking client's worker thread, so a burst of rate-limited replies would hold every
thread of the default executor, which the sqlite store's claims share, and the webhooks'
acks would wait behind them.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from core.chat.base import DeliveryError, PermanentDeliveryError, RateLimited

# Slack's `ok: false` errors that another attempt may not meet (https://api.slack.com/methods/chat.postMessage).
TRANSIENT_ERRORS = frozenset({"internal_error", "fatal_error", "service_unavailable", "request_timeout"})


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


def refusal(what: str, status: int, headers: Mapping[str, Any] | None, code: str) -> DeliveryError:
    """What Slack's answer means once the handlers gave up: RateLimited, DeliveryError or PermanentDeliveryError."""
    message = f"Slack {what} failed: {code or status}"
    if status == 429 or code == "ratelimited":
        return RateLimited(message, retry_after(headers) or 1.0)
    if status >= 500 or code in TRANSIENT_ERRORS:
        return DeliveryError(message)
    return PermanentDeliveryError(message, code or str(status))
