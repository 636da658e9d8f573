"""Bad input on every endpoint: 401, 400 with a reason, 413, 200-and-ignored, 503 when off.

None of these emits an event, calls a platform, or logs a secret.
"""

from __future__ import annotations

import time

import pytest
from nacl.signing import SigningKey

from tests.chat.helpers import (
    SECRETS,
    discord_headers,
    event_bytes,
    slack_headers,
    telegram_headers,
    to_body,
)

SLACK, DISCORD, TELEGRAM = "/slack/events", "/discord/interactions", "/telegram/webhook"
ONE_MIB = 1024 * 1024
SLACK_MESSAGE = event_bytes("slack", "event_callback_message.json")
DISCORD_COMMAND = event_bytes("discord", "interaction_application_command_guild.json")
TELEGRAM_UPDATE = event_bytes("telegram", "update_message_private_start.json")
OTHER_KEY = SigningKey.generate()


def requests(key: SigningKey) -> dict[str, tuple[str, bytes, dict[str, str], int, str]]:
    """name -> (path, body, headers, expected status, a phrase the reason contains)."""
    form = "application/x-www-form-urlencoded"
    # Taken when the request is built: well outside the 5-minute window either way.
    stale, future = int(time.time()) - 400, int(time.time()) + 400
    return {
        "slack-unsigned": (SLACK, SLACK_MESSAGE, {"content-type": "application/json"}, 401, "missing"),
        "slack-wrong-secret": (SLACK, SLACK_MESSAGE, slack_headers(SLACK_MESSAGE, secret="not-the-secret"),
                               401, "does not match"),
        "slack-replay": (SLACK, SLACK_MESSAGE, slack_headers(SLACK_MESSAGE, timestamp=stale), 401, "s old"),
        "slack-future": (SLACK, SLACK_MESSAGE, slack_headers(SLACK_MESSAGE, timestamp=future), 401, "future"),
        "slack-bad-timestamp": (SLACK, SLACK_MESSAGE, {**slack_headers(SLACK_MESSAGE),
                                                       "x-slack-request-timestamp": "yesterday"}, 401, "timestamp"),
        "slack-body-changed": (SLACK, SLACK_MESSAGE + b" ", slack_headers(SLACK_MESSAGE), 401, "does not match"),
        "slack-not-json": (SLACK, b'{"type": "event_callback",', slack_headers(b'{"type": "event_callback",'),
                           400, "not valid JSON"),
        "slack-json-array": (SLACK, b"[1, 2]", slack_headers(b"[1, 2]"), 400, "JSON object"),
        "slack-bad-form": (SLACK, b"command", slack_headers(b"command", content_type=form), 400, "urlencoded"),
        "slack-event-without-event": (SLACK, b'{"type": "event_callback"}',
                                      slack_headers(b'{"type": "event_callback"}'), 400, "event"),
        "discord-unsigned": (DISCORD, DISCORD_COMMAND, {"content-type": "application/json"}, 401, "missing"),
        "discord-other-key": (DISCORD, DISCORD_COMMAND, discord_headers(OTHER_KEY, DISCORD_COMMAND),
                              401, "does not verify"),
        "discord-not-hex": (DISCORD, DISCORD_COMMAND, {**discord_headers(key, DISCORD_COMMAND),
                                                       "x-signature-ed25519": "zz"}, 401, "does not verify"),
        "discord-replay": (DISCORD, DISCORD_COMMAND, discord_headers(key, DISCORD_COMMAND, timestamp=stale),
                           401, "s old"),
        "discord-not-json": (DISCORD, b"{", discord_headers(key, b"{"), 400, "not valid JSON"),
        "discord-command-without-name": (DISCORD, b'{"type": 2, "id": "1", "token": "t", "data": {}}',
                                         discord_headers(key, b'{"type": 2, "id": "1", "token": "t", "data": {}}'),
                                         400, "data.name"),
        "telegram-no-secret": (TELEGRAM, TELEGRAM_UPDATE, {"content-type": "application/json"}, 401, "missing"),
        "telegram-wrong-secret": (TELEGRAM, TELEGRAM_UPDATE, telegram_headers("wrong-secret"), 401, "wrong"),
        "telegram-not-json": (TELEGRAM, b"update_id=1", telegram_headers(), 400, "not valid JSON"),
        "telegram-no-update-id": (TELEGRAM, b'{"message": {}}', telegram_headers(), 400, "update_id"),
        "telegram-no-chat": (TELEGRAM, b'{"update_id": 5, "message": {"text": "/help"}}', telegram_headers(),
                             400, "chat.id"),
    }


@pytest.mark.parametrize("name", sorted(requests(OTHER_KEY)))
async def test_bad_requests_are_refused_with_a_reason_and_no_event(bot, platform_api, discord_key,
                                                                    botless_logs, name):
    path, body, headers, status, phrase = requests(discord_key)[name]
    answer = await bot.post(path, body, headers)
    assert answer.status_code == status
    assert phrase in answer.json()["error"]
    assert bot.published == [] and platform_api.calls == []
    assert '"outcome": "rejected"' in botless_logs.text
    assert not any(secret in botless_logs.text for secret in SECRETS)


def unhandled(key: SigningKey) -> dict[str, tuple[str, bytes, dict[str, str]]]:
    reaction = to_body({"type": "event_callback", "event_id": "Ev9", "event": {
        "type": "reaction_added", "user": "U1", "reaction": "thumbsup", "item": {"type": "message"}}})
    rate_limited = to_body({"token": "x", "type": "app_rate_limited", "team_id": "T1", "minute_rate_limited": 1})
    ssl_check = b"ssl_check=1&token=verification_token"
    modal = to_body({"type": 5, "id": "3", "token": "t", "data": {"custom_id": "form"}})
    callback = to_body({"update_id": 7, "callback_query": {"id": "1", "data": "x"}})
    photo = to_body({"update_id": 8, "message": {"message_id": 1, "chat": {"id": 1}, "photo": []}})
    form = "application/x-www-form-urlencoded"
    return {
        "slack-reaction": (SLACK, reaction, slack_headers(reaction)),
        "slack-rate-limited": (SLACK, rate_limited, slack_headers(rate_limited)),
        "slack-ssl-check": (SLACK, ssl_check, slack_headers(ssl_check, content_type=form)),
        "discord-modal": (DISCORD, modal, discord_headers(key, modal)),
        "telegram-callback-query": (TELEGRAM, callback, telegram_headers()),
        "telegram-photo": (TELEGRAM, photo, telegram_headers()),
    }


@pytest.mark.parametrize("name", sorted(unhandled(OTHER_KEY)))
async def test_what_the_bot_does_not_handle_is_acknowledged_and_ignored(bot, platform_api, discord_key, name):
    path, body, headers = unhandled(discord_key)[name]
    answer = await bot.post(path, body, headers)
    assert answer.status_code == 200
    assert bot.published == [] and platform_api.calls == []


@pytest.mark.parametrize("path", [SLACK, DISCORD, TELEGRAM])
async def test_a_body_over_the_default_limit_is_413(bot, platform_api, path):
    body = b"x" * (ONE_MIB + 1)
    answer = await bot.post(path, body, {"content-type": "application/json"})
    assert answer.status_code == 413 and "limit" in answer.json()["error"]
    assert bot.published == []


async def test_the_limit_is_configurable(make_bot):
    bot = make_bot(BOTLESS_MAX_BODY_BYTES="2048")
    body = to_body({"update_id": 1, "message": {"text": "x" * 2048}})
    assert (await bot.post(TELEGRAM, body, telegram_headers())).status_code == 413


@pytest.mark.parametrize("path, secret", [(SLACK, "SLACK_SIGNING_SECRET"), (DISCORD, "DISCORD_PUBLIC_KEY"),
                                          (TELEGRAM, "TELEGRAM_SECRET_TOKEN")])
async def test_a_platform_without_its_secret_is_disabled(make_bot, path, secret):
    bot = make_bot(**{secret: None})
    # Even a request that would verify against nothing is turned away.
    answer = await bot.post(path, b"{}", {"content-type": "application/json"})
    assert answer.status_code == 503 and "not configured" in answer.json()["error"]
    assert bot.published == []
