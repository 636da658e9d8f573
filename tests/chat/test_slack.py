"""Slack through the real ASGI app: Events API messages, mentions, slash commands, retries.

Payloads are Slack's own (tests/events/slack/), signed with the real v0 algorithm; the
Web API and response_url are the stand-in server, and each test asserts the exact call.
"""

from __future__ import annotations

from urllib.parse import parse_qsl, urlencode

import pytest

from core.chat.slack import SlackAdapter, SlackConfig
from core.dedupe import MemoryDedupeStore
from core.http import HttpRequest
from core.settings import Settings
from tests.chat.helpers import (
    ACK_FIRST,
    SLACK_TOKEN,
    event_bytes,
    event_json,
    slack_headers,
    to_body,
)

FORM = "application/x-www-form-urlencoded"


def message_payload(text: str, **event_fields: str) -> bytes:
    payload = event_json("slack", "event_callback_message.json")
    payload["event"].update(text=text, **event_fields)
    return to_body(payload)


def slash_body(api_url: str, command: str = "/echo", text: str = "Hi") -> bytes:
    """Slack's documented slash command body, its response_url pointed at the stand-in."""
    fields = dict(parse_qsl(event_bytes("slack", "slash_command.txt").decode(), keep_blank_values=True))
    fields.update(command=command, text=text, response_url=f"{api_url}/commands/T111/111/xxxxx")
    return urlencode(fields).encode()


async def test_a_message_is_answered_with_chat_post_message(bot, platform_api):
    body = message_payload("/echo hello from Slack")
    answer = await bot.post("/slack/events", body, slack_headers(body))
    assert answer.status_code == 200
    [call] = await platform_api.wait_for_calls(1)
    assert (call.method, call.path) == ("POST", "/chat.postMessage")
    assert call.headers["authorization"] == f"Bearer {SLACK_TOKEN}"
    assert call.headers["content-type"].startswith("application/json")
    assert call.json == {"channel": "C111", "text": "hello from Slack"}


async def test_a_reply_in_a_thread_stays_in_the_thread(bot, platform_api):
    body = message_payload("/echo in the thread", thread_ts="1610261600.000100")
    assert (await bot.post("/slack/events", body, slack_headers(body))).status_code == 200
    [call] = await platform_api.wait_for_calls(1)
    assert call.json == {"channel": "C111", "text": "in the thread", "thread_ts": "1610261600.000100"}


async def test_a_message_that_is_no_command_gets_no_reply(bot, platform_api):
    body = event_bytes("slack", "event_callback_message.json")
    assert (await bot.post("/slack/events", body, slack_headers(body))).status_code == 200
    assert len(bot.published) == 1 and platform_api.calls == []


@pytest.mark.parametrize("bot_user_id", [None, "W111"], ids=["id-from-payload", "BOTLESS_BOT_USER_ID"])
async def test_an_app_mention_runs_the_command_after_the_mention(make_bot, platform_api, bot_user_id):
    bot = make_bot(BOTLESS_BOT_USER_ID=bot_user_id)
    payload = event_json("slack", "event_callback_app_mention.json")
    payload["event"]["text"] = "<@W111> echo mentioned"
    body = to_body(payload)
    assert (await bot.post("/slack/events", body, slack_headers(body))).status_code == 200
    [call] = await platform_api.wait_for_calls(1)
    assert call.json == {"channel": "C111", "text": "mentioned"}


@pytest.mark.parametrize("sample", [
    "event_callback_message_bot_id.json",
    "event_callback_message_subtype_bot_message.json",
    "event_callback_message_changed.json",
])
async def test_messages_from_bots_and_edits_are_ignored(bot, platform_api, sample):
    payload = event_json("slack", sample)
    # Even a command in them is ignored: a bot answering bots (or itself) could loop.
    target = payload["event"].get("message", payload["event"])
    target["text"] = "/echo /echo loop"
    body = to_body(payload)
    answer = await bot.post("/slack/events", body, slack_headers(body))
    assert answer.status_code == 200 and "ignored" in answer.json()
    assert bot.published == [] and platform_api.calls == []


async def test_the_bots_own_user_is_ignored(make_bot, platform_api):
    bot = make_bot(BOTLESS_BOT_USER_ID="W111")  # the sample message's author
    body = message_payload("/echo talking to myself")
    assert (await bot.post("/slack/events", body, slack_headers(body))).status_code == 200
    assert bot.published == [] and platform_api.calls == []


async def test_the_bots_own_reply_coming_back_is_ignored(bot, platform_api):
    body = message_payload("/echo /echo again")
    await bot.post("/slack/events", body, slack_headers(body))
    [call] = await platform_api.wait_for_calls(1)
    # What Slack delivers next: the bot's reply ("/echo again"), with its bot_id.
    echo = event_json("slack", "event_callback_message_bot_id.json")
    echo["event"].update(text=call.json["text"], ts="1700000000.000200", bot_id="BBOTLESS")
    echo["event_id"] = "Ev-bot-reply"
    body = to_body(echo)
    assert (await bot.post("/slack/events", body, slack_headers(body))).status_code == 200
    assert len(platform_api.calls) == 1 and len(bot.published) == 1


async def test_url_verification_answers_the_challenge_after_the_signature_check(bot):
    # Slack's documented url_verification request.
    body = to_body({"token": "Jhj5dZrVaK7ZwHHjRyZWjbDl", "type": "url_verification",
                    "challenge": "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P"})
    answer = await bot.post("/slack/events", body, slack_headers(body))
    assert answer.status_code == 200
    assert answer.json() == {"challenge": "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P"}
    unsigned = await bot.post("/slack/events", body, {"content-type": "application/json"})
    assert unsigned.status_code == 401 and "challenge" not in unsigned.text


async def test_a_fast_slash_command_is_answered_in_the_ack_itself(bot, platform_api):
    body = slash_body(platform_api.url, "/echo", "Hi")
    answer = await bot.post("/slack/events", body, slack_headers(body, content_type=FORM))
    # Slack's immediate response: the reply is the answer's body, no response_url call.
    assert answer.status_code == 200 and answer.json() == {"response_type": "in_channel", "text": "Hi"}
    assert platform_api.calls == []
    [event] = bot.published
    assert event.data["command"] == "echo" and event.data["text"] == "Hi"


async def test_an_ephemeral_reply_in_the_ack_is_ephemeral(bot, platform_api):
    body = slash_body(platform_api.url, "/echo", "")
    answer = await bot.post("/slack/events", body, slack_headers(body, content_type=FORM))
    assert answer.json() == {"text": "Nothing to echo: try `/echo hello`.", "response_type": "ephemeral"}


async def test_a_slash_command_past_the_ack_budget_is_acknowledged_and_answered_through_response_url(
        make_bot, platform_api):
    bot = make_bot(**ACK_FIRST)
    body = slash_body(platform_api.url, "/echo", "Hi")
    answer = await bot.post("/slack/events", body, slack_headers(body, content_type=FORM))
    assert answer.status_code == 200 and answer.content == b""
    [call] = await platform_api.wait_for_calls(1)
    assert (call.method, call.path) == ("POST", "/commands/T111/111/xxxxx")
    assert "authorization" not in call.headers  # a response_url is its own credential
    assert call.json == {"text": "Hi", "response_type": "in_channel"}
    [event] = bot.published
    assert event.data["command"] == "echo" and event.data["text"] == "Hi"


async def test_an_ephemeral_reply_is_ephemeral_on_response_url(make_bot, platform_api):
    bot = make_bot(**ACK_FIRST)
    body = slash_body(platform_api.url, "/echo", "")
    await bot.post("/slack/events", body, slack_headers(body, content_type=FORM))
    [call] = await platform_api.wait_for_calls(1)
    assert call.json == {"text": "Nothing to echo: try `/echo hello`.", "response_type": "ephemeral"}


async def test_the_documented_slash_command_gets_an_unknown_command_reply(bot, platform_api):
    body = slash_body(platform_api.url, "/hello-world", "Hi")
    answer = await bot.post("/slack/events", body, slack_headers(body, content_type=FORM))
    assert answer.json()["text"].startswith("I don't know `/hello-world`.")


async def test_a_response_url_off_slack_is_refused(make_bot, platform_api):
    bot = make_bot(**ACK_FIRST)  # the reply goes to the response_url, which is checked first
    body = event_bytes("slack", "slash_command.txt").replace(b"command=%2Fhello-world", b"command=%2Fecho")
    body = body.replace(b"hooks.slack.com", b"evil.example.com")
    assert (await bot.post("/slack/events", body, slack_headers(body, content_type=FORM))).status_code == 200
    assert platform_api.calls == []
    assert "refusing a response_url" in bot.broker.dead_letters[0].reason


async def test_a_retry_of_an_accepted_event_is_acknowledged_and_not_processed_again(bot, platform_api):
    body = message_payload("/echo once")
    first = await bot.post("/slack/events", body, slack_headers(body))
    retry = await bot.post("/slack/events", body, {**slack_headers(body), "x-slack-retry-num": "1",
                                                   "x-slack-retry-reason": "http_timeout"})
    assert first.status_code == retry.status_code == 200
    assert "duplicate" in retry.json()["ignored"]
    assert len(bot.published) == 1
    assert len(await platform_api.wait_for_calls(1)) == 1


async def test_unsigned_retry_headers_never_make_a_duplicate_fresh(bot, platform_api):
    body = message_payload("/echo second chance")
    assert (await bot.post("/slack/events", body, slack_headers(body))).status_code == 200
    # `http_error` claims Botless answered an error; the header is unsigned, so only the
    # store decides, and this delivery's claim was kept (it was answered 200).
    for attempt in ("1", "2", "3"):
        retry = {**slack_headers(body), "x-slack-retry-num": attempt, "x-slack-retry-reason": "http_error"}
        replay = await bot.post("/slack/events", body, retry)
        assert replay.status_code == 200 and "duplicate" in replay.json()["ignored"]
    assert len(bot.published) == 1
    assert len(await platform_api.wait_for_calls(1)) == 1


async def test_a_message_and_its_app_mention_are_answered_once(bot, platform_api):
    message = event_json("slack", "event_callback_message.json")
    message["event"]["text"] = "<@UBOTLESS> echo twice?"
    message["authorizations"][0]["user_id"] = "UBOTLESS"
    mention = event_json("slack", "event_callback_app_mention.json")
    mention["event"].update(text="<@UBOTLESS> echo twice?", ts=message["event"]["ts"], channel="C111")
    mention["event_id"] = "Ev222"
    for payload in (message, mention):
        body = to_body(payload)
        assert (await bot.post("/slack/events", body, slack_headers(body))).status_code == 200
    calls = await platform_api.wait_for_calls(1)
    assert [call.json["text"] for call in calls] == ["twice?"]


async def test_a_refused_post_is_dead_lettered_at_once_without_the_token(bot, platform_api):
    platform_api.fail("/chat.postMessage", 200, {"ok": False, "error": "channel_not_found"})
    body = message_payload("/echo nowhere")
    await bot.post("/slack/events", body, slack_headers(body))
    [dead] = bot.broker.dead_letters
    assert "PermanentDeliveryError" in dead.reason and "channel_not_found" in dead.reason
    assert SLACK_TOKEN not in dead.reason
    assert len(platform_api.calls) == 1  # permanent: the broker does not retry it


async def test_a_failing_slack_is_retried_and_dead_lettered_without_the_token(make_bot, platform_api):
    bot = make_bot(BOTLESS_RATE_LIMIT_WAIT_SECONDS="0")  # no retry inside respond: only the bus's
    platform_api.fail("/chat.postMessage", 200, {"ok": False, "error": "internal_error"})
    body = message_payload("/echo nowhere")
    await bot.post("/slack/events", body, slack_headers(body))
    [dead] = bot.broker.dead_letters
    assert "internal_error" in dead.reason and SLACK_TOKEN not in dead.reason
    assert len(platform_api.calls) == 3  # the broker retried twice


async def test_slacks_documented_signature_example_verifies():
    example = event_json("slack", "signature_example.json")
    config = SlackConfig(signing_secret=example["signing_secret"])
    request = HttpRequest.build("POST", "/slack/events", {
        "content-type": FORM, "x-slack-request-timestamp": example["timestamp"],
        "x-slack-signature": example["signature"]}, example["body"].encode())
    on_time = SlackAdapter(config, Settings(), MemoryDedupeStore(), clock=lambda: int(example["timestamp"]) + 300)
    received = await on_time.receive(request)
    assert received.response.status == 200 and received.events[0].data["command"] == "webhook-collect"
    late = SlackAdapter(config, Settings(), MemoryDedupeStore(), clock=lambda: int(example["timestamp"]) + 301)
    rejected = await late.receive(request)
    assert rejected.response.status == 401 and rejected.events == []
    assert b"301 s old" in rejected.response.body
