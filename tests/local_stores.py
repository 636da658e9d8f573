"""The two local dedupe stores under a clock the test moves (a fixture for every folder)."""

from __future__ import annotations

from typing import Any

import pytest

from core.dedupe import MemoryDedupeStore, SqliteDedupeStore


class FakeClock:
    """Seconds since the epoch, moved by hand: `clock.now += 61`."""

    def __init__(self, now: float = 1_700_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


@pytest.fixture(params=["memory", "sqlite"])
def store_and_clock(request: pytest.FixtureRequest, tmp_path: Any) -> tuple[Any, FakeClock]:
    """A MemoryDedupeStore, then a SqliteDedupeStore, each with its own FakeClock."""
    clock = FakeClock()
    if request.param == "memory":
        return MemoryDedupeStore(clock=clock), clock
    return SqliteDedupeStore(tmp_path / "dedupe.db", clock=clock), clock
