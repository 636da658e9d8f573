"""Discord's rate limits as its headers state them: buckets per route, and the global limit.

Discord answers every call with X-RateLimit-Bucket, -Remaining and -Reset-After; a route
whose bucket has nothing left must wait until the reset, and a 429 says how long in its
body (`retry_after`, seconds) and whether the limit is `global` (every route waits).
https://discord.com/developers/docs/topics/rate-limits. Tracked within this instance only:
another instance learns its own from its first answer.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from typing import Any

from core.chat.base import RateLimited


class RouteBuckets:
    """What this instance knows of Discord's buckets: which route shares which, and when each resets."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._bucket_of: dict[str, str] = {}  # route -> bucket id (routes may share a bucket)
        self._empty_until: dict[str, float] = {}  # bucket (or route before its id is known) -> reset time
        self._global_until = 0.0

    def wait_before(self, route: str) -> tuple[float, str]:
        """Seconds to wait before calling `route` (0: go ahead), and which limit says so."""
        now = self._clock()
        bucket = self._empty_until.get(self._bucket_of.get(route, route), 0.0) - now
        overall = self._global_until - now
        if overall >= bucket:
            return max(0.0, overall), "the global limit"
        return max(0.0, bucket), "this route's bucket"

    def update(self, route: str, headers: Mapping[str, str]) -> None:
        """Remember what an answer's X-RateLimit-* headers say about `route`'s bucket."""
        bucket = headers.get("x-ratelimit-bucket", "")
        if bucket:
            self._bucket_of[route] = bucket
        key = bucket or route
        remaining, reset_after = _number(headers.get("x-ratelimit-remaining")), _number(
            headers.get("x-ratelimit-reset-after"))
        if remaining is not None and remaining <= 0 and reset_after is not None:
            self._empty_until[key] = self._clock() + reset_after
        else:
            self._empty_until.pop(key, None)

    def refused(self, route: str, headers: Mapping[str, str], body: Any) -> RateLimited:
        """The RateLimited a 429 means, remembered for `route` (or for every route, when global)."""
        answer = body if isinstance(body, Mapping) else {}
        retry_after = _number(answer.get("retry_after"))
        if retry_after is None:
            retry_after = _number(headers.get("retry-after")) or 1.0
        until = self._clock() + retry_after
        if answer.get("global") is True or headers.get("x-ratelimit-global", "").lower() == "true":
            self._global_until = max(self._global_until, until)
            scope = "the global limit"
        else:
            self._empty_until[headers.get("x-ratelimit-bucket", "") or self._bucket_of.get(route, route)] = until
            scope = "this route's bucket"
        return RateLimited(f"Discord rate-limited the follow-up ({scope}): retry after {retry_after:.3g} s",
                           retry_after)


def _number(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    try:
        return float(value)
    except (TypeError, ValueError):
        return None
