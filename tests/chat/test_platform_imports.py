"""A built-in platform whose secret is not set is not imported, yet its endpoint still answers 503."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from cloudevents.http import CloudEvent

from core.chat.base import ChatAdapter
from core.chat.builtin_platforms import DISCORD
from core.chat.discord import DiscordAdapter, DiscordConfig
from core.chat.platforms import adapters_from_env
from core.chat.slack import SlackAdapter
from core.chat.unloaded import UnloadedAdapter
from core.dedupe import MemoryDedupeStore
from core.events import BotResponse
from core.http import HttpRequest
from core.settings import Settings

REPO = Path(__file__).resolve().parents[2]
SLACK_ONLY = {"SLACK_SIGNING_SECRET": "s", "SLACK_BOT_TOKEN": "xoxb-y"}

# In a fresh interpreter: build a Slack-only bot's adapters, ask every endpoint, say what was imported.
_SLACK_ONLY_BOT = """
import asyncio, json, sys
import httpx
from core.bot import Bot
from core.chat.platforms import adapters_from_env
from core.settings import Settings
from providers.asgi.webhooks import WebhooksApp

async def main():
    settings = Settings.from_env(json.loads(sys.argv[1]))
    bot = Bot(settings, adapters=adapters_from_env(settings))
    async def publish(event):
        raise AssertionError("nothing is published")
    transport = httpx.ASGITransport(app=WebhooksApp(bot, publish))
    async with httpx.AsyncClient(transport=transport, base_url="http://bot") as client:
        answers = {path: await client.post(path, content=b"{}", headers={"content-type": "application/json"})
                   for path in ("/discord/interactions", "/telegram/webhook")}
        health = (await client.get("/healthz")).json()
    print(json.dumps({
        "answers": {path: [a.status_code, a.headers["content-type"], a.json()] for path, a in answers.items()},
        "platforms": health["platforms"],
        "imported": sorted(m for m in ("core.chat.discord", "core.chat.telegram", "nacl") if m in sys.modules)}))

asyncio.run(main())
"""


@pytest.mark.slow  # a fresh interpreter, to see what a cold start imports
def test_a_slack_only_bot_imports_neither_discord_nor_telegram_and_still_answers_503():
    result = subprocess.run([sys.executable, "-c", _SLACK_ONLY_BOT, json.dumps(SLACK_ONLY)], capture_output=True,
                            text=True, cwd=REPO, timeout=60, check=False)
    assert result.returncode == 0, result.stderr[-2000:]
    seen = json.loads(result.stdout.strip().splitlines()[-1])
    assert seen["imported"] == []
    assert seen["platforms"] == ["slack"]
    assert seen["answers"] == {
        "/discord/interactions": [503, "application/json", {"error": "discord is not configured on this bot"}],
        "/telegram/webhook": [503, "application/json", {"error": "telegram is not configured on this bot"}]}


def test_an_enabled_platform_gets_its_own_adapter_and_a_disabled_one_a_stand_in(discord_key):
    public_key = discord_key.verify_key.encode().hex()
    adapters = {a.platform: a for a in adapters_from_env(Settings.from_env({**SLACK_ONLY,
                                                                           "DISCORD_PUBLIC_KEY": public_key}))}
    assert isinstance(adapters["slack"], SlackAdapter) and isinstance(adapters["discord"], DiscordAdapter)
    assert isinstance(adapters["telegram"], UnloadedAdapter)
    assert isinstance(adapters["telegram"], ChatAdapter) and not adapters["telegram"].enabled


def test_a_setting_the_config_checks_loads_the_platform_even_when_disabled():
    adapter = DISCORD.build(Settings.from_env({"DISCORD_API_URL": "https://discord.example/api"}),
                            MemoryDedupeStore())
    assert isinstance(adapter, DiscordAdapter) and not adapter.enabled


def test_the_stand_in_hands_what_needs_the_platforms_code_to_its_own_adapter():
    stand_in = DISCORD.build(Settings.from_env({"DISCORD_BOT_TOKEN": "t"}), MemoryDedupeStore())
    assert isinstance(stand_in, UnloadedAdapter)
    # A reply for Discord still reaches Discord's adapter (which needs no public key to send).
    assert stand_in.config == DiscordConfig(bot_token="t")
    assert isinstance(stand_in.loaded, DiscordAdapter) and stand_in.loaded is stand_in.loaded


async def test_the_stand_in_sends_and_receives_as_its_platforms_adapter(monkeypatch):
    calls: list[str] = []

    async def send(self, response, event):
        calls.append(f"send {response.text}")

    monkeypatch.setattr(DiscordAdapter, "send", send)
    stand_in = DISCORD.build(Settings(), MemoryDedupeStore())
    event = CloudEvent({"type": "botless.bot.response", "source": "test"}, {})
    await stand_in.send(BotResponse(text="hi", platform="discord"), event)
    answer = await stand_in.receive(HttpRequest("POST", "/discord/interactions", {}, b"{}"))
    assert calls == ["send hi"]
    assert answer.response.status == 401  # what Discord's own disabled adapter answers an unsigned request
