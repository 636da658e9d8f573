"""A cloud SDK client made on first use, once per instance, from any thread.

Constructors do no network I/O (a target is built in its instance's init phase, and a
test builds one without a cloud); the first publish or claim makes the client, and every
later one, from whichever thread the event loop hands it to, reuses it.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Generic, TypeVar

Client = TypeVar("Client")


class LazyClient(Generic[Client]):
    """`make()` called once, on the first `get()`; thread-safe."""

    def __init__(self, make: Callable[[], Client]) -> None:
        self._make = make
        self._client: Client | None = None
        self._lock = threading.Lock()

    def get(self) -> Client:
        """The client, made now if this is the first call."""
        with self._lock:
            if self._client is None:
                self._client = self._make()
            return self._client
