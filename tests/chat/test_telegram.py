"""Telegram through the real ASGI app: text messages, `/cmd@Bot`, duplicates, sendMessage.

Updates are Telegram's documented examples (tests/events/telegram/). Telegram publishes
no group update with a `bot_command` entity, so that one is built here in the same shape.
"""

from __future__ import annotations

import logging

from tests.chat.helpers import (
    TELEGRAM_TOKEN,
    RefusedOnce,
    event_bytes,
    event_json,
    telegram_headers,
    to_body,
)

PATH = "/telegram/webhook"


def update_with_text(text: str, update_id: int = 10000) -> bytes:
    payload = event_json("telegram", "update_message_private_start.json")
    payload["update_id"] = update_id
    payload["message"]["text"] = text
    return to_body(payload)


def group_command(text: str) -> bytes:
    """A group update as Telegram sends it: chat type `group`, a `bot_command` entity."""
    command = text.split()[0]
    return to_body({"update_id": 20001, "message": {
        "message_id": 77, "date": 1441645532, "text": text,
        "from": {"id": 1111111, "is_bot": False, "first_name": "Test Firstname", "username": "Testusername"},
        "chat": {"id": -1001234567890, "title": "Botless testers", "type": "supergroup"},
        "entities": [{"type": "bot_command", "offset": 0, "length": len(command)}],
    }})


async def test_a_message_is_answered_with_send_message_replying_to_it(bot, platform_api):
    body = update_with_text("/echo hello from Telegram")
    answer = await bot.post(PATH, body, telegram_headers())
    assert answer.status_code == 200
    [call] = await platform_api.wait_for_calls(1)
    assert (call.method, call.path) == ("POST", f"/bot{TELEGRAM_TOKEN}/sendMessage")
    assert call.json == {"chat_id": 1111111, "text": "hello from Telegram",
                         "reply_parameters": {"message_id": 1365, "allow_sending_without_reply": True}}


async def test_the_documented_start_message_gets_a_reply(bot, platform_api):
    body = event_bytes("telegram", "update_message_private_start.json")
    assert (await bot.post(PATH, body, telegram_headers())).status_code == 200
    [call] = await platform_api.wait_for_calls(1)
    assert call.json["chat_id"] == 1111111 and "`/start`" in call.json["text"]


async def test_a_command_addressed_to_this_bot_by_name_is_handled(make_bot, platform_api):
    bot = make_bot(TELEGRAM_BOT_USERNAME="@BotlessBot")
    assert (await bot.post(PATH, group_command("/echo@BotlessBot hi group"), telegram_headers())).status_code == 200
    [call] = await platform_api.wait_for_calls(1)
    assert call.json["chat_id"] == -1001234567890 and call.json["text"] == "hi group"
    assert call.json["reply_parameters"]["message_id"] == 77


async def test_a_command_for_another_bot_is_left_alone(make_bot, platform_api):
    bot = make_bot(TELEGRAM_BOT_USERNAME="BotlessBot")
    assert (await bot.post(PATH, group_command("/echo@OtherBot hi"), telegram_headers())).status_code == 200
    assert len(bot.published) == 1 and platform_api.calls == []


async def test_edits_and_messages_without_a_command_get_no_reply(bot, platform_api):
    for sample in ("update_edited_message.json", "update_message_entities.json"):
        body = event_bytes("telegram", sample)
        assert (await bot.post(PATH, body, telegram_headers())).status_code == 200
    assert [event.data["text"] for event in bot.published] == ["Bold and italics"]
    assert platform_api.calls == []


async def test_a_message_from_a_bot_is_ignored(bot, platform_api):
    payload = event_json("telegram", "update_message_private_start.json")
    payload["message"]["from"]["is_bot"] = True
    assert (await bot.post(PATH, to_body(payload), telegram_headers())).status_code == 200
    assert bot.published == [] and platform_api.calls == []


async def test_a_duplicate_update_id_is_dropped(bot, platform_api):
    body = update_with_text("/echo only once", update_id=424242)
    for _ in range(3):
        assert (await bot.post(PATH, body, telegram_headers())).status_code == 200
    assert len(bot.published) == 1
    assert len(await platform_api.wait_for_calls(1)) == 1


async def test_a_refused_send_is_a_delivery_error_and_the_token_is_never_logged(bot, platform_api, botless_logs):
    platform_api.fail("/sendMessage", 400, {"ok": False, "error_code": 400,
                                            "description": "Bad Request: chat not found"})
    await bot.post(PATH, update_with_text("/echo nowhere"), telegram_headers())
    [dead] = bot.broker.dead_letters
    assert "chat not found" in dead.reason
    assert any("/bot***/sendMessage" in record.getMessage() for record in botless_logs.records
               if record.name == "httpx" and record.levelno == logging.INFO)
    assert TELEGRAM_TOKEN not in botless_logs.text and TELEGRAM_TOKEN not in dead.reason


async def test_an_update_the_bus_refused_is_taken_again_on_telegrams_retry(bot, platform_api):
    """503 when the bus refuses; Telegram retries the same update_id, which is then processed."""
    import httpx

    from providers.asgi.app import create_app

    publish = RefusedOnce(then=bot.broker.publish)
    delivered = publish.events
    app = create_app(bot.bot, publish)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as client:
        body = update_with_text("/echo second time lucky", update_id=31337)
        first = await client.post(PATH, content=body, headers=telegram_headers())
        assert first.status_code == 503 and "bus is down" in first.json()["error"]
        assert delivered == []
        retry = await client.post(PATH, content=body, headers=telegram_headers())
        assert retry.status_code == 200
        again = await client.post(PATH, content=body, headers=telegram_headers())
        assert again.status_code == 200
    assert len(delivered) == 1
    [call] = await platform_api.wait_for_calls(1)
    assert call.json["text"] == "second time lucky"
