"""Remember which deliveries were already accepted, so a platform's retry is answered once.

A dedupe store is a key-value store with expiry and four operations, each one atomic:

- `put_if_absent(key, ttl_seconds)`: a conditional put, True the first time a key is seen
  (within its time to live) and False afterwards. It writes a *lease*. This is exactly
  DynamoDB's conditional PutItem, Firestore's `create`, Redis's `SET NX PX` and Table
  Storage's insert, so each cloud store is one small class in its provider
  (providers/<cloud>/dedupe.py); here are the in-memory and SQLite ones. A cloud client
  may resend a write whose answer was lost, or raise though it landed, so each cloud
  claim writes a token of its own and counts the claim it finds as fresh when it holds
  that token (memory and SQLite do no network I/O: nothing is lost on the way back).
- `release(key)`: forget a claim whose work failed, so the platform's or bus's retry is taken.
- `confirm(key, ttl_seconds)`: an unconditional write of a *confirmed* claim. A bus event's
  claim is a short lease while its role runs, confirmed for the full time to live once it
  succeeded (providers.runtime.run_role), so a claim whose instance died mid-role lapses
  after the lease instead of holding off the bus's retries for a day.
- `is_confirmed(key)`: True for an unexpired confirmed claim, False for a lease (or
  nothing), so run_role tells a redelivery that arrives while another instance still holds
  the lease (InFlightError: retry later) from one of an event already handled.

Each delivery is claimed on **one** key (core.chat.claims.first_delivery): a single
conditional put is linearizable on every store, so of any number of racing copies
exactly one is fresh, in every interleaving. `BOTLESS_DEDUPE=memory|sqlite:PATH`.
"""

from __future__ import annotations

import asyncio
import hashlib
import re
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, Protocol, TypeVar, runtime_checkable

from core.settings import SettingsError

if TYPE_CHECKING:
    import sqlite3  # imported by the store on first use: a bot on memory or a cloud store never loads it
    from pathlib import Path

_SWEEP_EVERY = 1000
# Characters every cloud store takes as they are in a document id or row key (Firestore
# forbids `/`, Table Storage `/ \\ # ?` and control characters).
_PLAIN_KEY = re.compile(r"[A-Za-z0-9._:@=+-]{1,200}")
T = TypeVar("T")


@runtime_checkable
class DedupeStore(Protocol):
    """A store of claims with expiry (see the module docstring for the four operations).

    `blocking` is True for a store that does I/O: the helpers below then call it in a
    worker thread, so the event loop keeps serving.
    """

    blocking: bool

    def put_if_absent(self, key: str, ttl_seconds: float) -> bool: ...

    def release(self, key: str) -> None: ...

    def confirm(self, key: str, ttl_seconds: float) -> None: ...

    def is_confirmed(self, key: str) -> bool: ...


class MemoryDedupeStore:
    """Keys in this process's memory, oldest dropped past `capacity` (one warm instance)."""

    # Never blocks: adapters call it on the event loop instead of in a thread.
    blocking = False

    def __init__(self, capacity: int = 100_000, clock: Callable[[], float] | None = None) -> None:
        self.capacity = capacity
        self._clock = clock or time.monotonic
        # key -> (expiry, confirmed)
        self._expiry: OrderedDict[str, tuple[float, bool]] = OrderedDict()
        self._lock = threading.Lock()

    def put_if_absent(self, key: str, ttl_seconds: float) -> bool:
        """True when `key` is new or its previous claim has expired (it is now a lease)."""
        now = self._clock()
        with self._lock:
            held = self._expiry.get(key)
            if held is not None and held[0] > now:
                return False
            self._hold(key, now + ttl_seconds, False)
            return True

    def release(self, key: str) -> None:
        """Forget `key`, so the platform's retry of a delivery that was not handed on is taken."""
        with self._lock:
            self._expiry.pop(key, None)

    def confirm(self, key: str, ttl_seconds: float) -> None:
        """Hold `key` for `ttl_seconds` from now, whatever its claim was (a lease, expired, none)."""
        now = self._clock()
        with self._lock:
            self._hold(key, now + ttl_seconds, True)

    def is_confirmed(self, key: str) -> bool:
        """True when `key` holds an unexpired confirmed claim; False for a lease, or nothing."""
        now = self._clock()
        with self._lock:
            held = self._expiry.get(key)
            return held is not None and held[0] > now and held[1]

    def _hold(self, key: str, expires: float, confirmed: bool) -> None:
        # Called with the lock held.
        self._expiry[key] = (expires, confirmed)
        self._expiry.move_to_end(key)
        while len(self._expiry) > self.capacity:
            self._expiry.popitem(last=False)


class SqliteDedupeStore:
    """Keys in a SQLite file, shared by every process on this machine; survives restarts."""

    blocking = True

    def __init__(self, path: str | Path, clock: Callable[[], float] | None = None) -> None:
        # The file is opened on first use: constructing a store does no I/O.
        self.path = str(path)
        self._clock = clock or time.time
        self._connection: sqlite3.Connection | None = None
        self._lock = threading.Lock()
        self._puts = 0

    def put_if_absent(self, key: str, ttl_seconds: float) -> bool:
        """True when `key` is new or expired; atomic across processes sharing the file."""
        now = self._clock()
        with self._lock:
            connection = self._connect()
            # BEGIN IMMEDIATE takes the write lock first, so two processes cannot both
            # see the key as absent.
            connection.execute("BEGIN IMMEDIATE")
            try:
                connection.execute("DELETE FROM botless_dedupe WHERE key = ? AND expires <= ?", (key, now))
                cursor = connection.execute(
                    "INSERT OR IGNORE INTO botless_dedupe (key, expires, confirmed) VALUES (?, ?, 0)",
                    (key, now + ttl_seconds),
                )
                self._puts += 1
                if self._puts % _SWEEP_EVERY == 0:
                    # Now and then, drop the expired keys nobody will ask about again.
                    connection.execute("DELETE FROM botless_dedupe WHERE expires <= ?", (now,))
                connection.execute("COMMIT")
            except BaseException:
                connection.execute("ROLLBACK")
                raise
            return cursor.rowcount == 1

    def release(self, key: str) -> None:
        """Forget `key`, so the platform's retry of a delivery that was not handed on is taken."""
        with self._lock:
            self._connect().execute("DELETE FROM botless_dedupe WHERE key = ?", (key,))

    def confirm(self, key: str, ttl_seconds: float) -> None:
        """Hold `key` for `ttl_seconds` from now, whatever its claim was (a lease, expired, none)."""
        now = self._clock()
        with self._lock:
            self._connect().execute(
                "INSERT OR REPLACE INTO botless_dedupe (key, expires, confirmed) VALUES (?, ?, 1)",
                (key, now + ttl_seconds))

    def is_confirmed(self, key: str) -> bool:
        """True when `key` holds an unexpired confirmed claim; False for a lease, or nothing."""
        now = self._clock()
        with self._lock:
            row = self._connect().execute(
                "SELECT confirmed FROM botless_dedupe WHERE key = ? AND expires > ?", (key, now)).fetchone()
        return row is not None and bool(row[0])

    def close(self) -> None:
        """Close the database file (it is reopened on the next put)."""
        with self._lock:
            if self._connection is not None:
                self._connection.close()
                self._connection = None

    def _connect(self) -> sqlite3.Connection:
        if self._connection is None:
            import sqlite3

            # Autocommit mode (isolation_level=None): transactions are explicit above.
            # check_same_thread=False: calls come from worker threads, serialised by _lock.
            connection = sqlite3.connect(self.path, timeout=5.0, isolation_level=None,
                                         check_same_thread=False)
            connection.execute(
                "CREATE TABLE IF NOT EXISTS botless_dedupe (key TEXT PRIMARY KEY, expires REAL NOT NULL, "
                "confirmed INTEGER NOT NULL)"
            )
            self._connection = connection
        return self._connection


async def _call(store: DedupeStore, operation: Callable[..., T], *args: Any) -> T:
    # A store that does I/O runs in a worker thread; the memory store answers on the loop.
    if store.blocking:
        return await asyncio.to_thread(operation, *args)
    return operation(*args)


async def claim(store: DedupeStore, key: str, ttl_seconds: float) -> bool:
    """`store.put_if_absent` without blocking the event loop on stores that do I/O."""
    return bool(await _call(store, store.put_if_absent, key, ttl_seconds))


async def confirm(store: DedupeStore, key: str, ttl_seconds: float) -> None:
    """`store.confirm`, off the event loop on stores that do I/O."""
    await _call(store, store.confirm, key, ttl_seconds)


async def is_confirmed(store: DedupeStore, key: str) -> bool:
    """`store.is_confirmed`, off the event loop on stores that do I/O."""
    return bool(await _call(store, store.is_confirmed, key))


async def release(store: DedupeStore, *keys: str) -> None:
    """`store.release` of each of `keys`, off the event loop on stores that do I/O."""
    for key in keys:
        await _call(store, store.release, key)


def storage_key(key: str) -> str:
    """`key` itself when every store can use it as an id; else a digest of it (same key, same id)."""
    if _PLAIN_KEY.fullmatch(key) and key not in (".", ".."):
        return key
    return "sha256-" + hashlib.sha256(key.encode("utf-8")).hexdigest()


def dedupe_from_env(env: Mapping[str, str]) -> DedupeStore:
    """The store named by `BOTLESS_DEDUPE`: `memory` (the default) or `sqlite:PATH`."""
    raw = env.get("BOTLESS_DEDUPE", "") or "memory"
    kind, _, argument = raw.partition(":")
    if kind == "memory" and not argument:
        return MemoryDedupeStore()
    if kind == "sqlite" and argument:
        return SqliteDedupeStore(argument)
    # Only the scheme is echoed: the rest may hold a password (redis://:secret@host).
    raise SettingsError(
        f"BOTLESS_DEDUPE ({kind!r}...): use `memory` or `sqlite:PATH` (e.g. sqlite:/var/lib/botless/dedupe.db); "
        "`botless serve` also takes redis://HOST:PORT/DB"
    )
