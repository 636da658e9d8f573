"""The IRC source against a real ngircd (tests/sources/irc_server.py) with a real Bot, end to end.

A person (IrcClient) in #team asks; the bot answers through its own connection. "Exactly
once" is checked without waiting for silence: after each answer the person asks a second,
different command, and nothing but its answer may arrive before that answer. A copy of
the first answer would have been sent with it, so it would show up in between.
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest

from core.backoff import Backoff
from core.bot import Bot
from core.commands import BUILTIN_COMMAND_SETS
from core.conversation import ask
from core.dedupe import DedupeStore, MemoryDedupeStore, SqliteDedupeStore
from core.registry import CommandSet
from core.settings import Settings
from core.sources.base import SourceRefused
from core.sources.irc import IrcSource
from core.sources.irc_config import IrcConfig
from core.sources.irc_protocol import LINE_LIMIT
from core.sources.irc_rejoin import Rejoiner
from core.sources.session import run_source
from tests.sources.irc_server import IrcClient, Ngircd, ngircd  # noqa: F401

pytestmark = pytest.mark.slow

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


def _source(server: Ngircd, store: DedupeStore, *, nick: str = "botless", **env: str) -> IrcSource:
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


async def _person(server: Ngircd, nick: str = "ann", *, bot: str = "botless", password: str = "") -> IrcClient:
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


async def _ask_once(client: IrcClient, target: str, text: str, expected: str, *, bot: str = "botless") -> None:
    """`text` answered with exactly the lines of `expected`, once (checked with a following /echo)."""
    client.say(target, text)
    client.say(target, "/echo sentinel-after")
    lines = [line.param(1) for _, line in await client.messages_from(bot, until="sentinel-after")]
    assert lines == [*expected.split("\n"), "sentinel-after"]


HELP_FIRST = "/define: Define a cloud-native term"


async def test_commands_in_the_channel_and_in_private_are_answered_once(ngircd: Ngircd) -> None:  # noqa: F811
    store = MemoryDedupeStore()
    source = _source(ngircd, store)
    async with running(source, store):
        ann = await _person(ngircd)
        console = bot()
        (expected_help,) = await ask(console, console.broker("mono"), "/help")  # what the console answers
        await _ask_once(ann, "#team", "/help", expected_help.text)  # one line per command, in #team
        await _ask_once(ann, "#team", "/echo hello IRC", "hello IRC")
        ann.say("botless", "/echo just you")
        private = await ann.messages_from("botless", until="just you")
        assert [(line.param(0), line.param(1)) for _, line in private] == [("ann", "just you")]
        ann.say("#team", "no command here")
        await _ask_once(ann, "#team", "/echo still here", "still here")
        assert source.describe() == (f"IRC: connected to 127.0.0.1:{ngircd.port} as botless in #team; "
                                     "say /help in #team or /msg botless /help")
        await ann.close()


async def test_a_long_reply_arrives_whole_in_lines_of_at_most_512_bytes(ngircd: Ngircd) -> None:  # noqa: F811
    store = MemoryDedupeStore()
    async with running(_source(ngircd, store), store):
        ann = await _person(ngircd)
        ann.say("#team", "/long")
        ann.say("#team", "/echo sentinel-after")
        received = await ann.messages_from("botless", until="sentinel-after")
        raw_lines, lines = [raw for raw, _ in received[:-1]], [line for _, line in received[:-1]]
        assert len(lines) >= 5
        assert all(len(raw) <= LINE_LIMIT for raw in raw_lines)
        assert " ".join(line.param(1) for line in lines) == LONG_TEXT  # every cut at one space
        await ann.close()


async def test_a_slow_command_never_holds_the_connection(ngircd: Ngircd) -> None:  # noqa: F811
    released["wait"] = asyncio.Event()
    store = MemoryDedupeStore()
    async with running(_source(ngircd, store), store):
        ann = await _person(ngircd)
        ann.say("#team", "/wait")
        await _ask_once(ann, "#team", "/echo meanwhile", "meanwhile")  # answered while /wait still runs
        released["wait"].set()
        assert [line.param(1) for _, line in await ann.messages_from("botless", until="released")] == ["released"]
        await ann.close()


async def test_a_nick_in_use_gets_an_underscore(ngircd: Ngircd) -> None:  # noqa: F811
    squatter = await IrcClient.connect(ngircd.port, "botless")
    store = MemoryDedupeStore()
    async with running(_source(ngircd, store), store):
        ann = await _person(ngircd, bot="botless_")
        await _ask_once(ann, "#team", "/echo hi", "hi", bot="botless_")
        await ann.close()
    await squatter.close()


async def test_a_server_restart_is_survived_and_a_source_restart_answers_nothing_twice(  # noqa: F811
        ngircd: Ngircd, tmp_path: Path) -> None:
    store = SqliteDedupeStore(str(tmp_path / "dedupe.sqlite3"))
    source = _source(ngircd, store)
    async with running(source, store):
        ann = await _person(ngircd)
        await _ask_once(ann, "#team", "/echo before", "before")
        ngircd.restart()  # killed: the connections drop without a word
        await ann.close()
        ann = await _person(ngircd)  # waits for the bot to rejoin
        await _ask_once(ann, "#team", "/echo after the restart", "after the restart")
        await ann.close()
    # a new process with the same store: it starts afresh, answering the new, never the old
    async with running(_source(ngircd, store), store):
        ann = await _person(ngircd)
        await _ask_once(ann, "#team", "/echo new process", "new process")
        await ann.close()


async def test_a_server_password_is_sent_when_set_and_refusal_names_it(tmp_path: Path) -> None:
    server = Ngircd(tmp_path, password="sekrit").start()
    try:
        store = MemoryDedupeStore()
        async with running(_source(server, store, IRC_PASSWORD="sekrit"), store):
            ann = await _person(server, password="sekrit")
            await _ask_once(ann, "#team", "/echo with a password", "with a password")
            await ann.close()
        with pytest.raises(SourceRefused, match="IRC_PASSWORD"):
            await asyncio.wait_for(_source(server, store).run(lambda event: asyncio.sleep(0)), 20)
    finally:
        server.stop()


async def test_tls_verifies_the_server_certificate(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                   caplog: pytest.LogCaptureFixture) -> None:
    server = Ngircd(tmp_path, tls=True).start()
    try:
        store = MemoryDedupeStore()
        env = {"IRC_SERVER": f"127.0.0.1:{server.tls_port}", "IRC_TLS": "1"}
        untrusted = IrcSource(IrcConfig.from_env(env), store, Settings(), backoff=Backoff(0.05, 0.1))
        task = asyncio.create_task(untrusted.run(lambda event: asyncio.sleep(0)))
        # an unknown certificate is refused, and retried (a server may fix its certificate)
        async with asyncio.timeout(20):
            while not any("CERTIFICATE_VERIFY_FAILED" in record.getMessage() for record in caplog.records):
                await asyncio.sleep(0.05)
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        monkeypatch.setenv("SSL_CERT_FILE", str(server.ca_file))  # OpenSSL's default trust: the test's CA
        async with running(_source(server, store, IRC_SERVER=f"127.0.0.1:{server.tls_port}", IRC_TLS="1"), store):
            ann = await _person(server)  # the person on the plain port, the bot on the TLS one
            await _ask_once(ann, "#team", "/echo over TLS", "over TLS")
            await ann.close()
    finally:
        server.stop()


def test_botless_connect_irc_answers_and_exits_0_on_sigterm(ngircd: Ngircd, tmp_path: Path) -> None:  # noqa: F811
    env = {**os.environ, "BOTLESS_DEDUPE": f"sqlite:{tmp_path / 'dedupe.sqlite3'}"}
    process = subprocess.Popen(
        [sys.executable, "-m", "functions.local.cli", "connect", "irc", "--server", f"127.0.0.1:{ngircd.port}",
         "--nick", "botless", "--channel", "#team"],
        cwd=Path(__file__).resolve().parents[2], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        async def talk() -> None:
            ann = await _person(ngircd)
            ann.say("#team", "/help")
            lines = [line.param(1) for _, line in await ann.messages_from("botless", until="/uptime:")]
            assert lines[0] == HELP_FIRST
            await ann.close()

        asyncio.run(talk())
        process.send_signal(signal.SIGTERM)
        out, err = process.communicate(timeout=30)
        assert process.returncode == 0, err.decode()
        assert b"IRC: connecting to 127.0.0.1:%d as botless in #team" % ngircd.port in out
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()


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
    source = _source(ngircd, store, IRC_CHANNELS="#kick")
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
        await _ask_once(op, "#kick", "/echo back again", "back again")  # and it relays what is said after
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
