"""run_role's claims are leases: short while the role runs, confirmed for 24 h once it succeeded.

A claim left by an instance that died mid-role lapses after the lease, so the bus's next
retry runs the role; a retry within the lease fails (InFlightError) instead of being
acknowledged; a role that succeeded is remembered past the lease. On the memory
and SQLite stores, with a clock the tests move; each store's `confirm` is tested in
tests/chat/test_dedupe.py and test_cloud_stores.py.
"""

from __future__ import annotations

import json
import logging
from typing import Any

import pytest

from core.dedupe import MemoryDedupeStore
from core.settings import DEDUPE_LEASE_SECONDS, Settings, SettingsError
from providers import runtime
from providers.runtime import BUS_DEDUPE_TTL_SECONDS, InFlightError, run_role
from tests.dedupe.test_run_role import FlakyResponder, response
from tests.local_stores import FakeClock

LEASE = 60


def make_bot(store: Any, responder: FlakyResponder) -> Any:
    from core.bot import Bot

    settings = Settings(load_entry_points=False, dedupe_lease_seconds=LEASE)
    return Bot(settings, responders=[responder], dedupe=store)


def logged(caplog: pytest.LogCaptureFixture, outcome: str) -> list[dict[str, Any]]:
    lines = [json.loads(r.getMessage()) for r in caplog.records if r.getMessage().startswith("{")]
    return [line for line in lines if line.get("outcome") == outcome]


# -- the setting ---------------------------------------------------------------------------

def test_the_lease_is_read_from_botless_dedupe_lease_seconds():
    assert Settings.from_env({}).dedupe_lease_seconds == DEDUPE_LEASE_SECONDS == 900
    assert Settings.from_env({"BOTLESS_DEDUPE_LEASE_SECONDS": "90"}).dedupe_lease_seconds == 90


@pytest.mark.parametrize("value, phrase", [
    ("1.5", "is not a whole number"),
    ("soon", "is not a whole number"),
    ("0", "must be at least 1"),
    ("86400", "must be at most 86399"),
])
def test_an_unusable_lease_is_named_at_startup(value, phrase):
    with pytest.raises(SettingsError, match="BOTLESS_DEDUPE_LEASE_SECONDS") as raised:
        Settings.from_env({"BOTLESS_DEDUPE_LEASE_SECONDS": value})
    assert phrase in str(raised.value)


# -- run_role --------------------------------------------------------------------------------

async def test_a_role_whose_instance_died_is_run_by_the_retry_after_the_lease(store_and_clock, caplog):
    caplog.set_level(logging.INFO, logger="botless")
    store, clock = store_and_clock
    responder = FlakyResponder()
    bot = make_bot(store, responder)
    event = response()
    key = f"respond:ce:{event['id']}"
    # The instance claimed the event with its lease and was killed: nobody released it.
    assert store.put_if_absent(key, LEASE) is True
    clock.now += LEASE - 1
    # A retry within the lease is not acknowledged: it fails so that the bus retries later.
    with pytest.raises(InFlightError, match=f"event {event['id']} is being handled elsewhere.*retry later"):
        await run_role(bot, "respond", event, None)
    assert responder.sent == [] and logged(caplog, "duplicate") == []
    [line] = logged(caplog, "in-flight")
    assert line["id"] == event["id"]
    assert store.is_confirmed(key) is False and store.put_if_absent(key, LEASE) is False  # the claim is left
    clock.now += 2
    await run_role(bot, "respond", event, None)  # the bus's next retry, after the lease
    assert responder.sent == ["hello"] and store.is_confirmed(key) is True
    clock.now += LEASE * 10  # and that run was confirmed: later redeliveries are skipped
    assert await run_role(bot, "respond", event, None) == []
    assert responder.sent == ["hello"] and len(logged(caplog, "duplicate")) == 1


async def test_a_redelivery_during_a_running_lease_raises_and_leaves_the_claim(store_and_clock):
    store, _ = store_and_clock
    responder = FlakyResponder()
    bot = make_bot(store, responder)
    event = response()
    key = f"respond:ce:{event['id']}"
    redeliveries: list[BaseException] = []

    class RedeliveredMeanwhile(FlakyResponder):
        async def send(self, *args: Any) -> None:
            # The bus redelivers while this invocation still holds the lease.
            try:
                await run_role(bot, "respond", event, None)
            except InFlightError as error:
                redeliveries.append(error)
            await responder.send(*args)

    bot = make_bot(store, RedeliveredMeanwhile())
    await run_role(bot, "respond", event, None)
    [error] = redeliveries
    assert isinstance(error, RuntimeError) and error.event_id == event["id"] and error.role == "respond"
    assert responder.sent == ["hello"] and store.is_confirmed(key) is True  # not released by the redelivery
    assert await run_role(bot, "respond", event, None) == []  # the bus's retry: a duplicate now
    assert responder.sent == ["hello"]


async def test_a_successful_role_is_remembered_past_its_lease(store_and_clock):
    store, clock = store_and_clock
    responder = FlakyResponder()
    bot = make_bot(store, responder)
    event = response()
    await run_role(bot, "respond", event, None)
    for step in (LEASE + 1, 3600, BUS_DEDUPE_TTL_SECONDS - 3600 - LEASE - 2):
        clock.now += step
        assert await run_role(bot, "respond", event, None) == []
    assert responder.sent == ["hello"]
    clock.now += 2  # 24 h on: forgotten
    await run_role(bot, "respond", event, None)
    assert responder.sent == ["hello", "hello"]


async def test_a_failed_role_releases_its_lease_so_the_retry_runs_at_once(store_and_clock):
    store, _ = store_and_clock
    responder = FlakyResponder(failures=1)
    bot = make_bot(store, responder)
    event = response()
    with pytest.raises(Exception, match="502"):
        await run_role(bot, "respond", event, None)
    await run_role(bot, "respond", event, None)  # the retry, at once: the claim was released
    assert responder.sent == ["hello"]


async def test_a_confirm_that_fails_is_logged_and_the_delivery_succeeds(caplog):
    class NoConfirm(MemoryDedupeStore):
        def confirm(self, key: str, ttl_seconds: float) -> None:
            raise ConnectionError("store unreachable")

    responder = FlakyResponder()
    await run_role(make_bot(NoConfirm(), responder), "respond", response(), None)
    assert responder.sent == ["hello"]
    [line] = logged(caplog, "confirm-failed")
    assert "ConnectionError" in line["reason"]


async def test_a_role_that_outran_its_lease_says_so(monkeypatch, caplog):
    clock = FakeClock(100.0)

    class SlowResponder(FlakyResponder):
        async def send(self, *args: Any) -> None:
            clock.now += LEASE + 5
            await super().send(*args)

    monkeypatch.setattr(runtime, "_lease_clock", clock)
    store = MemoryDedupeStore()
    event = response()
    await run_role(make_bot(store, SlowResponder()), "respond", event, None)
    [line] = logged(caplog, "lease-overrun")
    assert line["id"] == event["id"] and "BOTLESS_DEDUPE_LEASE_SECONDS" in line["reason"]
    assert store.put_if_absent(f"respond:ce:{event['id']}", LEASE) is False  # confirmed all the same
