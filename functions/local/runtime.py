"""Build the local bot and its embedded broker; report configuration errors plainly."""

from __future__ import annotations

import sys

from core.bot import Bot
from core.bus import Broker
from core.logs import configure_logging
from core.registry import CommandDefinitionError
from core.settings import Settings, SettingsError


class StartupError(RuntimeError):
    """The bot cannot start; the message says why and what to change."""


def build_local_bot(topology: str | None = None, log_level: str = "WARNING") -> tuple[Bot, Broker]:
    """A bot from the environment, with the chat adapters it has settings for, and its broker."""
    configure_logging(log_level)
    try:
        settings = Settings.from_env()
        bot = Bot(settings, adapters=local_adapters(settings))
    except (SettingsError, CommandDefinitionError) as error:
        raise StartupError(str(error)) from None
    return bot, bot.broker(topology or settings.topology)


def local_adapters(settings: Settings) -> list:  # type: ignore[type-arg]
    """The chat platform adapters for this environment (filled in by the platform modules)."""
    try:
        from core.chat.platforms import adapters_from_env
    except ImportError:
        return []
    return adapters_from_env(settings)


def fail(message: str, code: int = 2) -> int:
    print(f"botless: {message}", file=sys.stderr)
    return code
