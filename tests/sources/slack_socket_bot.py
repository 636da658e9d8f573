"""A real Bot on the embedded bus behind the Slack Socket Mode source, against the stand-in:
what tests/sources/test_slack_socket*.py share (the fixtures are tests/sources/conftest.py's).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from typing import Any

from core.bot import Bot
from core.commands import BUILTIN_COMMAND_SETS
from core.dedupe import DedupeStore, MemoryDedupeStore
from core.registry import Command, CommandSet
from core.settings import Settings
from core.sources.session import run_source
from core.sources.slack_socket import SOURCE, SlackSocketSource
from tests.sources.slack_socket_server import (
    APP_TOKEN,
    BOT_TOKEN,
    SlackSocketServer,
    new_envelope_id,
    slash_command_form,
    slash_commands,
)

gated = CommandSet()
GATE: dict[str, asyncio.Event] = {}  # the open gate of the test that runs `slow`


@gated.command(help="Answer once the test opens the gate")
async def slow(command: Command) -> str:
    await GATE["open"].wait()
    return f"done slowly: {command.raw_args}"


def env_for(server: SlackSocketServer, **overrides: str) -> dict[str, str]:
    return {"BOTLESS_ENTRY_POINTS": "0", "SLACK_APP_TOKEN": APP_TOKEN, "SLACK_BOT_TOKEN": BOT_TOKEN,
            "SLACK_API_URL": server.api_url, **overrides}


@contextlib.asynccontextmanager
async def connected(server: SlackSocketServer, store: DedupeStore | None = None, *, topology: str = "mono",
                    wiring: str = "broker", sockets: int = 1, **env: str) -> AsyncIterator[SlackSocketSource]:
    """The source of a real Bot running on `server` until the block ends (then stopped and drained)."""
    settings = Settings.from_env(env_for(server, **env))
    store = store if store is not None else MemoryDedupeStore()
    source = SOURCE.build(settings.extra, store, settings)
    assert isinstance(source, SlackSocketSource)
    bot = Bot(settings, command_sets=[*BUILTIN_COMMAND_SETS, gated], responders=[source], dedupe=store)
    stop = asyncio.Event()
    running = asyncio.create_task(run_source(source, bot.broker(topology, wiring).publish, stop=stop,
                                             grace_seconds=10))
    await server.wait_for(lambda: len(server.sockets) >= sockets)
    try:
        yield source
    finally:
        stop.set()
        await running
    await server.wait_for(lambda: not server.sockets)  # the source closed its socket


def slash(server: SlackSocketServer, command: str, text: str, name: str) -> dict[str, Any]:
    return slash_commands(slash_command_form(command, text, f"trigger-{name}", server.response_url(name)),
                          new_envelope_id())
