"""The ASGI app of the HTTP-facing roles: chat webhooks, /api/chat, a CloudEvents ingress, the web chat.

Where the received events go is the caller's choice (`publish`): the embedded broker
locally, the Knative sink, EventBridge, Pub/Sub or Event Grid on a cloud, or the mono
chain in-process. Bad input never reaches `publish`: 400 with a reason, 413 when too
large, 401 from the adapters' signature checks.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable
from contextlib import nullcontext

from starlette.applications import Starlette
from starlette.background import BackgroundTask
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from core import events as ev
from core.bot import Bot
from core.chat.local import api_message
from core.events import EventValidationError
from core.http import HttpRequest, HttpResponse
from core.json_input import JsonInputError, decode_json
from core.wire import event_from_http
from providers.asgi.access import LOOPBACK, LocalAccess
from providers.asgi.body import BodyTooLargeError, read_body
from providers.asgi.web import Tracer, TraceStep, web_routes
from providers.asgi.webhook_flow import Publish, Webhook, health

logger = logging.getLogger("botless")

Endpoint = Callable[[Request], Awaitable[Response]]


def create_app(bot: Bot, publish: Publish, *, ingress: bool = False, api_chat: bool = True,
               defer: Publish | None = None, access: LocalAccess = LOOPBACK, tracer: Tracer | None = None,
               web: bool = False) -> Starlette:
    """An app serving /healthz, each chat adapter's webhook, /api/chat and (`ingress`) `POST /`.

    `POST /`, /api/chat and /api/replies are for the person at the machine: each request
    passes `access` (loopback, or the bearer token) or gets 401 with the reason. The
    ingress is off unless asked for, since it takes any event from whoever reaches it.
    With a `tracer` (providers/asgi/web/trace.py, around the broker `publish` feeds),
    /api/chat also answers with the `trace` of the events the message caused; `web`
    serves the chat page at `GET /` (providers/asgi/web/page.py), whose API is guarded alike.

    Each webhook answers as providers/asgi/webhook_flow.py decides (`defer`: the hand-off
    of a cloud target, which the raw app of providers/asgi/webhooks.py serves there).
    """
    limit = bot.settings.max_body_bytes

    async def healthz(request: Request) -> Response:
        return JSONResponse(health(bot))

    async def chat_api(request: Request) -> Response:
        try:
            payload = decode_json(await read_body(request, limit) or b"null")
        except BodyTooLargeError as error:
            return JSONResponse({"error": str(error)}, status_code=413)
        except JsonInputError as error:
            return JSONResponse({"error": str(error)}, status_code=400)
        try:
            message = api_message(payload)
        except EventValidationError as error:
            return JSONResponse({"error": str(error)}, status_code=400)
        recording = tracer.recording() if tracer is not None else nullcontext(list[TraceStep]())
        with recording as trace:
            await publish(ev.chat_message_event(message, source=f"{bot.settings.source}/api"))
        answer: dict[str, object] = {"replies": [reply.text for reply in bot.outbox.take(message.message_id)]}
        if tracer is not None:
            answer["trace"] = [step.as_json() for step in trace]
        return JSONResponse(answer)

    async def recent_replies(request: Request) -> Response:
        # Replies to local platforms (e.g. events posted to the ingress with botplatform=local).
        return JSONResponse({"replies": [{"text": r.text, "message_id": r.message_id, "command": r.command,
                                          "is_error": r.is_error} for r in bot.outbox.recent()]})

    async def cloudevents_ingress(request: Request) -> Response:
        try:
            body = await read_body(request, limit)
            event = event_from_http(request.headers, body)
        except BodyTooLargeError as error:
            return JSONResponse({"error": str(error)}, status_code=413)
        except EventValidationError as error:
            return JSONResponse({"error": str(error)}, status_code=400)
        await publish(event)
        return Response(status_code=202)

    routes = [Route("/healthz", healthz, methods=["GET"])]
    for adapter in bot.adapters.values():
        flow = Webhook(adapter, publish, limit=limit, defer=defer, budget=bot.settings.slow_command_seconds)
        routes.append(Route(adapter.path, _webhook(flow), methods=["POST"]))
    if api_chat:
        routes.append(Route("/api/chat", _guarded(access, chat_api), methods=["POST"]))
        routes.append(Route("/api/replies", _guarded(access, recent_replies), methods=["GET"]))
    if ingress:
        routes.append(Route("/", _guarded(access, cloudevents_ingress), methods=["POST"]))
    if web and api_chat:
        # GET / beside the ingress's POST /: Starlette picks the route by method on one path.
        routes.extend(web_routes(bot.registry, lambda endpoint: _guarded(access, endpoint)))
    return Starlette(routes=routes)


def _guarded(access: LocalAccess, endpoint: Endpoint) -> Endpoint:
    async def checked(request: Request) -> Response:
        refusal = access.refusal(request.headers)
        if refusal is not None:
            # Before the body is read: a refused caller costs nothing and reaches nothing.
            logger.warning(json.dumps({"route": request.url.path, "outcome": "rejected", "reason": refusal}))
            return JSONResponse({"error": refusal}, status_code=401, headers={"www-authenticate": "Bearer"})
        return await endpoint(request)

    return checked


class _StarletteDelivery:
    """A Starlette request as the webhook flow reads it."""

    def __init__(self, request: Request) -> None:
        self._request = request

    async def body(self, limit: int) -> bytes:
        return await read_body(self._request, limit)

    def request(self, body: bytes) -> HttpRequest:
        request = self._request
        return HttpRequest.build(request.method, request.url.path, request.headers, body, dict(request.query_params))


def _webhook(flow: Webhook) -> Endpoint:
    async def endpoint(request: Request) -> Response:
        answer = await flow.answer(_StarletteDelivery(request))
        return to_starlette(answer.response, background=BackgroundTask(answer.after) if answer.after else None)

    return endpoint


def to_starlette(response: HttpResponse, background: BackgroundTask | None = None) -> Response:
    """The Starlette response for a neutral HttpResponse."""
    return Response(response.body, status_code=response.status, headers=dict(response.headers),
                    background=background)
