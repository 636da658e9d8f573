"""Find the commands and chat platforms a user added without editing Botless: modules and entry points."""

from __future__ import annotations

import functools
import importlib
import sys
from collections.abc import Iterable
from importlib.metadata import EntryPoint, entry_points
from types import ModuleType
from typing import Any

from core.chat.platform import Platform, PlatformDefinitionError
from core.registry import CommandDefinitionError, CommandSet

ENTRY_POINT_GROUP = "botless.commands"
PLATFORM_ENTRY_POINT_GROUP = "botless.platforms"


@functools.cache
def _installed_entry_points(search_path: tuple[str, ...]) -> Any:
    # Reading every installed distribution's metadata costs milliseconds of each cold start;
    # the commands and the platforms groups share one read per search path (what is found
    # depends on sys.path alone). Python 3.11 returns SelectableGroups, 3.12 EntryPoints:
    # both have select().
    return entry_points()


def installed(group: str) -> list[EntryPoint]:
    """The entry points installed packages publish under `group`."""
    return list(_installed_entry_points(tuple(sys.path)).select(group=group))


def command_sets_of(module: ModuleType) -> list[CommandSet]:
    """Every CommandSet defined at the top level of `module`."""
    found = [value for value in vars(module).values() if isinstance(value, CommandSet)]
    if not found:
        raise CommandDefinitionError(
            f"module {module.__name__!r} defines no CommandSet; add `commands = CommandSet()` "
            "and decorate your handlers with `@commands.command(...)`"
        )
    return found


def load_modules(names: Iterable[str]) -> list[CommandSet]:
    """Import each module named in BOTLESS_COMMANDS and collect its command sets."""
    sets: list[CommandSet] = []
    for name in names:
        try:
            module = importlib.import_module(name)
        except ImportError as error:
            raise CommandDefinitionError(
                f"BOTLESS_COMMANDS names {name!r}, which cannot be imported: {error}"
            ) from error
        sets.extend(command_sets_of(module))
    return sets


def load_entry_points() -> list[CommandSet]:
    """Command sets published by installed packages under the `botless.commands` group."""
    sets: list[CommandSet] = []
    for point in installed(ENTRY_POINT_GROUP):
        loaded = point.load()
        if isinstance(loaded, CommandSet):
            sets.append(loaded)
        elif isinstance(loaded, ModuleType):
            sets.extend(command_sets_of(loaded))
        else:
            raise CommandDefinitionError(
                f"entry point {point.name!r} in {ENTRY_POINT_GROUP!r} must name a CommandSet "
                f"or a module, not {type(loaded).__name__}"
            )
    return sets


def load_platform_entry_points() -> list[Platform[Any]]:
    """Chat platforms published by installed packages under the `botless.platforms` group."""
    platforms: list[Platform[Any]] = []
    for point in installed(PLATFORM_ENTRY_POINT_GROUP):
        loaded = point.load()
        if not isinstance(loaded, Platform):
            raise PlatformDefinitionError(
                f"entry point {point.name!r} in {PLATFORM_ENTRY_POINT_GROUP!r} must name a "
                f"core.chat.platform.Platform, not {type(loaded).__name__}"
            )
        platforms.append(loaded)
    return platforms
