"""Cloud Functions under a platform's rate limit (issue 14): functions-framework processes joined by
the Pub/Sub emulator (tests/targets/drivers/gcf.py), replies to the stand-in Telegram API answering
its documented 429 or a 403.

A reply rate-limited past respond's budget is not acknowledged (429, Retry-After), so Pub/Sub
redelivers it with the subscription's backoff; one refused for good is acknowledged and logged
dead-lettered. mono's webhook defers its rate-limited reply to the deferred topic.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from core import events as ev
from tests.chat.platform_api import PlatformApi
from tests.targets.drivers.gcf import GcfDriver, PubSubEmulator, gcf_driver
from tests.targets.rate_limit_stand_in import TELEGRAM_403, TELEGRAM_429, sent, telegram_env, telegram_update

pytestmark = pytest.mark.slow

NO_WAIT = {"BOTLESS_RATE_LIMIT_WAIT_SECONDS": "0"}  # every 429 goes back to Pub/Sub
SLOW_COMMANDS = {"BOTLESS_COMMANDS": "tests.targets.slow_commands"}
_since: dict[int, int] = {}  # per driver: how many pushes came before the update a test posted


@pytest.fixture(scope="module")
def telegram() -> Iterator[PlatformApi]:
    """One stand-in Bot API for the module's functions (their processes keep its URL)."""
    api = PlatformApi().start()
    yield api
    api.stop()


@pytest.fixture
def api(telegram: PlatformApi) -> PlatformApi:
    """The stand-in with no calls and no programmed failures left from another test."""
    telegram.calls.clear()
    telegram._failures.clear()
    telegram._failures_left.clear()
    return telegram


def _driver(emulator: PubSubEmulator, topology: str, env: dict[str, str], workdir: Path) -> Iterator[GcfDriver]:
    with gcf_driver(emulator, topology, env, workdir) as driver:
        yield driver


@pytest.fixture(scope="module")
def pipeline(pubsub_emulator: PubSubEmulator, telegram: PlatformApi,
             tmp_path_factory: pytest.TempPathFactory) -> Iterator[GcfDriver]:
    yield from _driver(pubsub_emulator, "pipeline", telegram_env(telegram, **NO_WAIT),
                       tmp_path_factory.mktemp("gcf-limits"))


@pytest.fixture(scope="module")
def pipeline_waiting(pubsub_emulator: PubSubEmulator, telegram: PlatformApi,
                     tmp_path_factory: pytest.TempPathFactory) -> Iterator[GcfDriver]:
    """The default budget: respond waits a 1 s Retry-After itself."""
    yield from _driver(pubsub_emulator, "pipeline", telegram_env(telegram),
                       tmp_path_factory.mktemp("gcf-limits-waiting"))


@pytest.fixture(scope="module")
def mono(pubsub_emulator: PubSubEmulator, telegram: PlatformApi,
         tmp_path_factory: pytest.TempPathFactory) -> Iterator[GcfDriver]:
    yield from _driver(pubsub_emulator, "mono", telegram_env(telegram, **NO_WAIT, **SLOW_COMMANDS),
                       tmp_path_factory.mktemp("gcf-limits-mono"))


def pushes(driver: GcfDriver, function: str) -> list[tuple[str, int]]:
    """(event type, answered status) of each push to `function` since the last update posted, in order."""
    found = []
    for delivery in list(driver.relay.deliveries)[_since[id(driver)]:]:
        if delivery.function == function:
            attributes = json.loads(delivery.body)["message"].get("attributes", {})
            found.append((attributes.get("type", ""), delivery.status))
    return found


def lines(driver: GcfDriver, role: str, outcome: str) -> list[dict[str, object]]:
    """The JSON log lines of one function's process with `outcome`."""
    parsed = [json.loads(line) for line in driver.log(role).splitlines() if line.startswith("{")]
    return [line for line in parsed if line.get("outcome") == outcome]


async def post_update(driver: GcfDriver, update_id: int, text: str = "/echo hi") -> int:
    """Post a Telegram update to the entry function; its status once every message was acknowledged."""
    _since[id(driver)] = len(driver.relay.deliveries)  # `pushes` reads what this update caused, only
    headers, body = telegram_update(update_id, text)
    status = (await driver.post("/telegram/webhook", headers, body)).status
    await driver.settle(timeout=60)
    return status


async def test_respond_answers_429_and_pubsubs_redelivery_posts_once(pipeline, api, unique):
    api.fail("/sendMessage", 429, TELEGRAM_429, times=1)
    assert await post_update(pipeline, int(unique)) == 200
    assert pushes(pipeline, "respond") == [(ev.BOT_RESPONSE, 429), (ev.BOT_RESPONSE, 200)]
    assert sent(api) == ["hi", "hi"]  # refused once, then posted once
    assert pushes(pipeline, "command") == [("botless.bot.command.echo", 200)]  # only the reply again
    assert any(line["retry_after"] == 1 for line in lines(pipeline, "respond", "rate-limited"))


async def test_a_5xx_past_the_budget_is_500_and_redelivered(pipeline, api, unique):
    api.fail("/sendMessage", 502, {"ok": False, "error_code": 502, "description": "Bad Gateway"}, times=1)
    assert await post_update(pipeline, int(unique)) == 200
    assert pushes(pipeline, "respond") == [(ev.BOT_RESPONSE, 500), (ev.BOT_RESPONSE, 200)]
    assert sent(api) == ["hi", "hi"]


async def test_a_403_is_acknowledged_at_once_and_logged_dead_lettered(pipeline, api, unique):
    api.fail("/sendMessage", 403, TELEGRAM_403)
    assert await post_update(pipeline, int(unique)) == 200
    assert pushes(pipeline, "respond") == [(ev.BOT_RESPONSE, 200)]  # acknowledged: never redelivered
    assert len(api.calls) == 1
    letters = [line for line in lines(pipeline, "respond", "dead-lettered") if line["code"] == "403"]
    assert letters and letters[-1]["type"] == ev.BOT_RESPONSE and "blocked by the user" in str(letters[-1]["reason"])


async def test_within_the_default_budget_the_reply_arrives_in_the_same_delivery(pipeline_waiting, api, unique):
    api.fail("/sendMessage", 429, TELEGRAM_429, times=1)
    assert await post_update(pipeline_waiting, int(unique)) == 200
    assert pushes(pipeline_waiting, "respond") == [(ev.BOT_RESPONSE, 200)]
    assert sent(api) == ["hi", "hi"]


async def test_mono_webhook_defers_its_rate_limited_reply_and_the_push_posts_it_once(mono, api, unique):
    api.fail("/sendMessage", 429, TELEGRAM_429, times=1)
    assert await post_update(mono, int(unique)) == 200  # the webhook is not failed
    assert pushes(mono, "mono") == [(ev.BOT_RESPONSE, 204)]  # only the reply was deferred
    assert sent(api) == ["hi", "hi"]


async def test_mono_deferred_push_answers_429_for_the_reply_and_pubsub_redelivers(mono, api, unique):
    api.fail("/sendMessage", 429, TELEGRAM_429, times=2)  # the webhook's try, then the push's
    assert await post_update(mono, int(unique)) == 200
    assert pushes(mono, "mono") == [(ev.BOT_RESPONSE, 429), (ev.BOT_RESPONSE, 204)]
    assert sent(api) == ["hi", "hi", "hi"]  # refused twice, posted once


async def test_mono_resumed_command_defers_only_its_rate_limited_reply(mono, api, unique):
    api.fail("/sendMessage", 429, TELEGRAM_429, times=1)
    assert await post_update(mono, int(unique), "/report q3") == 200
    # The deferred command ran once and was acknowledged; its reply was deferred alone.
    assert pushes(mono, "mono") == [("botless.bot.command.report", 204), (ev.BOT_RESPONSE, 204)]
    assert sent(api) == ["report for q3 is ready"] * 2


async def test_mono_webhook_dead_letters_a_403_and_answers_the_webhook(mono, api, unique):
    api.fail("/sendMessage", 403, TELEGRAM_403)
    assert await post_update(mono, int(unique)) == 200  # Telegram would retry a 5xx for a day
    assert pushes(mono, "mono") == [] and len(api.calls) == 1
    assert any(line["code"] == "403" for line in lines(mono, "mono", "dead-lettered"))
