"""The Slack Socket Mode source end to end: a real Bot on the embedded bus, slack_sdk's client, the stand-in.

The stand-in (tests/sources/slack_socket_server.py) is Slack's apps.connections.open and
its WebSocket on 127.0.0.1; each test checks what reached it: the acks (with the reply
in the payload when the command was fast), chat.postMessage calls, response_url posts.
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from core.dedupe import MemoryDedupeStore, SqliteDedupeStore
from core.settings import Settings, SettingsError
from core.sources.registry import source_definition
from core.sources.slack_socket import SOURCE
from tests.sources.slack_socket_bot import connected, env_for, slash
from tests.sources.slack_socket_server import (
    APP_TOKEN,
    BOT_TOKEN,
    BOT_USER,
    SlackSocketServer,
    event_callback,
    events_api,
    new_envelope_id,
)

pytestmark = pytest.mark.slow  # a server on 127.0.0.1 and slack_sdk's sockets

ROOT = Path(__file__).resolve().parents[2]


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
