"""The local runtime's store: `BOTLESS_DEDUPE` memory, sqlite:PATH or redis://, shared by
the webhook adapters and the embedded bus (so two servers on one store answer once)."""

from __future__ import annotations

import pytest

from core.dedupe import MemoryDedupeStore, SqliteDedupeStore
from core.settings import SettingsError
from functions.local.runtime import StartupError, build_local_bot, local_dedupe
from providers.knative.dedupe import RedisDedupeStore


@pytest.mark.parametrize("url", ["redis://127.0.0.1:6379/0", "rediss://:pw@cache.internal:6380/2"])
def test_a_redis_url_names_the_redis_store(url: str) -> None:
    store = local_dedupe({"BOTLESS_DEDUPE": url})
    assert isinstance(store, RedisDedupeStore) and store.url == url
    assert store._client is None  # built without I/O: the first claim connects


def test_memory_and_sqlite_are_still_core_stores(tmp_path) -> None:
    assert isinstance(local_dedupe({}), MemoryDedupeStore)
    assert isinstance(local_dedupe({"BOTLESS_DEDUPE": f"sqlite:{tmp_path / 'd.db'}"}), SqliteDedupeStore)
    with pytest.raises(SettingsError, match="redis://"):
        local_dedupe({"BOTLESS_DEDUPE": "postgres://x"})


def test_the_adapters_and_the_bus_claim_in_one_store(monkeypatch, tmp_path) -> None:
    monkeypatch.setenv("BOTLESS_DEDUPE", f"sqlite:{tmp_path / 'd.db'}")
    monkeypatch.setenv("BOTLESS_ENTRY_POINTS", "0")
    bot, _ = build_local_bot()
    assert isinstance(bot.dedupe, SqliteDedupeStore)
    assert {id(adapter.dedupe) for adapter in bot.adapters.values()} == {id(bot.dedupe)}


def test_an_unusable_store_stops_start_up_with_its_reason(monkeypatch) -> None:
    monkeypatch.setenv("BOTLESS_DEDUPE", "sqlite:")
    monkeypatch.setenv("BOTLESS_ENTRY_POINTS", "0")
    with pytest.raises(StartupError, match="BOTLESS_DEDUPE"):
        build_local_bot()
