"""Deferred answers over real HTTP (uvicorn on 127.0.0.1): the ack comes before the command ends.

A Slack slash command and a Discord interaction must be acknowledged within 3 seconds,
whatever the command does. The `slow` test command waits for a gate the test opens only
after it holds the ack; the reply must still arrive afterwards.
"""

from __future__ import annotations

import asyncio
from urllib.parse import parse_qsl, urlencode

import httpx

from tests.chat.helpers import (
    DISCORD_APP_ID,
    discord_headers,
    event_bytes,
    event_json,
    slack_headers,
    to_body,
)
from tests.servers import uvicorn_server


async def ack_then_reply(bot, platform_api, gate, path, body, headers):
    """POST over HTTP; return the ack, checking no reply went out before the gate opened."""
    with uvicorn_server(bot.app) as url:
        async with httpx.AsyncClient(base_url=url, timeout=5) as client:
            ack = await client.post(path, content=body, headers=headers)
            assert not gate.opened.is_set() and platform_api.calls == []
            # The command runs after the ack, and is still held at the gate.
            assert await asyncio.to_thread(gate.entered.wait, 5)
            assert platform_api.calls == []
            gate.opened.set()
            calls = await platform_api.wait_for_calls(1)
    return ack, calls


async def test_a_slow_slash_command_is_acked_first_and_answered_later(bot, platform_api, gate):
    fields = dict(parse_qsl(event_bytes("slack", "slash_command.txt").decode(), keep_blank_values=True))
    fields.update(command="/slow", text="report", response_url=f"{platform_api.url}/commands/T111/111/xxxxx")
    body = urlencode(fields).encode()
    headers = slack_headers(body, content_type="application/x-www-form-urlencoded")
    ack, [call] = await ack_then_reply(bot, platform_api, gate, "/slack/events", body, headers)
    assert ack.status_code == 200 and ack.content == b""
    assert call.path == "/commands/T111/111/xxxxx"
    assert call.json == {"text": "done slowly: report", "response_type": "in_channel"}


async def test_a_slow_discord_command_is_deferred_and_followed_up(bot, platform_api, gate, discord_key):
    payload = event_json("discord", "interaction_application_command_guild.json")
    payload["data"].update(name="slow", options=[{"type": 3, "name": "text", "value": "report"}])
    body = to_body(payload)
    ack, [call] = await ack_then_reply(bot, platform_api, gate, "/discord/interactions", body,
                                       discord_headers(discord_key, body))
    assert ack.status_code == 200 and ack.json() == {"type": 5}
    assert call.path == f"/webhooks/{DISCORD_APP_ID}/A_UNIQUE_TOKEN"
    assert call.json == {"content": "done slowly: report", "allowed_mentions": {"parse": []}}
