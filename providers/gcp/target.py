"""Everything `functions/gcf/main.py` wires: the bot, its HTTP apps and its CloudEvent handler.

- receive and mono are HTTP functions served by the shared ASGI app (functions-framework's
  ASGI mode hands the request over as it is); receive publishes to Pub/Sub, mono runs the
  chain in-process and defers slow work to a Pub/Sub topic whose push subscription calls
  the same function back on `/_botless/deferred?token=...`; with
  `BOTLESS_PUSH_SERVICE_ACCOUNT` set, each push must also carry the subscription's OIDC
  token (providers/gcp/push_auth.py).
- parse, command and respond are CloudEvent functions: the Pub/Sub message (Eventarc's
  messagePublished event, or a raw push envelope that functions-framework converted to
  one) is unwrapped back into the Botless CloudEvent.

Failures answer so that Pub/Sub redelivers and, past the subscription's attempts,
dead-letters: 400 for a payload that carries no Botless event, 500 for a refused
publish or a failed delivery, 503 (mono's deferred push) or a raised InFlightError (the
CloudEvent functions: 500) for a redelivery whose claim is still another invocation's
lease, 429 for a reply the platform rate-limited. A reply the platform refused for good,
a foreign event type or a warm-up ping is acknowledged (providers/gcp/refusals.py).
"""

from __future__ import annotations

import asyncio
import hmac
import json
import logging
import os
import threading
from collections.abc import Coroutine, Mapping
from typing import Any, TypeVar

from cloudevents.http import CloudEvent
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Mount, Route
from starlette.types import ASGIApp, Receive, Scope, Send

from core.bot import Bot
from core.chat.base import PermanentDeliveryError, RateLimited
from core.logs import configure_logging, log_level_of
from core.role_table import HTTP_ROLES, TARGET_ROLES
from core.settings import Settings
from providers.app_factory import RoleDoors, build_bot
from providers.gcp.config import GcpConfig
from providers.gcp.dedupe import store_from_env
from providers.gcp.delivery import MalformedTriggerError, delivered_event, message_from_http, message_from_trigger
from providers.gcp.publisher import PubSubPublisher
from providers.gcp.push_auth import CertsUnavailableError, PushTokenError, PushVerifier, verifier_from_env
from providers.gcp.refusals import log_dead_lettered, log_rate_limited, retry_after
from providers.mono import MonoChain
from providers.runtime import ConfigurationError, InFlightError

logger = logging.getLogger("botless")

DEFERRED_PATH = "/_botless/deferred"
T = TypeVar("T")


class LoopThread:
    """One event loop per process, in a daemon thread, for the synchronous CloudEvent functions.

    Async clients (a responder's HTTP client) stay bound to this one loop across
    requests. Started on first use, so that gunicorn forks before any thread exists.
    """

    def __init__(self) -> None:
        self._loop: asyncio.AbstractEventLoop | None = None
        self._pid = 0
        self._lock = threading.Lock()

    def run(self, coroutine: Coroutine[Any, Any, T]) -> T:
        """Run `coroutine` on the loop and wait for its result (exceptions propagate)."""
        return asyncio.run_coroutine_threadsafe(coroutine, self._running()).result()

    def _running(self) -> asyncio.AbstractEventLoop:
        with self._lock:
            if self._loop is None or self._pid != os.getpid():
                loop = asyncio.new_event_loop()
                threading.Thread(target=loop.run_forever, name="botless-loop", daemon=True).start()
                self._loop, self._pid = loop, os.getpid()
            return self._loop


class Forward(Response):
    """Hands the whole ASGI call to another app (returned by a functions-framework ASGI function)."""

    def __init__(self, app: ASGIApp) -> None:  # no body of its own: the app answers
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await self.app(scope, receive, send)


class GcfTarget:
    """One Cloud Functions instance: the bot is built once; each role is wired when first checked."""

    def __init__(self, bot: Bot, config: GcpConfig, publisher: PubSubPublisher | None = None,
                 role: str | None = None, push_verifier: PushVerifier | None = None) -> None:
        self.bot = bot
        self.config = config
        self.push_verifier = push_verifier
        self.publisher = publisher or PubSubPublisher(config)
        self.loop = LoopThread()
        self._apps: dict[str, ASGIApp] = {}
        self._doors: dict[str, RoleDoors] = {}
        self._lock = threading.Lock()
        if role:
            self.check(role)

    def check(self, role: str) -> None:
        """Fail with ConfigurationError unless this instance can play `role`; wire it (done once)."""
        if role in self._doors:
            return
        self.config.check(role)
        doors = RoleDoors(self.bot, role, target="gcf", publisher=self.publisher, deferrer=self.publisher)
        if role == "mono":
            self._apps[role] = self._mono_app(doors)
        elif role in HTTP_ROLES:
            self._apps[role] = doors.webhooks()
        self._doors[role] = doors

    # HTTP functions -----------------------------------------------------------------

    def http(self, role: str) -> Response:
        """The response of an HTTP function: the role's ASGI app answers the request."""
        with self._lock:
            self.check(role)
        if role not in self._apps:
            self._doors[role].webhooks()  # raises UnknownTriggerError naming the roles that serve HTTP
        return Forward(self._apps[role])

    def _mono_app(self, doors: RoleDoors) -> ASGIApp:
        chain = doors.chain
        assert chain is not None  # the mono role's doors always hold its chain

        async def deferred(request: Request) -> Response:
            return await self._resume(chain, request)

        return Starlette(routes=[Route(DEFERRED_PATH, deferred, methods=["POST"]),
                                 Mount("/", app=doors.webhooks())])

    async def _resume(self, chain: MonoChain, request: Request) -> Response:
        given = request.query_params.get("token", "").encode()
        if not hmac.compare_digest(given, self.config.defer_token.encode()):
            logger.warning(json.dumps({"role": "mono", "outcome": "rejected", "reason": "bad deferral token"}))
            return JSONResponse({"error": "missing or wrong token"}, status_code=403)
        refused = await self._push_refusal(request)
        if refused is not None:
            return refused
        body = await request.body()
        try:
            event = delivered_event(message_from_http(request.headers, body))
        except MalformedTriggerError as error:
            logger.error(json.dumps({"role": "mono", "outcome": "malformed", "reason": str(error)}))
            return JSONResponse({"error": str(error)}, status_code=400)
        if event is None:
            return Response(status_code=204)
        try:
            await chain.resume(event)
        except InFlightError as error:  # not acknowledged: Pub/Sub pushes it again later
            return JSONResponse({"error": str(error)}, status_code=503)
        except RateLimited as limited:
            return await self._rate_limited(chain, event, limited)
        except PermanentDeliveryError as permanent:
            log_dead_lettered(event, "mono", permanent)  # acknowledged, never retried
        return Response(status_code=204)

    async def _rate_limited(self, chain: MonoChain, event: CloudEvent, limited: RateLimited) -> Response:
        if limited.pending is not None and limited.pending["id"] != event["id"]:
            # A resumed command's reply: deferred on its own and this push acknowledged, so only
            # the reply is tried again, not the command (its respond step waits within its
            # budget; past that, that push is answered 429 below).
            await chain.defer(limited.pending)  # PublishError: 500, this push is redelivered
            log_rate_limited(event, "mono", limited, handed_on=limited.pending["id"])
            return Response(status_code=204)
        log_rate_limited(event, "mono", limited)
        return JSONResponse({"error": str(limited)}, status_code=429,
                            headers={"Retry-After": str(retry_after(limited))})

    async def _push_refusal(self, request: Request) -> Response | None:
        """None when the push's OIDC token is the subscription's (or the check is off), else the answer."""
        if self.push_verifier is None:
            return None
        # The URL Pub/Sub pushed to, as it named it (TLS ends in front of the function).
        pushed_to = f"https://{request.headers.get('host', '')}{request.url.path}"
        try:
            # google-auth fetches the certificates with requests (blocking): off the event loop.
            await asyncio.to_thread(self.push_verifier.verify, request.headers.get("authorization", ""), pushed_to)
        except PushTokenError as error:
            logger.warning(json.dumps({"role": "mono", "outcome": "rejected", "reason": str(error)}))
            return JSONResponse({"error": str(error)}, status_code=error.status)
        except CertsUnavailableError as error:  # not acknowledged: Pub/Sub pushes it again later
            logger.error(json.dumps({"role": "mono", "outcome": "certs-unavailable", "reason": str(error)}))
            return JSONResponse({"error": str(error)}, status_code=503)
        return None

    # CloudEvent functions -----------------------------------------------------------

    def handle(self, role: str, cloud_event: CloudEvent) -> None:
        """Run `role` on what a CloudEvent function received; raise to make Pub/Sub redeliver."""
        self.check(role)
        try:
            event = delivered_event(message_from_trigger(cloud_event))
        except MalformedTriggerError as error:
            logger.error(json.dumps({"role": role, "trigger": cloud_event["id"], "outcome": "malformed",
                                     "reason": str(error)}))
            from werkzeug.exceptions import BadRequest

            raise BadRequest(str(error)) from None
        if event is None:
            return
        try:
            self.loop.run(self._doors[role].on_bus(event))
        except RateLimited as limited:
            log_rate_limited(event, role, limited)
            from werkzeug.exceptions import TooManyRequests

            raise TooManyRequests(str(limited), retry_after=retry_after(limited)) from None
        except PermanentDeliveryError as refused:
            log_dead_lettered(event, role, refused)  # returned: acknowledged, never retried


def role_of_instance(env: Mapping[str, str]) -> str | None:
    """The role this instance was deployed for, when the environment says (else None)."""
    role = env.get("BOTLESS_ROLE") or env.get("FUNCTION_TARGET") or ""
    if role and role not in TARGET_ROLES:
        raise ConfigurationError(f"BOTLESS_ROLE/FUNCTION_TARGET={role!r}: choose one of {', '.join(TARGET_ROLES)}")
    return role or None


def target_from_env(env: Mapping[str, str]) -> GcfTarget:
    """The instance's target from `env`; start-up fails here when a setting is missing.

    `functions/gcf/main.py` calls it once, at import. The bot remembers deliveries in
    Firestore when `BOTLESS_FIRESTORE_COLLECTION` is set.
    """
    configure_logging(log_level_of(env) or "INFO")
    bot = build_bot(Settings.from_env(env), dedupe=store_from_env(env))
    return GcfTarget(bot, GcpConfig.from_env(env), role=role_of_instance(env), push_verifier=verifier_from_env(env))
