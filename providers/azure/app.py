"""The Azure FunctionApp (v2 programming model) for the roles this app hosts.

Which functions are indexed is decided when the app is built, from the environment:
- mono (the default topology): `mono`, an HTTP route serving every chat webhook, and
  `mono_deferred`, an Event Grid trigger that continues the slow work `mono` deferred;
- pipeline: `receive` (HTTP) and `parse`, `command`, `respond` (Event Grid triggers);
- `BOTLESS_ROLE=<role>`: that role alone, for one app per role.

HTTP routes go through `func.AsgiMiddleware` to the shared ASGI app (host.json sets an
empty route prefix, so the paths are the platforms' own: /slack/events, ...). A failed
Event Grid invocation raises, so Event Grid retries it and, past its policy, dead-letters
it; Event Grid's own validation events and foreign event types are acknowledged.
A reply the platform rate-limits past respond's budget raises too: Event Grid has no
per-event delay, so it comes back on Event Grid's own schedule (10 s, 30 s, 1 min, 5 min,
...), where a wait that fits is waited out. One the platform refuses for good is logged
dead-lettered with its code and acknowledged: a retry would only be refused again.
"""

import json
import logging
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

import azure.functions as func
from azure.functions.warmup import WarmUpContext  # not re-exported as func.WarmUpContext in 1.2x
from cloudevents.http import CloudEvent

from core.bot import Bot
from core.chat.base import PermanentDeliveryError, RateLimited
from core.events import EventValidationError
from core.logs import let_event_lines_through, log_event, log_level_of
from core.settings import Settings
from providers.app_factory import RoleDoors, build_bot
from providers.azure.config import AzureConfig
from providers.azure.dedupe import store_from_env
from providers.azure.eventgrid import delivered_event
from providers.azure.publisher import EventGridPublisher

logger = logging.getLogger("botless")

HTTP_METHODS = ("GET", "POST")
EventHandler = Callable[[CloudEvent], Awaitable[Any]]


class MalformedTriggerError(EventValidationError):
    """An Event Grid delivery without a Botless CloudEvent (the invocation fails, so it is retried)."""


def app_from_env(env: Mapping[str, str]) -> func.FunctionApp:
    """The FunctionApp for `env`; ConfigurationError when a needed setting is missing.

    `functions/azure/function_app.py` calls it once, at import (indexing). The bot
    remembers deliveries in Table Storage when `BOTLESS_DEDUPE_TABLE_NAME` is set.
    """
    settings = Settings.from_env(env)
    config = AzureConfig.from_env(env, topology=settings.topology)
    return build_function_app(build_bot(settings, dedupe=store_from_env(env)), config)


def build_function_app(bot: Bot, config: AzureConfig,
                       publisher: EventGridPublisher | None = None) -> func.FunctionApp:
    """The FunctionApp of `config.roles` for `bot`; ConfigurationError when a needed setting is missing."""
    config.check()
    publisher = publisher or EventGridPublisher(config)
    # The worker's root handler ships them to Application Insights; BOTLESS_LOG_LEVEL as on Lambda.
    let_event_lines_through(log_level_of(bot.settings.extra))
    app = func.FunctionApp(http_auth_level=func.AuthLevel.ANONYMOUS)
    for role in config.roles:
        doors = RoleDoors(bot, role, target="azure", publisher=publisher, deferrer=publisher)
        if role == "mono":
            _http(app, "mono", doors.webhooks())
            _event_grid(app, "mono_deferred", doors.on_bus, defer=publisher.defer)
        elif role == "receive":
            # Deferred events are sent before the ack too: the host answers only when the function returns.
            _http(app, "receive", doors.webhooks())
        else:
            _event_grid(app, role, doors.on_bus)
    if config.warmup:
        _warmup(app, bot)
    return app


def _http(app: func.FunctionApp, name: str, asgi: Any) -> None:
    middleware = func.AsgiMiddleware(asgi)  # type: ignore[no-untyped-call]  # azure-functions leaves __init__ unannotated

    @app.function_name(name=name)
    @app.route(route="{*path}", methods=HTTP_METHODS, auth_level=func.AuthLevel.ANONYMOUS)
    async def http(req: func.HttpRequest, context: func.Context) -> func.HttpResponse:
        response: func.HttpResponse = await middleware.handle_async(req, context)
        return response


def _event_grid(app: func.FunctionApp, name: str, handle: EventHandler,
                defer: EventHandler | None = None) -> None:
    @app.function_name(name=name)
    @app.event_grid_trigger(arg_name="event")
    async def trigger(event: func.CloudEvent) -> None:
        try:
            botless_event = delivered_event(event)  # eventgrid.TRIGGERS
        except EventValidationError as error:
            logger.error(json.dumps({"function": name, "trigger": getattr(event, "id", None),
                                     "outcome": "malformed", "reason": str(error)}))
            raise MalformedTriggerError(str(error)) from None
        if botless_event is None:
            logger.info(json.dumps({"function": name, "outcome": "ignored", "reason": "Event Grid lifecycle event"}))
            return
        try:
            await handle(botless_event)
        except RateLimited as limited:
            pending = limited.pending
            if defer is not None and pending is not None and pending["id"] != botless_event["id"]:
                # mono resumed a command and its reply was refused: only the reply goes on, as an
                # event of its own (a fresh budget, then Event Grid's retries), so the command runs once.
                await defer(pending)
                log_event(pending, name, 0.0, "rate-limited", target="azure", retry_after=limited.retry_after,
                          redelivery="deferred as its own event")
                return
            log_event(botless_event, name, 0.0, "rate-limited", target="azure", retry_after=limited.retry_after,
                      redelivery="Event Grid's retry schedule")
            raise
        except PermanentDeliveryError as refused:
            # Acknowledged: Event Grid would retry it for a day, then put it in the dead-letter container.
            log_event(botless_event, name, 0.0, "dead-lettered", target="azure", code=refused.code,
                      reason=str(refused))


def _warmup(app: func.FunctionApp, bot: Bot) -> None:
    @app.function_name(name="warmup")
    @app.warm_up_trigger(arg_name="warmup")
    def warmup(warmup: WarmUpContext) -> None:
        # An explicit no-op: the bot is already built, at import; say so and handle nothing.
        logger.info(json.dumps({"function": "warmup", "outcome": "ok", "commands": len(bot.registry)}))
