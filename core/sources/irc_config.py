"""The IRC source's settings (IRC_* variables, checked without I/O) and the registration they drive.

Registration: PASS only with a password, CAP LS 302 (which holds the registration until
CAP END), NICK and USER; then the capabilities wanted of those offered (server-time,
message-tags, and sasl when IRC_SASL_USER is set, logged in with AUTHENTICATE PLAIN
before CAP END); a nick in use gets `_` appended; the server's 001 ends it. What
retrying cannot fix (a refused nick, password or SASL login) raises SourceRefused.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field

from core.settings import SettingsError, secret_field
from core.sources.base import SourceRefused
from core.sources.irc_protocol import CHANNEL, NICK, Line, clean, format_line, sasl_plain_lines

PLAIN_PORT, TLS_PORT = 6667, 6697
_TRUE, _FALSE = ("1", "true", "yes", "on"), ("", "0", "false", "no", "off")
NICK_RETRIES = 5
WANTED_CAPABILITIES = ("server-time", "message-tags")
logger = logging.getLogger("botless")


class ConnectionLost(ConnectionError):
    """The server closed the connection or stopped answering: reconnect."""


@dataclass(frozen=True)
class IrcConfig:
    """Where to connect, as whom, which channels to join; the two passwords never reach a repr."""

    host: str
    port: int
    nick: str = "botless"
    tls: bool = False
    channels: tuple[str, ...] = field(default_factory=tuple)
    password: str = secret_field()
    sasl_user: str = ""
    sasl_password: str = secret_field()

    @property
    def address(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{host}:{self.port}"

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> IrcConfig:
        """The settings in `env`; SettingsError naming the variable that is missing or unusable."""
        tls_value = env.get("IRC_TLS", "").strip().lower()
        if tls_value not in _TRUE + _FALSE:
            raise SettingsError(f"IRC_TLS={env['IRC_TLS']!r}: use 1 (TLS) or 0 (plain)")
        tls = tls_value in _TRUE
        host, port = _server(env.get("IRC_SERVER", "").strip(), TLS_PORT if tls else PLAIN_PORT)
        nick = env.get("IRC_NICK", "").strip() or "botless"
        if not NICK.match(nick):
            raise SettingsError(f"IRC_NICK={nick!r} is no IRC nick: a letter or one of []\\`_^{{|}} first, "
                                "then letters, digits, those or '-' (at most 30)")
        channels = tuple(part.strip() for part in env.get("IRC_CHANNELS", "").split(",") if part.strip())
        for channel in channels:
            if not CHANNEL.match(channel):
                raise SettingsError(f"IRC_CHANNELS: {channel!r} is no IRC channel: it starts with # (or &, +, !) "
                                    "and holds no space, comma or ':'")
        sasl_user, sasl_password = env.get("IRC_SASL_USER", "").strip(), env.get("IRC_SASL_PASSWORD", "")
        password = env.get("IRC_PASSWORD", "")
        if sasl_user and not sasl_password and password:
            # `--sasl-user NAME` with IRC_PASSWORD: the password is the account's, logged in with
            # SASL, and no PASS is sent (a server without a password of its own may refuse one).
            sasl_password, password = password, ""
        if bool(sasl_user) != bool(sasl_password):
            raise SettingsError("IRC_SASL_USER needs a password: set IRC_SASL_PASSWORD (or IRC_PASSWORD), "
                                "or unset IRC_SASL_USER")
        for name, value in (("IRC_PASSWORD", password), ("IRC_SASL_USER", sasl_user),
                            ("IRC_SASL_PASSWORD", sasl_password)):
            if clean(value) != value:
                raise SettingsError(f"{name} holds a line break or NUL, which IRC cannot carry")
        return cls(host=host, port=port, nick=nick, tls=tls, channels=channels, password=password,
                   sasl_user=sasl_user, sasl_password=sasl_password)


def _server(value: str, default_port: int) -> tuple[str, int]:
    if not value:
        raise SettingsError("IRC_SERVER is not set: give the server as host:port (--server irc.example.org:6697)")
    host, port = value, default_port
    if value.startswith("["):  # [IPv6]:port
        host, _, rest = value[1:].partition("]")
        if rest:
            port = _port(value, rest.removeprefix(":"))
    elif value.count(":") == 1:
        host, _, raw = value.partition(":")
        port = _port(value, raw)
    if not host or any(char in host for char in " /\r\n\x00"):
        raise SettingsError(f"IRC_SERVER={value!r}: give the server as host:port")
    return host, port


def _port(value: str, raw: str) -> int:
    if not raw.isdigit() or not 0 < int(raw) < 65536:
        raise SettingsError(f"IRC_SERVER={value!r}: the port must be a number from 1 to 65535")
    return int(raw)


def registration_lines(config: IrcConfig, nick: str) -> list[bytes]:
    """What opens a connection: PASS (only with a password), CAP LS 302, NICK and USER.

    A server that knows no CAP answers it 421 and registers us on NICK and USER.
    """
    lines = [format_line("PASS", config.password)] if config.password else []
    return [*lines, format_line("CAP", "LS", "302"), format_line("NICK", nick),
            format_line("USER", nick, "0", "*", "Botless")]


async def register(config: IrcConfig, read: Callable[[], Awaitable[Line]], write: Callable[[bytes], None]) -> str:
    """Register on a fresh connection (`read` answers PINGs); the nick the server took, from its 001."""
    nick, sasl_done, offered = config.nick, False, []
    write(b"".join(registration_lines(config, nick)))
    while True:
        line = await read()
        reason = line.params[-1] if line.params else ""
        if line.command == "CAP" and line.param(1) == "LS":
            offered += [cap.partition("=")[0] for cap in line.params[-1].split()]
            if line.param(2) == "*":  # more LS lines follow
                continue
            wanted = [cap for cap in WANTED_CAPABILITIES if cap in offered]
            if config.sasl_user:
                if "sasl" not in offered:
                    raise SourceRefused(f"{config.address} offers no SASL: unset IRC_SASL_USER "
                                        "or use a server that supports SASL")
                wanted.append("sasl")
            write(format_line("CAP", "REQ", " ".join(wanted)) if wanted else format_line("CAP", "END"))
        elif line.command == "CAP" and line.param(1) in ("ACK", "NAK"):
            acked = line.param(1) == "ACK" and "sasl" in line.params[-1].split()
            if config.sasl_user and not acked:
                raise SourceRefused(f"{config.address} refused the SASL capability: {reason}")
            write(format_line("AUTHENTICATE", "PLAIN") if acked else format_line("CAP", "END"))
        elif line.command == "AUTHENTICATE" and line.param(0) == "+":
            write(b"".join(sasl_plain_lines(config.sasl_user, config.sasl_password)))
        elif line.command == "903":
            sasl_done = True
            write(format_line("CAP", "END"))
        elif line.command in ("902", "904", "905", "906"):
            raise SourceRefused(f"{config.address} refused SASL login as {config.sasl_user!r} ({line.command} "
                                f"{reason}): check IRC_SASL_USER and IRC_SASL_PASSWORD")
        elif line.command == "433":
            nick = _next_nick(config, line.param(1) or nick)
            write(format_line("NICK", nick))
        elif line.command == "432":
            raise SourceRefused(f"{config.address} refuses the nick {line.param(1) or nick!r} ({reason}): "
                                "choose another with IRC_NICK/--nick")
        elif line.command in ("464", "465"):
            raise SourceRefused(f"{config.address} refused us ({line.command} {reason}): check IRC_PASSWORD")
        elif line.command == "ERROR":
            # Servers say a wrong or missing PASS only in the ERROR's text (ngircd: "Bad password?").
            if "password" in reason.lower():
                raise SourceRefused(f"{config.address} refused the connection ({reason}): "
                                    + ("check IRC_PASSWORD" if config.password else "set IRC_PASSWORD"))
            raise ConnectionLost(f"the server closed the connection: {reason}")
        elif line.command == "001":
            if config.sasl_user and not sasl_done:
                raise SourceRefused(f"{config.address} registered us without SASL: it negotiates no "
                                    "capabilities; unset IRC_SASL_USER")
            return line.param(0) or nick


def _next_nick(config: IrcConfig, taken: str) -> str:
    if len(taken) - len(config.nick) >= NICK_RETRIES:
        raise SourceRefused(f"the nicks {config.nick} to {taken} are all in use: choose another with IRC_NICK/--nick")
    logger.info("IRC: the nick %s is in use, trying %s_", taken, taken)
    return taken + "_"
