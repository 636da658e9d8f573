"""The bot's command names, which become event types, rules, triggers and filters."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping

from core import events as ev


def command_names(env: Mapping[str, str] | None = None) -> list[str]:
    """Canonical command names of the bot configured by `env`, sorted.

    Installed plugins (entry points) are left out: only code inside the source tree is
    packaged, so only its commands can run once deployed.
    """
    from core.bot import Bot
    from core.settings import Settings

    settings = dataclasses.replace(Settings.from_env(env), load_entry_points=False)
    return [spec.name for spec in Bot(settings).registry.specs]


def event_types(commands: list[str]) -> list[str]:
    """Every event type the pipeline emits for these commands, in flow order."""
    return [ev.CHAT_MESSAGE, *(ev.command_type(name) for name in commands), ev.BOT_RESPONSE]
