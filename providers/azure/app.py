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
"""

import json
import logging
import os
from collections.abc import Awaitable, Callable
from typing import Any

import azure.functions as func
from azure.functions.warmup import WarmUpContext  # not re-exported as func.WarmUpContext in 1.2x
from cloudevents.http import CloudEvent

from core.bot import Bot
from core.events import EventValidationError
from providers.asgi import create_app
from providers.azure.config import AzureConfig
from providers.azure.dedupe import store_from_env
from providers.azure.eventgrid import event_from_trigger, is_subscription_event
from providers.azure.publisher import EventGridPublisher
from providers.mono import MonoChain
from providers.runtime import bot_from_env, run_role

logger = logging.getLogger("botless")

HTTP_METHODS = ("GET", "POST")
EventHandler = Callable[[CloudEvent], Awaitable[Any]]


class MalformedTriggerError(EventValidationError):
    """An Event Grid delivery without a Botless CloudEvent (the invocation fails, so it is retried)."""


def build_function_app(bot: Bot | None = None, config: AzureConfig | None = None,
                       publisher: EventGridPublisher | None = None) -> func.FunctionApp:
    """The FunctionApp for this environment; ConfigurationError when a needed setting is missing.

    The bot remembers deliveries in Table Storage when `BOTLESS_DEDUPE_TABLE_NAME` is set.
    """
    bot = bot or bot_from_env(store_from_env(os.environ))
    config = config or AzureConfig.from_env(topology=bot.settings.topology)
    config.check()
    publisher = publisher or EventGridPublisher(config)
    # The worker's root handler ships log records to Application Insights: keep propagating,
    # and let the one-line-per-event INFO records through unless someone chose a level.
    if logger.level == logging.NOTSET:
        logger.setLevel(logging.INFO)
    app = func.FunctionApp(http_auth_level=func.AuthLevel.ANONYMOUS)
    for role in config.roles:
        if role == "mono":
            chain = MonoChain(bot, publisher, target="azure")
            _http(app, "mono", create_app(bot, chain.run, defer=chain.defer, ingress=False, api_chat=False))
            _event_grid(app, "mono_deferred", chain.resume)
        elif role == "receive":
            # Deferred events are sent before the ack too: the host answers only when the function returns.
            _http(app, "receive", create_app(bot, publisher.publish, defer=publisher.publish,
                                             ingress=False, api_chat=False))
        else:
            _event_grid(app, role, _role_handler(bot, role, publisher))
    if config.warmup:
        _warmup(app, bot)
    return app


def _role_handler(bot: Bot, role: str, publisher: EventGridPublisher) -> EventHandler:
    async def run(event: CloudEvent) -> Any:
        return await run_role(bot, role, event, publisher)

    return run


def _http(app: func.FunctionApp, name: str, asgi: Any) -> None:
    middleware = func.AsgiMiddleware(asgi)

    @app.function_name(name=name)
    @app.route(route="{*path}", methods=HTTP_METHODS, auth_level=func.AuthLevel.ANONYMOUS)
    async def http(req: func.HttpRequest, context: func.Context) -> func.HttpResponse:
        return await middleware.handle_async(req, context)


def _event_grid(app: func.FunctionApp, name: str, handle: EventHandler) -> None:
    @app.function_name(name=name)
    @app.event_grid_trigger(arg_name="event")
    async def trigger(event: func.CloudEvent) -> None:
        if is_subscription_event(event):
            logger.info(json.dumps({"function": name, "outcome": "ignored", "reason": "Event Grid lifecycle event"}))
            return
        try:
            botless_event = event_from_trigger(event)
        except EventValidationError as error:
            logger.error(json.dumps({"function": name, "trigger": getattr(event, "id", None),
                                     "outcome": "malformed", "reason": str(error)}))
            raise MalformedTriggerError(str(error)) from None
        await handle(botless_event)


def _warmup(app: func.FunctionApp, bot: Bot) -> None:
    @app.function_name(name="warmup")
    @app.warm_up_trigger(arg_name="warmup")
    def warmup(warmup: WarmUpContext) -> None:
        # An explicit no-op: the bot is already built, at import; say so and handle nothing.
        logger.info(json.dumps({"function": "warmup", "outcome": "ok", "commands": len(bot.registry)}))
