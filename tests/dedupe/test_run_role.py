"""run_role on redelivered bus events: claimed once per role, skipped as duplicates, released on failure."""

from __future__ import annotations

import json
import logging
from typing import Any

import pytest
from cloudevents.http import CloudEvent

from core import events as ev
from core.bot import Bot
from core.chat.base import DeliveryError
from core.dedupe import MemoryDedupeStore
from core.events import EventValidationError
from core.settings import DEDUPE_LEASE_SECONDS, Settings
from providers.mono import MonoChain
from providers.runtime import BUS_DEDUPE_TTL_SECONDS, InFlightError, PublishError, run_role
from providers.shared_store import shared_dedupe


class RecordingStore(MemoryDedupeStore):
    """A memory store that remembers what was asked of it."""

    def __init__(self) -> None:
        super().__init__()
        self.puts: list[tuple[str, float]] = []
        self.releases: list[str] = []
        self.confirms: list[tuple[str, float]] = []

    def put_if_absent(self, key: str, ttl_seconds: float) -> bool:
        self.puts.append((key, ttl_seconds))
        return super().put_if_absent(key, ttl_seconds)

    def release(self, key: str) -> None:
        self.releases.append(key)
        super().release(key)

    def confirm(self, key: str, ttl_seconds: float) -> None:
        self.confirms.append((key, ttl_seconds))
        super().confirm(key, ttl_seconds)


class FlakyResponder:
    """The `api` platform's responder, failing the first `failures` sends."""

    platform = "api"

    def __init__(self, failures: int = 0) -> None:
        self.failures = failures
        self.sent: list[str] = []

    async def send(self, response: ev.BotResponse, event: CloudEvent) -> None:
        if self.failures:
            self.failures -= 1
            raise DeliveryError("the platform answered 502")
        self.sent.append(response.text)


class RecordingPublisher:
    def __init__(self, failures: int = 0) -> None:
        self.failures = failures
        self.published: list[CloudEvent] = []

    async def publish(self, event: CloudEvent) -> None:
        if self.failures:
            self.failures -= 1
            raise PublishError("the bus refused the event")
        self.published.append(event)

    async def defer(self, event: CloudEvent) -> None:
        await self.publish(event)


def make_bot(store: Any = None, responder: FlakyResponder | None = None) -> Bot:
    return Bot(Settings(load_entry_points=False), responders=[responder or FlakyResponder()], dedupe=store)


def chat(text: str = "/echo hi") -> CloudEvent:
    message = ev.ChatMessage(platform="api", text=text, user=ev.ChatUser(id="u1"), channel="c1", message_id="m1")
    return ev.chat_message_event(message, source="/test")


def response(text: str = "hello") -> CloudEvent:
    return ev.derive_event(chat(), ev.BOT_RESPONSE, ev.BotResponse(text=text, platform="api", channel="c1",
                                                                    message_id="m1"))


def logged(caplog: pytest.LogCaptureFixture, outcome: str) -> list[dict[str, Any]]:
    lines = [json.loads(r.getMessage()) for r in caplog.records if r.getMessage().startswith("{")]
    return [line for line in lines if line.get("outcome") == outcome]


async def test_a_redelivered_event_is_handled_once_and_logged_as_a_duplicate(caplog):
    caplog.set_level(logging.INFO, logger="botless")
    responder = FlakyResponder()
    store = RecordingStore()
    bot = make_bot(store, responder)
    event = response()
    assert await run_role(bot, "respond", event, None) == []
    assert await run_role(bot, "respond", event, None) == []
    assert responder.sent == ["hello"]
    key = f"respond:ce:{event['id']}"
    # Claimed with the lease, confirmed for the full time once the role succeeded.
    assert store.puts == [(key, DEDUPE_LEASE_SECONDS)] * 2
    assert store.confirms == [(key, BUS_DEDUPE_TTL_SECONDS)]
    [duplicate] = logged(caplog, "duplicate")
    assert duplicate["id"] == event["id"] and duplicate["role"] == "respond"
    assert caplog.records[-1].levelno == logging.INFO


async def test_a_failed_run_releases_its_claim_so_the_retry_runs():
    responder = FlakyResponder(failures=1)
    store = RecordingStore()
    bot = make_bot(store, responder)
    event = response()
    with pytest.raises(DeliveryError):
        await run_role(bot, "respond", event, None)
    assert store.releases == [f"respond:ce:{event['id']}"] and store.confirms == []
    await run_role(bot, "respond", event, None)  # the bus's retry
    await run_role(bot, "respond", event, None)  # a redelivery after success
    assert responder.sent == ["hello"]


async def test_a_refused_publish_releases_the_claim_and_the_retry_publishes_the_same_event():
    publisher = RecordingPublisher(failures=1)
    bot = make_bot(RecordingStore())
    event = chat()
    with pytest.raises(PublishError):
        await run_role(bot, "parse", event, publisher)
    [first] = await run_role(bot, "parse", event, publisher)
    assert await run_role(bot, "parse", event, publisher) == []
    assert [e["id"] for e in publisher.published] == [first["id"]]
    # The derived event has the same id however often parse runs on one event.
    assert first["id"] == ev.derive_event(event, first["type"], ev.CommandInvocation.from_data(
        first.data, first["type"]))["id"]


async def test_claims_are_per_role_and_each_role_runs_once():
    store = RecordingStore()
    bot = make_bot(store)
    event = chat()
    assert len(await run_role(bot, "parse", event, None)) == 1
    await run_role(bot, "mono", event, None)
    assert [key for key, _ in store.puts] == [f"parse:ce:{event['id']}", f"mono:ce:{event['id']}"]


async def test_without_deduplicate_every_delivery_runs_and_nothing_is_claimed():
    store = RecordingStore()
    responder = FlakyResponder()
    bot = make_bot(store, responder)
    event = response()
    for _ in range(2):
        await run_role(bot, "respond", event, None, deduplicate=False)
    assert responder.sent == ["hello", "hello"] and store.puts == []


async def test_types_a_role_ignores_and_malformed_events_cost_no_claim():
    store = RecordingStore()
    bot = make_bot(store)
    assert await run_role(bot, "parse", response(), None) == []  # parse ignores a response
    assert await run_role(bot, "respond", CloudEvent({"type": "com.example.other", "source": "/x"}), None) == []
    bad = CloudEvent({"type": ev.BOT_RESPONSE, "source": "/x"}, {"platform": "api"})
    with pytest.raises(EventValidationError):
        await run_role(bot, "respond", bad, None)
    assert store.puts == []


async def test_a_store_that_fails_fails_the_delivery_and_the_role_does_not_run():
    class DownStore:
        blocking = False

        def put_if_absent(self, key: str, ttl_seconds: float) -> bool:
            raise ConnectionError("store unreachable")

    responder = FlakyResponder()
    with pytest.raises(ConnectionError):
        await run_role(make_bot(DownStore(), responder), "respond", response(), None)
    assert responder.sent == []


async def test_a_release_that_fails_is_logged_and_the_roles_error_propagates(caplog):
    class NoRelease(MemoryDedupeStore):
        def release(self, key: str) -> None:
            raise ConnectionError("store unreachable")

    bot = make_bot(NoRelease(), FlakyResponder(failures=1))
    with pytest.raises(DeliveryError):
        await run_role(bot, "respond", response(), None)
    [line] = logged(caplog, "release-failed")
    assert "ConnectionError" in line["reason"]


async def test_mono_claims_a_resumed_event_but_not_a_webhooks_own():
    store = RecordingStore()
    responder = FlakyResponder()
    bot = make_bot(store, responder)
    chain = MonoChain(bot, RecordingPublisher(), target="test")
    webhook = chat("/echo from a webhook")
    await chain.run(webhook)
    assert store.puts == []
    deferred = chat("/echo deferred")
    await chain.resume(deferred)
    await chain.resume(deferred)  # the bus redelivers it
    assert [key for key, _ in store.puts] == [f"mono:ce:{deferred['id']}"] * 2
    assert responder.sent == ["from a webhook", "deferred"]


async def test_mono_resume_of_an_event_another_invocation_is_running_raises_in_flight():
    store = RecordingStore()
    responder = FlakyResponder()
    chain = MonoChain(make_bot(store, responder), RecordingPublisher(), target="test")
    deferred = chat("/echo deferred")
    key = f"mono:ce:{deferred['id']}"
    store.put_if_absent(key, DEDUPE_LEASE_SECONDS)
    with pytest.raises(InFlightError, match=deferred["id"]):
        await chain.resume(deferred)
    assert responder.sent == [] and store.releases == [] and store.confirms == []
    store.confirm(key, BUS_DEDUPE_TTL_SECONDS)
    await chain.resume(deferred)  # the bus's retry, once that invocation succeeded: a duplicate
    assert responder.sent == []


def test_the_bot_carries_one_store_for_its_adapters_and_its_roles(monkeypatch):
    from providers.app_factory import build_bot

    store = MemoryDedupeStore()
    bot = build_bot(Settings.from_env({"BOTLESS_ENTRY_POINTS": "0"}), dedupe=store)
    assert bot.dedupe is store
    assert all(adapter.dedupe is store for adapter in bot.adapters.values())  # type: ignore[attr-defined]
    assert isinstance(Bot(Settings(load_entry_points=False)).dedupe, MemoryDedupeStore)


def test_a_missing_store_setting_is_a_warning_once_and_leaves_the_default(caplog):
    built: list[str] = []

    def build(env: Any) -> MemoryDedupeStore:
        built.append(env["BOTLESS_TEST_STORE"])
        return MemoryDedupeStore()

    target = "test-target-warning"
    assert shared_dedupe({}, "BOTLESS_TEST_STORE", target, build) is None
    assert shared_dedupe({}, "BOTLESS_TEST_STORE", target, build) is None
    [line] = logged(caplog, "dedupe-per-instance")
    assert line["target"] == target and "BOTLESS_TEST_STORE is not set" in line["reason"]
    assert [r.levelno for r in caplog.records] == [logging.WARNING]
    assert isinstance(shared_dedupe({"BOTLESS_TEST_STORE": "x"}, "BOTLESS_TEST_STORE", target, build),
                      MemoryDedupeStore)
    assert built == ["x"]
