"""A kicked bot against a real ngircd: it rejoins and answers again, ignores another user's kick,
and stops rejoining when banned (the rejoin logic on parsed lines is tests/sources/test_irc_kick.py)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import pytest

from core.dedupe import MemoryDedupeStore
from core.sources.irc import IrcSource
from tests.sources.irc_bot import ask_once, irc_source, running
from tests.sources.irc_server import IrcClient, Ngircd, ngircd  # noqa: F401

pytestmark = pytest.mark.slow


# --- kicks: #kick is no predefined channel (ngircd gives no one op in #team), so its first
# member, the operator, is its chanop; the bot joins after them.

async def _operator(server: Ngircd) -> IrcClient:
    """`op`, in #kick before anyone else: its chanop."""
    op = await IrcClient.connect(server.port, "op")
    await op.join("#kick")
    return op


def _logged(caplog: pytest.LogCaptureFixture, text: str) -> list[str]:
    return [record.getMessage() for record in caplog.records if text in record.getMessage()]


@asynccontextmanager
async def _in_kick_channel(ngircd: Ngircd) -> AsyncIterator[tuple[IrcClient, IrcSource]]:  # noqa: F811
    """The bot running in #kick, where the operator client (first in, so channel operator) waits for it."""
    store = MemoryDedupeStore()
    op = await _operator(ngircd)
    source = irc_source(ngircd, store, IRC_CHANNELS="#kick")
    async with running(source, store):
        await op.wait_joined("botless", "#kick")
        yield op, source


async def test_a_kicked_bot_rejoins_and_answers_again(ngircd: Ngircd,  # noqa: F811
                                                      caplog: pytest.LogCaptureFixture) -> None:
    async with _in_kick_channel(ngircd) as (op, source):
        op.send("KICK #kick botless :out you go")
        await op.wait_joined("botless", "#kick")  # back, after the rejoin's delay
        (kicked,) = _logged(caplog, "kicked from")
        assert kicked.startswith("IRC: kicked from #kick by op (out you go): rejoining in ")
        op.send("NAMES #kick")
        names = await op.wait_for("353")
        assert "botless" in names.params[-1].replace("@", "").split()
        await ask_once(op, "#kick", "/echo back again", "back again")  # and it relays what is said after
        await op.close()


async def test_a_kick_of_another_user_leaves_the_bot_in_the_channel(ngircd: Ngircd,  # noqa: F811
                                                                    caplog: pytest.LogCaptureFixture) -> None:
    async with _in_kick_channel(ngircd) as (op, source):
        ann = await IrcClient.connect(ngircd.port, "ann")
        await ann.join("#kick")
        op.send("KICK #kick ann :not you, bot")
        await asyncio.sleep(0.5)  # longer than the longest rejoin delay (0.2 s)
        op.say("#kick", "/echo still here")
        seen = []
        while True:  # everything the operator sees up to the bot's answer
            _, line = await op.next_line()
            seen.append(line)
            if line.command == "PRIVMSG" and line.nick == "botless":
                break
        assert [line.param(1) for line in seen if line.command == "KICK"] == ["ann"]
        assert not [line for line in seen if line.nick == "botless" and line.command in ("PART", "JOIN", "QUIT")]
        assert seen[-1].param(1) == "still here"
        assert source.rejoin.pending == frozenset() and not _logged(caplog, "kicked from")
        await ann.close()
        await op.close()


async def test_a_banned_bot_stops_rejoining_and_says_so(ngircd: Ngircd,  # noqa: F811
                                                        caplog: pytest.LogCaptureFixture) -> None:
    async with _in_kick_channel(ngircd) as (op, source):
        op.send("MODE #kick +b botless!*@*")
        await op.wait_for("MODE")
        op.send("KICK #kick botless :and stay out")
        async with asyncio.timeout(20):
            while not _logged(caplog, "cannot rejoin #kick"):
                await asyncio.sleep(0.05)
        (refusal,) = _logged(caplog, "cannot rejoin #kick")
        assert refusal.startswith("IRC: cannot rejoin #kick (474 ") and refusal.endswith("not trying again")
        await asyncio.sleep(0.5)  # longer than the longest rejoin delay: nothing more is tried
        assert source.rejoin.pending == frozenset()
        assert len(_logged(caplog, "kicked from #kick")) == 1 and len(_logged(caplog, "rejoin")) == 2
        op.say("botless", "/echo still connected")  # the connection itself stays up
        assert [line.param(1) for _, line in await op.messages_from("botless", until="still connected")] == [
            "still connected"]
        await op.close()
