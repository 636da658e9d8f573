"""The Slack Socket Mode source's connection: reconnects, a lost socket, Slack down, tokens refused, cancelling.

The stand-in is tests/sources/slack_socket_server.py; the bot behind the source is
tests/sources/slack_socket_bot.py's.
"""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from core.backoff import Backoff
from core.bot import Bot
from core.chat.slack import SlackConfig
from core.dedupe import MemoryDedupeStore
from core.settings import Settings
from core.sources.base import SourceRefused
from core.sources.session import run_source
from core.sources.slack_socket import SOURCE, SlackSocketSource
from tests.sources.slack_socket_bot import connected, env_for, slash
from tests.sources.slack_socket_server import APP_TOKEN, SlackSocketServer, disconnect

pytestmark = pytest.mark.slow  # a server on 127.0.0.1 and slack_sdk's sockets


async def test_a_refresh_requested_disconnect_reconnects_and_keeps_answering(slack: SlackSocketServer) -> None:
    before = slash(slack, "/echo", "before", "before")
    async with connected(slack):
        await slack.send(before)
        await slack.ack_of(before["envelope_id"])
        old = slack.sockets[-1]
        await slack.send(disconnect("refresh_requested"))
        await slack.wait_for(lambda: slack.opened == 2 and len(slack.sockets) == 1 and slack.sockets[0] is not old)
        after = slash(slack, "/echo", "after", "after")
        await slack.send(after)
        assert (await slack.ack_of(after["envelope_id"]))["payload"]["text"] == "after"
        await slack.send(before)  # redelivered on the new socket: acked, not answered again
        await slack.wait_for(lambda: [ack["envelope_id"] for ack in slack.acks].count(before["envelope_id"]) == 2)
    assert slack.acks[-1] == {"envelope_id": before["envelope_id"]}
    assert slack.responses == [] and slack.posts == []


async def test_a_lost_socket_is_reopened_with_a_new_url(slack: SlackSocketServer) -> None:
    async with connected(slack):
        old = slack.sockets[-1]
        await slack.drop()
        await slack.wait_for(lambda: slack.opened == 2 and len(slack.sockets) == 1 and slack.sockets[0] is not old)
        command = slash(slack, "/echo", "still here", "dropped")
        await slack.send(command)
        assert (await slack.ack_of(command["envelope_id"]))["payload"]["text"] == "still here"


async def test_slack_down_is_retried_with_backoff(slack: SlackSocketServer) -> None:
    slack.unavailable = 2
    delays: list[float] = []

    def draw(low: float, cap: float) -> float:
        delays.append(cap)
        return 0.01

    settings = Settings.from_env(env_for(slack))
    source = SlackSocketSource(APP_TOKEN, SlackConfig.from_env(settings.extra), MemoryDedupeStore(), settings,
                               backoff=Backoff(initial=1.0, maximum=60.0, draw=draw))
    bot = Bot(settings, responders=[source])
    stop = asyncio.Event()
    running = asyncio.create_task(run_source(source, bot.broker().publish, stop=stop))
    await slack.wait_for(lambda: len(slack.sockets) == 1)
    assert slack.opened == 1 and delays == [1.0, 2.0]  # two refusals, each retried after a longer cap
    stop.set()
    await running


async def test_an_invalid_app_token_is_refused(slack: SlackSocketServer) -> None:
    settings = Settings.from_env(env_for(slack, SLACK_APP_TOKEN="xapp-1-A111-9999-Revoked"))
    source = SOURCE.build(settings.extra, MemoryDedupeStore(), settings)
    bot = Bot(settings, responders=[source])
    with pytest.raises(SourceRefused, match=r"SLACK_APP_TOKEN \(invalid_auth\)"):
        await run_source(source, bot.broker().publish, stop=asyncio.Event())
    assert slack.opened == 0 and slack.sockets == []


async def test_a_token_revoked_while_connected_ends_the_source(slack: SlackSocketServer) -> None:
    settings = Settings.from_env(env_for(slack))
    source = SOURCE.build(settings.extra, MemoryDedupeStore(), settings)
    running = asyncio.create_task(run_source(source, Bot(settings, responders=[source]).broker().publish))
    await slack.wait_for(lambda: len(slack.sockets) == 1)
    slack.app_token = "xapp-1-A111-3333-Rotated"  # the old token is revoked
    await slack.send(disconnect("refresh_requested"))
    with pytest.raises(SourceRefused, match="token_revoked|invalid_auth"):
        await asyncio.wait_for(running, 15)
    await slack.wait_for(lambda: not slack.sockets)


async def test_cancelling_run_closes_the_socket(slack: SlackSocketServer) -> None:
    settings = Settings.from_env(env_for(slack))
    source = SOURCE.build(settings.extra, MemoryDedupeStore(), settings)
    emitted: list[Any] = []

    async def emit(event: Any) -> None:
        emitted.append(event)

    before = {task for task in asyncio.all_tasks()}
    running = asyncio.create_task(source.run(emit))
    await slack.wait_for(lambda: len(slack.sockets) == 1)
    running.cancel()
    with pytest.raises(asyncio.CancelledError):
        await running
    await slack.wait_for(lambda: not slack.sockets)
    await asyncio.sleep(0)  # let the cancelled tasks of slack_sdk's client finish
    left = [task for task in asyncio.all_tasks() - before if not task.done() and task is not asyncio.current_task()]
    assert not [task for task in left if "socket_mode" in repr(task)]  # "running at .../socket_mode/..."
