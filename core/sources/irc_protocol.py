"""IRC as lines (RFC 1459/2812 with IRCv3 tags): parse what the server sends, build safe lines, split replies.

No I/O here: core/sources/irc.py holds the connection. Every line Botless writes goes
through `format_line`, which refuses a parameter that could end the line or start
another one, so no text (a reply, a nick, a channel from an event) can inject a command.
"""

from __future__ import annotations

import base64
import hashlib
import re
from dataclasses import dataclass, field

# RFC 1459 §2.3: a line is at most 512 bytes, the CR LF included; tags (IRCv3) have a
# budget of their own and are not counted here.
LINE_LIMIT = 512
# What a relaying server puts before a PRIVMSG we send, ":nick!user@host PRIVMSG target :":
# servers cap the user name at about 10 characters (plus the `~` of an unverified ident)
# and the host at 63 (a DNS name); reserving the most they can be keeps every relayed
# line whole whatever cloak or host the server shows for us.
USER_RESERVE = 12
HOST_RESERVE = 63
# The smallest text budget a line may have: any UTF-8 character (4 bytes) must fit.
MIN_BUDGET = 4

_UNSAFE = re.compile("[\r\n\x00]")
_NEWLINES = re.compile("\r\n|\r|\n")
_TAG_ESCAPES = {":": ";", "s": " ", "\\": "\\", "r": "\r", "n": "\n"}
NICK = re.compile(r"^[A-Za-z\[\]\\`_^{|}][A-Za-z0-9\[\]\\`_^{|}-]{0,29}$")
CHANNEL = re.compile(r"^[#&+!][^\x00\x07\r\n ,:]{1,49}$")


@dataclass(frozen=True)
class Line:
    """One line from the server: its tags, source prefix, command (upper-case) and parameters."""

    command: str
    params: tuple[str, ...] = ()
    prefix: str = ""
    tags: dict[str, str] = field(default_factory=dict)

    @property
    def nick(self) -> str:
        """The nick of the prefix `nick!user@host` (the server name for a server's line)."""
        return self.prefix.split("!", 1)[0].split("@", 1)[0]

    def param(self, index: int) -> str:
        return self.params[index] if index < len(self.params) else ""


def claim_key(server: str, line: Line, position: str) -> str:
    """The dedupe key of a message: its `msgid` tag, else its `time` tag with who said what where, else `position`.

    `position` names the line on this connection only (core/sources/irc.py explains why).
    """
    if line.tags.get("msgid"):
        return f"irc:{server}:msgid:{line.tags['msgid']}"
    if line.tags.get("time"):
        said = "\n".join((line.tags["time"], line.prefix, *line.params))
        return f"irc:{server}:time:{hashlib.sha256(said.encode()).hexdigest()[:32]}"
    return f"irc:{server}:line:{position}"


def decode(raw: bytes) -> str:
    """A received line as text: UTF-8, else Latin-1 (older clients still send it), never an error."""
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return raw.decode("latin-1")


def parse_line(text: str) -> Line:
    """The parts of one line, without its line ending; a line of no command has command ''."""
    text = text.rstrip("\r\n")
    tags: dict[str, str] = {}
    if text.startswith("@"):
        raw_tags, _, text = text[1:].partition(" ")
        for item in raw_tags.split(";"):
            name, _, value = item.partition("=")
            if name:
                tags[name] = _unescape_tag(value)
    text = text.lstrip(" ")
    prefix = ""
    if text.startswith(":"):
        prefix, _, text = text[1:].partition(" ")
    head, separator, trailing = text.partition(" :")
    words = head.split()
    params = words[1:] + ([trailing] if separator else [])
    return Line(command=words[0].upper() if words else "", params=tuple(params), prefix=prefix, tags=tags)


def _unescape_tag(value: str) -> str:
    # IRCv3 message-tags: `\\x` for an unknown x is x itself; a trailing `\\` is dropped.
    out, chars = [], iter(value)
    for char in chars:
        if char == "\\":
            escaped = next(chars, "")
            char = _TAG_ESCAPES.get(escaped, escaped)
        out.append(char)
    return "".join(out)


def clean(text: str) -> str:
    """`text` without CR, LF and NUL: what could end an IRC line early."""
    return _UNSAFE.sub("", text)


def format_line(command: str, *params: str, trailing: bool = False) -> bytes:
    """One line to send, CR LF included; ValueError for a parameter that could inject another.

    Only the last parameter may hold spaces or start with ':' (it is sent as the trailing
    part, always so with `trailing`, as for a message's text); none may hold CR, LF or NUL.
    """
    *middle, last = (command, *params)
    for value in (command, *params):
        if _UNSAFE.search(value):
            raise ValueError(f"an IRC parameter holds CR, LF or NUL: {value!r}")
    for value in middle:
        if not value or " " in value or value.startswith(":"):
            raise ValueError(f"an IRC parameter other than the last is empty or holds a space or ':': {value!r}")
    if params and (trailing or not last or " " in last or last.startswith(":")):
        last = ":" + last
    line = (" ".join([*middle, last]) + "\r\n").encode("utf-8")
    if len(line) > LINE_LIMIT:
        raise ValueError(f"an IRC line of {len(line)} bytes (at most {LINE_LIMIT})")
    return line


def text_budget(nick: str, target: str, *, relayed_prefix: str = "") -> int:
    """The bytes of text a PRIVMSG to `target` may carry so the line the server relays fits 512.

    `relayed_prefix` is the `nick!user@host` the server was seen to show for us, when known;
    the reserve is the larger of it and the most a server may show.
    """
    reserved = len(nick.encode()) + 1 + USER_RESERVE + 1 + HOST_RESERVE
    prefix = max(reserved, len(relayed_prefix.encode()))
    overhead = 1 + prefix + len(" PRIVMSG ") + len(target.encode()) + len(" :") + len("\r\n")
    return LINE_LIMIT - overhead


def split_text(text: str, budget: int) -> list[str]:
    """`text` as the lines of PRIVMSGs: each at most `budget` UTF-8 bytes, none empty.

    A newline in `text` starts a new line (IRC has no multi-line message); blank lines
    are dropped (IRC sends no empty message); NUL is dropped. A line longer than `budget`
    is cut at its last space in the later half of the budget, the spaces there dropped
    (servers trim a line's trailing spaces anyway), else at the last whole character
    that fits: a UTF-8 character is never cut, and nothing but spaces at a cut is lost.
    """
    if budget < MIN_BUDGET:
        raise ValueError(f"an IRC text budget of {budget} bytes cannot hold every character")
    pieces: list[str] = []
    for line in _NEWLINES.split(text.replace("\x00", "")):
        pieces.extend(_split_line(line.rstrip(" ").encode("utf-8"), budget))
    return pieces


def _split_line(data: bytes, budget: int) -> list[str]:
    pieces = []
    while len(data) > budget:
        space = data.rfind(b" ", budget // 2, budget + 1)
        if space >= 0:
            piece, data = data[:space].rstrip(b" "), data[space:].lstrip(b" ")
        else:
            cut = budget
            while data[cut] & 0xC0 == 0x80:  # a continuation byte: the character began before the cut
                cut -= 1
            # the cut falls after the character, never inside it; a space left before it
            # (too early in the budget to cut at) is trimmed as at any cut
            piece, data = data[:cut].rstrip(b" "), data[cut:]
        pieces.append(piece.decode("utf-8"))
    pieces.append(data.decode("utf-8"))
    return [piece for piece in pieces if piece.strip()]


def sasl_plain_lines(user: str, password: str) -> list[bytes]:
    """The AUTHENTICATE lines carrying SASL PLAIN's `\\0user\\0password`, base64 in 400-byte chunks.

    IRCv3 SASL: a payload of exactly a multiple of 400 bytes is ended by `AUTHENTICATE +`.
    """
    payload = base64.b64encode(b"\0" + user.encode() + b"\0" + password.encode()).decode("ascii")
    chunks = [payload[start:start + 400] for start in range(0, len(payload), 400)]
    if not chunks or len(chunks[-1]) == 400:
        chunks.append("+")
    return [format_line("AUTHENTICATE", chunk) for chunk in chunks]
