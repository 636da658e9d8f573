"""Hostile input on the HTTP routes (signed webhooks, /api/chat, `POST /`): a 4xx or an ignored 200.

Each request here once got a 500 (RecursionError, TypeError) or held the event loop.
None of them may emit an event or call a platform. Telegram's anonymous group admins,
once ignored as bots, are answered.
"""

from __future__ import annotations

import json

import httpx
import pytest
from nacl.signing import SigningKey

from core.limits import DISCORD_OPTION_LIMIT, SLACK_TEXT_LIMIT, TELEGRAM_TEXT_LIMIT, TEXT_LIMIT
from providers.asgi.app import create_app
from tests.chat.helpers import (
    BotUnderTest,
    discord_headers,
    event_json,
    slack_headers,
    telegram_headers,
    to_body,
)

SLACK, DISCORD, TELEGRAM = "/slack/events", "/discord/interactions", "/telegram/webhook"
DEEP = b"[" * 970 + b"]" * 970  # 2 KB, once a RecursionError
ANONYMOUS_ADMIN_ID = 1087968824  # GroupAnonymousBot, Telegram's placeholder sender


def deep_in(payload: dict[str, object], field: str) -> bytes:
    """`payload` with `field` set to 970 nested arrays."""
    return to_body({**payload, field: "DEEP"}).replace(b'"DEEP"', DEEP)


def slack_callback(**event: object) -> bytes:
    payload = event_json("slack", "event_callback_message.json")
    payload["event"].update(event)
    return to_body(payload)


def slack_with(**fields: object) -> bytes:
    payload = event_json("slack", "event_callback_message.json")
    payload.update(fields)
    return to_body(payload)


def telegram_update(text: str = "/echo hi", **message: object) -> bytes:
    payload = event_json("telegram", "update_message_private_start.json")
    payload["message"].update(text=text, **message)
    return to_body(payload)


def discord_command(value: str) -> bytes:
    return to_body({"type": 2, "id": "81", "token": "tok", "application_id": "1", "channel_id": "5",
                    "member": {"user": {"id": "9", "username": "p"}},
                    "data": {"name": "echo", "options": [{"type": 3, "name": "text", "value": value}]}})


def refused(key: SigningKey) -> dict[str, tuple[str, bytes, dict[str, str], int, str]]:
    """name -> (path, body, headers, status, a phrase of the reason)."""
    slack_deep = deep_in(event_json("slack", "event_callback_message.json"), "authorizations")
    discord_deep = deep_in({"type": 2, "id": "1", "token": "t"}, "data")
    telegram_deep = deep_in({"update_id": 1}, "message")
    cases = {
        "slack-deep": (SLACK, slack_deep, 400, "nested"),
        "slack-authorizations-not-a-list": (SLACK, slack_with(authorizations=1), 400, "authorizations"),
        "slack-authorization-not-an-object": (SLACK, slack_with(authorizations=[1]), 400, "authorizations"),
        "slack-subtype-a-list": (SLACK, slack_callback(type="message", subtype=["x"]), 400, "subtype"),
        "slack-type-an-object": (SLACK, slack_callback(type={"a": 1}), 400, "type"),
        "slack-user-a-number": (SLACK, slack_callback(user=5), 400, "user"),
        "slack-text-a-list": (SLACK, slack_callback(text=["hi"]), 400, "text"),
        "slack-thread-a-number": (SLACK, slack_callback(thread_ts=1.5), 400, "thread_ts"),
        "slack-bot-id-an-object": (SLACK, slack_callback(bot_id={}), 400, "bot_id"),
        "slack-nan": (SLACK, b'{"type": "event_callback", "x": NaN}', 400, "NaN"),
        "slack-huge-number": (SLACK, b'{"type": "event_callback", "x": ' + b"9" * 5000 + b"}", 400, "digits"),
        "slack-lone-surrogate": (SLACK, b'{"type": "event_callback", "x": "\\ud800"}', 400, "surrogate"),
        "discord-deep": (DISCORD, discord_deep, 400, "nested"),
        "telegram-deep": (TELEGRAM, telegram_deep, 400, "nested"),
        "telegram-not-utf8": (TELEGRAM, b'{"update_id": 1, "x": "\xff"}', 400, "UTF-8"),
        "telegram-from-a-list": (TELEGRAM, telegram_update(**{"from": [1]}), 400, "from"),
        "telegram-sender-chat-id-an-object": (TELEGRAM, telegram_update(sender_chat={"id": {}}), 400, "sender_chat"),
    }

    def headers(path: str, body: bytes) -> dict[str, str]:
        if path == SLACK:
            return slack_headers(body)
        return discord_headers(key, body) if path == DISCORD else telegram_headers()

    return {name: (path, body, headers(path, body), status, phrase)
            for name, (path, body, status, phrase) in cases.items()}


@pytest.mark.parametrize("name", sorted(refused(SigningKey.generate())))
async def test_hostile_signed_payloads_get_a_400_with_a_reason_and_no_event(bot, platform_api, discord_key, name):
    path, body, headers, status, phrase = refused(discord_key)[name]
    answer = await bot.post(path, body, headers)
    assert answer.status_code == status, answer.text
    assert phrase in answer.json()["error"]
    assert bot.published == [] and platform_api.calls == []


def too_long(key: SigningKey) -> dict[str, tuple[str, bytes, dict[str, str]]]:
    slack = slack_callback(text="/echo " + "x" * SLACK_TEXT_LIMIT)
    telegram = telegram_update("/echo " + "x" * TELEGRAM_TEXT_LIMIT)
    discord = discord_command("x" * (DISCORD_OPTION_LIMIT + 1))
    long_name = b"command=%2F" + b"x" * 40_000 + b"&user_id=U1&channel_id=C1&trigger_id=t2&text=hi"
    slash = b"command=%2Fecho&user_id=U1&channel_id=C1&trigger_id=t1&text=" + b"x" * (SLACK_TEXT_LIMIT + 1)
    return {
        "slack": (SLACK, slack, slack_headers(slack)),
        "slack-slash": (SLACK, slash, slack_headers(slash, content_type="application/x-www-form-urlencoded")),
        "slack-slash-name": (SLACK, long_name,
                             slack_headers(long_name, content_type="application/x-www-form-urlencoded")),
        "telegram": (TELEGRAM, telegram, telegram_headers()),
        "discord": (DISCORD, discord, discord_headers(key, discord)),
    }


@pytest.mark.parametrize("name", sorted(too_long(SigningKey.generate())))
async def test_text_over_the_platforms_own_limit_is_ignored_before_any_parsing(bot, platform_api, discord_key,
                                                                               botless_logs, name):
    path, body, headers = too_long(discord_key)[name]
    answer = await bot.post(path, body, headers)
    assert answer.status_code == 200
    assert '"outcome": "ignored"' in botless_logs.text and "characters" in botless_logs.text
    assert bot.published == [] and platform_api.calls == []
    assert bot.published == [] and platform_api.calls == []


async def test_text_at_the_platforms_limit_is_still_answered(bot, platform_api):
    text = "/echo " + "x" * (TELEGRAM_TEXT_LIMIT - len("/echo "))
    assert (await bot.post(TELEGRAM, telegram_update(text), telegram_headers())).status_code == 200
    [call] = await platform_api.wait_for_calls(1)
    assert call.json["text"].startswith("xxx")


async def test_an_anonymous_group_admin_is_answered_as_the_group(bot, platform_api):
    group = {"id": -1001234567890, "title": "Botless testers", "type": "supergroup"}
    body = telegram_update("/echo from the admins", chat=group, sender_chat=group, **{"from": {
        "id": ANONYMOUS_ADMIN_ID, "is_bot": True, "first_name": "Group", "username": "GroupAnonymousBot"}})
    assert (await bot.post(TELEGRAM, body, telegram_headers())).status_code == 200
    [event] = bot.published
    assert event.data["user"] == {"id": "-1001234567890", "name": "Botless testers"}
    [call] = await platform_api.wait_for_calls(1)
    assert call.json["chat_id"] == -1001234567890 and call.json["text"] == "from the admins"


async def test_a_bot_without_sender_chat_is_still_ignored(bot, platform_api):
    body = telegram_update("/echo hi", **{"from": {"id": 42, "is_bot": True, "first_name": "Other"}})
    assert (await bot.post(TELEGRAM, body, telegram_headers())).status_code == 200
    assert bot.published == [] and platform_api.calls == []


# /api/chat and the CloudEvents ingress (`POST /`) ------------------------------------------------

def with_ingress(bot: BotUnderTest) -> httpx.AsyncClient:
    async def publish(event: object) -> None:
        bot.published.append(event)  # type: ignore[arg-type]

    app = create_app(bot.bot, publish, ingress=True)
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://botless.test")


def ingress_event(**attributes: object) -> dict[str, object]:
    event: dict[str, object] = {"specversion": "1.0", "id": "x", "source": "/p", "type": "botless.chat.message",
                                "data": {"platform": "local", "text": "/echo hi", "user": {"id": "W1"}}}
    event.update(attributes)
    return {name: value for name, value in event.items() if value is not None}


INGRESS_REFUSED = {
    "deep": (DEEP, "nested"),
    "deep-data": (b'{"specversion":"1.0","id":"x","source":"/p","type":"t","data":' + DEEP + b"}", "nested"),
    "array": (b"[1, 2]", "JSON object"),
    "not-utf8": (b'{"id": "\xff"}', "UTF-8"),
    "type-a-number": (to_body(ingress_event(type=1)), "'type'"),
    "specversion-a-list": (b'{"specversion": []}', "specversion"),
    "id-a-number": (to_body(ingress_event(id=7)), "'id'"),
    "source-an-object": (to_body(ingress_event(source={"a": 1})), "'source'"),
    "time-yesterday": (to_body(ingress_event(time="yesterday")), "RFC 3339"),
    "time-month-13": (to_body(ingress_event(time="2024-13-01T00:00:00Z")), "RFC 3339"),
    "extension-upper-case": (to_body(ingress_event(botPlatform="local")), "extension name"),
    "extension-dash": (to_body(ingress_event(**{"bot-platform": "local"})), "extension name"),
    "extension-21-chars": (to_body(ingress_event(**{"a" * 21: "x"})), "extension name"),
    "extension-an-object": (to_body(ingress_event(botchannel={"a": 1})), "extension 'botchannel'"),
    "text-too-long": (to_body(ingress_event(data={"platform": "local", "text": "x" * (TEXT_LIMIT + 1),
                                                  "user": {"id": "W1"}})), "characters"),
    "nan-data": (to_body(ingress_event()).replace(b'"W1"', b"NaN"), "NaN"),
}


@pytest.mark.parametrize("name", sorted(INGRESS_REFUSED))
async def test_the_ingress_refuses_invalid_cloudevents_with_400(bot, name):
    body, phrase = INGRESS_REFUSED[name]
    async with with_ingress(bot) as client:
        answer = await client.post("/", content=body, headers={"content-type": "application/cloudevents+json"})
    assert answer.status_code == 400, answer.text
    assert phrase in answer.json()["error"]
    assert bot.published == []


@pytest.mark.parametrize("headers, phrase", [
    ({"ce-time": "yesterday"}, "RFC 3339"),
    ({"ce-bot-platform": "local"}, "extension name"),
    ({"ce-abcdefghijklmnopqrstu": "x"}, "extension name"),
])
async def test_the_ingress_refuses_invalid_binary_mode_attributes(bot, headers, phrase):
    base = {"ce-specversion": "1.0", "ce-id": "1", "ce-source": "/p", "ce-type": "botless.chat.message",
            "content-type": "application/json"}
    data = json.dumps({"platform": "local", "text": "/echo hi", "user": {"id": "W1"}})
    async with with_ingress(bot) as client:
        answer = await client.post("/", content=data, headers={**base, **headers})
    assert answer.status_code == 400 and phrase in answer.json()["error"]
    assert bot.published == []


async def test_a_valid_event_still_passes_the_ingress(bot):
    body = to_body(ingress_event(time="2024-05-01T12:00:00.5+02:00", botplatform="local"))
    async with with_ingress(bot) as client:
        answer = await client.post("/", content=body, headers={"content-type": "application/cloudevents+json"})
    assert answer.status_code == 202 and len(bot.published) == 1


@pytest.mark.parametrize("body, phrase", [
    (DEEP, "nested"),
    (b'{"text": ' + DEEP + b"}", "nested"),
    (b'{"text": "\xff"}', "UTF-8"),
    (b'{"text": NaN}', "NaN"),
    (b"[1]", "JSON object"),
    (b'{"text": "/echo hi", "user": {"a": 1}}', "`user`"),
    (to_body({"text": "/echo " + "x" * TEXT_LIMIT}), "characters"),
])
async def test_api_chat_refuses_hostile_bodies_with_400(bot, body, phrase):
    answer = await bot.post("/api/chat", body, {"content-type": "application/json"})
    assert answer.status_code == 400 and phrase in answer.json()["error"]
    assert bot.published == []
