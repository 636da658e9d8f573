"""The built-in chat platforms, declared without importing their modules.

Each names its module's config and adapter ("module:attribute"), imported only when the
platform is enabled or its code is used, so a Slack-only cold start loads no Discord or
Telegram code (tests/chat/test_platform_imports.py). `Deferred` says what is known
before the import: the webhook path (a disabled platform's endpoint still answers 503),
the secret that enables the adapter and the other settings its config checks at startup
(tests/chat/test_platform_registry.py holds each adapter to its declaration).
"""

from __future__ import annotations

from typing import Any

from core.chat.platform import Deferred, Imported, Platform

SLACK: Platform[Any] = Platform(
    "slack", secrets=("SLACK_SIGNING_SECRET", "SLACK_BOT_TOKEN"),
    config_from_env=Imported("core.chat.slack:SlackConfig.from_env"),
    adapter=Imported("core.chat.slack:SlackAdapter"),
    deferred=Deferred("/slack/events", enabled_by="SLACK_SIGNING_SECRET", checked=("SLACK_API_URL",)))
DISCORD: Platform[Any] = Platform(
    "discord", secrets=("DISCORD_PUBLIC_KEY", "DISCORD_APPLICATION_ID", "DISCORD_BOT_TOKEN"),
    config_from_env=Imported("core.chat.discord:DiscordConfig.from_env"),
    adapter=Imported("core.chat.discord:DiscordAdapter"),
    deferred=Deferred("/discord/interactions", enabled_by="DISCORD_PUBLIC_KEY", checked=("DISCORD_API_URL",)))
TELEGRAM: Platform[Any] = Platform(
    "telegram", secrets=("TELEGRAM_BOT_TOKEN", "TELEGRAM_SECRET_TOKEN"),
    config_from_env=Imported("core.chat.telegram:TelegramConfig.from_env"),
    adapter=Imported("core.chat.telegram:TelegramAdapter"),
    deferred=Deferred("/telegram/webhook", enabled_by="TELEGRAM_SECRET_TOKEN", checked=("TELEGRAM_API_URL",)))
