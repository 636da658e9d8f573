"""The Knative service for one role: which routes it serves and where its events go.

receive  chat webhooks; events go to the sink (a SinkBinding to the Broker)
mono     two faces of one image, chosen by BOTLESS_KNATIVE_ROUTES:
         `webhooks` (the default, the public Service): chat webhooks, all roles inline,
         slow work deferred to the Broker, and so is a reply the platform rate-limited past
         the budget (providers/mono.py; the bus face delivers it);
         `bus` (a cluster-local Service, the mono Triggers' subscriber): `POST /`, where
         the Broker brings the deferred work back (a rate-limited reply is answered 429
         with Retry-After, providers/knative/reply.py);
         `all`: both, for one cluster-local Service or a test
         With connection-mode sources (BOTLESS_SOURCES), both faces hand each reply
         for a source's platform to the Broker, for the source to post
         (providers/knative/relay.py), so both need K_SINK.
parse, command, respond
         `POST /` under Knative's reply contract (cluster-local Services)
Every role serves `GET /healthz`. Every `POST /` also checks Knative Eventing's OIDC
sender token when BOTLESS_KNATIVE_OIDC_AUDIENCE is set (providers/knative/oidc.py).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager

from cloudevents.http import CloudEvent
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Match, Mount, Route
from starlette.types import Scope

from core.bot import Bot
from core.chat.base import RateLimited
from core.logs import log_event
from core.settings import Settings
from providers.app_factory import RoleDoors, build_bot, role_of
from providers.knative.dedupe import store_from_env
from providers.knative.oidc import Endpoint, SenderVerifier, require_sender, verifier_from_env
from providers.knative.relay import relays_from_env
from providers.knative.reply import reply_endpoint
from providers.knative.sink import KnativeSink
from providers.runtime import ConfigurationError, run_role

MONO_ROUTES = ("webhooks", "bus", "all")


def build_app(bot: Bot, role: str, sink: KnativeSink | None, *, routes: str = "webhooks",
              verifier: SenderVerifier | None = None) -> Starlette:
    """The ASGI app of `role`; ConfigurationError when the role needs a sink and has none.

    `routes` chooses mono's face (MONO_ROUTES); `verifier`, when given, guards every `POST /`.
    """
    if role == "mono" and routes not in MONO_ROUTES:
        raise ConfigurationError(f"BOTLESS_KNATIVE_ROUTES={routes!r}: choose one of {', '.join(MONO_ROUTES)}")
    app = _role_app(bot, role, sink, routes, verifier)
    if sink is not None:
        @asynccontextmanager
        async def lifespan(_: Starlette) -> AsyncIterator[None]:
            yield
            await sink.aclose()  # the sink keeps one HTTP client for the life of the server

        app.router.lifespan_context = lifespan
    return app


def _role_app(bot: Bot, role: str, sink: KnativeSink | None, routes: str,
              verifier: SenderVerifier | None) -> Starlette:
    limit = bot.settings.max_body_bytes

    async def healthz(request: Request) -> Response:
        return JSONResponse({"status": "ok", "role": role, "commands": len(bot.registry)})

    async def resume(event: CloudEvent) -> list[CloudEvent]:
        # MonoChain.resume: the deferred work runs the whole chain and never defers again,
        # so the bus face needs no sink.
        try:
            await run_role(bot, "mono", event, None)
        except RateLimited as limited:
            if limited.pending is None or limited.pending["id"] == event["id"]:
                raise  # the reply itself: 429 + Retry-After, the Broker redelivers it later
            # A resumed command's reply: it is the answer, which the Broker publishes (the
            # mono-response Trigger brings it back), so only the reply is tried again and not
            # the command. The Broker has no delayed publish: its respond step waits within
            # its budget, and past that it is this 429's turn.
            log_event(event, "mono", 0.0, "rate-limited", target="knative", handed_on=limited.pending["id"])
            return [limited.pending]
        return []

    def bus_endpoint() -> Endpoint:
        return require_sender(verifier, reply_endpoint(role, resume, limit=limit), role)

    if role == "mono" and routes == "bus":
        return Starlette(routes=[Route("/healthz", healthz, methods=["GET"]),
                                 Route("/", bus_endpoint(), methods=["POST"])])
    if role == "receive":
        if sink is None:
            raise ConfigurationError("BOTLESS_ROLE=receive on Knative publishes to K_SINK, which is not "
                                     "set: bind the service to the Broker with a SinkBinding")
        # A Starlette app around the raw webhooks, for build_app's lifespan (which closes the sink).
        return Starlette(routes=[Mount("/", app=RoleDoors(bot, role, target="knative", publisher=sink).webhooks())])
    if role == "mono":
        if sink is None:
            raise ConfigurationError("BOTLESS_ROLE=mono on Knative defers slow commands through the "
                                     "Broker, but K_SINK is not set: bind the service to the Broker "
                                     "with a SinkBinding and add the mono Triggers (docs/targets.md)")
        webhooks = RoleDoors(bot, role, target="knative", deferrer=sink).webhooks()
        # `POST /` first: the webhooks app under Mount("/") would answer it 404.
        bus = [_OwnPathRoute("/", bus_endpoint(), methods=["POST"])] if routes == "all" else []
        return Starlette(routes=[*bus, Mount("/", app=webhooks)])

    async def handle(event: CloudEvent) -> list[CloudEvent]:
        # parse and command hand their event on in the reply, which the Broker publishes after
        # this returns: a redelivery may mean it never got it, so they run again (emitting the
        # same ids, which the next role's claim drops). respond calls the platform itself.
        return await run_role(bot, role, event, None, deduplicate=role == "respond")

    return Starlette(routes=[
        Route("/healthz", healthz, methods=["GET"]),
        Route("/", require_sender(verifier, reply_endpoint(role, handle, limit=limit, sink=sink), role),
              methods=["POST"]),
    ])


class _OwnPathRoute(Route):
    """A Route that keeps its path for every method: another method is its 405 with Allow.

    Starlette takes a method mismatch as a partial match, which loses to the Mount("/") after
    it (the webhooks' 404); a plain Route under a Router answered `GET /` 405, and this keeps it.
    """

    def matches(self, scope: Scope) -> tuple[Match, Scope]:
        match, child_scope = super().matches(scope)
        return (Match.FULL if match is Match.PARTIAL else match), child_scope


def app_from_env(env: Mapping[str, str]) -> Starlette:
    """The app for `BOTLESS_ROLE` in `env`, with its bot and the SinkBinding's sink.

    The bot remembers deliveries in Redis when `BOTLESS_REDIS_URL` is set; mono serves the
    face `BOTLESS_KNATIVE_ROUTES` names; `POST /` checks sender tokens when
    `BOTLESS_KNATIVE_OIDC_AUDIENCE` is set. mono relays the replies of the platforms
    `BOTLESS_SOURCES` names to the Broker, for their sources to post.
    """
    settings = Settings.from_env(env)
    role = role_of(settings)
    routes = env.get("BOTLESS_KNATIVE_ROUTES", "").strip() or "webhooks"
    sink = KnativeSink.from_env(env)
    # Only mono runs respond in-process for a source's platform; pipeline's respond never
    # gets those replies (the source's own Trigger takes them).
    relays = relays_from_env(env, sink) if role == "mono" else []
    return build_app(build_bot(settings, dedupe=store_from_env(env), responders=relays), role, sink,
                     routes=routes, verifier=verifier_from_env(env))
