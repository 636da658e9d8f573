"""What a chat platform is to Botless, declared once: its name, secrets, config and adapter.

The built-in declarations are core/chat/builtin_platforms.py; core/chat/platforms.py adds
those installed packages publish under the `botless.platforms` entry-point group.
Everything that needs a platform's name or secret names (the adapters a bot serves, the
secrets each target keeps out of plain config) derives from these declarations.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Generic, TypeVar, cast

from core.chat.base import ChatAdapter
from core.chat.unloaded import UnloadedAdapter
from core.dedupe import DedupeStore, MemoryDedupeStore
from core.settings import Settings

Config = TypeVar("Config")


class PlatformDefinitionError(ValueError):
    """A platform declaration Botless cannot serve; the message says how to fix it."""


# Imported and Deferred are plain classes: creating a frozen dataclass costs each cold start ~0.3 ms.
class Imported:
    """The callable `target` ("module:attribute.path") names, imported on its first call."""

    __slots__ = ("target",)

    def __init__(self, target: str) -> None:
        self.target = target

    def __repr__(self) -> str:
        return f"Imported({self.target!r})"

    def __call__(self, *args: Any) -> Any:
        module, _, attribute = self.target.partition(":")
        __import__(module)  # not importlib.import_module, which -X importtime does not report
        found: Any = sys.modules[module]
        for part in attribute.split("."):
            found = getattr(found, part)
        return found(*args)


class Deferred:
    """What Botless knows of a platform without importing its module, so a disabled one stays unimported.

    `enabled_by` is the setting without which its adapter is disabled; `path` its webhook
    path. `checked` are the other settings its `config_from_env` can refuse: while none of
    them nor `enabled_by` is set, the platform is served by a stand-in (disabled, so its
    endpoint answers 503) that imports the module only if its code is really used.
    """

    __slots__ = ("path", "enabled_by", "checked")

    def __init__(self, path: str, enabled_by: str, checked: tuple[str, ...] = ()) -> None:
        self.path, self.enabled_by, self.checked = path, enabled_by, checked

    def __repr__(self) -> str:
        return f"Deferred({self.path!r}, enabled_by={self.enabled_by!r}, checked={self.checked!r})"

    def unneeded(self, env: Mapping[str, str]) -> bool:
        """True when `env` sets none of the settings that would enable the platform or be refused."""
        return not any(env.get(name) for name in (self.enabled_by, *self.checked))


@dataclass(frozen=True)
class Platform(Generic[Config]):
    """One chat platform.

    `secrets` are the settings that hold its credentials: each target keeps them out of
    plain config (a Kubernetes Secret, Secret Manager, Key Vault, SSM Parameter Store).
    `config_from_env` reads its settings (raising SettingsError for an unusable one);
    `adapter(config, settings, dedupe)` builds its ChatAdapter, which does no I/O.
    With `deferred`, neither is called while the platform is disabled.
    """

    name: str
    secrets: tuple[str, ...]
    config_from_env: Callable[[Mapping[str, str]], Config]
    adapter: Callable[[Config, Settings, DedupeStore], ChatAdapter]
    deferred: Deferred | None = None

    def build(self, settings: Settings, dedupe: DedupeStore) -> ChatAdapter:
        """Its adapter, configured from `settings.extra` (the environment)."""
        if self.deferred is not None and self.deferred.unneeded(settings.extra):
            return UnloadedAdapter(self.name, self.deferred.path, lambda: self._build(settings, dedupe))
        return self._build(settings, dedupe)

    def _build(self, settings: Settings, dedupe: DedupeStore) -> ChatAdapter:
        adapter = self.adapter(self.config_from_env(settings.extra), settings, dedupe)
        if adapter.platform != self.name:
            raise PlatformDefinitionError(
                f"platform {self.name!r} built an adapter for {adapter.platform!r}; "
                "give the Platform the name its adapter's `platform` attribute has")
        if self.deferred is not None and adapter.path != self.deferred.path:
            raise PlatformDefinitionError(
                f"platform {self.name!r} declares path {self.deferred.path!r} but its adapter serves "
                f"{adapter.path!r}; declare the path its adapter has")
        return adapter

    def configured(self, settings: Settings) -> bool:
        """True when `settings` enable it (its adapter's rule: the secret it verifies requests with)."""
        return self.build(settings, _UNUSED_STORE).enabled


# Building an adapter only to ask whether it is enabled claims nothing.
_UNUSED_STORE = MemoryDedupeStore(capacity=0)


def check_platforms(platforms: Iterable[object], reserved: tuple[str, ...]) -> tuple[Platform[Any], ...]:
    """`platforms` as a tuple, after checking each is a Platform with a name of its own.

    `reserved` are names no platform may take (the local chat's responders).
    """
    found = tuple(platforms)
    seen: set[str] = set()
    for platform in found:
        if not isinstance(platform, Platform):
            raise PlatformDefinitionError(
                f"{platform!r} is not a core.chat.platform.Platform; declare your platform with "
                "`Platform(name=..., secrets=(...), config_from_env=..., adapter=...)`")
        if platform.name in reserved:
            raise PlatformDefinitionError(
                f"platform name {platform.name!r} is taken by the local chat; choose another")
        if platform.name in seen:
            raise PlatformDefinitionError(
                f"two platforms are named {platform.name!r}; uninstall one or rename it")
        seen.add(platform.name)
    return cast(tuple[Platform[Any], ...], found)  # each one checked above
