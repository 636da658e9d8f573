"""Every delivery of every platform is claimed once, on a key a replay cannot change, and a
delivery answered with an error gives its claim back so that its retry is taken.

The real ASGI app on the embedded broker, signed the platforms' way, the stand-in
platform API recording each reply (tests/chat). Retry headers are unsigned: only the
store decides whether a copy is fresh.
"""

from __future__ import annotations

import json
import logging
import time
from typing import Any

import httpx
import pytest
from cloudevents.http import CloudEvent

from core.dedupe import MemoryDedupeStore
from providers.asgi.app import create_app
from providers.mono import MonoChain
from providers.runtime import PublishError
from tests.chat.conftest import bot, discord_key, make_bot, platform_api  # noqa: F401 (fixtures)
from tests.chat.helpers import (
    ACK_FIRST,
    discord_headers,
    event_bytes,
    event_json,
    slack_headers,
    telegram_headers,
    to_body,
)
from tests.chat.test_slack import FORM, message_payload, slash_body

SLACK = "/slack/events"
RETRY = {"x-slack-retry-num": "1", "x-slack-retry-reason": "http_error"}


def client_for(app: Any) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://botless.test")


async def test_a_replayed_slash_command_is_acknowledged_and_answered_once(bot, platform_api):
    body = slash_body(platform_api.url, text="only once")
    headers = slack_headers(body, content_type=FORM)
    answers = [await bot.post(SLACK, body, headers) for _ in range(3)]
    # The reply in the first answer; each replay gets an empty 200, which Slack shows nothing for.
    assert answers[0].json() == {"response_type": "in_channel", "text": "only once"}
    assert [(a.status_code, a.content) for a in answers[1:]] == [(200, b"")] * 2
    assert len(bot.published) == 1 and platform_api.calls == []


async def test_a_replayed_slash_command_past_the_budget_is_answered_once_through_response_url(
        make_bot, platform_api):
    bot = make_bot(**ACK_FIRST)
    body = slash_body(platform_api.url, text="only once")
    headers = slack_headers(body, content_type=FORM)
    answers = [await bot.post(SLACK, body, headers) for _ in range(3)]
    assert [(a.status_code, a.content) for a in answers] == [(200, b"")] * 3
    assert len(bot.published) == 1
    calls = await platform_api.wait_for_calls(1)
    assert [call.json["text"] for call in calls] == ["only once"]


async def test_two_slash_commands_with_the_same_text_are_two_messages(bot, platform_api):
    first = slash_body(platform_api.url, text="twice")
    second = first.replace(b"trigger_id=111.111.xxx", b"trigger_id=222.222.yyy")
    for body in (first, second):
        assert (await bot.post(SLACK, body, slack_headers(body, content_type=FORM))).status_code == 200
    assert len(bot.published) == 2


async def test_a_slash_command_without_trigger_id_is_claimed_on_what_slack_signed(bot, platform_api):
    body = slash_body(platform_api.url, text="no trigger").replace(b"&trigger_id=111.111.xxx", b"")
    assert b"trigger_id" not in body
    now = int(time.time())
    headers = slack_headers(body, content_type=FORM, timestamp=now)
    for _ in range(2):
        assert (await bot.post(SLACK, body, headers)).status_code == 200
    assert len(bot.published) == 1
    # Signed again a second later, the same form is another invocation (Slack sent it again).
    later = slack_headers(body, content_type=FORM, timestamp=now + 1)
    assert (await bot.post(SLACK, body, later)).status_code == 200
    assert len(bot.published) == 2


async def test_a_slack_event_replayed_with_error_retry_headers_is_a_duplicate(bot, platform_api):
    body = message_payload("/echo replayed")
    assert (await bot.post(SLACK, body, slack_headers(body))).status_code == 200
    for _ in range(3):
        replay = await bot.post(SLACK, body, {**slack_headers(body), **RETRY})
        assert replay.status_code == 200 and "duplicate" in replay.json()["ignored"]
    assert len(bot.published) == 1


async def test_a_discord_interaction_resigned_later_is_still_a_duplicate(bot, platform_api, discord_key):
    payload = event_json("discord", "interaction_application_command_guild.json")
    payload["data"]["name"] = "echo"
    body = to_body(payload)
    stamp = int(time.time())
    for offset in (0, 1, 2):  # a fresh signature each time: the interaction id decides
        headers = discord_headers(discord_key, body, timestamp=stamp + offset)
        answer = await bot.post("/discord/interactions", body, headers)
        # The reply in the first answer (type 4); the copies are only acknowledged (type 5).
        assert answer.status_code == 200 and answer.json()["type"] == (4 if offset == 0 else 5)
    assert len(bot.published) == 1


async def test_a_telegram_update_is_claimed_on_its_update_id(bot, platform_api):
    payload = event_json("telegram", "update_message_private_start.json")
    payload["message"]["text"] = "/echo hi"
    for update_id in (500, 500, 501):
        payload["update_id"] = update_id
        assert (await bot.post("/telegram/webhook", to_body(payload), telegram_headers())).status_code == 200
    assert len(bot.published) == 2
    del payload["update_id"]
    missing = await bot.post("/telegram/webhook", to_body(payload), telegram_headers())
    assert missing.status_code == 400 and "update_id" in missing.json()["error"]
    assert len(bot.published) == 2


# -- a delivery answered with an error releases its claim ------------------------------------

def refusing(times: int, then: Any) -> tuple[Any, list[CloudEvent]]:
    """A publish (or defer) that raises PublishError `times` times, then hands on to `then`."""
    handed_on: list[CloudEvent] = []
    left = [times]

    async def publish(event: CloudEvent) -> None:
        if left[0]:
            left[0] -= 1
            raise PublishError("bus is down")
        handed_on.append(event)
        if then is not None:
            await then(event)

    return publish, handed_on


async def test_a_slack_event_the_bus_refused_is_taken_again_on_retry(bot, platform_api):
    publish, handed_on = refusing(1, bot.broker.publish)
    async with client_for(create_app(bot.bot, publish)) as client:
        body = message_payload("/echo after a 503")
        first = await client.post(SLACK, content=body, headers=slack_headers(body))
        assert first.status_code == 503 and handed_on == []
        retry = await client.post(SLACK, content=body, headers={**slack_headers(body), **RETRY})
        assert retry.status_code == 200 and len(handed_on) == 1
        again = await client.post(SLACK, content=body, headers={**slack_headers(body), **RETRY})
        assert "duplicate" in again.json()["ignored"] and len(handed_on) == 1
    assert [call.json["text"] for call in await platform_api.wait_for_calls(1)] == ["after a 503"]


async def test_a_slash_command_whose_deferral_was_refused_is_taken_again(bot, platform_api):
    defer, handed_on = refusing(1, None)
    # A pipeline's receive: the slash command goes to the bus, before the answer.
    async with client_for(create_app(bot.bot, defer, defer=defer)) as client:
        body = slash_body(platform_api.url, text="deferred")
        headers = slack_headers(body, content_type=FORM)
        assert (await client.post(SLACK, content=body, headers=headers)).status_code == 503
        assert (await client.post(SLACK, content=body, headers=headers)).status_code == 200
        assert (await client.post(SLACK, content=body, headers=headers)).status_code == 200
    assert len(handed_on) == 1


class NoDeferral:
    """A deferrer the test never expects to be used (the echo command is fast)."""

    async def defer(self, event: CloudEvent) -> None:
        raise AssertionError("nothing should be deferred here")


async def test_a_mono_chain_that_fails_answers_500_and_its_retry_is_answered(make_bot, platform_api):
    # A transient failure (Slack's internal_error), tried once: no wait budget inside respond.
    bot = make_bot(BOTLESS_RATE_LIMIT_WAIT_SECONDS="0")
    chain = MonoChain(bot.bot, NoDeferral(), target="test")
    platform_api.fail("/chat.postMessage", 200, {"ok": False, "error": "internal_error"})
    async with client_for(create_app(bot.bot, chain.run, defer=chain.defer)) as client:
        body = message_payload("/echo the reply failed once")
        first = await client.post(SLACK, content=body, headers=slack_headers(body))
        assert first.status_code == 500 and "DeliveryError" in first.json()["error"]
        platform_api._failures.clear()  # Slack takes the reply now
        retry = await client.post(SLACK, content=body, headers={**slack_headers(body), **RETRY})
        assert retry.status_code == 200
        again = await client.post(SLACK, content=body, headers={**slack_headers(body), **RETRY})
        assert again.status_code == 200 and "duplicate" in again.json()["ignored"]
    texts = [call.json.get("text") for call in platform_api.calls]
    assert texts == ["the reply failed once", "the reply failed once"]  # refused, then posted once


async def test_a_release_that_fails_is_logged_and_the_error_still_answered(make_bot, platform_api, caplog):
    class NoRelease(MemoryDedupeStore):
        def release(self, key: str) -> None:
            raise ConnectionError("store unreachable")

    under_test = make_bot(dedupe=NoRelease())
    publish, _ = refusing(1, None)
    caplog.set_level(logging.INFO, logger="botless")
    async with client_for(create_app(under_test.bot, publish)) as client:
        body = message_payload("/echo lost claim")
        assert (await client.post(SLACK, content=body, headers=slack_headers(body))).status_code == 503
    outcomes = [json.loads(r.getMessage()).get("outcome") for r in caplog.records if r.name == "botless"
                and r.getMessage().startswith("{")]
    assert "release-failed" in outcomes and "publish-refused" in outcomes


@pytest.mark.parametrize("sample", ["event_callback_message.json", "event_callback_app_mention.json"])
async def test_each_sample_event_is_claimed_on_its_channel_and_ts(make_bot, platform_api, sample):
    store = MemoryDedupeStore()
    under_test = make_bot(dedupe=store)
    payload = json.loads(event_bytes("slack", sample))
    body = to_body(payload)
    await under_test.post(SLACK, body, slack_headers(body))
    event = payload["event"]
    assert store.put_if_absent(f"slack:message:{event['channel']}:{event['ts']}", 60) is False
    assert store.put_if_absent(f"slack:event:{payload['event_id']}", 60) is True  # no second key
