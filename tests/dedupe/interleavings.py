"""Run concurrent deliveries against a store whose every call waits for the test's say-so.

`explore` runs a scenario once per order in which the store calls can complete, all of
them, by depth-first search over the choices (stateless model checking): at each step
every delivery is either finished or waiting in exactly one store call, and the test
picks which waiting call the store executes next. So "exactly one copy is fresh" is
checked for every interleaving, deterministically, without a sleep.
"""

from __future__ import annotations

import asyncio
import contextvars
import threading
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from core.dedupe import DedupeStore

# Which delivery a store call belongs to (asyncio.to_thread copies the context to its thread).
_delivery: contextvars.ContextVar[int] = contextvars.ContextVar("delivery", default=-1)
# A safety net so a broken scheduler fails the test instead of hanging it; never reached.
_STUCK_SECONDS = 30.0


@dataclass
class _Call:
    delivery: int
    operation: str
    go: threading.Event = field(default_factory=threading.Event)
    finished: bool = False


class ControlledStore:
    """`inner` with each call held until the scheduler lets it through (one at a time)."""

    blocking = True  # so core.dedupe runs every call in a worker thread, where it may wait

    def __init__(self, inner: DedupeStore, scheduler: Scheduler) -> None:
        self.inner = inner
        self.scheduler = scheduler

    def put_if_absent(self, key: str, ttl_seconds: float) -> bool:
        return self.scheduler.hold("put_if_absent", lambda: self.inner.put_if_absent(key, ttl_seconds))

    def release(self, key: str) -> None:
        self.scheduler.hold("release", lambda: self.inner.release(key))

    def confirm(self, key: str, ttl_seconds: float) -> None:
        self.scheduler.hold("confirm", lambda: self.inner.confirm(key, ttl_seconds))

    def is_confirmed(self, key: str) -> bool:
        return self.scheduler.hold("is_confirmed", lambda: self.inner.is_confirmed(key))


class Scheduler:
    """Decides which waiting store call runs next; each one runs alone, to completion."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self._loop = loop
        self._changed = asyncio.Event()
        self.waiting: dict[int, _Call] = {}
        self._lock = threading.Lock()

    def hold(self, operation: str, run: Callable[[], Any]) -> Any:
        call = _Call(_delivery.get(), operation)
        with self._lock:
            assert call.delivery not in self.waiting, "a delivery makes one store call at a time"
            self.waiting[call.delivery] = call
        self._notify()
        if not call.go.wait(_STUCK_SECONDS):
            raise TimeoutError("the scheduler never let this store call through")
        try:
            return run()
        finally:
            call.finished = True
            self._notify()

    def _notify(self) -> None:
        self._loop.call_soon_threadsafe(self._changed.set)

    async def until(self, condition: Callable[[], bool]) -> None:
        """Wait (without polling) until `condition()` holds."""
        while True:
            self._changed.clear()
            if condition():
                return
            await asyncio.wait_for(self._changed.wait(), _STUCK_SECONDS)

    async def run(self, deliveries: list[Callable[[], Awaitable[Any]]], prefix: list[int]) -> tuple[
            list[Any], list[tuple[int, int]]]:
        """Run `deliveries` concurrently, completing store calls in the order `prefix` picks
        (then the first waiting one); their results, and each step's (pick, options)."""

        async def one(index: int, delivery: Callable[[], Awaitable[Any]]) -> Any:
            _delivery.set(index)
            return await delivery()

        tasks = [asyncio.create_task(one(i, d)) for i, d in enumerate(deliveries)]
        for task in tasks:
            task.add_done_callback(lambda _: self._changed.set())
        choices: list[tuple[int, int]] = []

        def settled() -> bool:
            with self._lock:
                return all(task.done() or i in self.waiting for i, task in enumerate(tasks))

        while True:
            await self.until(settled)
            with self._lock:
                options = sorted(self.waiting)
            if not options:
                break
            pick = prefix[len(choices)] if len(choices) < len(prefix) else 0
            choices.append((pick, len(options)))
            with self._lock:
                call = self.waiting.pop(options[pick])
            call.go.set()
            await self.until(lambda call=call: call.finished)
        return [task.result() for task in tasks], choices


async def explore(make_deliveries: Callable[[DedupeStore], list[Callable[[], Awaitable[Any]]]],
                  make_store: Callable[[], DedupeStore]) -> list[list[Any]]:
    """The results of the deliveries under every completion order of their store calls.

    `make_deliveries(store)` builds fresh deliveries on `store` (a ControlledStore over a
    new `make_store()`) for each run, so runs do not share state.
    """
    loop = asyncio.get_running_loop()
    outcomes: list[list[Any]] = []
    prefix: list[int] = []
    while True:
        scheduler = Scheduler(loop)
        store = ControlledStore(make_store(), scheduler)
        results, choices = await scheduler.run(make_deliveries(store), prefix)
        outcomes.append(results)
        # The next schedule: the last choice that has an untried option, advanced.
        while choices and choices[-1][0] + 1 >= choices[-1][1]:
            choices.pop()
        if not choices:
            return outcomes
        prefix = [pick for pick, _ in choices[:-1]] + [choices[-1][0] + 1]
