"""The chat platforms a bot serves: the built-in ones (core/chat/builtin_platforms.py) and installed ones.

Every platform is returned, configured or not: one without its secret is disabled
(its endpoint answers 503), never open to unverified traffic. A disabled built-in
platform's module is not even imported, and an enabled one imports its client library
only on first use, so a target without slack_sdk or PyNaCl still starts. A package
adds a platform by publishing its `Platform` under the `botless.platforms` entry-point
group (off with BOTLESS_ENTRY_POINTS=0, as for commands).
"""

from __future__ import annotations

from typing import Any

from core.chat.base import ChatAdapter
from core.chat.builtin_platforms import DISCORD, SLACK, TELEGRAM
from core.chat.local import LOCAL_PLATFORMS
from core.chat.platform import Platform, check_platforms
from core.dedupe import DedupeStore, dedupe_from_env
from core.loader import load_platform_entry_points
from core.settings import Settings

# Adding a built-in platform: its module, its `Platform(...)` in builtin_platforms.py, listed here.
BUILTIN_PLATFORMS: tuple[Platform[Any], ...] = check_platforms((SLACK, DISCORD, TELEGRAM), LOCAL_PLATFORMS)
PLATFORMS = tuple(platform.name for platform in BUILTIN_PLATFORMS)
# The built-in platforms' secrets, in order: infra/gcf and infra/azure list the same
# (tests/infra/test_static.py keeps them equal).
CHAT_SECRETS = tuple(name for platform in BUILTIN_PLATFORMS for name in platform.secrets)


def platforms_of(settings: Settings) -> tuple[Platform[Any], ...]:
    """The built-in platforms, then those installed packages publish (unless BOTLESS_ENTRY_POINTS=0)."""
    if not settings.load_entry_points:
        return BUILTIN_PLATFORMS
    return check_platforms((*BUILTIN_PLATFORMS, *load_platform_entry_points()), LOCAL_PLATFORMS)


def chat_secrets(settings: Settings) -> tuple[str, ...]:
    """The secret names of `platforms_of(settings)`: CHAT_SECRETS, then those of installed platforms."""
    return tuple(name for platform in platforms_of(settings) for name in platform.secrets)


def adapters_from_env(settings: Settings, dedupe: DedupeStore | None = None) -> list[ChatAdapter]:
    """One adapter per platform (`platforms_of(settings)`), configured from `settings.extra`.

    `dedupe` is the store that remembers accepted deliveries; by default the one
    `BOTLESS_DEDUPE` names (memory). A cloud target passes its own shared store.
    Raises SettingsError for a setting that is present but unusable.
    """
    store = dedupe if dedupe is not None else dedupe_from_env(settings.extra)
    return [platform.build(settings, store) for platform in platforms_of(settings)]
