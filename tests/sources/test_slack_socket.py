"""The Slack Socket Mode source end to end: a real Bot on the embedded bus, slack_sdk's client, the stand-in.

The stand-in (tests/sources/slack_socket_server.py) is Slack's apps.connections.open and
its WebSocket on 127.0.0.1; each test checks what reached it: the acks (with the reply
in the payload when the command was fast), chat.postMessage calls, response_url posts.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import subprocess
import sys
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest

from core.backoff import Backoff
from core.bot import Bot
from core.chat.slack import SlackConfig
from core.commands import BUILTIN_COMMAND_SETS
from core.dedupe import DedupeStore, MemoryDedupeStore, SqliteDedupeStore
from core.registry import Command, CommandSet
from core.settings import Settings, SettingsError
from core.sources.base import SourceRefused
from core.sources.registry import source_definition
from core.sources.session import run_source
from core.sources.slack_socket import SOURCE, SlackSocketSource
from tests.sources.slack_socket_server import (
    APP_TOKEN,
    BOT_TOKEN,
    BOT_USER,
    SlackSocketServer,
    disconnect,
    event_callback,
    events_api,
    new_envelope_id,
    slash_command_form,
    slash_commands,
)

pytestmark = pytest.mark.slow  # a server on 127.0.0.1 and slack_sdk's sockets

ROOT = Path(__file__).resolve().parents[2]
gated = CommandSet()
_GATE: dict[str, asyncio.Event] = {}


@gated.command(help="Answer once the test opens the gate")
async def slow(command: Command) -> str:
    await _GATE["open"].wait()
    return f"done slowly: {command.raw_args}"


@pytest.fixture
def gate() -> Iterator[asyncio.Event]:
    _GATE["open"] = asyncio.Event()
    yield _GATE["open"]
    _GATE["open"].set()


@pytest.fixture
async def slack() -> AsyncIterator[SlackSocketServer]:
    server = await SlackSocketServer(APP_TOKEN).start()
    yield server
    await server.stop()


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


@pytest.mark.parametrize(("topology", "wiring"), [("mono", "broker"), ("pipeline", "broker"), ("pipeline", "channels")])
async def test_a_fast_slash_command_is_answered_in_its_ack(slack: SlackSocketServer, topology: str,
                                                          wiring: str) -> None:
    async with connected(slack, topology=topology, wiring=wiring):
        envelope = slash(slack, "/echo", "hello socket", "fast")
        await slack.send(envelope)
        ack = await slack.ack_of(envelope["envelope_id"])
    assert ack == {"envelope_id": envelope["envelope_id"],
                   "payload": {"response_type": "in_channel", "text": "hello socket"}}
    assert slack.responses == [] and slack.posts == []  # no second answer through the API


async def test_a_slow_slash_command_is_acked_empty_and_answered_on_its_response_url(
        slack: SlackSocketServer, gate: asyncio.Event) -> None:
    async with connected(slack):  # the default ack budget (2 s): /echo comes in time, /slow cannot
        slow = slash(slack, "/slow", "work", "slow")
        await slack.send(slow)
        # The socket keeps serving while /slow waits: another command is answered meanwhile.
        fast = slash(slack, "/echo", "meanwhile", "fast")
        await slack.send(fast)
        assert (await slack.ack_of(fast["envelope_id"]))["payload"]["text"] == "meanwhile"
        assert await slack.ack_of(slow["envelope_id"]) == {"envelope_id": slow["envelope_id"]}  # empty: over budget
        assert slack.responses == []
        gate.set()
        await slack.wait_for(lambda: bool(slack.responses))
    assert slack.responses == [{"text": "done slowly: work", "response_type": "in_channel"}]
    assert slack.posts == []


async def test_a_mention_and_its_message_twin_are_answered_once_by_chat_post_message(
        slack: SlackSocketServer) -> None:
    ts = "1700000001.000100"
    mention = events_api(event_callback("app_mention", f"<@{BOT_USER}> echo from a mention", ts, event_id="Ev1"),
                         new_envelope_id())
    twin = events_api(event_callback("message", f"<@{BOT_USER}> echo from a mention", ts, event_id="Ev2"),
                      new_envelope_id())
    async with connected(slack):
        await slack.send(mention)
        await slack.send(twin)
        assert await slack.ack_of(mention["envelope_id"]) == {"envelope_id": mention["envelope_id"]}
        assert await slack.ack_of(twin["envelope_id"]) == {"envelope_id": twin["envelope_id"]}
        await slack.wait_for(lambda: bool(slack.posts))
    # Stopped and drained: nothing else is on its way.
    assert slack.posts == [{"channel": "C111", "text": "from a mention"}]


async def test_a_redelivered_envelope_is_answered_once(slack: SlackSocketServer) -> None:
    callback = event_callback("app_mention", f"<@{BOT_USER}> echo once", "1700000002.000100")
    first, again = new_envelope_id(), new_envelope_id()
    command = slash(slack, "/echo", "once", "retried")
    async with connected(slack):
        await slack.send(events_api(callback, first))
        await slack.send(command)
        await slack.ack_of(command["envelope_id"])
        await slack.wait_for(lambda: bool(slack.posts))
        # Slack redelivers an envelope it thinks unacknowledged, with retry_attempt set.
        await slack.send(events_api(callback, again, retry_attempt=1, retry_reason="timeout"))
        await slack.send(command)
        await slack.ack_of(again)
        await slack.wait_for(lambda: [ack["envelope_id"] for ack in slack.acks].count(command["envelope_id"]) == 2)
    assert [post["text"] for post in slack.posts] == ["once"]
    command_acks = [ack for ack in slack.acks if ack["envelope_id"] == command["envelope_id"]]
    assert command_acks == [{"envelope_id": command["envelope_id"],
                             "payload": {"response_type": "in_channel", "text": "once"}},
                            {"envelope_id": command["envelope_id"]}]  # the copy: acked, not answered
    assert slack.responses == []


class DownOnce(MemoryDedupeStore):
    """A store whose first claim fails, as a store that is briefly unreachable does."""

    failed = False

    def put_if_absent(self, key: str, ttl_seconds: float) -> bool:
        if not self.failed:
            self.failed = True
            raise ConnectionError("store unreachable")
        return super().put_if_absent(key, ttl_seconds)


async def test_an_envelope_that_could_not_be_claimed_is_left_unacked_for_slack_to_redeliver(
        slack: SlackSocketServer) -> None:
    callback = event_callback("app_mention", f"<@{BOT_USER}> echo claimed later", "1700000004.000100")
    first, again = new_envelope_id(), new_envelope_id()
    async with connected(slack, DownOnce()):
        await slack.send(events_api(callback, first))
        await slack.send(events_api(callback, again, retry_attempt=1, retry_reason="timeout"))
        await slack.ack_of(again)
        await slack.wait_for(lambda: bool(slack.posts))
    assert [ack["envelope_id"] for ack in slack.acks] == [again]
    assert [post["text"] for post in slack.posts] == ["claimed later"]


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


async def test_a_restart_on_the_same_sqlite_store_answers_nothing_twice(
        slack: SlackSocketServer, tmp_path: Path) -> None:
    envelope = events_api(event_callback("app_mention", f"<@{BOT_USER}> echo after a restart",
                                         "1700000003.000100"), new_envelope_id())
    async with connected(slack, SqliteDedupeStore(tmp_path / "dedupe.sqlite")):
        await slack.send(envelope)
        await slack.wait_for(lambda: bool(slack.posts))
    async with connected(slack, SqliteDedupeStore(tmp_path / "dedupe.sqlite")):
        await slack.send(envelope)  # Slack redelivers what the stopped process may not have acked
        await slack.wait_for(lambda: len(slack.acks) == 2)
    assert slack.opened == 2
    assert [post["text"] for post in slack.posts] == ["after a restart"]


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


@pytest.mark.parametrize(("env", "named"), [
    ({"SLACK_APP_TOKEN": ""}, "SLACK_APP_TOKEN is not set"),
    ({"SLACK_APP_TOKEN": BOT_TOKEN}, "SLACK_APP_TOKEN must be an app-level token"),
    ({"SLACK_BOT_TOKEN": ""}, "SLACK_BOT_TOKEN is not set"),
    ({"SLACK_API_URL": "ftp://slack"}, "SLACK_API_URL"),
])
def test_build_names_the_setting_it_cannot_use(env: dict[str, str], named: str) -> None:
    values = {"SLACK_APP_TOKEN": APP_TOKEN, "SLACK_BOT_TOKEN": BOT_TOKEN, **env}
    with pytest.raises(SettingsError, match=named):
        SOURCE.build(values, MemoryDedupeStore(), Settings())


def test_without_aiohttp_build_says_which_extra_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    import importlib.util

    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "aiohttp" else real(name, *a))
    with pytest.raises(SettingsError, match=r"botless\[sources\]"):
        SOURCE.build({"SLACK_APP_TOKEN": APP_TOKEN, "SLACK_BOT_TOKEN": BOT_TOKEN}, MemoryDedupeStore(), Settings())


def test_describe_says_how_to_talk_to_the_bot_and_hides_the_tokens() -> None:
    source = SOURCE.build({"SLACK_APP_TOKEN": APP_TOKEN, "SLACK_BOT_TOKEN": BOT_TOKEN}, MemoryDedupeStore(),
                          Settings())
    line = source.describe()
    assert "Socket Mode" in line and "no public URL" in line and "slash commands" in line
    assert APP_TOKEN not in line and BOT_TOKEN not in line
    assert source_definition("slack") is SOURCE


async def test_botless_connect_slack_answers_and_stops_on_sigterm(slack: SlackSocketServer, tmp_path: Path) -> None:
    env = {**os.environ, **env_for(slack), "BOTLESS_DEDUPE": f"sqlite:{tmp_path / 'dedupe.sqlite'}"}
    env.pop("SLACK_API_URL")  # given as the flag instead
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "functions.local.cli", "connect", "slack", "--api-url", slack.api_url,
        cwd=ROOT, env=env, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    try:
        await slack.wait_for(lambda: len(slack.sockets) == 1, timeout=60)
        command = slash(slack, "/echo", "from the cli", "cli")
        await slack.send(command)
        assert (await slack.ack_of(command["envelope_id"]))["payload"]["text"] == "from the cli"
        process.send_signal(signal.SIGTERM)
        out, err = await asyncio.wait_for(process.communicate(), 30)
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
    assert process.returncode == 0, err.decode()
    assert "Socket Mode connection" in out.decode()
    assert APP_TOKEN not in out.decode() + err.decode() and BOT_TOKEN not in out.decode() + err.decode()
    await slack.wait_for(lambda: not slack.sockets)


def test_botless_connect_slack_help_lists_its_flags() -> None:
    shown = subprocess.run([sys.executable, "-m", "functions.local.cli", "connect", "slack", "--help"],
                           capture_output=True, text=True, cwd=ROOT, check=True).stdout
    assert "--api-url" in shown and "SLACK_APP_TOKEN" in shown and "SLACK_BOT_TOKEN" in shown
    assert "--app-token" not in shown  # a secret is never a flag
