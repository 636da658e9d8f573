"""Rate limits on Azure Functions (issue 14): a 429 past respond's budget fails the Event Grid
delivery (Event Grid retries it on its schedule), or goes to mono's deferrer from the webhook;
a permanent refusal is acknowledged, logged dead-lettered with the platform's code.

The FunctionApp in-process with its Event Grid topic a stand-in on loopback
(tests/targets/drivers/azure.py), deliveries remembered in Azurite's Table service, replying
through the stand-in Telegram Bot API, which answers 429 in Telegram's documented shape.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator

import pytest

from core.chat.base import RateLimited
from tests.chat.helpers import TELEGRAM_SECRET, TELEGRAM_TOKEN, telegram_headers, to_body
from tests.chat.platform_api import PlatformApi
from tests.targets.drivers.azure import AzureDriver, azure_driver

TELEGRAM_429 = {"ok": False, "error_code": 429, "description": "Too Many Requests: retry after 1",
                "parameters": {"retry_after": 1}}
TELEGRAM_403 = {"ok": False, "error_code": 403, "description": "Forbidden: bot was blocked by the user"}
NO_WAIT = {"BOTLESS_RATE_LIMIT_WAIT_SECONDS": "0"}


@pytest.fixture
def platform_api() -> Iterator[PlatformApi]:
    api = PlatformApi().start()
    yield api
    api.stop()



@pytest.fixture
def env(platform_api: PlatformApi, azurite: str) -> dict[str, str]:
    from azure.data.tables import TableServiceClient

    table = f"dedupe{uuid.uuid4().hex[:8]}"
    with TableServiceClient.from_connection_string(azurite) as service:
        service.create_table(table)
    return {"BOTLESS_ENTRY_POINTS": "0", "BOTLESS_DEDUPE_TABLE_NAME": table,
            "BOTLESS_TABLE_CONNECTION_STRING": azurite, "TELEGRAM_BOT_TOKEN": TELEGRAM_TOKEN,
            "TELEGRAM_SECRET_TOKEN": TELEGRAM_SECRET, "TELEGRAM_API_URL": platform_api.url}


def update(unique: str) -> bytes:
    return to_body({"update_id": int(unique), "message": {
        "message_id": 7, "date": 1700000000, "text": "/echo hi",
        "chat": {"id": 42, "type": "private"}, "from": {"id": 99, "is_bot": False, "first_name": "Ada"}}})


def sent(platform_api: PlatformApi) -> list[str]:
    return [call.json["text"] for call in platform_api.calls if call.path.endswith("/sendMessage")]


async def post_update(driver: AzureDriver, unique: str) -> None:
    answer = await driver.post("/telegram/webhook", telegram_headers(), update(unique))
    assert answer.status == 200, answer.body


async def event_grid_retries(driver: AzureDriver) -> None:
    """Event Grid's retry: each failed delivery again, as it came (the claims were released)."""
    failed, driver.failures = driver.failures, []
    for function, cloud_event, _ in failed:
        try:
            await driver.deliver(function, cloud_event)
        except Exception as error:
            driver.failures.append((function, cloud_event, error))


@pytest.mark.parametrize("topology, function", [("pipeline", "respond"), ("mono", "mono_deferred")])
async def test_a_429_past_the_budget_raises_so_event_grid_retries_and_the_reply_goes_once(
        env, platform_api, unique, botless_logs, topology, function):
    # mono: the webhook defers the reply, and its deferred delivery meets the 429 a second time.
    platform_api.fail("/sendMessage", 429, TELEGRAM_429, times=1 if topology == "pipeline" else 2)
    with azure_driver(topology, {**env, **NO_WAIT}) as driver:
        await post_update(driver, unique)
        await driver.settle()
        [(failed_function, delivery, error)] = driver.failures
        assert failed_function == function and isinstance(error, RateLimited) and error.retry_after == 1
        assert delivery["type"] == "botless.bot.response"  # only the reply goes again
        await event_grid_retries(driver)
        assert driver.failures == []
    assert sent(platform_api) == ["hi"] * (3 if topology == "mono" else 2)  # refused, then delivered once
    logged = botless_logs()
    [limited] = [line for line in logged if line.get("outcome") == "rate-limited" and line["role"] == function]
    assert limited["retry_after"] == 1 and limited["target"] == "azure"
    assert not [line for line in logged if line.get("outcome") == "duplicate"]


async def test_a_429_that_fits_the_budget_is_waited_out_in_the_same_invocation(env, platform_api, unique):
    platform_api.fail("/sendMessage", 429, TELEGRAM_429, times=1)
    with azure_driver("pipeline", env) as driver:  # the default budget: 5 s
        await post_update(driver, unique)
        await driver.settle()
        assert driver.failures == []
    assert sent(platform_api) == ["hi", "hi"]


@pytest.mark.parametrize("topology", ["pipeline", "mono"])
async def test_a_permanent_refusal_is_acknowledged_and_logged_dead_lettered(env, platform_api, unique,
                                                                            botless_logs, topology):
    platform_api.fail("/sendMessage", 403, TELEGRAM_403)
    with azure_driver(topology, env) as driver:
        await post_update(driver, unique)  # mono: the chain runs in the webhook, answered 200
        await driver.settle()
        assert driver.failures == []  # returned normally: Event Grid does not retry it
    assert sent(platform_api) == ["hi"]  # one call to the platform
    [line] = [line for line in botless_logs() if line.get("outcome") == "dead-lettered"]
    assert line["code"] == "403" and "blocked by the user" in line["reason"]
    assert TELEGRAM_TOKEN not in json.dumps(line)


async def test_a_permanent_refusal_of_a_deferred_reply_is_acknowledged(env, platform_api, unique, botless_logs):
    platform_api.fail("/sendMessage", 429, TELEGRAM_429, times=1)
    with azure_driver("mono", {**env, **NO_WAIT}) as driver:
        await post_update(driver, unique)  # the 429: the reply deferred to Event Grid
        [deferred] = [event["type"] for event in driver.event_grid.received]
        assert deferred == "botless.bot.response"
        platform_api.fail("sendMessage", 403, TELEGRAM_403)  # another suffix: the 429 above is spent
        await driver.settle()
        assert driver.failures == []
    assert sent(platform_api) == ["hi", "hi"]
    [line] = [line for line in botless_logs() if line.get("outcome") == "dead-lettered"]
    assert line["role"] == "mono_deferred" and line["code"] == "403" and line["target"] == "azure"


async def test_mono_resumed_command_whose_reply_is_rate_limited_defers_only_the_reply(env, platform_api, unique,
                                                                                      botless_logs):
    slow = {"BOTLESS_COMMANDS": "tests.targets.slow_commands", **NO_WAIT}
    platform_api.fail("/sendMessage", 429, TELEGRAM_429, times=1)
    with azure_driver("mono", {**env, **slow}) as driver:
        body = json.loads(update(unique))
        body["message"]["text"] = "/report q3"
        answer = await driver.post("/telegram/webhook", telegram_headers(), to_body(body))
        assert answer.status == 200
        await driver.settle()
        assert driver.failures == []
        assert [event["type"] for _, event in driver.delivered] == ["botless.bot.command.report",
                                                                     "botless.bot.response"]
    assert sent(platform_api) == ["report for q3 is ready"] * 2  # refused once, then delivered once
    commands = [line for line in botless_logs() if line.get("role") == "command" and line["outcome"] == "ok"]
    assert len(commands) == 1
