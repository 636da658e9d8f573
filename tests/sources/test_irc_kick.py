"""The IRC rejoin policy without a server: parsed KICK, JOIN and refusal lines, the JOINs it writes, its delays.

The real kick, rejoin and ban against ngircd are in tests/sources/test_irc.py.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import pytest

from core.backoff import Backoff
from core.sources.irc_protocol import parse_line
from core.sources.irc_rejoin import Rejoiner, kick_channel


def _rejoiner(initial: float = 0.01, maximum: float = 0.08, **kwargs: Any) -> Rejoiner:
    """Delays at the cap of each attempt (no jitter): initial, doubled, ... up to maximum."""
    return Rejoiner(lambda: Backoff(initial, maximum, draw=lambda low, high: high), **kwargs)


def kick(nick: str = "botless", channel: str = "#team") -> str:
    return f":op!o@host KICK {channel} {nick} :behave"


async def _written(written: list[bytes], count: int) -> None:
    async with asyncio.timeout(5):
        while len(written) < count:
            await asyncio.sleep(0.005)


def test_only_a_kick_of_our_own_nick_names_a_channel() -> None:
    assert kick_channel(parse_line(kick()), "botless") == "#team"
    assert kick_channel(parse_line(kick("BotLess")), "botless") == "#team"  # nicks are case-insensitive
    assert kick_channel(parse_line(kick("ann")), "botless") == ""
    assert kick_channel(parse_line(":op!o@h PART #team :bye"), "botless") == ""
    assert kick_channel(parse_line(":op!o@h KICK #team"), "botless") == ""


async def test_a_kick_rejoins_after_the_delay_and_logs_one_line(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, "botless")
    rejoiner, written = _rejoiner(), list[bytes]()
    assert rejoiner.kicked(parse_line(kick()), "botless", written.append) == 0.01
    assert [record.getMessage() for record in caplog.records] == [
        "IRC: kicked from #team by op (behave): rejoining in 0.0 s"]
    assert rejoiner.pending == {"#team"} and written == []
    await _written(written, 1)
    assert written == [b"JOIN #team\r\n"] and rejoiner.pending == {"#team"}  # awaiting the server's JOIN
    rejoiner.joined("#team")
    assert rejoiner.pending == frozenset()
    assert caplog.records[-1].getMessage() == "IRC: rejoined #team"


async def test_another_users_kick_changes_nothing(caplog: pytest.LogCaptureFixture) -> None:
    rejoiner, written = _rejoiner(), list[bytes]()
    assert rejoiner.kicked(parse_line(kick("ann")), "botless", written.append) is None
    await asyncio.sleep(0.05)
    assert written == [] and rejoiner.pending == frozenset() and not caplog.records


async def test_repeated_kicks_back_off_then_stop_and_a_settled_channel_starts_over() -> None:
    now = [0.0]
    rejoiner = _rejoiner(max_kicks=5, settle_seconds=600, clock=lambda: now[0])
    delays = []
    for _ in range(6):
        now[0] += 10  # kicked again 10 s after each rejoin
        delays.append(rejoiner.kicked(parse_line(kick()), "botless", lambda raw: None))
    assert delays == [0.01, 0.02, 0.04, 0.08, 0.08, None]  # doubling to the cap; the sixth: stay out
    now[0] += 601  # ... unless it stayed in longer than settle_seconds
    assert rejoiner.kicked(parse_line(kick()), "botless", lambda raw: None) == 0.01
    rejoiner.stop()
    assert rejoiner.pending == frozenset()


async def test_a_ban_ends_the_rejoins_with_a_log_line(caplog: pytest.LogCaptureFixture) -> None:
    for code, reason in (("474", "Cannot join channel (+b) -- You are banned"),
                         ("473", "Cannot join channel (+i)"), ("475", "Cannot join channel (+k)")):
        rejoiner, written = _rejoiner(), list[bytes]()
        rejoiner.kicked(parse_line(kick()), "botless", written.append)
        await _written(written, 1)
        assert rejoiner.refused(parse_line(f":irc.test.local {code} botless #team :{reason}"), written.append)
        assert caplog.records[-1].getMessage() == f"IRC: cannot rejoin #team ({code} {reason}): not trying again"
        await asyncio.sleep(0.05)
        assert written == [b"JOIN #team\r\n"] and rejoiner.pending == frozenset()


async def test_a_full_channel_is_tried_again_and_a_first_join_refusal_is_not_ours() -> None:
    rejoiner, written = _rejoiner(), list[bytes]()
    full = parse_line(":irc.test.local 471 botless #team :Cannot join channel (+l)")
    assert not rejoiner.refused(full, written.append)  # no rejoin awaited: irc.py logs it as before
    rejoiner.kicked(parse_line(kick()), "botless", written.append)
    await _written(written, 1)
    assert rejoiner.refused(full, written.append)
    await _written(written, 2)
    assert written == [b"JOIN #team\r\n"] * 2


async def test_a_lost_connection_cancels_a_waiting_rejoin() -> None:
    rejoiner, written = _rejoiner(initial=0.05), list[bytes]()
    rejoiner.kicked(parse_line(kick()), "botless", written.append)
    rejoiner.stop()
    await asyncio.sleep(0.1)
    assert written == [] and rejoiner.pending == frozenset()
