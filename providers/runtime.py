"""What every cloud target shares: run one role on one event and publish what it emits.

A target supplies a `Publisher` (its bus: Knative sink, EventBridge, Pub/Sub, Event
Grid). The receive role is the ASGI app of `providers.asgi`; parse, command and respond
are bus-triggered and go through `run_role`. In the mono topology one invocation runs
every role and publishes nothing.
"""

from __future__ import annotations

import functools
import logging
from typing import Protocol

from cloudevents.http import CloudEvent

from core.bot import Bot
from core.dedupe import DedupeStore
from core.events import EventValidationError, is_botless_type, validate_event
from core.logs import log_event

logger = logging.getLogger("botless")

TARGET_ROLES = ("receive", "parse", "command", "respond", "mono")


class PublishError(RuntimeError):
    """The bus refused an event; the invocation must fail so the platform retries it."""


class Publisher(Protocol):
    """Sends an event to the target's bus."""

    async def publish(self, event: CloudEvent) -> None: ...


class Deferrer(Protocol):
    """Hands an event to the target's own asynchronous mechanism, for a later invocation.

    That later invocation of the same (mono) function continues the work: a Lambda
    `Event` invoke, a Pub/Sub message, an Event Grid or queue message, the Knative Broker.

    It must return quickly (the platform is waiting for its ack) and raise
    PublishError when the hand-off is refused, so that the HTTP answer is an error the
    platform retries instead of a lost message.
    """

    async def defer(self, event: CloudEvent) -> None: ...


class ConfigurationError(RuntimeError):
    """A target is started without what it needs; raised at start-up, never at first use."""


def role_from_env(env: dict[str, str] | None = None, default: str = "mono") -> str:
    """The role this deployment plays (`BOTLESS_ROLE`), validated."""
    import os

    role = (env if env is not None else os.environ).get("BOTLESS_ROLE", default) or default
    if role not in TARGET_ROLES:
        raise ConfigurationError(f"BOTLESS_ROLE={role!r}: choose one of {', '.join(TARGET_ROLES)}")
    return role


@functools.cache
def bot_from_env(dedupe: DedupeStore | None = None) -> Bot:
    """This process's one bot: settings and chat adapters from the environment (built once).

    A cloud entrypoint calls it at import, so the bot is built in the instance's init
    phase; constructors do no network I/O. `dedupe` is the target's shared store
    (default: the one `BOTLESS_DEDUPE` names).
    """
    from core.chat.platforms import adapters_from_env
    from core.settings import Settings

    settings = Settings.from_env()
    return Bot(settings, adapters=adapters_from_env(settings, dedupe))


async def run_role(bot: Bot, role: str, event: CloudEvent, publisher: Publisher | None) -> list[CloudEvent]:
    """Run `role` on a bus-delivered `event`; publish what it emits when a publisher is given.

    Returns the emitted events (Knative's reply contract sends them back in the HTTP
    response instead of publishing). Malformed events raise EventValidationError, which
    the caller turns into a non-retryable rejection; types Botless does not know are
    ignored politely and return nothing.
    """
    if not is_botless_type(event["type"]):
        log_event(event, role, 0.0, "ignored")
        return []
    validate_event(event)
    if role == "mono":
        await bot.roles.mono(event)
        return []
    emitted = await bot.roles.handle(role, event)
    if publisher is not None:
        for produced in emitted:
            await publisher.publish(produced)
    return emitted


__all__ = [
    "ConfigurationError", "Deferrer", "EventValidationError", "PublishError", "Publisher", "TARGET_ROLES",
    "bot_from_env", "role_from_env", "run_role",
]
