"""Which chat platforms an artifact carries: the ones asked for, else the ones configured.

A platform's client libraries are its pyproject extra (`slack`: slack_sdk; `discord`:
PyNaCl and httpx; `telegram`: httpx). A Slack-only bot deploys none of Discord's, which
is most of a Lambda zip. The platform modules stay in `core/` (they are small and
import their libraries lazily); an adapter without its library is disabled where it
runs, like one without its secret.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from tooling.targets import CHAT_EXTRAS


class PlatformChoiceError(ValueError):
    """A --platform value that is not a built-in platform; the message names the valid ones."""


@dataclass(frozen=True)
class PlatformChoice:
    """The platforms packaged, and a sentence saying how they were chosen."""

    platforms: tuple[str, ...]
    reason: str


def parse_platforms(values: Iterable[str]) -> tuple[str, ...]:
    """`--platform slack --platform discord` or `--platform slack,discord`: canonical and ordered."""
    asked = {part.strip().lower() for value in values for part in value.split(",") if part.strip()}
    unknown = sorted(asked - set(CHAT_EXTRAS))
    if unknown:
        raise PlatformChoiceError(
            f"unknown platform {', '.join(map(repr, unknown))}: choose from {', '.join(CHAT_EXTRAS)} "
            "(repeat --platform or separate them with commas)")
    return tuple(name for name in CHAT_EXTRAS if name in asked)


def configured_platforms(env: Mapping[str, str] | None = None) -> tuple[str, ...]:
    """The built-in platforms whose adapter is enabled by `env` (their verifying secret is set)."""
    from core.chat.platforms import BUILTIN_PLATFORMS
    from core.settings import Settings

    settings = Settings.from_env(env)
    return tuple(p.name for p in BUILTIN_PLATFORMS if p.name in CHAT_EXTRAS and p.configured(settings))


def choose_platforms(asked: Iterable[str] | None, env: Mapping[str, str] | None = None) -> PlatformChoice:
    """`asked` when given; else the configured platforms; else every built-in one, said so."""
    if asked is not None:
        chosen = parse_platforms(asked)
        if chosen:
            return PlatformChoice(chosen, f"platforms {', '.join(chosen)} (--platform)")
    configured = configured_platforms(env)
    if configured:
        return PlatformChoice(configured, f"platforms {', '.join(configured)} (their secrets are set here; "
                                          "--platform to choose)")
    return PlatformChoice(CHAT_EXTRAS, f"platforms {', '.join(CHAT_EXTRAS)}: no platform's secret is set here, "
                                       "so every built-in one goes in (--platform slack for a Slack-only artifact)")
