"""The Knative service for one role: which routes it serves and where its events go.

receive  chat webhooks; events go to the sink (a SinkBinding to the Broker)
mono     chat webhooks, all roles inline; slow work deferred to the Broker, which
         brings it back on `POST /`
parse, command, respond
         `POST /` under Knative's reply contract
Every role serves `GET /healthz`.
"""

from __future__ import annotations

import os
from contextlib import asynccontextmanager
from typing import AsyncIterator, Mapping

from cloudevents.http import CloudEvent
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from core.bot import Bot
from providers.asgi import create_app
from providers.knative.dedupe import store_from_env
from providers.knative.reply import reply_endpoint
from providers.knative.sink import KnativeSink
from providers.mono import MonoChain
from providers.runtime import ConfigurationError, bot_from_env, role_from_env, run_role


def build_app(bot: Bot, role: str, sink: KnativeSink | None) -> Starlette:
    """The ASGI app of `role`; ConfigurationError when the role needs a sink and has none."""
    app = _role_app(bot, role, sink)
    if sink is not None:
        @asynccontextmanager
        async def lifespan(_: Starlette) -> AsyncIterator[None]:
            yield
            await sink.aclose()  # the sink keeps one HTTP client for the life of the server

        app.router.lifespan_context = lifespan
    return app


def _role_app(bot: Bot, role: str, sink: KnativeSink | None) -> Starlette:
    limit = bot.settings.max_body_bytes
    if role == "receive":
        if sink is None:
            raise ConfigurationError("BOTLESS_ROLE=receive on Knative publishes to K_SINK, which is not "
                                     "set: bind the service to the Broker with a SinkBinding")
        return create_app(bot, sink.publish, defer=sink.publish, ingress=False, api_chat=False)
    if role == "mono":
        if sink is None:
            raise ConfigurationError("BOTLESS_ROLE=mono on Knative defers slow commands through the "
                                     "Broker, but K_SINK is not set: bind the service to the Broker "
                                     "with a SinkBinding and add the mono Triggers (docs/targets.md)")
        chain = MonoChain(bot, sink, target="knative")

        async def resume(event: CloudEvent) -> list[CloudEvent]:
            await chain.resume(event)
            return []

        app = create_app(bot, chain.run, defer=chain.defer, ingress=False, api_chat=False)
        app.add_route("/", reply_endpoint(role, resume, limit=limit), methods=["POST"])
        return app

    async def handle(event: CloudEvent) -> list[CloudEvent]:
        # parse and command hand their event on in the reply, which the Broker publishes after
        # this returns: a redelivery may mean it never got it, so they run again (emitting the
        # same ids, which the next role's claim drops). respond calls the platform itself.
        return await run_role(bot, role, event, None, deduplicate=role == "respond")

    async def healthz(request: Request) -> Response:
        return JSONResponse({"status": "ok", "role": role, "commands": len(bot.registry)})

    return Starlette(routes=[
        Route("/healthz", healthz, methods=["GET"]),
        Route("/", reply_endpoint(role, handle, limit=limit, sink=sink), methods=["POST"]),
    ])


def app_from_env(env: Mapping[str, str] | None = None) -> Starlette:
    """The app for `BOTLESS_ROLE`, with the process's bot and the SinkBinding's sink.

    The bot remembers deliveries in Redis when `BOTLESS_REDIS_URL` is set.
    """
    env = os.environ if env is None else env
    role = role_from_env(dict(env))
    return build_app(bot_from_env(store_from_env(env)), role, KnativeSink.from_env(env))
