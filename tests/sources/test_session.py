"""run_source: emit never waits for the command, shutdown lets replies finish, refusals end it."""

from __future__ import annotations

import asyncio
import logging

import pytest
from cloudevents.http import CloudEvent

from core.backoff import Backoff
from core.bot import Bot
from core.events import ChatMessage, data_of
from core.registry import CommandSet
from core.settings import Settings
from core.sources.base import ChatSource, Emit, SourceRefused
from core.sources.session import run_source
from tests.sources.scripted import ScriptedSource


def _bot_with_slow_command(release: asyncio.Event) -> Bot:
    commands = CommandSet()

    @commands.command("slow", help="waits until the test lets it finish")
    async def slow(command: object) -> str:
        await release.wait()
        return "slow done"

    return Bot(Settings(load_entry_points=False), command_sets=[commands])


async def _until(condition: object, timeout: float = 5.0) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not condition() and loop.time() < deadline:  # type: ignore[operator]
        await asyncio.sleep(0.01)


def test_a_scripted_source_is_a_chat_source() -> None:
    assert isinstance(ScriptedSource([]), ChatSource)


async def test_a_slow_command_does_not_hold_the_next_message() -> None:
    release = asyncio.Event()
    bot = _bot_with_slow_command(release)
    source = ScriptedSource(["/slow", "/help"])
    bot.roles.responders[source.platform] = source
    stop = asyncio.Event()
    session = asyncio.create_task(run_source(source, bot.broker("mono").publish, stop=stop))
    await _until(lambda: len(source.sent) == 1)
    assert "help" in source.sent[0].text.lower()  # /help answered while /slow still runs
    release.set()
    await _until(lambda: len(source.sent) == 2)
    stop.set()
    await session
    assert [r.text for r in source.sent][1] == "slow done"
    assert source.closed


async def test_shutdown_lets_a_reply_in_flight_go_out_before_closing() -> None:
    release = asyncio.Event()
    bot = _bot_with_slow_command(release)
    source = ScriptedSource(["/slow"])
    bot.roles.responders[source.platform] = source
    stop = asyncio.Event()
    session = asyncio.create_task(run_source(source, bot.broker("pipeline").publish, stop=stop,
                                             grace_seconds=5.0))
    await _until(lambda: source.read == 1)
    stop.set()
    await asyncio.sleep(0.05)
    assert not source.closed  # still open: the reply in flight needs the connection
    release.set()
    await session
    assert [r.text for r in source.sent] == ["slow done"]
    assert source.closed


async def test_a_delivery_past_the_grace_is_cancelled() -> None:
    bot = _bot_with_slow_command(asyncio.Event())  # never released
    source = ScriptedSource(["/slow"])
    bot.roles.responders[source.platform] = source
    stop = asyncio.Event()
    session = asyncio.create_task(run_source(source, bot.broker("mono").publish, stop=stop, grace_seconds=0.05))
    await _until(lambda: source.read == 1)
    stop.set()
    await asyncio.wait_for(session, 5.0)
    assert source.sent == [] and source.closed


async def test_a_refusal_ends_the_session_with_its_reason() -> None:
    source = ScriptedSource([], refuse="the token was revoked")

    async def sink(event: CloudEvent) -> None:
        raise AssertionError("nothing is emitted")

    with pytest.raises(SourceRefused, match="revoked"):
        await asyncio.wait_for(run_source(source, sink), 5.0)


async def test_a_refusing_sink_is_tried_again_and_the_connection_keeps_reading(
        caplog: pytest.LogCaptureFixture) -> None:
    source = ScriptedSource(["first", "second"])
    seen: list[str] = []

    async def sink(event: CloudEvent) -> None:
        text = data_of(event, ChatMessage).text
        seen.append(text)
        if text == "first" and seen.count("first") == 1:
            raise RuntimeError("the broker is down")

    stop = asyncio.Event()
    with caplog.at_level(logging.ERROR, logger="botless"):
        session = asyncio.create_task(run_source(source, sink, stop=stop))
        await _until(lambda: len(seen) == 3)
        stop.set()
        await session
    # The claimed message is not dropped: it reaches the sink on the second try.
    assert seen == ["first", "second", "first"]
    assert "the sink refused chat message" in caplog.text and "the broker is down" in caplog.text


def test_backoff_doubles_up_to_the_cap_and_starts_over_after_reset() -> None:
    caps: list[float] = []
    backoff = Backoff(initial=0.5, maximum=4.0, draw=lambda low, high: caps.append(high) or high)
    delays = [backoff.next_delay() for _ in range(6)]
    assert caps == [0.5, 1.0, 2.0, 4.0, 4.0, 4.0] == delays
    backoff.reset()
    assert backoff.next_delay() == 0.5


def test_backoff_draws_below_the_cap() -> None:
    backoff = Backoff(initial=1.0, maximum=8.0)
    for _ in range(50):
        assert 0.0 <= backoff.next_delay() <= 8.0


@pytest.mark.parametrize(("initial", "maximum"), [(0, 1), (2, 1), (-1, 5)])
def test_backoff_refuses_nonsense(initial: float, maximum: float) -> None:
    with pytest.raises(ValueError):
        Backoff(initial, maximum)


async def test_a_cancel_while_the_connection_closes_is_not_swallowed() -> None:
    closing = asyncio.Event()

    class SlowToClose(ScriptedSource):
        async def run(self, emit: Emit) -> None:
            try:
                await asyncio.Event().wait()
            finally:
                closing.set()
                await asyncio.sleep(0.2)  # a polite QUIT, a socket flush
                self.closed = True

    source = SlowToClose([])

    async def sink(event: CloudEvent) -> None:
        return None

    stop = asyncio.Event()
    session = asyncio.create_task(run_source(source, sink, stop=stop))
    await asyncio.sleep(0.05)
    stop.set()
    await closing.wait()
    session.cancel()  # the session itself is cancelled while it waits for the close
    with pytest.raises(asyncio.CancelledError):
        await session
