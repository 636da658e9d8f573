"""Find the commands and chat platforms a user added without editing Botless: modules and entry points.

Entry points are read from the installed distributions' metadata, unless the artifact
carries them frozen: `botless package` writes FROZEN_ENTRY_POINTS beside core/ when it
bundles the dependencies (a Lambda zip), since what is installed there is fixed at build
time. Scanning every distribution (and importing importlib.metadata) costs milliseconds
of each cold start; the frozen list costs a small JSON read.
"""

from __future__ import annotations

import functools
import importlib
import json
import os
import sys
from collections.abc import Iterable
from dataclasses import dataclass
from types import ModuleType
from typing import Any, Protocol

from core.chat.platform import Platform, PlatformDefinitionError
from core.registry import CommandDefinitionError, CommandSet

ENTRY_POINT_GROUP = "botless.commands"
PLATFORM_ENTRY_POINT_GROUP = "botless.platforms"
GROUPS = (ENTRY_POINT_GROUP, PLATFORM_ENTRY_POINT_GROUP)
# At an artifact's root (beside core/): {"group": [["name", "module:attr"], ...], ...}.
FROZEN_ENTRY_POINTS = "botless_entry_points.json"


class LoadableEntryPoint(Protocol):
    """What Botless uses of an entry point: importlib.metadata's EntryPoint, or a frozen one."""

    @property
    def name(self) -> str: ...

    def load(self) -> Any: ...


@dataclass(frozen=True)
class FrozenEntryPoint:
    """An entry point as `botless package` recorded it: `value` is `module:attr` (attr optional)."""

    name: str
    value: str

    def load(self) -> Any:
        module, _, attribute = self.value.partition(":")
        loaded: Any = importlib.import_module(module.strip())
        for part in attribute.split("[")[0].strip().split(".") if attribute else ():
            loaded = getattr(loaded, part)
        return loaded


def read_frozen_entry_points(path: str | os.PathLike[str]) -> dict[str, list[FrozenEntryPoint]] | None:
    """The groups recorded in `path`, or None when there is no such file."""
    try:
        with open(path, encoding="utf-8") as file:
            recorded = json.load(file)
    except FileNotFoundError:
        return None
    return {group: [FrozenEntryPoint(name, value) for name, value in recorded.get(group, [])] for group in GROUPS}


# Beside core/ at the artifact's root; absent in a source checkout (which scans).
FROZEN_PATH = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), FROZEN_ENTRY_POINTS)


@functools.cache
def _installed_entry_points(search_path: tuple[str, ...]) -> dict[str, list[LoadableEntryPoint]]:
    # The commands and the platforms groups share one read per search path (what is found
    # depends on sys.path alone).
    frozen = read_frozen_entry_points(FROZEN_PATH)
    if frozen is not None:
        return {group: list[LoadableEntryPoint](points) for group, points in frozen.items()}
    from importlib.metadata import entry_points  # only where nothing was frozen: it costs ms to import

    found = entry_points()  # Python 3.11 returns SelectableGroups, 3.12 EntryPoints: both have select()
    return {group: list(found.select(group=group)) for group in GROUPS}


def installed(group: str) -> list[LoadableEntryPoint]:
    """The entry points installed packages publish under `group` (frozen in the artifact, if it was)."""
    return list(_installed_entry_points(tuple(sys.path)).get(group, []))


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
