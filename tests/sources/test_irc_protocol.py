"""The IRC source without a server: line parsing and splitting, settings, registration, SASL with a scripted peer."""

from __future__ import annotations

import asyncio
import base64
from collections.abc import AsyncIterator, Awaitable, Callable

import pytest
from hypothesis import given
from hypothesis import strategies as st

from core.backoff import Backoff
from core.dedupe import MemoryDedupeStore
from core.events import BotResponse, ChatMessage, ChatUser, chat_message_event
from core.settings import Settings, SettingsError
from core.sources.base import SourceRefused
from core.sources.irc import IrcSource
from core.sources.irc_config import IrcConfig, registration_lines
from core.sources.irc_protocol import LINE_LIMIT, format_line, parse_line, sasl_plain_lines, split_text, text_budget

# --- splitting -------------------------------------------------------------------------

@given(st.text(alphabet=st.characters(codec="utf-8") | st.sampled_from(" \n\r\x00\t\u3000"), max_size=3000),
       st.integers(min_value=4, max_value=500))
def test_split_lines_fit_the_budget_are_utf8_and_lose_only_spaces_at_cuts(text: str, budget: int) -> None:
    pieces = split_text(text, budget)
    for piece in pieces:
        assert 0 < len(piece.encode("utf-8")) <= budget  # encodes: no character was cut in two
        assert piece.strip() and not piece.endswith(" ") and not set(piece) & {"\r", "\n", "\x00"}
    lines = text.replace("\x00", "").replace("\r\n", "\n").replace("\r", "\n").split("\n")
    # every piece is the next part of its line, in order, with only spaces between pieces
    rest = "\n".join(lines)
    for piece in pieces:
        skipped, found, rest = rest.partition(piece)
        assert found and not skipped.strip()
    assert not rest.strip()


def test_a_long_line_is_cut_at_a_space_and_never_inside_a_character() -> None:
    assert split_text("aaaa bbbb cccc", 10) == ["aaaa bbbb", "cccc"]
    assert split_text("aaaa  bbbbbbbbbb", 10) == ["aaaa", "bbbbbbbbbb"]
    assert split_text("ééééé", 5) == ["éé", "éé", "é"]  # 2 bytes each: 4 fit, never 5
    # no space in the budget's later half, a 4-byte character across the cut: cut before it
    assert split_text("ab \U0001D11E", 6) == ["ab", "\U0001D11E"]
    assert split_text("one\ntwo\r\n\n  \nthree ", 100) == ["one", "two", "three"]
    assert split_text("  indented", 100) == ["  indented"]
    with pytest.raises(ValueError):
        split_text("x", 3)


def test_the_budget_reserves_the_prefix_the_server_relays() -> None:
    budget = text_budget("botless", "#team")
    worst = f":botless!{'u' * 12}@{'h' * 63} PRIVMSG #team :".encode()
    assert len(worst) + budget + 2 == LINE_LIMIT
    assert text_budget("botless", "#team", relayed_prefix="b" * 200) < budget


# --- lines -------------------------------------------------------------------------------

def test_parse_line_reads_tags_prefix_params_and_trailing() -> None:
    line = parse_line("@time=2026-12-03T10:00:00.000Z;msgid=a\\sb :ann!~a@host PRIVMSG #team :/help me\r\n")
    assert line.tags == {"time": "2026-12-03T10:00:00.000Z", "msgid": "a b"}
    assert (line.nick, line.command, line.params) == ("ann", "PRIVMSG", ("#team", "/help me"))
    assert parse_line("@a=x\\:y\\b\\;b= :s PING").tags == {"a": "x;yb", "b": ""}
    assert parse_line("PING :irc.test.local").params == ("irc.test.local",)
    assert parse_line(":srv 433 * botless :Nickname already in use").params == ("*", "botless",
                                                                                 "Nickname already in use")


def test_format_line_refuses_what_could_inject_a_command() -> None:
    assert format_line("PRIVMSG", "#team", "hi there") == b"PRIVMSG #team :hi there\r\n"
    assert format_line("PRIVMSG", "#team", "hi", trailing=True) == b"PRIVMSG #team :hi\r\n"
    assert format_line("NICK", "botless") == b"NICK botless\r\n"
    assert format_line("PRIVMSG", "#team", ":)") == b"PRIVMSG #team ::)\r\n"
    for bad in ("hi\r\nQUIT", "a\nb", "nul\x00"):
        with pytest.raises(ValueError):
            format_line("PRIVMSG", "#team", bad)
    with pytest.raises(ValueError):
        format_line("PRIVMSG", "#team :x", "hi")


def test_sasl_plain_is_base64_of_nul_user_nul_password_in_400_byte_chunks() -> None:
    (line,) = sasl_plain_lines("ann", "pw")
    assert base64.b64decode(parse_line(line.decode()).param(0)) == b"\0ann\0pw"
    long_lines = sasl_plain_lines("u", "p" * 297)  # 300 bytes: base64 is exactly 400
    assert [parse_line(raw.decode()).param(0) for raw in long_lines][1] == "+"


# --- settings and registration ------------------------------------------------------------

def test_settings_defaults_and_errors() -> None:
    config = IrcConfig.from_env({"IRC_SERVER": "irc.example.org", "IRC_TLS": "1", "IRC_CHANNELS": "#a, #b"})
    assert (config.host, config.port, config.tls, config.nick, config.channels) == (
        "irc.example.org", 6697, True, "botless", ("#a", "#b"))
    assert IrcConfig.from_env({"IRC_SERVER": "[::1]:7000"}).address == "[::1]:7000"
    assert "sekrit" not in repr(IrcConfig.from_env({"IRC_SERVER": "h", "IRC_PASSWORD": "sekrit"}))
    for env, named in (({}, "IRC_SERVER"), ({"IRC_SERVER": "h:99999"}, "IRC_SERVER"),
                       ({"IRC_SERVER": "h", "IRC_NICK": "9lives"}, "IRC_NICK"),
                       ({"IRC_SERVER": "h", "IRC_CHANNELS": "team"}, "IRC_CHANNELS"),
                       ({"IRC_SERVER": "h", "IRC_TLS": "maybe"}, "IRC_TLS"),
                       ({"IRC_SERVER": "h", "IRC_SASL_USER": "ann"}, "IRC_SASL_PASSWORD"),
                       ({"IRC_SERVER": "h", "IRC_PASSWORD": "a\r\nQUIT"}, "IRC_PASSWORD")):
        with pytest.raises(SettingsError, match=named):
            IrcConfig.from_env(env)


def test_pass_is_sent_only_when_a_password_is_set() -> None:
    plain = registration_lines(IrcConfig.from_env({"IRC_SERVER": "h"}), "botless")
    assert plain == [b"CAP LS 302\r\n", b"NICK botless\r\n", b"USER botless 0 * Botless\r\n"]
    with_password = registration_lines(IrcConfig.from_env({"IRC_SERVER": "h", "IRC_PASSWORD": "s p"}), "botless")
    assert with_password == [b"PASS :s p\r\n", *plain]


# --- a scripted peer: SASL and a bouncer's replay ------------------------------------------

Script = Callable[[asyncio.StreamReader, asyncio.StreamWriter, list[str]], Awaitable[None]]


@pytest.fixture
async def peer() -> AsyncIterator[Callable[[Script], Awaitable[int]]]:
    servers: list[asyncio.Server] = []

    async def start(script: Script) -> int:
        heard: list[str] = []

        async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            try:
                await script(reader, writer, heard)
            except ConnectionError:  # the source hung up: the test is over
                pass
            finally:
                writer.close()

        server = await asyncio.start_server(handle, "127.0.0.1", 0)
        servers.append(server)
        return int(server.sockets[0].getsockname()[1])

    yield start
    for server in servers:
        server.close()


async def _until(reader: asyncio.StreamReader, heard: list[str], command: str) -> str:
    while True:
        raw = (await reader.readline()).decode().rstrip("\r\n")
        if not raw:
            raise ConnectionError("the source hung up")
        heard.append(raw)
        if parse_line(raw).command == command:
            return raw


def _source(port: int, **env: str) -> IrcSource:
    config = IrcConfig.from_env({"IRC_SERVER": f"127.0.0.1:{port}", "IRC_CHANNELS": "#team", **env})
    return IrcSource(config, MemoryDedupeStore(), Settings(), backoff=Backoff(0.01, 0.05), line_interval=0)


async def _run(source: IrcSource, events: list[ChatMessage], count: int) -> None:
    got = asyncio.Event()

    async def emit(event: object) -> None:
        events.append(event.payload)  # type: ignore[attr-defined]
        if len(events) >= count:
            got.set()

    task = asyncio.create_task(source.run(emit))
    try:
        await asyncio.wait_for(got.wait(), 20)
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)


async def test_sasl_plain_logs_in_before_registration_ends(peer) -> None:  # type: ignore[no-untyped-def]
    async def script(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, heard: list[str]) -> None:
        await _until(reader, heard, "USER")
        writer.write(b":srv CAP * LS * :multi-prefix sasl=PLAIN\r\n:srv CAP * LS :server-time\r\n")
        request = await _until(reader, heard, "CAP")
        writer.write(f":srv CAP * ACK :{parse_line(request).param(1)}\r\n".encode())
        await _until(reader, heard, "AUTHENTICATE")
        writer.write(b"AUTHENTICATE +\r\n")
        payload = await _until(reader, heard, "AUTHENTICATE")
        assert base64.b64decode(parse_line(payload).param(0)) == b"\0ann\0pw"
        writer.write(b":srv 900 botless botless!b@h ann :logged in\r\n:srv 903 botless :SASL ok\r\n")
        await _until(reader, heard, "CAP")  # CAP END
        writer.write(b":srv 001 botless :welcome\r\n")
        await _until(reader, heard, "JOIN")
        writer.write(b"@time=2026-12-03T10:00:00Z :ann!a@h PRIVMSG #team :/help\r\n")
        await reader.read()

    events: list[ChatMessage] = []
    source = _source(await peer(script), IRC_SASL_USER="ann", IRC_SASL_PASSWORD="pw")
    await _run(source, events, 1)
    assert [(m.text, m.channel, m.user.id) for m in events] == [("/help", "#team", "ann")]


async def test_a_refused_sasl_login_ends_the_source_naming_the_settings(peer) -> None:  # type: ignore[no-untyped-def]
    async def script(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, heard: list[str]) -> None:
        await _until(reader, heard, "USER")
        writer.write(b":srv CAP * LS :sasl\r\n")
        await _until(reader, heard, "CAP")
        writer.write(b":srv CAP * ACK :sasl\r\n")
        await _until(reader, heard, "AUTHENTICATE")
        writer.write(b"AUTHENTICATE +\r\n")
        await _until(reader, heard, "AUTHENTICATE")
        writer.write(b":srv 904 * :SASL authentication failed\r\n")
        await reader.read()

    source = _source(await peer(script), IRC_SASL_USER="ann", IRC_SASL_PASSWORD="wrong")
    with pytest.raises(SourceRefused, match="IRC_SASL_PASSWORD"):
        await asyncio.wait_for(source.run(lambda event: asyncio.sleep(0)), 20)


async def test_a_bouncer_replaying_its_buffer_after_a_reconnect_is_not_answered_again(peer) -> None:  # type: ignore[no-untyped-def]
    connections = []

    async def script(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, heard: list[str]) -> None:
        connections.append(writer)
        await _until(reader, heard, "USER")
        writer.write(b":srv CAP * LS :server-time\r\n")
        await _until(reader, heard, "CAP")
        writer.write(b":srv CAP * ACK :server-time\r\n")
        await _until(reader, heard, "CAP")
        writer.write(b":srv 001 botless :welcome\r\n")
        await _until(reader, heard, "JOIN")
        # the same buffered line on every connection, then one new line on the second
        writer.write(b":botless!b@h PRIVMSG #team :/echo my own line\r\n")  # ignored: the bot's own
        writer.write(b":ann!a@h NOTICE #team :/echo a notice\r\n")  # ignored: a NOTICE is never answered
        writer.write(b":ann!a@h PRIVMSG #team :\x01VERSION\x01\r\n")  # ignored: CTCP
        writer.write(b"@time=2026-12-03T10:00:00.000Z :ann!a@h PRIVMSG #team :/uptime\r\n")
        writer.write(b"@msgid=m1 :ann!a@h PRIVMSG botless :/echo private\r\n")
        if len(connections) > 1:
            writer.write(b"@time=2026-12-03T10:05:00.000Z :ann!a@h PRIVMSG #team :/help\r\n")
            await reader.read()
        # the first connection drops here: the source reconnects

    events: list[ChatMessage] = []
    await _run(_source(await peer(script)), events, 3)
    assert [(m.text, m.channel) for m in events] == [("/uptime", "#team"), ("/echo private", "ann"),
                                                       ("/help", "#team")]
    assert len(connections) == 2


async def test_a_reply_is_split_and_can_inject_nothing(peer) -> None:  # type: ignore[no-untyped-def]
    received: list[str] = []
    done = asyncio.Event()

    async def script(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, heard: list[str]) -> None:
        await _until(reader, heard, "USER")
        writer.write(b":srv 001 botless :welcome\r\n")
        while True:
            raw = await _until(reader, heard, "PRIVMSG")
            received.append(raw)
            if raw.endswith("END"):
                done.set()

    source = _source(await peer(script))
    task = asyncio.create_task(source.run(lambda event: asyncio.sleep(0)))
    message = ChatMessage(platform="irc", text="x", user=ChatUser(id="ann"),
                          channel="#team")
    event = chat_message_event(message, source="/botless/irc")
    await source.send(BotResponse(text="one\r\nQUIT :bye\nthree\x00 END", platform="irc", channel="#team"), event)
    await asyncio.wait_for(done.wait(), 20)
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)
    assert received == ["PRIVMSG #team :one", "PRIVMSG #team :QUIT :bye", "PRIVMSG #team :three END"]


def test_botless_connect_irc_help_shows_the_flags_and_no_secret(capsys: pytest.CaptureFixture[str]) -> None:
    from functions.local.cli import main

    with pytest.raises(SystemExit) as exited:
        main(["connect", "irc", "--help"])
    assert exited.value.code == 0
    out = capsys.readouterr().out
    for flag in ("--server", "--tls", "--nick", "--channel", "--sasl-user", "--topology"):
        assert flag in out
    assert "--password" not in out and "IRC_PASSWORD" in out and "IRC_SASL_PASSWORD" in out


def test_sasl_user_with_irc_password_logs_in_with_it_and_sends_no_pass() -> None:
    # `botless connect irc --sasl-user ann` with IRC_PASSWORD: the account's password, by SASL.
    config = IrcConfig.from_env({"IRC_SERVER": "h", "IRC_SASL_USER": "ann", "IRC_PASSWORD": "pw"})
    assert (config.sasl_user, config.sasl_password, config.password) == ("ann", "pw", "")
    both = IrcConfig.from_env({"IRC_SERVER": "h", "IRC_SASL_USER": "ann", "IRC_SASL_PASSWORD": "acct",
                               "IRC_PASSWORD": "server"})
    assert (both.sasl_password, both.password) == ("acct", "server")
