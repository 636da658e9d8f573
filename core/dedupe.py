"""Remember which deliveries were already accepted, so a platform's retry is answered once.

A dedupe store has one operation, a conditional put with expiry: `put_if_absent(key,
ttl_seconds)` is True the first time a key is seen (within its time to live) and False
afterwards. That is exactly what DynamoDB's conditional PutItem, Firestore's `create`,
Redis's `SET NX EX` and Table Storage's insert give, so each cloud store is one small
class in its provider (providers/<cloud>/dedupe.py); here are the in-memory and SQLite
ones. `BOTLESS_DEDUPE=memory|sqlite:PATH`. A store may also have `release(key)`, to
forget a claim whose work failed so that the retry is taken.

A store may also have `confirm(key, ttl_seconds)`, an unconditional write of the key's
expiry. With it, a bus event's claim is a lease (providers.runtime.run_role): taken for a
short time while its role runs, confirmed for the full time to live once the role
succeeded. A claim whose instance died mid-role then lapses after
the lease instead of holding off the bus's retries for a day. A store without `confirm`
is claimed for the full time to live up front, as before. Every store here has both.

A store may also have `is_confirmed(key)`: True when `key` holds a confirmed claim (one
`confirm` wrote), False when it is a lease still running (or absent, or expired). Each
store records which by what it writes: `put_if_absent` a lease marker, `confirm` a
confirmed one. With it, run_role tells a redelivery that arrives while another instance
still holds the lease (InFlightError: the bus must retry later, since the first run may
yet crash) from one of an event already handled (acknowledged as a duplicate). A store
without `is_confirmed` answers every taken claim as a duplicate, as before. A claim
written before the marker existed reads as confirmed (the old behaviour).
"""

from __future__ import annotations

import asyncio
import hashlib
import re
import sqlite3
import threading
import time
from collections import OrderedDict
from pathlib import Path
from typing import Callable, Mapping, Protocol, runtime_checkable

from core.settings import SettingsError

_SWEEP_EVERY = 1000
# Characters every cloud store takes as they are in a document id or row key (Firestore
# forbids `/`, Table Storage `/ \\ # ?` and control characters).
_PLAIN_KEY = re.compile(r"[A-Za-z0-9._:@=+-]{1,200}")


@runtime_checkable
class DedupeStore(Protocol):
    """A conditional put with expiry: True when `key` was new (and is now taken).

    `release(key)`, `confirm(key, ttl_seconds)` and `is_confirmed(key)` are optional (see
    the module docstring): without `confirm`, bus events are claimed for the full 24 h up
    front, so a claim whose instance died is only taken again a day later; without
    `is_confirmed`, a redelivery during another instance's lease is taken for a duplicate.
    """

    def put_if_absent(self, key: str, ttl_seconds: float) -> bool: ...


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
            # Autocommit mode (isolation_level=None): transactions are explicit above.
            # check_same_thread=False: calls come from worker threads, serialised by _lock.
            connection = sqlite3.connect(self.path, timeout=5.0, isolation_level=None,
                                         check_same_thread=False)
            connection.execute(
                "CREATE TABLE IF NOT EXISTS botless_dedupe (key TEXT PRIMARY KEY, expires REAL NOT NULL, "
                "confirmed INTEGER NOT NULL DEFAULT 0)"
            )
            columns = {row[1] for row in connection.execute("PRAGMA table_info(botless_dedupe)")}
            if "confirmed" not in columns:
                # A file from before the marker: its claims read as confirmed, as they were taken.
                try:
                    connection.execute(
                        "ALTER TABLE botless_dedupe ADD COLUMN confirmed INTEGER NOT NULL DEFAULT 1")
                except sqlite3.OperationalError:
                    # Another process added it first.
                    if "confirmed" not in {r[1] for r in connection.execute("PRAGMA table_info(botless_dedupe)")}:
                        raise
            self._connection = connection
        return self._connection


async def claim(store: DedupeStore, key: str, ttl_seconds: float) -> bool:
    """`store.put_if_absent` without blocking the event loop on stores that do I/O."""
    if getattr(store, "blocking", True):
        return await asyncio.to_thread(store.put_if_absent, key, ttl_seconds)
    return store.put_if_absent(key, ttl_seconds)


def can_confirm(store: DedupeStore) -> bool:
    """True when `store` has `confirm`, so a claim may start as a short lease."""
    return callable(getattr(store, "confirm", None))


async def confirm(store: DedupeStore, key: str, ttl_seconds: float) -> None:
    """`store.confirm`, off the event loop on stores that do I/O.

    Nothing for a store without it: its claims are taken for the full time up front.
    """
    extend = getattr(store, "confirm", None)
    if extend is None:
        return
    if getattr(store, "blocking", True):
        await asyncio.to_thread(extend, key, ttl_seconds)
    else:
        extend(key, ttl_seconds)


def can_tell_confirmed(store: DedupeStore) -> bool:
    """True when `store` has `is_confirmed`, so a lease still running is told from a handled event."""
    return callable(getattr(store, "is_confirmed", None))


async def is_confirmed(store: DedupeStore, key: str) -> bool | None:
    """`store.is_confirmed`, off the event loop on stores that do I/O; None for a store without it."""
    read = getattr(store, "is_confirmed", None)
    if read is None:
        return None
    if getattr(store, "blocking", True):
        return bool(await asyncio.to_thread(read, key))
    return bool(read(key))


async def release(store: DedupeStore, *keys: str) -> None:
    """Undo claims where the store can (`release` is optional: a store without it keeps the keys)."""
    forget = getattr(store, "release", None)
    if forget is None:
        return
    for key in keys:
        if getattr(store, "blocking", True):
            await asyncio.to_thread(forget, key)
        else:
            forget(key)


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
    raise SettingsError(
        f"BOTLESS_DEDUPE={raw!r}: use `memory` or `sqlite:PATH` (e.g. sqlite:/var/lib/botless/dedupe.db)"
    )
