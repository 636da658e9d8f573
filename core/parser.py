"""Turn chat text into a command: prefixes, mentions, Telegram's `/cmd@Bot`, the table flip.

The forms are tried in a fixed, documented order (no scoring):
1. the table-flip prefix `(╯°□°)╯︵ ` means `flip` with the rest as its text;
2. a mention of the bot (`@botless`, Slack's `<@U123ABC>`), after which the prefix is optional;
3. a configured prefix (`/` by default) directly followed by the command name.
Text that matches none of them is no command, and the parser returns None.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

# The original Botless answered a flipped table; both the ASCII and the full-width
# parenthesis forms are in common use.
TABLE_FLIP_PREFIXES = ("(╯°□°)╯︵", "(╯°□°）╯︵", "(ノಠ益ಠ)ノ彡")

_NAME = r"[A-Za-z0-9][A-Za-z0-9_-]{0,62}"
_COMMAND = re.compile(rf"^(?P<name>{_NAME})(?:@(?P<bot>[A-Za-z0-9_]+))?(?=\s|$)(?P<rest>.*)$", re.S)
_SLACK_MENTION = re.compile(r"^<@(?P<id>[A-Z0-9]+)(?:\|[^>]*)?>[\s:,]*", re.I)
_DISCORD_MENTION = re.compile(r"^<@!?(?P<id>\d+)>[\s:,]*")
# The pieces of shell-style words, each matched without backtracking: shlex's whitespace,
# unquoted runs, '...', "..." with escapes, an escaped character; anything else (an
# unclosed quote, a trailing backslash) is unbalanced.
_SHELL_PIECE = re.compile(
    r"""(?P<space>[ \t\r\n]+)|(?P<plain>[^ \t\r\n'"\\]+)|(?P<single>'[^']*')"""
    r"""|(?P<double>"[^"\\]*(?:\\.[^"\\]*)*")|(?P<escaped>\\.)|(?P<unbalanced>.)""",
    re.S,
)
_DOUBLE_QUOTED_ESCAPE = re.compile(r'\\([\\"])')
_SHELL_SPACE = " \t\r\n"
_SHELL_SPACES = re.compile(r"[ \t\r\n]+")
_SHELL_SPECIAL = re.compile(r"""['"\\]""")


@dataclass(frozen=True)
class ParsedCommand:
    """A command found in a chat message: its name (lower-case) and its arguments."""

    name: str
    raw_args: str
    args: tuple[str, ...]


@dataclass(frozen=True)
class ParserConfig:
    """What the parser recognises: prefixes, the bot's names and its platform user id."""

    prefixes: tuple[str, ...] = ("/",)
    bot_names: tuple[str, ...] = ("botless",)
    bot_user_id: str = ""
    # The bot's own usernames (Telegram's `@SomeBot`); when known, `/cmd@OtherBot` is ignored.
    usernames: tuple[str, ...] = ()


def split_args(raw: str) -> tuple[str, ...]:
    """Split arguments shell-style; with unbalanced quotes fall back to whitespace splitting.

    The words are those of `shlex.split` (POSIX rules, no comments), found in one linear
    pass: shlex grows each word a character at a time, which takes seconds on one long
    word and would hold the event loop meanwhile.
    """
    if not _SHELL_SPECIAL.search(raw):
        # No quotes or backslashes (most text): shlex's whitespace splits it, in C.
        stripped = raw.strip(_SHELL_SPACE)
        return tuple(_SHELL_SPACES.split(stripped)) if stripped else ()
    words: list[str] = []
    word: list[str] | None = None  # None between words; [] for a word of only ''
    for piece in _SHELL_PIECE.finditer(raw):
        kind, text = piece.lastgroup, piece.group()
        if kind == "space":
            if word is not None:
                words.append("".join(word))
            word = None
            continue
        if kind == "unbalanced":
            return tuple(raw.split())
        word = [] if word is None else word
        if kind == "plain":
            word.append(text)
        elif kind == "single":
            word.append(text[1:-1])
        elif kind == "double":
            # Inside double quotes a backslash escapes only `"` and itself (shlex, POSIX mode).
            word.append(_DOUBLE_QUOTED_ESCAPE.sub(r"\1", text[1:-1]))
        else:  # an escaped character outside quotes
            word.append(text[1])
    if word is not None:
        words.append("".join(word))
    return tuple(words)


def parse_command(text: str, config: ParserConfig = ParserConfig()) -> ParsedCommand | None:
    """The command in `text`, or None when the text is no command."""
    stripped = text.strip()
    for flip in TABLE_FLIP_PREFIXES:
        if stripped.startswith(flip):
            rest = stripped[len(flip):].strip()
            return ParsedCommand("flip", rest, split_args(rest))

    after_mention = _strip_mention(stripped, config)
    if after_mention is not None:
        if not after_mention.strip():  # "@botless" alone: the person asks what the bot can do
            return ParsedCommand("help", "", ())
        candidate = _strip_prefix(after_mention, config.prefixes)
        return _match(candidate if candidate is not None else after_mention, config)

    candidate = _strip_prefix(stripped, config.prefixes)
    return _match(candidate, config) if candidate is not None else None


def parse_named_command(name: str, raw_args: str) -> ParsedCommand:
    """A command the platform itself named (a slash command or an interaction)."""
    return ParsedCommand(name.lstrip("/").lower(), raw_args.strip(), split_args(raw_args.strip()))


def _strip_prefix(text: str, prefixes: Iterable[str]) -> str | None:
    # Longest first, so that "!!" wins over "!" when both are configured.
    for prefix in sorted(prefixes, key=len, reverse=True):
        if prefix and text.startswith(prefix):
            return text[len(prefix):]
    return None


def _strip_mention(text: str, config: ParserConfig) -> str | None:
    if config.bot_user_id:
        for pattern in (_SLACK_MENTION, _DISCORD_MENTION):
            found = pattern.match(text)
            if found and found.group("id").upper() == config.bot_user_id.upper():
                return text[found.end():]
    if text.startswith("@"):
        word, _, rest = text[1:].partition(" ")
        if word.rstrip(":,").lower() in {name.lower() for name in config.bot_names}:
            return rest.lstrip(" :,")
    return None


def _match(candidate: str, config: ParserConfig) -> ParsedCommand | None:
    found = _COMMAND.match(candidate)
    if not found:
        return None
    addressed_to = found.group("bot")
    # `/uptime@OtherBot` in a Telegram group is meant for another bot.
    if addressed_to and config.usernames and addressed_to.lower() not in {
        name.lower() for name in config.usernames
    }:
        return None
    raw_args = found.group("rest").strip()
    return ParsedCommand(found.group("name").lower(), raw_args, split_args(raw_args))
