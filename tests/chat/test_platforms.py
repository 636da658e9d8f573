"""Which platforms a bot serves, from the environment; configuration errors; cold-start cost."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from core.chat.base import ChatAdapter
from core.chat.platforms import adapters_from_env
from core.dedupe import SqliteDedupeStore
from core.settings import Settings, SettingsError
from functions.local.runtime import local_adapters
from tests.chat.helpers import (
    SECRETS,
    bot_env,
    build_bot,
    event_json,
    slack_headers,
    to_body,
)

REPO = Path(__file__).resolve().parents[2]


def test_every_platform_is_returned_and_enabled_only_with_its_secret(discord_key):
    public_key = discord_key.verify_key.encode().hex()
    adapters = adapters_from_env(Settings.from_env({"DISCORD_PUBLIC_KEY": public_key}))
    assert [(a.platform, a.path, a.enabled) for a in adapters] == [
        ("slack", "/slack/events", False), ("discord", "/discord/interactions", True),
        ("telegram", "/telegram/webhook", False)]
    assert all(isinstance(adapter, ChatAdapter) for adapter in adapters)


def test_botless_serve_picks_the_platforms_up():
    adapters = local_adapters(Settings.from_env({"TELEGRAM_SECRET_TOKEN": "s3cret"}))
    assert {a.platform: a.enabled for a in adapters} == {"slack": False, "discord": False, "telegram": True}


@pytest.mark.parametrize("name, value, phrase", [
    ("DISCORD_PUBLIC_KEY", "not-hex", "64 hex characters"),
    ("DISCORD_PUBLIC_KEY", "ab" * 31, "64 hex characters"),
    ("TELEGRAM_SECRET_TOKEN", "has spaces and ü", "A-Z, a-z, 0-9"),
    ("SLACK_API_URL", "ftp://slack.example", "http(s) URL"),
    ("TELEGRAM_API_URL", "api.telegram.org", "http(s) URL"),
    ("DISCORD_API_URL", "discord.com/api/v10", "http(s) URL"),
    ("BOTLESS_DEDUPE", "redis", "BOTLESS_DEDUPE"),
])
def test_an_unusable_setting_is_named_at_startup(name, value, phrase):
    with pytest.raises(SettingsError, match=name) as raised:
        adapters_from_env(Settings.from_env({name: value}))
    assert phrase in str(raised.value)


def test_no_secret_is_in_an_adapters_repr(discord_key):
    env = bot_env("http://127.0.0.1:9", discord_key.verify_key.encode().hex())
    text = " ".join(repr(adapter.config) for adapter in adapters_from_env(Settings.from_env(env)))
    assert not any(secret in text for secret in SECRETS)


@pytest.mark.slow  # a fresh interpreter, to see what a cold start imports
def test_building_the_adapters_imports_no_client_library():
    code = ("import sys; from core.settings import Settings; from core.chat.platforms import adapters_from_env; "
            "adapters_from_env(Settings.from_env({'SLACK_SIGNING_SECRET': 's', 'TELEGRAM_SECRET_TOKEN': 't'})); "
            "print(sorted({m.split('.')[0] for m in sys.modules} & {'slack_sdk', 'nacl', 'httpx'}))")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO, timeout=60,
                            check=False)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"


async def test_two_instances_sharing_a_sqlite_store_answer_a_retry_once(platform_api, discord_key, tmp_path):
    env = bot_env(platform_api.url, discord_key.verify_key.encode().hex())
    first = build_bot(env, SqliteDedupeStore(tmp_path / "dedupe.db"))
    second = build_bot(env, SqliteDedupeStore(tmp_path / "dedupe.db"))
    payload = event_json("slack", "event_callback_message.json")
    payload["event"]["text"] = "/echo one of two"
    body = to_body(payload)
    assert (await first.post("/slack/events", body, slack_headers(body))).status_code == 200
    retry = {**slack_headers(body), "x-slack-retry-num": "1"}
    assert (await second.post("/slack/events", body, retry)).status_code == 200
    assert len(first.published) + len(second.published) == 1
    assert len(await platform_api.wait_for_calls(1)) == 1
    for bot in (first, second):
        await bot.client.aclose()
