"""Rejoining an IRC channel the bot was kicked from: after a backoff delay, never where it is banned.

A KICK of the bot's own nick schedules one JOIN of that channel after a delay from the
channel's own Backoff (core/backoff.py), so an operator who kicks it again and again
meets longer and longer waits; it rejoins at most `max_kicks` times for kicks less than
`settle_seconds` apart, then stays out. A rejoin the server refuses for good (474
banned, 473 invite only, 475 a key, 403/405) ends the tries for that channel, with a log
line; a full channel (471) is tried again like a kick. A KICK of anyone else, and a
refusal of a JOIN that was no rejoin (the first JOIN of a connection), are not ours.
"""

from __future__ import annotations

import asyncio
import logging
import math
import time
from collections.abc import Callable
from dataclasses import dataclass

from core.backoff import Backoff
from core.sources.irc_protocol import CHANNEL, Line, format_line

# The numerics that answer a JOIN with "no" (RFC 2812 §5.2).
JOIN_REFUSALS = ("471", "473", "474", "475", "403", "405")
# Only a full channel may let the bot in later without anyone changing its modes.
RETRIED_REFUSALS = ("471",)
logger = logging.getLogger("botless")


def default_backoff() -> Backoff:
    """A rejoin's delays: up to 2 s after the first kick, doubling to 5 minutes."""
    return Backoff(2.0, 300.0)


def kick_channel(line: Line, nick: str) -> str:
    """The channel `line` kicks `nick` from; '' when it is no KICK or kicks someone else."""
    if line.command != "KICK" or line.param(1).lower() != nick.lower() or not CHANNEL.match(line.param(0)):
        return ""
    return line.param(0)


@dataclass
class _Kicks:
    """One channel's kicks in a row and the delays they earned."""

    backoff: Backoff
    count: int = 0
    last: float = -math.inf


class Rejoiner:
    """The rejoin policy and its timers: `kicked`, `joined`, `refused` from the lines; `stop` on a lost connection."""

    def __init__(self, backoff: Callable[[], Backoff] = default_backoff, *, max_kicks: int = 5,
                 settle_seconds: float = 600.0, clock: Callable[[], float] = time.monotonic) -> None:
        self.backoff = backoff  # a fresh Backoff per channel, so one channel's kicks never delay another's
        self.max_kicks = max_kicks
        self.settle_seconds = settle_seconds
        self.clock = clock
        self._kicks: dict[str, _Kicks] = {}
        self._timers: dict[str, asyncio.Task[None]] = {}
        self._awaited: set[str] = set()  # a rejoin's JOIN is sent, the server's answer not yet seen

    @property
    def pending(self) -> frozenset[str]:
        """The channels (lower-case) with a rejoin waiting for its delay or for the server's answer."""
        return frozenset(self._timers) | frozenset(self._awaited)

    def kicked(self, line: Line, nick: str, write: Callable[[bytes], None]) -> float | None:
        """On a KICK of `nick`: log it and rejoin after a delay (returned); None for another's kick or no rejoin."""
        channel = kick_channel(line, nick)
        if not channel:
            return None
        kicks = self._kicks.setdefault(channel.lower(), _Kicks(self.backoff()))
        now = self.clock()
        if now - kicks.last > self.settle_seconds:  # it stayed in long enough: start over
            kicks.backoff.reset()
            kicks.count = 0
        kicks.last = now
        kicks.count += 1
        by, reason = line.nick, line.param(2)
        if kicks.count > self.max_kicks:
            logger.warning("IRC: kicked from %s by %s (%s), %d times in a row: not rejoining it",
                           channel, by, reason, kicks.count)
            return None
        delay = kicks.backoff.next_delay()
        logger.warning("IRC: kicked from %s by %s (%s): rejoining in %.1f s", channel, by, reason, delay)
        self._schedule(channel, delay, write)
        return delay

    def joined(self, channel: str) -> None:
        """The server relayed our JOIN of `channel`: a rejoin, if one was awaited, worked."""
        if channel.lower() in self._awaited:
            self._awaited.discard(channel.lower())
            logger.info("IRC: rejoined %s", channel)

    def refused(self, line: Line, write: Callable[[bytes], None]) -> bool:
        """On a JOIN refusal of an awaited rejoin: give up (logged) or retry a full channel; False when not ours."""
        channel = line.param(1)
        if line.command not in JOIN_REFUSALS or channel.lower() not in self._awaited:
            return False
        self._awaited.discard(channel.lower())
        reason = f"{line.command} {line.params[-1] if len(line.params) > 2 else ''}".rstrip()
        kicks = self._kicks.get(channel.lower())
        if line.command in RETRIED_REFUSALS and kicks and kicks.count < self.max_kicks:
            kicks.count += 1
            delay = kicks.backoff.next_delay()
            logger.warning("IRC: cannot rejoin %s (%s): trying again in %.1f s", channel, reason, delay)
            self._schedule(channel, delay, write)
        else:
            logger.warning("IRC: cannot rejoin %s (%s): not trying again", channel, reason)
        return True

    def stop(self) -> None:
        """The connection is gone: no rejoin on it (the next connection joins every channel anyway)."""
        for timer in self._timers.values():
            timer.cancel()
        self._timers.clear()
        self._awaited.clear()

    def _schedule(self, channel: str, delay: float, write: Callable[[bytes], None]) -> None:
        async def rejoin() -> None:
            await asyncio.sleep(delay)
            del self._timers[channel.lower()]
            self._awaited.add(channel.lower())
            write(format_line("JOIN", channel))

        previous = self._timers.pop(channel.lower(), None)
        if previous:
            previous.cancel()
        self._timers[channel.lower()] = asyncio.get_running_loop().create_task(rejoin())
