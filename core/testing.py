"""Test your own commands the way Botless tests its own: `BotTester(commands).ask("/hi")`."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

from core.bot import Bot
from core.commands import BUILTIN_COMMAND_SETS
from core.conversation import ask
from core.registry import CommandSet
from core.settings import Settings


class BotTester:
    """A bot with the built-ins plus your command sets, driven synchronously from a test."""

    def __init__(self, *command_sets: CommandSet, topology: str = "mono", wiring: str = "broker",
                 settings: Settings | None = None, builtins: bool = True) -> None:
        sets: Sequence[CommandSet] = [*(BUILTIN_COMMAND_SETS if builtins else ()), *command_sets]
        self.bot = Bot(settings or Settings(topology=topology, load_entry_points=False), command_sets=sets)
        self.broker = self.bot.broker(topology, wiring)

    def ask(self, text: str) -> list[str]:
        """The text of every reply to `text` (empty when it is no command)."""
        return [reply.text for reply in asyncio.run(ask(self.bot, self.broker, text))]
