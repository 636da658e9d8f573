"""The built-in commands. Each module exposes a `commands` CommandSet."""

from core.commands import builtin, define, flip
from core.registry import CommandSet

BUILTIN_COMMAND_SETS: tuple[CommandSet, ...] = (builtin.commands, define.commands, flip.commands)
