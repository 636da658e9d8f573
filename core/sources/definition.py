"""A chat source declared once: its name, its settings (with the CLI flag of each) and how it is built.

`botless connect NAME` turns each Option into a flag, the Knative manifests turn the same
Options into the source container's environment (secrets from a Secret, the rest from
the manifest), so a setting's name has one home: here, in the source's module.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

from core.dedupe import DedupeStore
from core.settings import Settings
from core.sources.base import ChatSource


@dataclass(frozen=True)
class Option:
    """One setting of a source: the environment variable it is read from and its `botless connect` flag.

    A `secret` is never a flag (it would land in the shell history and `ps`): it comes
    from the environment, or on Knative from a Secret. `flag_value` makes the flag a switch
    that sets the variable to that value (e.g. `--tls` sets IRC_TLS=1).
    """

    env: str
    help: str
    flag: str = ""
    secret: bool = False
    flag_value: str = ""
    repeatable: bool = False  # the flag may be given more than once; the values are joined with ","


@dataclass(frozen=True)
class SourceDefinition:
    """A connection-mode source: `build(env, dedupe, settings)` makes it from its Options' variables.

    `build` does no I/O and raises SettingsError for a missing or unusable setting, naming it.
    """

    name: str
    summary: str
    options: tuple[Option, ...]
    build: Callable[[Mapping[str, str], DedupeStore, Settings], ChatSource]

    @property
    def secrets(self) -> tuple[str, ...]:
        return tuple(option.env for option in self.options if option.secret)
