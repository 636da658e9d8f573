"""The dedupe stores: a conditional put with expiry, in memory and in SQLite."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest

from core.dedupe import (
    DedupeStore,
    MemoryDedupeStore,
    SqliteDedupeStore,
    claim,
    dedupe_from_env,
)
from core.settings import SettingsError


class FakeClock:
    def __init__(self, now: float = 1_700_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


@pytest.fixture(params=["memory", "sqlite"])
def store_and_clock(request, tmp_path):
    clock = FakeClock()
    if request.param == "memory":
        return MemoryDedupeStore(clock=clock), clock
    return SqliteDedupeStore(tmp_path / "dedupe.db", clock=clock), clock


def test_a_key_is_new_once_until_it_expires(store_and_clock):
    store, clock = store_and_clock
    assert isinstance(store, DedupeStore)
    assert store.put_if_absent("slack:event:Ev1", 60) is True
    assert store.put_if_absent("slack:event:Ev1", 60) is False
    assert store.put_if_absent("slack:event:Ev2", 60) is True
    clock.now += 59
    assert store.put_if_absent("slack:event:Ev1", 60) is False
    clock.now += 2
    assert store.put_if_absent("slack:event:Ev1", 60) is True


def test_concurrent_puts_of_one_key_let_exactly_one_through(store_and_clock):
    store, _ = store_and_clock
    with ThreadPoolExecutor(max_workers=16) as pool:
        results = list(pool.map(lambda _: store.put_if_absent("telegram:1:10000", 60), range(64)))
    assert results.count(True) == 1


async def test_claim_works_for_blocking_and_non_blocking_stores(store_and_clock):
    store, _ = store_and_clock
    assert await claim(store, "k", 10) is True
    assert await claim(store, "k", 10) is False


def test_sqlite_is_shared_between_instances_and_opened_lazily(tmp_path):
    path = tmp_path / "shared.db"
    first, second = SqliteDedupeStore(path), SqliteDedupeStore(path)
    assert not path.exists()  # constructing a store does no I/O
    assert first.put_if_absent("discord:interaction:1", 60) is True
    assert second.put_if_absent("discord:interaction:1", 60) is False
    first.close()
    assert SqliteDedupeStore(path).put_if_absent("discord:interaction:1", 60) is False


def test_memory_store_forgets_the_oldest_past_its_capacity():
    store = MemoryDedupeStore(capacity=2)
    for key in ("a", "b", "c"):
        assert store.put_if_absent(key, 60)
    assert store.put_if_absent("a", 60) is True
    assert store.put_if_absent("c", 60) is False


def test_the_store_is_chosen_by_botless_dedupe(tmp_path):
    assert isinstance(dedupe_from_env({}), MemoryDedupeStore)
    assert isinstance(dedupe_from_env({"BOTLESS_DEDUPE": "memory"}), MemoryDedupeStore)
    store = dedupe_from_env({"BOTLESS_DEDUPE": f"sqlite:{tmp_path / 'd.db'}"})
    assert isinstance(store, SqliteDedupeStore) and store.path == str(tmp_path / "d.db")
    for bad in ("redis://localhost", "sqlite:", "memory:x"):
        with pytest.raises(SettingsError, match="BOTLESS_DEDUPE"):
            dedupe_from_env({"BOTLESS_DEDUPE": bad})


def test_a_released_key_can_be_claimed_again(tmp_path):
    from core.dedupe import MemoryDedupeStore, SqliteDedupeStore

    for store in (MemoryDedupeStore(), SqliteDedupeStore(tmp_path / "d.db")):
        assert store.put_if_absent("k", 60) is True
        assert store.put_if_absent("k", 60) is False
        store.release("k")
        assert store.put_if_absent("k", 60) is True
