"""The built-in connection-mode sources, by name: each module ends in one `SOURCE = SourceDefinition(...)`.

Imported only by name, when used: `botless connect irc` never imports slack_sdk.
"""

from __future__ import annotations

import importlib

from core.sources.definition import SourceDefinition

# Adding a source: its module, listed here under the name `botless connect` takes.
SOURCE_MODULES: dict[str, str] = {
    "irc": "core.sources.irc",
    "slack": "core.sources.slack_socket",
    "telegram": "core.sources.telegram_polling",
}
SOURCES = tuple(SOURCE_MODULES)


class UnknownSourceError(ValueError):
    """A source name Botless has no module for."""


def source_definition(name: str) -> SourceDefinition:
    """The SourceDefinition of `name`; UnknownSourceError naming the choices."""
    module_name = SOURCE_MODULES.get(name)
    if module_name is None:
        raise UnknownSourceError(f"unknown chat source {name!r}: choose one of {', '.join(SOURCES)}")
    definition = importlib.import_module(module_name).SOURCE
    if not isinstance(definition, SourceDefinition) or definition.name != name:
        raise UnknownSourceError(f"{module_name}.SOURCE must be a SourceDefinition named {name!r}")
    return definition
