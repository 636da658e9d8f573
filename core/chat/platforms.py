"""The chat platforms a bot serves, built from the environment.

Every platform is returned, configured or not: one without its secret is disabled
(its endpoint answers 503), never open to unverified traffic. Each platform module is
imported here, inside the function, and imports its client library only on first
use, so a target without slack_sdk or PyNaCl still starts.
"""

from __future__ import annotations

from core.chat.base import ChatAdapter
from core.dedupe import DedupeStore, dedupe_from_env
from core.settings import Settings

PLATFORMS = ("slack", "discord", "telegram")
# The settings that hold a platform's credentials: each target keeps them out of plain config
# (a Kubernetes Secret, Secret Manager, Key Vault, SSM Parameter Store).
CHAT_SECRETS = (
    "SLACK_SIGNING_SECRET", "SLACK_BOT_TOKEN", "DISCORD_PUBLIC_KEY", "DISCORD_APPLICATION_ID",
    "DISCORD_BOT_TOKEN", "TELEGRAM_BOT_TOKEN", "TELEGRAM_SECRET_TOKEN",
)


def adapters_from_env(settings: Settings, dedupe: DedupeStore | None = None) -> list[ChatAdapter]:
    """Slack, Discord and Telegram adapters from `settings.extra` (the environment).

    `dedupe` is the store that remembers accepted deliveries; by default the one
    `BOTLESS_DEDUPE` names (memory). A cloud target passes its own shared store.
    Raises SettingsError for a setting that is present but unusable.
    """
    from core.chat.discord import DiscordAdapter, DiscordConfig
    from core.chat.slack import SlackAdapter, SlackConfig
    from core.chat.telegram import TelegramAdapter, TelegramConfig

    env = settings.extra
    store = dedupe if dedupe is not None else dedupe_from_env(env)
    return [
        SlackAdapter(SlackConfig.from_env(env), settings, store),
        DiscordAdapter(DiscordConfig.from_env(env), settings, store),
        TelegramAdapter(TelegramConfig.from_env(env), settings, store),
    ]
