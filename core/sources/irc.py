"""The IRC chat source: one connection to an IRC server, commands from channels and private messages.

Plain asyncio streams (IRC is a line protocol, core/sources/irc_protocol.py); TLS through
an ssl context. Registration sends PASS only when IRC_PASSWORD is set (servers refuse a
PASS they do not expect), negotiates IRCv3 capabilities (SASL PLAIN when IRC_SASL_USER is
set, server-time and message-tags when offered), appends `_` to a nick in use, and joins
the channels; every reconnect (core/backoff.py) registers and joins again. A KICK of the
bot rejoins that channel after a growing delay, unless it is banned (core/sources/irc_rejoin.py).

Dedupe: IRC never redelivers a message and has no message ids of its own, so a claim
key comes from what stays the same across a redelivery where one exists: the IRCv3
`msgid` tag, else the server's `time` tag with who said what where (a bouncer replaying
its buffer on reconnect sends both), else a random id of this connection and the line's
number on it: always fresh, since nothing on a new connection is a copy of an old one.
A per-connection counter alone would not do: a restarted process counts from 1 again
and an sqlite store would drop its new messages as old. What guarantees that nothing is
answered twice after a reconnect is that the source never replays: it emits only lines
read from the live connection, once, as they arrive.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import ssl
import uuid
from collections.abc import Mapping

from cloudevents.http import CloudEvent

from core.backoff import Backoff
from core.chat.base import DeliveryError
from core.chat.claims import first_delivery
from core.dedupe import DedupeStore
from core.events import EXT_CHANNEL, EXT_REPLY_TO, BotResponse, ChatMessage, ChatUser, chat_message_event
from core.settings import Settings
from core.sources.base import Emit
from core.sources.definition import Option, SourceDefinition
from core.sources.irc_config import ConnectionLost, IrcConfig, register
from core.sources.irc_protocol import (
    CHANNEL,
    NICK,
    Line,
    claim_key,
    decode,
    format_line,
    parse_line,
    split_text,
    text_budget,
)
from core.sources.irc_rejoin import JOIN_REFUSALS, Rejoiner

PLATFORM = "irc"
SEEN_TTL_SECONDS = 24 * 3600
# IRCv3 allows 8191 bytes of tags before the 512 of the line itself.
READ_LIMIT = 8192 + 512
logger = logging.getLogger("botless")


class _Pacer:
    """At most `burst` lines at once, then one per `interval` seconds: servers kill a flooding client."""

    def __init__(self, burst: int, interval: float) -> None:
        self.burst, self.interval = burst, interval
        self.tokens = float(burst)
        self.last = 0.0

    async def wait(self) -> None:
        loop = asyncio.get_running_loop()
        now = loop.time()
        if self.interval > 0:
            self.tokens = min(self.burst, self.tokens + (now - self.last) / self.interval)
        self.last = now
        if self.tokens < 1:
            await asyncio.sleep((1 - self.tokens) * self.interval)
            self.tokens, self.last = 1.0, loop.time()
        self.tokens -= 1


class IrcSource:
    """The IRC connection: `run` holds it (reconnecting), `send` posts replies through it."""

    platform = PLATFORM

    def __init__(self, config: IrcConfig, dedupe: DedupeStore, settings: Settings, *,
                 backoff: Backoff | None = None, idle_seconds: float = 120.0, register_seconds: float = 60.0,
                 burst: int = 5, line_interval: float = 1.0, rejoin: Rejoiner | None = None) -> None:
        self.config = config
        self.dedupe = dedupe
        self.settings = settings
        self.backoff = backoff or Backoff()
        self.rejoin = rejoin or Rejoiner()  # after a KICK; its Backoff factory sets the delays
        self.idle_seconds = idle_seconds
        self.register_seconds = register_seconds
        self.nick = config.nick
        self._relayed_prefix = ""  # our `nick!user@host` as the server shows it, once seen
        self._writer: asyncio.StreamWriter | None = None
        self._ready = asyncio.Event()
        self._send_lock = asyncio.Lock()
        self._pacer = _Pacer(burst, line_interval)

    def describe(self) -> str:
        state = "connected to" if self._writer else "connecting to"
        prefix = self.settings.parser.prefixes[0]
        talk = f"/msg {self.nick} {prefix}help"
        if self.config.channels:
            talk = f"say {prefix}help in {self.config.channels[0]} or {talk}"
        where = f" in {', '.join(self.config.channels)}" if self.config.channels else ""
        return f"IRC: {state} {self.config.address} as {self.nick}{where}; {talk}"

    async def run(self, emit: Emit) -> None:
        while True:
            try:
                await self._connection(emit)
            except (OSError, EOFError, TimeoutError, ssl.SSLError) as error:  # ConnectionLost is an OSError
                logger.warning("IRC connection to %s lost: %s", self.config.address, error or type(error).__name__)
            delay = self.backoff.next_delay()
            logger.info("IRC: reconnecting to %s in %.1f s", self.config.address, delay)
            await asyncio.sleep(delay)

    async def _connection(self, emit: Emit) -> None:
        context = ssl.create_default_context() if self.config.tls else None
        # asyncio.timeout, not wait_for: on 3.11 wait_for loses a cancellation that meets a
        # line arriving at the same moment, and the source would then not stop.
        async with asyncio.timeout(self.register_seconds):
            reader, writer = await asyncio.open_connection(self.config.host, self.config.port, ssl=context,
                                                           limit=READ_LIMIT)
        try:
            async with asyncio.timeout(self.register_seconds):
                self.nick = await register(self.config, lambda: self._read(reader, writer), writer.write)
            self.backoff.reset()
            if self.config.channels:
                writer.write(format_line("JOIN", ",".join(self.config.channels)))
            self._writer = writer
            self._ready.set()
            logger.info(self.describe())
            await self._read_messages(reader, writer, emit)
        finally:
            self.rejoin.stop()
            self._ready.clear()
            self._writer = None
            writer.close()
            with contextlib.suppress(OSError, ssl.SSLError):  # never CancelledError: the source must stop
                await writer.wait_closed()

    async def _read(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> Line:
        """The next line, PINGs answered on the way; ConnectionLost when the server is gone or silent."""
        pinged = False
        while True:
            try:
                async with asyncio.timeout(self.idle_seconds):
                    raw = await reader.readline()
            except TimeoutError:
                if pinged:
                    raise ConnectionLost(f"no answer from the server in {2 * self.idle_seconds:.0f} s") from None
                writer.write(format_line("PING", "botless"))  # a silent link may be dead: ask
                pinged = True
                continue
            except ValueError:  # a line past READ_LIMIT: asyncio dropped it, the next one is whole
                logger.warning("IRC: dropped a line longer than %d bytes", READ_LIMIT)
                continue
            if not raw:
                raise ConnectionLost("the server closed the connection")
            line = parse_line(decode(raw))
            if line.command == "PING":
                writer.write(format_line("PONG", *line.params))
                continue
            return line

    async def _read_messages(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter,
                             emit: Emit) -> None:
        connection_id, number = uuid.uuid4().hex, 0
        while True:
            line = await self._read(reader, writer)
            number += 1
            mine = line.nick.lower() == self.nick.lower()
            if line.command == "PRIVMSG" and not mine:
                await self._message(line, f"{connection_id}:{number}", emit)
            elif line.command == "JOIN" and mine:
                self._relayed_prefix = line.prefix
                self.rejoin.joined(line.param(0))
            elif line.command == "KICK":
                self.rejoin.kicked(line, self.nick, writer.write)  # another user's kick changes nothing
            elif line.command == "NICK" and mine:
                self.nick = line.param(0)
            elif line.command == "ERROR":
                raise ConnectionLost(f"the server closed the connection: {line.params[-1] if line.params else ''}")
            elif line.command in JOIN_REFUSALS and not self.rejoin.refused(line, writer.write):
                logger.warning("IRC: cannot join %s: %s", line.param(1), line.params[-1])

    async def _message(self, line: Line, position: str, emit: Emit) -> None:
        target, text, sender = line.param(0), line.param(1), line.nick
        if not sender or not text.strip() or text.startswith("\x01"):  # CTCP (VERSION, ACTION) is no command
            return
        channel = sender if target.lower() == self.nick.lower() else target
        if not await first_delivery(self.dedupe, claim_key(self.config.address, line, position), SEEN_TTL_SECONDS):
            return
        message = ChatMessage(platform=PLATFORM, text=text, user=ChatUser(id=sender, name=sender),
                              channel=channel, message_id=line.tags.get("msgid", ""))
        try:
            event = chat_message_event(message, source=f"{self.settings.source}/{PLATFORM}", reply_to=channel)
        except ValueError as error:  # EventValidationError: a message no role would take
            logger.warning("IRC: ignored a message from %s: %s", sender, error)
            return
        await emit(event)

    async def send(self, response: BotResponse, event: CloudEvent) -> None:
        """PRIVMSG `response` to its channel (or nick), in lines that fit 512 bytes as the server relays them."""
        attributes = event.get_attributes()
        target = response.channel or str(attributes.get(EXT_CHANNEL, "")) or str(attributes.get(EXT_REPLY_TO, ""))
        if not (CHANNEL.match(target) or NICK.match(target)):
            raise DeliveryError(f"this IRC reply has no channel or nick to go to: {target!r}")
        try:
            async with asyncio.timeout(self.register_seconds):
                await self._ready.wait()
        except TimeoutError:
            raise DeliveryError(f"not connected to {self.config.address}: the reply was not sent") from None
        budget = text_budget(self.nick, target, relayed_prefix=self._relayed_prefix)
        pieces = split_text(response.text or "(no text)", budget)
        lines = [format_line("PRIVMSG", target, piece, trailing=True) for piece in pieces]
        async with self._send_lock:
            for raw in lines:
                await self._pacer.wait()
                writer = self._writer
                if writer is None:
                    raise DeliveryError(f"the connection to {self.config.address} was lost while replying")
                try:
                    writer.write(raw)
                    await writer.drain()
                except OSError as error:  # the reader sees the loss too and reconnects
                    raise DeliveryError(f"the connection to {self.config.address} was lost while replying: "
                                        f"{error}") from error


def build(env: Mapping[str, str], dedupe: DedupeStore, settings: Settings) -> IrcSource:
    return IrcSource(IrcConfig.from_env(env), dedupe, settings)


SOURCE = SourceDefinition(
    name=PLATFORM,
    summary="Hold an IRC connection: commands in channels and private messages",
    options=(
        Option("IRC_SERVER", "the server as host:port (port 6667, or 6697 with --tls)", flag="--server"),
        Option("IRC_TLS", "connect with TLS", flag="--tls", flag_value="1"),
        Option("IRC_NICK", "the bot's nick (default botless; `_` is appended while it is in use)", flag="--nick"),
        Option("IRC_CHANNELS", "a channel to join (repeat the flag for more)", flag="--channel", repeatable=True),
        Option("IRC_PASSWORD", "the server password (PASS), only for servers that ask for one", secret=True),
        Option("IRC_SASL_USER", "log in with SASL PLAIN as this account (with IRC_SASL_PASSWORD)",
               flag="--sasl-user"),
        Option("IRC_SASL_PASSWORD", "the SASL account's password", secret=True),
    ),
    build=build,
)
