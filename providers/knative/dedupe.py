"""The dedupe store on Knative: Redis, `SET key lease NX PX ttl` (`BOTLESS_REDIS_URL`).

A confirm is `SET key done PX ttl`, a release `DEL key`; `is_confirmed` is a `GET`.

Redis is the operator's (any Redis 2.6.12+ the pods can reach: a managed one, or a
Deployment in the cluster); infra/knative passes its URL to every Service. Redis
expires keys by itself, so a claim past its time to live is simply absent.
"""

from __future__ import annotations

import math
import threading
from typing import Any, Mapping

from providers.runtime import shared_dedupe

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
    def from_env(cls, env: Mapping[str, str]) -> "RedisDedupeStore | None":
        """The store for `BOTLESS_REDIS_URL` (redis://[:password@]host:6379/0, rediss:// for TLS), or None."""
        url = env.get(SETTING, "").strip()
        return cls(url) if url else None

    def put_if_absent(self, key: str, ttl_seconds: float) -> bool:
        """True when `key` was absent (and is now claimed for `ttl_seconds`); False when taken."""
        # PX (milliseconds) rather than EX: the same command with sub-second precision.
        taken = self._redis().set(self.prefix + key, LEASE, nx=True, px=max(1, math.ceil(ttl_seconds * 1000)))
        return bool(taken)

    def release(self, key: str) -> None:
        """Forget `key`, so the retry of a delivery whose work failed is taken."""
        self._redis().delete(self.prefix + key)

    def confirm(self, key: str, ttl_seconds: float) -> None:
        """Hold `key` for `ttl_seconds` from now, whatever its claim was (a lease, expired, none)."""
        # No XX: a role that outlived its lease still succeeded, so it is remembered too.
        self._redis().set(self.prefix + key, DONE, px=max(1, math.ceil(ttl_seconds * 1000)))

    def is_confirmed(self, key: str) -> bool:
        """True when `key` holds a confirmed claim; False for a lease, or nothing (expired keys are gone)."""
        value = self._redis().get(self.prefix + key)
        return value == DONE

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
