"""What a chat platform is to Botless, declared once: its name, secrets, config and adapter.

Each platform module ends with one `Platform(...)`; core/chat/platforms.py lists the
built-in ones and adds those installed packages publish under the `botless.platforms`
entry-point group. Everything that needs a platform's name or secret names (the
adapters a bot serves, the secrets each target keeps out of plain config) derives
from these declarations.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Generic, TypeVar, cast

from core.chat.base import ChatAdapter
from core.dedupe import DedupeStore, MemoryDedupeStore
from core.settings import Settings

Config = TypeVar("Config")


class PlatformDefinitionError(ValueError):
    """A platform declaration Botless cannot serve; the message says how to fix it."""


@dataclass(frozen=True)
class Platform(Generic[Config]):
    """One chat platform.

    `secrets` are the settings that hold its credentials: each target keeps them out of
    plain config (a Kubernetes Secret, Secret Manager, Key Vault, SSM Parameter Store).
    `config_from_env` reads its settings (raising SettingsError for an unusable one);
    `adapter(config, settings, dedupe)` builds its ChatAdapter, which does no I/O.
    """

    name: str
    secrets: tuple[str, ...]
    config_from_env: Callable[[Mapping[str, str]], Config]
    adapter: Callable[[Config, Settings, DedupeStore], ChatAdapter]

    def build(self, settings: Settings, dedupe: DedupeStore) -> ChatAdapter:
        """Its adapter, configured from `settings.extra` (the environment)."""
        adapter = self.adapter(self.config_from_env(settings.extra), settings, dedupe)
        if adapter.platform != self.name:
            raise PlatformDefinitionError(
                f"platform {self.name!r} built an adapter for {adapter.platform!r}; "
                "give the Platform the name its adapter's `platform` attribute has")
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
