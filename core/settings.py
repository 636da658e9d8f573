"""Configuration from the environment, read once into a typed, frozen settings object."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field

from core.parser import ParserConfig

TOPOLOGIES = ("mono", "pipeline")
# How long a bus event's claim is held while its role runs, before it is confirmed for
# 24 h: Lambda's longest timeout, so a running role never loses its claim on any target.
DEDUPE_LEASE_SECONDS = 900
# A lease as long as the confirmed claim (providers.runtime.BUS_DEDUPE_TTL_SECONDS) would be none.
_DEDUPE_LEASE_MAX = 24 * 3600


class SettingsError(ValueError):
    """An environment variable has a value Botless cannot use; the message names it."""


def secret_field() -> str:
    """A dataclass field for a secret setting: empty by default, and left out of repr so it never reaches a log."""
    secret: str = field(default="", repr=False)
    return secret


def _split(value: str) -> tuple[str, ...]:
    return tuple(part.strip() for part in value.split(",") if part.strip())


def _int(env: Mapping[str, str], name: str, default: int, minimum: int = 0, maximum: int | None = None,
         why: str = "") -> int:
    raw = env.get(name, "")
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise SettingsError(f"{name}={raw!r} is not a whole number") from None
    if value < minimum:
        raise SettingsError(f"{name}={value} must be at least {minimum}")
    if maximum is not None and value > maximum:
        raise SettingsError(f"{name}={value} must be at most {maximum}{why}")
    return value


@dataclass(frozen=True)
class Settings:
    """Everything Botless reads from the environment (documented in README.md)."""

    # BOTLESS_PREFIXES, BOTLESS_BOT_NAMES, BOTLESS_BOT_USER_ID and TELEGRAM_BOT_USERNAME.
    parser: ParserConfig = ParserConfig()
    command_modules: tuple[str, ...] = ()
    # BOTLESS_ENTRY_POINTS: load the `botless.commands` and `botless.platforms` entry-point groups.
    load_entry_points: bool = True
    topology: str = "mono"
    max_hops: int = 10
    delivery_retries: int = 2
    max_body_bytes: int = 1024 * 1024
    source: str = "/botless"
    slow_command_seconds: float = 2.0
    # How long respond may wait on a platform's 429 or 5xx before handing the reply back to the bus.
    rate_limit_wait_seconds: float = 5.0
    dedupe_lease_seconds: int = DEDUPE_LEASE_SECONDS
    # The bearer token of `botless serve`'s ingress and /api/chat (providers/asgi/access.py).
    ingress_token: str = secret_field()
    # The whole environment, chat secrets included: never in repr, so never in a log.
    extra: Mapping[str, str] = field(default_factory=dict, repr=False)

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        """Read BOTLESS_* variables; a bad value raises SettingsError naming the variable."""
        env = os.environ if env is None else env
        topology = env.get("BOTLESS_TOPOLOGY", "mono") or "mono"
        if topology not in TOPOLOGIES:
            raise SettingsError(f"BOTLESS_TOPOLOGY={topology!r}: choose one of {', '.join(TOPOLOGIES)}")
        prefixes = _split(env.get("BOTLESS_PREFIXES", "/")) or ("/",)
        slow = env.get("BOTLESS_SLOW_COMMAND_SECONDS", "")
        try:
            slow_seconds = float(slow) if slow else 2.0
        except ValueError:
            raise SettingsError(f"BOTLESS_SLOW_COMMAND_SECONDS={slow!r} is not a number") from None
        wait = env.get("BOTLESS_RATE_LIMIT_WAIT_SECONDS", "")
        try:
            wait_seconds = float(wait) if wait else 5.0
        except ValueError:
            raise SettingsError(f"BOTLESS_RATE_LIMIT_WAIT_SECONDS={wait!r} is not a number") from None
        if not 0 <= wait_seconds <= 900:
            raise SettingsError(f"BOTLESS_RATE_LIMIT_WAIT_SECONDS={wait!r}: choose 0 to 900 seconds")
        return cls(
            parser=ParserConfig(
                prefixes=prefixes,
                bot_names=_split(env.get("BOTLESS_BOT_NAMES", "botless")),
                bot_user_id=env.get("BOTLESS_BOT_USER_ID", ""),
                usernames=tuple(name.lstrip("@") for name in _split(env.get("TELEGRAM_BOT_USERNAME", ""))),
            ),
            command_modules=_split(env.get("BOTLESS_COMMANDS", "")),
            load_entry_points=env.get("BOTLESS_ENTRY_POINTS", "1") not in ("0", "false", "no"),
            topology=topology,
            max_hops=_int(env, "BOTLESS_MAX_HOPS", 10, minimum=1),
            delivery_retries=_int(env, "BOTLESS_DELIVERY_RETRIES", 2),
            max_body_bytes=_int(env, "BOTLESS_MAX_BODY_BYTES", 1024 * 1024, minimum=1),
            source=env.get("BOTLESS_SOURCE", "/botless") or "/botless",
            slow_command_seconds=slow_seconds,
            rate_limit_wait_seconds=wait_seconds,
            dedupe_lease_seconds=_int(
                env, "BOTLESS_DEDUPE_LEASE_SECONDS", DEDUPE_LEASE_SECONDS, minimum=1, maximum=_DEDUPE_LEASE_MAX - 1,
                why=" (less than the 24 h a handled bus event is remembered; longer than the function's timeout)"),
            ingress_token=env.get("BOTLESS_INGRESS_TOKEN", "").strip(),
            extra=dict(env),
        )
