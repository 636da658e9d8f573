"""Build the local bot and its embedded broker; report configuration errors plainly."""

from __future__ import annotations

import sys
from collections.abc import Mapping

from core.bot import Bot
from core.bus import Broker
from core.chat.base import ChatAdapter
from core.dedupe import DedupeStore, dedupe_from_env
from core.logs import configure_logging
from core.registry import CommandDefinitionError
from core.settings import Settings, SettingsError

# `BOTLESS_DEDUPE` values that name a Redis server rather than a core store.
REDIS_SCHEMES = ("redis://", "rediss://")


class StartupError(RuntimeError):
    """The bot cannot start; the message says why and what to change."""


def build_local_bot(topology: str | None = None, log_level: str = "WARNING",
                    wiring: str = "broker") -> tuple[Bot, Broker]:
    """A bot from the environment, with the chat adapters it has settings for, and its broker.

    `wiring` is the embedded bus's: Broker and Triggers, or Channels and Subscriptions.
    The adapters (webhook claims) and the embedded bus (event claims) share one store,
    the one `BOTLESS_DEDUPE` names, so two servers on one store answer a message once.
    """
    configure_logging(log_level)
    try:
        settings = Settings.from_env()
        store = local_dedupe(settings.extra)
        bot = Bot(settings, adapters=local_adapters(settings, store), dedupe=store)
    except (SettingsError, CommandDefinitionError) as error:
        raise StartupError(str(error)) from None
    return bot, bot.broker(topology or settings.topology, wiring)


def local_dedupe(env: Mapping[str, str]) -> DedupeStore:
    """The store `BOTLESS_DEDUPE` names: memory, sqlite:PATH, or redis://HOST:PORT/DB.

    Redis is the Knative target's store (providers/knative/dedupe.py); core knows no
    Redis client, so the local runtime wires it here. It is what several `botless serve`
    processes on more than one machine share.
    """
    raw = env.get("BOTLESS_DEDUPE", "").strip()
    if not raw.startswith(REDIS_SCHEMES):
        return dedupe_from_env(env)
    try:
        import redis  # noqa: F401  (the store imports it on first use; fail at start instead)
    except ImportError:
        raise SettingsError("BOTLESS_DEDUPE=redis://... needs the Redis client: "
                            "pip install 'botless[knative]'") from None
    from providers.knative.dedupe import RedisDedupeStore

    return RedisDedupeStore(raw)


def local_adapters(settings: Settings, dedupe: DedupeStore | None = None) -> list[ChatAdapter]:
    """The chat platform adapters for this environment, claiming deliveries in `dedupe`."""
    from core.chat.platforms import adapters_from_env

    return adapters_from_env(settings, dedupe)


def fail(message: str, code: int = 2) -> int:
    print(f"botless: {message}", file=sys.stderr)
    return code
