"""Commands as frozen specs: declared in CommandSets, validated when a Registry is built.

A module declares its commands on a `CommandSet` (no module-level registry); the bot
builds one `Registry` from several sets and rejects duplicate names or aliases and
handlers of the wrong shape right there, with a message that says how to fix it.
"""

from __future__ import annotations

import functools
import inspect
import re
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from core.events import ChatUser

_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]{0,62}$")


@dataclass(frozen=True)
class Command:
    """What a handler receives: the command, its arguments and where it came from."""

    name: str
    raw_args: str
    args: tuple[str, ...]
    text: str = ""
    platform: str = "console"
    user: ChatUser = ChatUser(id="")
    channel: str = ""
    thread: str = ""
    registry: Registry | None = field(default=None, compare=False, repr=False)


@dataclass(frozen=True)
class Reply:
    """A richer answer than plain text: ephemeral (only the asker sees it) or an error."""

    text: str
    ephemeral: bool = False
    is_error: bool = False


HandlerResult = str | Reply | None
Handler = Callable[[Command], HandlerResult | Awaitable[HandlerResult]]


class CommandDefinitionError(ValueError):
    """A command is declared wrongly; the message says what to change."""


@dataclass(frozen=True)
class CommandSpec:
    """One command: its name, help, usage, aliases and handler."""

    name: str
    handler: Handler
    help: str
    usage: str = ""
    aliases: tuple[str, ...] = ()
    # A slow command is acknowledged at once and answered later (FaaS targets defer it).
    slow: bool = False

    @functools.cached_property
    def is_async(self) -> bool:
        # Asked for every command run; inspect answers the same for the life of the spec.
        return inspect.iscoroutinefunction(self.handler)


class CommandSet:
    """A group of commands declared with the `command` decorator, e.g. in a plugin module."""

    def __init__(self) -> None:
        self.specs: list[CommandSpec] = []

    def command(
        self,
        name: str | None = None,
        *,
        help: str = "",
        usage: str = "",
        aliases: Iterable[str] = (),
        slow: bool = False,
    ) -> Callable[[Handler], Handler]:
        """Register the decorated function as a command; its docstring is the default help."""

        def register(handler: Handler) -> Handler:
            command_name = (name or handler.__name__).lower()
            text = help or (inspect.getdoc(handler) or "").split("\n")[0]
            self.specs.append(
                CommandSpec(
                    name=command_name,
                    handler=handler,
                    help=text,
                    usage=usage,
                    aliases=tuple(alias.lower() for alias in aliases),
                    slow=slow,
                )
            )
            return handler

        return register


class Registry:
    """All commands of one bot, by name and alias; built once and then read-only."""

    def __init__(self, command_sets: Iterable[CommandSet]) -> None:
        self._by_name: dict[str, CommandSpec] = {}
        owners: dict[str, str] = {}
        for command_set in command_sets:
            for spec in command_set.specs:
                _check_spec(spec)
                for key in (spec.name, *spec.aliases):
                    if key in owners:
                        raise CommandDefinitionError(
                            f"command name or alias {key!r} of {_where(spec.handler)} is already "
                            f"taken by {owners[key]}; rename one of them or drop the alias"
                        )
                    owners[key] = _where(spec.handler)
                    self._by_name[key] = spec

    def __len__(self) -> int:
        return len(self.specs)

    @property
    def specs(self) -> list[CommandSpec]:
        """Every command once, sorted by name."""
        unique = {spec.name: spec for spec in self._by_name.values()}
        return [unique[name] for name in sorted(unique)]

    def names(self) -> list[str]:
        """Every name and alias the bot answers to."""
        return sorted(self._by_name)

    def find(self, name: str) -> CommandSpec | None:
        """The command called `name` (or with that alias), case-insensitive."""
        return self._by_name.get(name.lower())

    def suggest(self, name: str, limit: int = 3) -> list[str]:
        """Known command names closest to an unknown `name`, best first."""
        # 0.7 keeps one- and two-letter slips ("uptme", "defin") and drops chance overlaps:
        # at 0.5, "@botless Hi there!" was asked whether it meant `define` (through "whatis").
        import difflib  # only for a misspelt name: kept off every cold start

        matches = difflib.get_close_matches(name.lower(), self.names(), n=limit * 2, cutoff=0.7)
        canonical: list[str] = []
        for match in matches:
            spec = self._by_name[match]
            if spec.name not in canonical:
                canonical.append(spec.name)
        return canonical[:limit]


def _check_spec(spec: CommandSpec) -> None:
    for key in (spec.name, *spec.aliases):
        if not _NAME.match(key):
            raise CommandDefinitionError(
                f"{_where(spec.handler)}: command name {key!r} must be lower-case letters, digits, "
                "'-' or '_' (it becomes the CloudEvent type botless.bot.command.<name>)"
            )
    if not spec.help:
        raise CommandDefinitionError(
            f"{_where(spec.handler)}: command {spec.name!r} has no help text; pass help=... or add a docstring"
        )
    try:
        inspect.signature(spec.handler).bind(object())
    except TypeError:
        raise CommandDefinitionError(
            f"{_where(spec.handler)}: a command handler takes exactly one argument, the Command"
        ) from None


def _where(handler: Any) -> str:
    return f"{getattr(handler, '__module__', '?')}.{getattr(handler, '__qualname__', handler)}"
