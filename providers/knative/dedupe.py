"""The dedupe store on Knative: Redis, `SET key lease:<token> NX PX ttl` (`BOTLESS_REDIS_URL`).

A confirm is `SET key done PX ttl`, a release `DEL key`; `is_confirmed` is a `GET`.
The token is new for each claim, so a claim whose answer was lost tells its own lease
from another's (`put_if_absent`).

Redis is the operator's (any Redis 2.6.12+ the pods can reach: a managed one, or a
Deployment in the cluster); infra/knative passes its URL to every Service. Redis
expires keys by itself, so a claim past its time to live is simply absent.
"""

from __future__ import annotations

import math
import threading
import uuid
from collections.abc import Mapping
from typing import Any

from providers.shared_store import shared_dedupe

SETTING = "BOTLESS_REDIS_URL"
# Every key lives under this prefix, so one Redis can serve other things too.
KEY_PREFIX = "botless:dedupe:"
# Webhook claims happen while Slack and Discord wait (3 s): fail fast, the platform retries.
TIMEOUT_SECONDS = 2.0
# The value of a claim: a lease while its role runs, done once it is confirmed.
LEASE = b"lease"
DONE = b"done"


class RedisDedupeStore:
    """A DedupeStore shared by every pod of every Service: one Redis key per claim."""

    blocking = True  # a network call: core.dedupe.claim runs it in a thread

    def __init__(self, url: str, *, prefix: str = KEY_PREFIX, timeout: float = TIMEOUT_SECONDS) -> None:
        # The client is created on first use: constructing a store does no I/O and imports no redis.
        self.url = url
        self.prefix = prefix
        self.timeout = timeout
        self._client: Any = None
        self._lock = threading.Lock()

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> RedisDedupeStore | None:
        """The store for `BOTLESS_REDIS_URL` (redis://[:password@]host:6379/0, rediss:// for TLS), or None."""
        url = env.get(SETTING, "").strip()
        return cls(url) if url else None

    def put_if_absent(self, key: str, ttl_seconds: float) -> bool:
        """True when `key` was absent (and is now claimed for `ttl_seconds`); False when taken."""
        import redis

        name = self.prefix + key
        # Made once per claim, before any resend: only this claim's SET can write it.
        lease = LEASE + b":" + uuid.uuid4().hex.encode()
        try:
            # PX (milliseconds) rather than EX: the same command with sub-second precision.
            if self._redis().set(name, lease, nx=True, px=max(1, math.ceil(ttl_seconds * 1000))):
                return True
        except (redis.ConnectionError, redis.TimeoutError):
            # Sent, answer lost. redis-py's from_url client does not resend (its connections
            # get Retry(NoBackoff(), 0)): if the SET landed, a raise would leave our lease to
            # refuse the platform's retry. Absent: it did not land, and the retry will be fresh.
            held = self._redis().get(name)
            if held is None:
                raise
            return bool(held == lease)
        # Taken, perhaps by this very claim: a client configured to retry resends a SET whose
        # answer was lost, and the resend finds the first one's lease. A plain GET (not
        # SET NX GET, Redis 7+) keeps Redis 2.6.12 enough, and it cannot err towards fresh:
        # only this claim writes `lease`; if it lapsed meanwhile we answer taken, as before.
        return bool(self._redis().get(name) == lease)

    def release(self, key: str) -> None:
        """Forget `key`, so the retry of a delivery whose work failed is taken."""
        self._redis().delete(self.prefix + key)

    def confirm(self, key: str, ttl_seconds: float) -> None:
        """Hold `key` for `ttl_seconds` from now, whatever its claim was (a lease, expired, none)."""
        # No XX: a role that outlived its lease still succeeded, so it is remembered too.
        # No token: only the claim that wrote one reads it, before it returns, and a
        # confirm only ever follows a claim that has returned.
        self._redis().set(self.prefix + key, DONE, px=max(1, math.ceil(ttl_seconds * 1000)))

    def is_confirmed(self, key: str) -> bool:
        """True when `key` holds a confirmed claim; False for a lease, or nothing (expired keys are gone)."""
        value = self._redis().get(self.prefix + key)
        return bool(value == DONE)

    def close(self) -> None:
        """Close the connection pool (reopened on the next call)."""
        with self._lock:
            if self._client is not None:
                self._client.close()
                self._client = None

    def _redis(self) -> Any:
        with self._lock:
            if self._client is None:
                import redis

                # Thread-safe (a connection pool); errors raise redis.RedisError, never swallowed.
                self._client = redis.Redis.from_url(self.url, socket_timeout=self.timeout,
                                                    socket_connect_timeout=self.timeout)
            return self._client


def store_from_env(env: Mapping[str, str]) -> RedisDedupeStore | None:
    """The Redis store when `BOTLESS_REDIS_URL` is set; else None, with a start-up warning."""
    return shared_dedupe(env, SETTING, "knative", RedisDedupeStore.from_env)
