"""The dedupe stores: a conditional put with expiry, in memory and in SQLite, and confirming a lease."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest

from core.dedupe import (
    DedupeStore,
    MemoryDedupeStore,
    SqliteDedupeStore,
    claim,
    confirm,
    dedupe_from_env,
    is_confirmed,
    release,
)
from core.settings import SettingsError


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


def test_a_refused_botless_dedupe_is_not_echoed_past_its_scheme():
    # A mistyped Redis URL carries its password: the error names the scheme only.
    with pytest.raises(SettingsError) as refused:
        dedupe_from_env({"BOTLESS_DEDUPE": "redis:/:hunter2@cache:6379/0"})
    assert "hunter2" not in str(refused.value) and "'redis'" in str(refused.value)


def test_a_released_key_can_be_claimed_again(tmp_path):
    from core.dedupe import MemoryDedupeStore, SqliteDedupeStore

    for store in (MemoryDedupeStore(), SqliteDedupeStore(tmp_path / "d.db")):
        assert store.put_if_absent("k", 60) is True
        assert store.put_if_absent("k", 60) is False
        store.release("k")
        assert store.put_if_absent("k", 60) is True


# A claim may be a lease: confirmed for longer once its work succeeded.
LEASE = 60


def test_a_lease_lapses_and_the_key_is_claimed_again(store_and_clock):
    store, clock = store_and_clock
    assert store.put_if_absent("respond:ce:1", LEASE) is True
    clock.now += LEASE - 1
    assert store.put_if_absent("respond:ce:1", LEASE) is False
    clock.now += 2
    assert store.put_if_absent("respond:ce:1", LEASE) is True


def test_a_confirmed_lease_is_held_for_the_full_time(store_and_clock):
    store, clock = store_and_clock
    assert store.put_if_absent("respond:ce:2", LEASE) is True
    store.confirm("respond:ce:2", 3600)
    clock.now += LEASE + 1
    assert store.put_if_absent("respond:ce:2", LEASE) is False
    clock.now += 3600
    assert store.put_if_absent("respond:ce:2", LEASE) is True
    # A release still forgets it, confirmed or not.
    store.confirm("respond:ce:2", 3600)
    store.release("respond:ce:2")
    assert store.put_if_absent("respond:ce:2", LEASE) is True


def test_a_claim_reads_as_a_lease_until_it_is_confirmed(store_and_clock):
    store, clock = store_and_clock
    assert store.is_confirmed("respond:ce:4") is False  # nothing there
    assert store.put_if_absent("respond:ce:4", LEASE) is True
    assert store.is_confirmed("respond:ce:4") is False  # a lease
    store.confirm("respond:ce:4", 3600)
    assert store.is_confirmed("respond:ce:4") is True
    clock.now += 3601
    assert store.is_confirmed("respond:ce:4") is False  # expired
    assert store.put_if_absent("respond:ce:4", LEASE) is True
    assert store.is_confirmed("respond:ce:4") is False  # a new lease on an expired confirm
    store.confirm("respond:ce:4", 3600)
    store.release("respond:ce:4")
    assert store.is_confirmed("respond:ce:4") is False


async def test_the_helpers_run_every_operation_of_every_store(store_and_clock):
    store, _ = store_and_clock
    await claim(store, "mono:ce:5", LEASE)
    assert await is_confirmed(store, "mono:ce:5") is False
    await confirm(store, "mono:ce:5", 3600)
    assert await is_confirmed(store, "mono:ce:5") is True
    await release(store, "mono:ce:5")
    assert await is_confirmed(store, "mono:ce:5") is False
    assert await claim(store, "mono:ce:5", LEASE) is True


def test_confirm_is_an_unconditional_write(store_and_clock):
    store, clock = store_and_clock
    # A role that outlived its lease still succeeded: confirming records it.
    assert store.put_if_absent("respond:ce:3", LEASE) is True
    clock.now += LEASE + 1
    store.confirm("respond:ce:3", 3600)
    assert store.put_if_absent("respond:ce:3", LEASE) is False
    store.confirm("never-claimed", 3600)
    assert store.put_if_absent("never-claimed", LEASE) is False


async def test_the_confirm_helper_holds_a_claim_past_its_lease(store_and_clock):
    store, clock = store_and_clock
    assert await claim(store, "k", LEASE) is True
    await confirm(store, "k", 3600)
    clock.now += LEASE + 1
    assert await claim(store, "k", LEASE) is False


def test_every_store_implements_the_one_dedupe_protocol_as_declared():
    # The six stores share no base class: this holds each one to DedupeStore's operations and
    # their parameters, so a store cannot drift into an optional or renamed operation.
    import inspect

    from providers.aws.dedupe import DynamoDedupeStore
    from providers.azure.dedupe import TableDedupeStore
    from providers.gcp.dedupe import FirestoreDedupeStore
    from providers.knative.dedupe import RedisDedupeStore

    operations = ("put_if_absent", "release", "confirm", "is_confirmed")
    stores = (MemoryDedupeStore, SqliteDedupeStore, DynamoDedupeStore, FirestoreDedupeStore,
              RedisDedupeStore, TableDedupeStore)
    for store in stores:
        assert isinstance(store.blocking, bool), store
        for name in operations:
            declared = inspect.signature(getattr(DedupeStore, name)).parameters
            assert list(inspect.signature(getattr(store, name)).parameters) == list(declared), (store, name)
