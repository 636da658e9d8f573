"""Discord through the real ASGI app: PING, application commands, deferred follow-ups.

Interactions are Discord's documented examples (tests/events/discord/), signed with a
real Ed25519 key pair generated for the test session.
"""

from __future__ import annotations

from core.chat.discord import options_text
from tests.chat.helpers import (
    ACK_FIRST,
    DISCORD_APP_ID,
    RefusedOnce,
    discord_headers,
    event_bytes,
    event_json,
    to_body,
)

PATH = "/discord/interactions"


def command_payload(name: str, options: list | None = None) -> bytes:
    payload = event_json("discord", "interaction_application_command_guild.json")
    payload["data"]["name"] = name
    if options is not None:
        payload["data"]["options"] = options
    return to_body(payload)


async def test_ping_is_answered_pong(bot, platform_api, discord_key):
    body = event_bytes("discord", "interaction_ping.json")
    answer = await bot.post(PATH, body, discord_headers(discord_key, body))
    assert answer.status_code == 200 and answer.json() == {"type": 1}
    assert bot.published == [] and platform_api.calls == []


async def test_a_fast_command_is_answered_in_the_interaction_response(bot, platform_api, discord_key):
    body = command_payload("echo")  # the docs' option: cardname = "The Gitrog Monster"
    answer = await bot.post(PATH, body, discord_headers(discord_key, body))
    # Type 4, CHANNEL_MESSAGE_WITH_SOURCE: the reply is the answer, no follow-up call.
    assert answer.status_code == 200 and answer.json() == {
        "type": 4, "data": {"content": "The Gitrog Monster", "allowed_mentions": {"parse": []}}}
    assert platform_api.calls == []
    [event] = bot.published
    assert (event.data["command"], event.data["text"]) == ("echo", "The Gitrog Monster")


async def test_a_command_past_the_ack_budget_is_deferred_and_answered_through_the_interaction_webhook(
        make_bot, platform_api, discord_key):
    bot = make_bot(**ACK_FIRST)
    body = command_payload("echo")  # the docs' option: cardname = "The Gitrog Monster"
    answer = await bot.post(PATH, body, discord_headers(discord_key, body))
    assert answer.status_code == 200 and answer.json() == {"type": 5}
    [call] = await platform_api.wait_for_calls(1)
    assert (call.method, call.path) == ("POST", f"/webhooks/{DISCORD_APP_ID}/A_UNIQUE_TOKEN")
    assert "authorization" not in call.headers  # the interaction token in the path is the credential
    assert call.json == {"content": "The Gitrog Monster", "allowed_mentions": {"parse": []}}
    [event] = bot.published
    assert (event.data["command"], event.data["text"]) == ("echo", "The Gitrog Monster")
    assert event.data["user"] == {"id": "53908232506183680", "name": "Mason"}
    assert event.data["channel"] == "645027906669510667"


async def test_a_dm_command_answers_the_application_named_in_the_interaction(make_bot, platform_api, discord_key):
    bot = make_bot(**ACK_FIRST)
    body = event_bytes("discord", "interaction_application_command_dm.json")  # `/link`, unknown here
    assert (await bot.post(PATH, body, discord_headers(discord_key, body))).json() == {"type": 5}
    [call] = await platform_api.wait_for_calls(1)
    token = "a really long interactions token that your app can use to respond to the interactions"
    assert call.path == f"/webhooks/234248956100616262/{token}"
    assert call.json["content"].startswith("I don't know `/link`.")


async def test_an_ephemeral_reply_in_the_answer_has_the_ephemeral_flag(bot, platform_api, discord_key):
    body = command_payload("echo", options=[])
    answer = await bot.post(PATH, body, discord_headers(discord_key, body))
    assert answer.json() == {"type": 4, "data": {"content": "Nothing to echo: try `/echo hello`.",
                                                 "allowed_mentions": {"parse": []}, "flags": 64}}


async def test_an_ephemeral_follow_up_has_the_ephemeral_flag(make_bot, platform_api, discord_key):
    bot = make_bot(**ACK_FIRST)
    body = command_payload("echo", options=[])
    await bot.post(PATH, body, discord_headers(discord_key, body))
    [call] = await platform_api.wait_for_calls(1)
    assert call.json == {"content": "Nothing to echo: try `/echo hello`.", "allowed_mentions": {"parse": []},
                         "flags": 64}


async def test_a_repeated_interaction_is_answered_once(bot, platform_api, discord_key):
    body = command_payload("echo")
    answers = [await bot.post(PATH, body, discord_headers(discord_key, body)) for _ in range(2)]
    # The reply in the first answer; the copy is only acknowledged, and nothing is sent twice.
    assert [(a.status_code, a.json()["type"]) for a in answers] == [(200, 4), (200, 5)]
    assert len(bot.published) == 1 and platform_api.calls == []


async def test_a_repeated_interaction_past_the_budget_is_followed_up_once(make_bot, platform_api, discord_key):
    bot = make_bot(**ACK_FIRST)
    body = command_payload("echo")
    for _ in range(2):
        assert (await bot.post(PATH, body, discord_headers(discord_key, body))).status_code == 200
    assert len(bot.published) == 1
    assert len(await platform_api.wait_for_calls(1)) == 1


async def test_interactions_the_bot_does_not_handle_are_acknowledged(bot, platform_api, discord_key):
    component = to_body({"type": 3, "id": "1", "token": "t", "data": {"custom_id": "button"}})
    autocomplete = to_body({"type": 4, "id": "2", "token": "t", "data": {"name": "define"}})
    answers = [await bot.post(PATH, body, discord_headers(discord_key, body)) for body in (component, autocomplete)]
    assert [a.status_code for a in answers] == [200, 200]
    assert answers[0].json() == {"type": 6}
    assert answers[1].json() == {"type": 8, "data": {"choices": []}}
    assert bot.published == [] and platform_api.calls == []


async def test_a_failed_follow_up_is_a_delivery_error_without_the_token(make_bot, platform_api, discord_key):
    bot = make_bot(**ACK_FIRST)
    platform_api.fail("/A_UNIQUE_TOKEN", 404, {"message": "Unknown Webhook", "code": 10015})
    body = command_payload("echo")
    await bot.post(PATH, body, discord_headers(discord_key, body))
    [dead] = bot.broker.dead_letters
    assert "404" in dead.reason and "A_UNIQUE_TOKEN" not in dead.reason


def test_options_become_argument_text():
    assert options_text([{"type": 3, "name": "text", "value": "hello world"}]) == "hello world"
    assert options_text([{"type": 3, "name": "a", "value": "sha1"}, {"type": 3, "name": "b", "value": "two words"},
                         {"type": 5, "name": "c", "value": True}]) == "sha1 'two words' true"
    subcommand = [{"type": 1, "name": "add", "options": [{"type": 4, "name": "n", "value": 3}]}]
    assert options_text(subcommand) == "add 3"
    assert options_text(None) == options_text([]) == ""


async def test_an_interaction_the_bus_refused_is_taken_again_on_retry(bot, platform_api, discord_key):
    """The deferred hand-off is refused: 503, and the same interaction is processed when it comes back."""
    import httpx

    from providers.asgi.app import create_app

    defer = RefusedOnce()
    handed_on = defer.events
    # A pipeline's receive: the interaction goes to the bus, before the answer.
    app = create_app(bot.bot, defer, defer=defer)
    body = command_payload("echo")
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as client:
        first = await client.post(PATH, content=body, headers=discord_headers(discord_key, body))
        assert first.status_code == 503 and handed_on == []
        retry = await client.post(PATH, content=body, headers=discord_headers(discord_key, body))
        assert retry.status_code == 200 and len(handed_on) == 1
