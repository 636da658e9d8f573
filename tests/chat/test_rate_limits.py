"""Platform rate limits and failures (issue 14): a 429 is waited out or handed back with its delay,
a 5xx is tried again with backoff, any other 4xx is permanent. Against the stand-in API, which
answers with each platform's documented shape."""

from __future__ import annotations

import json

import pytest
from cloudevents.http import CloudEvent

from core.chat.base import DeliveryError, PermanentDeliveryError, RateLimited
from core.chat.rate_limits import remaining_wait, waiting_up_to, with_retries
from core.events import BOT_RESPONSE, BotResponse, new_event
from tests.chat.helpers import DISCORD_APP_ID, TELEGRAM_TOKEN, telegram_headers, to_body

TELEGRAM_429 = {"ok": False, "error_code": 429, "description": "Too Many Requests: retry after 1",
                "parameters": {"retry_after": 1}}
DISCORD_BUCKET = (("x-ratelimit-bucket", "abcd1234"), ("x-ratelimit-limit", "5"))


def _reply(platform: str, reply_to: str, channel: str = "") -> tuple[BotResponse, CloudEvent]:
    response = BotResponse(text="pong", platform=platform, channel=channel)
    return response, new_event(BOT_RESPONSE, response, extensions={"botreplyto": reply_to})


def _telegram(bot): return bot.bot.adapters["telegram"]  # noqa: E704
def _discord(bot): return bot.bot.adapters["discord"]  # noqa: E704


async def test_telegram_429_is_waited_out_when_it_fits_and_the_reply_goes_once(bot, platform_api) -> None:
    platform_api.fail("/sendMessage", 429, TELEGRAM_429, times=1)
    with waiting_up_to(5):
        await _telegram(bot).send(*_reply("telegram", "42:7", channel="42"))
    sent = [c for c in platform_api.calls if c.path.endswith("/sendMessage")]
    assert len(sent) == 2 and sent[0].body == sent[1].body


async def test_telegram_429_past_the_budget_is_handed_back_with_its_delay(bot, platform_api) -> None:
    platform_api.fail("/sendMessage", 429, {**TELEGRAM_429, "parameters": {"retry_after": 30}})
    with waiting_up_to(5), pytest.raises(RateLimited) as raised:
        await _telegram(bot).send(*_reply("telegram", "42:7", channel="42"))
    assert raised.value.retry_after == 30
    assert len(platform_api.calls) == 1  # not tried again at once
    assert TELEGRAM_TOKEN not in str(raised.value)


async def test_telegram_4xx_is_permanent_with_its_error_code(bot, platform_api) -> None:
    platform_api.fail("/sendMessage", 400, {"ok": False, "error_code": 400,
                                            "description": "Bad Request: chat not found"})
    with waiting_up_to(5), pytest.raises(PermanentDeliveryError) as raised:
        await _telegram(bot).send(*_reply("telegram", "42:7", channel="42"))
    assert raised.value.code == "400" and "chat not found" in str(raised.value)
    assert len(platform_api.calls) == 1


async def test_telegram_5xx_is_tried_again_with_backoff(bot, platform_api) -> None:
    platform_api.fail("/sendMessage", 502, {"ok": False, "error_code": 502, "description": "Bad Gateway"}, times=2)
    with waiting_up_to(30):
        await _telegram(bot).send(*_reply("telegram", "42:7", channel="42"))
    assert len(platform_api.calls) == 3


async def test_a_5xx_with_no_budget_left_goes_back_to_the_bus(bot, platform_api) -> None:
    platform_api.fail("/sendMessage", 503, {"ok": False, "error_code": 503, "description": "down"})
    with waiting_up_to(0), pytest.raises(DeliveryError) as raised:
        await _telegram(bot).send(*_reply("telegram", "42:7", channel="42"))
    assert not isinstance(raised.value, PermanentDeliveryError | RateLimited)
    assert len(platform_api.calls) == 1


async def test_discord_429_is_waited_for_its_retry_after(bot, platform_api) -> None:
    platform_api.fail("/tok", 429, {"message": "You are being rate limited.", "retry_after": 0.2,
                                          "global": False}, times=1,
                      headers=(*DISCORD_BUCKET, ("retry-after", "1"), ("x-ratelimit-remaining", "0"),
                               ("x-ratelimit-reset-after", "0.2"), ("x-ratelimit-scope", "user")))
    with waiting_up_to(5):
        await _discord(bot).send(*_reply("discord", f"{DISCORD_APP_ID}:tok"))
    assert len(platform_api.calls) == 2


async def test_discord_empty_bucket_waits_before_calling(bot, platform_api) -> None:
    # The first answer says the bucket is empty for 10 s: the next follow-up is not even sent.
    platform_api.fail("/tok", 204, None, times=1,
                      headers=(*DISCORD_BUCKET, ("x-ratelimit-remaining", "0"), ("x-ratelimit-reset-after", "10")))
    discord = _discord(bot)
    with waiting_up_to(5):
        await discord.send(*_reply("discord", f"{DISCORD_APP_ID}:tok"))
    with waiting_up_to(5), pytest.raises(RateLimited) as raised:
        await discord.send(*_reply("discord", f"{DISCORD_APP_ID}:tok"))
    assert 5 < raised.value.retry_after <= 10
    assert len(platform_api.calls) == 1


async def test_discord_global_limit_holds_every_route(bot, platform_api) -> None:
    platform_api.fail("/first", 429, {"message": "You are being rate limited.", "retry_after": 60,
                                          "global": True}, times=1, headers=(("x-ratelimit-global", "true"),))
    discord = _discord(bot)
    with waiting_up_to(5), pytest.raises(RateLimited):
        await discord.send(*_reply("discord", f"{DISCORD_APP_ID}:first"))
    with waiting_up_to(5), pytest.raises(RateLimited, match="global"):
        await discord.send(*_reply("discord", f"{DISCORD_APP_ID}:another-interaction"))
    assert len(platform_api.calls) == 1


async def test_discord_unknown_webhook_is_permanent_with_its_code(bot, platform_api) -> None:
    platform_api.fail("/tok", 404, {"message": "Unknown Webhook", "code": 10015})
    with waiting_up_to(5), pytest.raises(PermanentDeliveryError) as raised:
        await _discord(bot).send(*_reply("discord", f"{DISCORD_APP_ID}:tok"))
    assert raised.value.code == "10015"


async def test_the_budget_only_narrows() -> None:
    assert remaining_wait() == 0
    with waiting_up_to(1):
        with waiting_up_to(100):
            assert remaining_wait() <= 1
        assert 0 < remaining_wait() <= 1
    assert remaining_wait() == 0


async def test_with_retries_stops_after_the_transient_attempts() -> None:
    calls = []

    async def failing() -> None:
        calls.append(1)
        raise DeliveryError("502")

    with waiting_up_to(60), pytest.raises(DeliveryError):
        await with_retries(failing)
    assert len(calls) == 3


def _update(update_id: int, text: str = "/echo hi") -> bytes:
    return to_body({"update_id": update_id, "message": {
        "message_id": 7, "date": 1700000000, "text": text,
        "chat": {"id": 42, "type": "private"}, "from": {"id": 99, "is_bot": False, "first_name": "Ada"}}})


@pytest.mark.parametrize("topology", ["mono", "pipeline"])
async def test_a_long_rate_limit_goes_back_to_the_bus_and_the_reply_arrives_once(make_bot, platform_api,
                                                                                  botless_logs, topology) -> None:
    # No wait allowed inside respond: the 429 is handed to the bus, which redelivers after it.
    bot = make_bot(topology=topology, BOTLESS_RATE_LIMIT_WAIT_SECONDS="0")
    platform_api.fail("/sendMessage", 429, TELEGRAM_429, times=1)
    answer = await bot.post("/telegram/webhook", _update(1001), telegram_headers())
    assert answer.status_code == 200
    sent = [json.loads(c.body) for c in platform_api.calls if c.path.endswith("/sendMessage")]
    assert [s["text"] for s in sent] == ["hi", "hi"]  # refused once, then delivered once
    assert bot.broker.dead_letters == []
    # Only the reply was delivered again, not the chain before it: the command ran once.
    records = {id(r): r for r in botless_logs.records}.values()  # caplog may hold a record twice
    steps = [json.loads(r.getMessage()) for r in records if r.getMessage().startswith("{")]
    assert [s["role"] for s in steps if s.get("role") == "command" and s.get("outcome") == "ok"] == ["command"]
    assert [s["outcome"] for s in steps if s.get("role") == "respond"] == ["failed", "ok"]


async def test_a_permanent_refusal_is_dead_lettered_at_once(make_bot, platform_api) -> None:
    bot = make_bot(topology="pipeline")
    platform_api.fail("/sendMessage", 403, {"ok": False, "error_code": 403,
                                            "description": "Forbidden: bot was blocked by the user"})
    await bot.post("/telegram/webhook", _update(1002), telegram_headers())
    assert len(platform_api.calls) == 1  # not retried
    [letter] = bot.broker.dead_letters
    assert letter.trigger == "respond" and "blocked by the user" in letter.reason


SLACK_429 = {"ok": False, "error": "ratelimited"}


def _slack(bot): return bot.bot.adapters["slack"]  # noqa: E704


async def test_slack_429_is_waited_out_within_the_budget(bot, platform_api) -> None:
    platform_api.fail("/chat.postMessage", 429, SLACK_429, times=1, headers=(("Retry-After", "1"),))
    with waiting_up_to(5):
        await _slack(bot).send(*_reply("slack", "", channel="C111"))
    assert [c.path for c in platform_api.calls] == ["/chat.postMessage", "/chat.postMessage"]


async def test_slack_429_past_the_budget_is_handed_back_with_its_retry_after(bot, platform_api) -> None:
    platform_api.fail("/chat.postMessage", 429, SLACK_429, headers=(("Retry-After", "30"),))
    with waiting_up_to(5), pytest.raises(RateLimited) as raised:
        await _slack(bot).send(*_reply("slack", "", channel="C111"))
    assert raised.value.retry_after == 30
    assert len(platform_api.calls) == 1


async def test_slack_spent_response_url_is_permanent(bot, platform_api) -> None:
    platform_api.fail("/commands/T1/1/abc", 404, "expired_url")
    with waiting_up_to(5), pytest.raises(PermanentDeliveryError):
        await _slack(bot).send(*_reply("slack", f"{platform_api.url}/commands/T1/1/abc"))
    assert len(platform_api.calls) == 1
