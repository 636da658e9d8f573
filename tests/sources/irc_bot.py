"""A real Bot behind the IRC source, and a person in #team: what tests/sources/test_irc*.py share against ngircd."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from core.backoff import Backoff
from core.bot import Bot
from core.commands import BUILTIN_COMMAND_SETS
from core.dedupe import DedupeStore
from core.registry import CommandSet
from core.settings import Settings
from core.sources.irc import IrcSource
from core.sources.irc_config import IrcConfig
from core.sources.irc_rejoin import Rejoiner
from core.sources.session import run_source
from tests.sources.irc_server import IrcClient, Ngircd

# 2,000 bytes of two- and three-byte characters with a few spaces: several lines, cut
# both at spaces and between characters.
LONG_TEXT = ("Grüße aus Köln — ünïcödé " * 80).encode()[:2000].decode("utf-8", "ignore")
long_commands = CommandSet()


@long_commands.command(help="Say a long text")
def long(command: object) -> str:
    return LONG_TEXT


# Released by the test that runs `/wait`: a command that is slow until told to finish.
released: dict[str, asyncio.Event] = {}


@long_commands.command(help="Answer once released")
async def wait(command: object) -> str:
    await released["wait"].wait()
    return "released"


def irc_source(server: Ngircd, store: DedupeStore, *, nick: str = "botless", **env: str) -> IrcSource:
    config = IrcConfig.from_env({"IRC_SERVER": f"127.0.0.1:{server.port}", "IRC_NICK": nick,
                                 "IRC_CHANNELS": "#team", **env})
    return IrcSource(config, store, Settings(), backoff=Backoff(0.05, 0.5), line_interval=0.01,
                     rejoin=Rejoiner(lambda: Backoff(0.05, 0.2)))


def bot(**kwargs: Any) -> Bot:
    return Bot(Settings(), command_sets=[*BUILTIN_COMMAND_SETS, long_commands], **kwargs)


@asynccontextmanager
async def running(source: IrcSource, store: DedupeStore) -> AsyncIterator[None]:
    broker = bot(responders=[source], dedupe=store).broker("mono")
    stop = asyncio.Event()
    session = asyncio.create_task(run_source(source, broker.publish, stop=stop, grace_seconds=5))
    try:
        yield
    finally:
        stop.set()
        await asyncio.wait_for(session, 20)


async def person(server: Ngircd, nick: str = "ann", *, bot: str = "botless", password: str = "") -> IrcClient:
    """A person in #team once the bot is there too (its JOIN seen, or it is in the NAMES list)."""
    client = await IrcClient.connect(server.port, nick, password=password)
    client.send("JOIN #team")
    while True:
        _, line = await client.next_line(30)
        if line.command == "353" and bot in line.params[-1].replace("@", "").split():
            break
        if line.command == "JOIN" and line.nick == bot:
            break
    return client


async def ask_once(client: IrcClient, target: str, text: str, expected: str, *, bot: str = "botless") -> None:
    """`text` answered with exactly the lines of `expected`, once (checked with a following /echo)."""
    client.say(target, text)
    client.say(target, "/echo sentinel-after")
    lines = [line.param(1) for _, line in await client.messages_from(bot, until="sentinel-after")]
    assert lines == [*expected.split("\n"), "sentinel-after"]
