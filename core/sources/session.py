"""Run a chat source on a sink until SIGTERM: emit without waiting, finish what is in flight.

`run_source` is what `botless connect` and the Knative source container run. Each
emitted event is handed to the sink as its own task, so the connection keeps reading
while a slow command runs. On shutdown the events in flight get `grace_seconds` to
finish while the connection stays open (their replies go out through it), and only
then is the connection closed and anything left cancelled.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from collections.abc import Awaitable, Callable

from cloudevents.http import CloudEvent

from core.backoff import Backoff
from core.sources.base import ChatSource

logger = logging.getLogger("botless")

# Where an emitted event goes: the embedded broker's publish, or an HTTP POST to K_SINK.
Sink = Callable[[CloudEvent], Awaitable[None]]


class SourceSession:
    """One source on one sink: `emit` spawns the delivery, `in_flight` are those not done yet."""

    def __init__(self, source: ChatSource, sink: Sink) -> None:
        self.source = source
        self.sink = sink
        self.in_flight: set[asyncio.Task[None]] = set()

    async def emit(self, event: CloudEvent) -> None:
        task = asyncio.create_task(self._deliver(event))
        self.in_flight.add(task)
        task.add_done_callback(self.in_flight.discard)

    async def _deliver(self, event: CloudEvent) -> None:
        # The message is claimed already (a restart would skip it), so a refusing sink is
        # tried again with backoff until it takes the event or shutdown cancels it: nothing
        # is dropped, and one message's failure never ends the connection.
        backoff = Backoff(initial=0.5, maximum=30.0)
        while True:
            try:
                await self.sink(event)
                return
            except Exception as error:
                delay = backoff.next_delay()
                logger.error("the sink refused chat message %s from %s (%s: %s); trying again in %.1f s",
                             event["id"], self.source.platform, type(error).__name__, error, delay)
                await asyncio.sleep(delay)

    async def drain(self, grace_seconds: float) -> None:
        """Wait up to `grace_seconds` for the deliveries in flight, then cancel the rest."""
        if not self.in_flight:
            return
        _, late = await asyncio.wait(set(self.in_flight), timeout=grace_seconds)
        for task in late:
            task.cancel()
        await asyncio.gather(*late, return_exceptions=True)


async def run_source(source: ChatSource, sink: Sink, *, stop: asyncio.Event | None = None,
                     grace_seconds: float = 10.0) -> None:
    """Hold `source`'s connection, emitting into `sink`, until `stop` is set or SIGTERM/SIGINT.

    Returns after the deliveries in flight have finished (or `grace_seconds` passed) and
    the connection is closed. A source whose `run` ends by itself (a refusal it cannot
    recover from) ends the session with its exception.
    """
    stop = stop or asyncio.Event()
    session = SourceSession(source, sink)
    loop = asyncio.get_running_loop()
    handled = []
    for signum in (signal.SIGTERM, signal.SIGINT):
        with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):  # not the main thread
            loop.add_signal_handler(signum, stop.set)
            handled.append(signum)
    logger.info(source.describe())
    connection = asyncio.create_task(source.run(session.emit))
    stopping = asyncio.create_task(stop.wait())
    try:
        await asyncio.wait({connection, stopping}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for signum in handled:
            loop.remove_signal_handler(signum)
        stopping.cancel()
        try:
            await session.drain(grace_seconds)
        finally:
            connection.cancel()  # also when the drain itself was cancelled: no connection is left open
            try:
                await connection  # re-raises what ended a source that stopped by itself
            except asyncio.CancelledError:
                # The connection's own cancel is expected; a cancel of this session must not be lost.
                current = asyncio.current_task()
                if current is not None and current.cancelling():
                    raise
