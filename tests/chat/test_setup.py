"""Setting the platforms up: `botless slack manifest`, `discord register`, `telegram set-webhook`.

Each runs as a user runs it (a subprocess), against the stand-in API where it calls one.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from core.bot import Bot
from core.chat.discord_commands import discord_commands
from core.settings import Settings
from tests.chat.helpers import (
    DISCORD_APP_ID,
    DISCORD_BOT_TOKEN,
    TELEGRAM_SECRET,
    TELEGRAM_TOKEN,
    bot_env,
)

pytestmark = pytest.mark.slow  # each test runs the CLI in a subprocess

REPO = Path(__file__).resolve().parents[2]
REGISTRY = Bot(Settings(load_entry_points=False)).registry


def botless(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "DISCORD_", "TELEGRAM_"))}
    return subprocess.run([sys.executable, "-m", "functions.local.cli", *args], capture_output=True, text=True,
                          env={**clean, "BOTLESS_ENTRY_POINTS": "0", **(env or {})}, timeout=60, cwd=REPO,
                          check=False)


def test_slack_manifest_lists_the_registrys_commands_and_the_events_url():
    result = botless("slack", "manifest", "--url", "https://bot.example.com/", "--name", "Team Bot")
    assert result.returncode == 0, result.stderr
    manifest = yaml.safe_load(result.stdout)
    events_url = "https://bot.example.com/slack/events"
    assert manifest["display_information"]["name"] == "Team Bot"
    assert manifest["settings"]["event_subscriptions"] == {"request_url": events_url,
                                                           "bot_events": ["app_mention", "message.im"]}
    commands = {command["command"]: command for command in manifest["features"]["slash_commands"]}
    assert sorted(commands) == [f"/{spec.name}" for spec in REGISTRY.specs]
    assert all(command["url"] == events_url for command in commands.values())
    assert commands["/echo"]["description"] == "Say the text back" and commands["/echo"]["usage_hint"] == "<text>"
    assert {"commands", "chat:write", "app_mentions:read"} <= set(manifest["oauth_config"]["scopes"]["bot"])


def test_slack_manifest_for_socket_mode_has_no_urls_and_turns_socket_mode_on():
    result = botless("slack", "manifest", "--socket-mode")
    assert result.returncode == 0, result.stderr
    manifest = yaml.safe_load(result.stdout)
    assert manifest["settings"]["socket_mode_enabled"] is True
    assert manifest["settings"]["event_subscriptions"] == {"bot_events": ["app_mention", "message.im"]}
    commands = manifest["features"]["slash_commands"]
    assert [c["command"] for c in commands] == [f"/{spec.name}" for spec in REGISTRY.specs]
    assert all("url" not in c for c in commands)
    both = botless("slack", "manifest", "--socket-mode", "--url", "https://bot.example.com")
    assert both.returncode == 2 and "not allowed with" in both.stderr


def test_slack_manifest_takes_the_full_events_url_too_but_only_https():
    full = botless("slack", "manifest", "--url", "https://bot.example.com/slack/events")
    request_url = yaml.safe_load(full.stdout)["settings"]["event_subscriptions"]["request_url"]
    assert request_url == "https://bot.example.com/slack/events"
    plain = botless("slack", "manifest", "--url", "http://bot.example.com")
    assert plain.returncode == 2 and "https://" in plain.stderr


def test_discord_register_overwrites_the_applications_commands(platform_api, discord_key):
    env = bot_env(platform_api.url, discord_key.verify_key.encode().hex())
    result = botless("discord", "register", env=env)
    assert result.returncode == 0, result.stderr
    assert f"Registered {len(REGISTRY)} commands" in result.stdout
    [call] = platform_api.calls
    assert (call.method, call.path) == ("PUT", f"/applications/{DISCORD_APP_ID}/commands")
    assert call.headers["authorization"] == f"Bot {DISCORD_BOT_TOKEN}"
    assert call.json == discord_commands(REGISTRY)
    echo = next(command for command in call.json if command["name"] == "echo")
    assert echo["options"] == [{"type": 3, "name": "text", "description": "<text>", "required": False}]
    guild = botless("discord", "register", "--guild", "290926798626357999", env=env)
    assert guild.returncode == 0 and "server 290926798626357999" in guild.stdout
    assert platform_api.calls[1].path == f"/applications/{DISCORD_APP_ID}/guilds/290926798626357999/commands"


def test_discord_register_says_what_is_missing():
    result = botless("discord", "register")
    assert result.returncode == 2 and "DISCORD_APPLICATION_ID and DISCORD_BOT_TOKEN" in result.stderr


def test_telegram_set_webhook_sends_the_secret_token(platform_api, discord_key):
    env = bot_env(platform_api.url, discord_key.verify_key.encode().hex())
    result = botless("telegram", "set-webhook", "https://bot.example.com", env=env)
    assert result.returncode == 0, result.stderr
    assert "https://bot.example.com/telegram/webhook" in result.stdout
    [call] = platform_api.calls
    assert (call.method, call.path) == ("POST", f"/bot{TELEGRAM_TOKEN}/setWebhook")
    assert call.json == {"url": "https://bot.example.com/telegram/webhook", "secret_token": TELEGRAM_SECRET,
                         "allowed_updates": ["message"], "drop_pending_updates": False}
    assert TELEGRAM_TOKEN not in result.stdout + result.stderr


def test_telegram_set_webhook_reports_telegrams_refusal_without_the_token(platform_api, discord_key):
    platform_api.fail("/setWebhook", 401, {"ok": False, "error_code": 401, "description": "Unauthorized"})
    env = bot_env(platform_api.url, discord_key.verify_key.encode().hex())
    result = botless("telegram", "set-webhook", "https://bot.example.com", env=env)
    assert result.returncode == 2 and "Unauthorized" in result.stderr
    assert TELEGRAM_TOKEN not in result.stdout + result.stderr
