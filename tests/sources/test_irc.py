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
from pathlib import Path

import pytest

from core.backoff import Backoff
from core.conversation import ask
from core.dedupe import MemoryDedupeStore, SqliteDedupeStore
from core.settings import Settings
from core.sources.base import SourceRefused
from core.sources.irc import IrcSource
from core.sources.irc_config import IrcConfig
from core.sources.irc_protocol import LINE_LIMIT
from tests.sources.irc_bot import LONG_TEXT, ask_once, bot, irc_source, person, released, running
from tests.sources.irc_server import IrcClient, Ngircd, ngircd  # noqa: F401

pytestmark = pytest.mark.slow


HELP_FIRST = "/define: Define a cloud-native term"


async def test_commands_in_the_channel_and_in_private_are_answered_once(ngircd: Ngircd) -> None:  # noqa: F811
    store = MemoryDedupeStore()
    source = irc_source(ngircd, store)
    async with running(source, store):
        ann = await person(ngircd)
        console = bot()
        (expected_help,) = await ask(console, console.broker("mono"), "/help")  # what the console answers
        await ask_once(ann, "#team", "/help", expected_help.text)  # one line per command, in #team
        await ask_once(ann, "#team", "/echo hello IRC", "hello IRC")
        ann.say("botless", "/echo just you")
        private = await ann.messages_from("botless", until="just you")
        assert [(line.param(0), line.param(1)) for _, line in private] == [("ann", "just you")]
        ann.say("#team", "no command here")
        await ask_once(ann, "#team", "/echo still here", "still here")
        assert source.describe() == (f"IRC: connected to 127.0.0.1:{ngircd.port} as botless in #team; "
                                     "say /help in #team or /msg botless /help")
        await ann.close()


async def test_a_long_reply_arrives_whole_in_lines_of_at_most_512_bytes(ngircd: Ngircd) -> None:  # noqa: F811
    store = MemoryDedupeStore()
    async with running(irc_source(ngircd, store), store):
        ann = await person(ngircd)
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
    async with running(irc_source(ngircd, store), store):
        ann = await person(ngircd)
        ann.say("#team", "/wait")
        await ask_once(ann, "#team", "/echo meanwhile", "meanwhile")  # answered while /wait still runs
        released["wait"].set()
        assert [line.param(1) for _, line in await ann.messages_from("botless", until="released")] == ["released"]
        await ann.close()


async def test_a_nick_in_use_gets_an_underscore(ngircd: Ngircd) -> None:  # noqa: F811
    squatter = await IrcClient.connect(ngircd.port, "botless")
    store = MemoryDedupeStore()
    async with running(irc_source(ngircd, store), store):
        ann = await person(ngircd, bot="botless_")
        await ask_once(ann, "#team", "/echo hi", "hi", bot="botless_")
        await ann.close()
    await squatter.close()


async def test_a_server_restart_is_survived_and_a_source_restart_answers_nothing_twice(  # noqa: F811
        ngircd: Ngircd, tmp_path: Path) -> None:
    store = SqliteDedupeStore(str(tmp_path / "dedupe.sqlite3"))
    source = irc_source(ngircd, store)
    async with running(source, store):
        ann = await person(ngircd)
        await ask_once(ann, "#team", "/echo before", "before")
        ngircd.restart()  # killed: the connections drop without a word
        await ann.close()
        ann = await person(ngircd)  # waits for the bot to rejoin
        await ask_once(ann, "#team", "/echo after the restart", "after the restart")
        await ann.close()
    # a new process with the same store: it starts afresh, answering the new, never the old
    async with running(irc_source(ngircd, store), store):
        ann = await person(ngircd)
        await ask_once(ann, "#team", "/echo new process", "new process")
        await ann.close()


async def test_a_server_password_is_sent_when_set_and_refusal_names_it(tmp_path: Path) -> None:
    server = Ngircd(tmp_path, password="sekrit").start()
    try:
        store = MemoryDedupeStore()
        async with running(irc_source(server, store, IRC_PASSWORD="sekrit"), store):
            ann = await person(server, password="sekrit")
            await ask_once(ann, "#team", "/echo with a password", "with a password")
            await ann.close()
        with pytest.raises(SourceRefused, match="IRC_PASSWORD"):
            await asyncio.wait_for(irc_source(server, store).run(lambda event: asyncio.sleep(0)), 20)
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
        async with running(irc_source(server, store, IRC_SERVER=f"127.0.0.1:{server.tls_port}", IRC_TLS="1"), store):
            ann = await person(server)  # the person on the plain port, the bot on the TLS one
            await ask_once(ann, "#team", "/echo over TLS", "over TLS")
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
            ann = await person(ngircd)
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
