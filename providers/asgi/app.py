"""The ASGI app of the HTTP-facing roles: chat webhooks, /api/chat, a CloudEvents ingress, the web chat.

Where the received events go is the caller's choice (`publish`): the embedded broker
locally, the Knative sink, EventBridge, Pub/Sub or Event Grid on a cloud, or the mono
chain in-process. Bad input never reaches `publish`: 400 with a reason, 413 when too
large, 401 from the adapters' signature checks.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Awaitable, Callable
from contextlib import nullcontext

from cloudevents.http import CloudEvent
from starlette.applications import Starlette
from starlette.background import BackgroundTask
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from core import events as ev
from core.bot import Bot
from core.chat.answer import answering
from core.chat.base import ChatAdapter, Received
from core.chat.local import api_message
from core.events import EventValidationError
from core.http import HttpRequest, HttpResponse
from core.json_input import JsonInputError, decode_json
from core.wire import event_from_http
from providers.asgi.access import LOOPBACK, LocalAccess
from providers.asgi.body import BodyTooLargeError, read_body
from providers.asgi.web import Tracer, TraceStep, web_routes
from providers.runtime import PublishError

logger = logging.getLogger("botless")

Publish = Callable[[CloudEvent], Awaitable[None]]
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

    A delivery whose platform takes the reply in its answer (`Received.answer`: a Slack
    slash command, a Discord interaction) runs with that answer open, and is answered with
    its reply when it comes within the ack budget (`_answered_in_ack`). Other events whose
    platform wants its ack first (`Received.deferred`) are published after the answer; or,
    when `defer` is given (a quick hand-off to a cloud target's bus or asynchronous
    invocation), handed to `defer` before the answer, so that a refused hand-off is an
    error the platform retries rather than a lost message.
    """
    limit = bot.settings.max_body_bytes

    async def healthz(request: Request) -> Response:
        # A platform without its secret answers 503: it is not served, so it is not listed.
        return JSONResponse({"status": "ok", "commands": len(bot.registry),
                             "platforms": sorted(name for name, adapter in bot.adapters.items() if adapter.enabled)})

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
        routes.append(Route(adapter.path, _webhook(adapter, publish, limit, defer, bot.settings.slow_command_seconds),
                            methods=["POST"]))
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


def _webhook(adapter: ChatAdapter, publish: Publish, limit: int,  # type: ignore[no-untyped-def]
             defer: Publish | None, budget: float):
    async def endpoint(request: Request) -> Response:
        if not adapter.enabled:
            return JSONResponse({"error": f"{adapter.platform} is not configured on this bot"}, status_code=503)
        try:
            body = await read_body(request, limit)
        except BodyTooLargeError as error:
            return JSONResponse({"error": str(error)}, status_code=413)
        neutral = HttpRequest.build(request.method, request.url.path, request.headers, body,
                                    dict(request.query_params))
        received = await adapter.receive(neutral)
        if received.answer is not None and received.events:
            return await _answered_in_ack(adapter, received, publish, budget, on_cloud=defer is not None)
        if received.deferred and received.events and defer is None:
            task = BackgroundTask(_publish_all, publish, received.events)
            return to_starlette(received.response, background=task)
        if received.events and defer is None:
            # Locally `publish` is the embedded broker, which runs the whole flow, a platform's
            # rate-limit waits included: the platform's ack waits for it no longer than the budget.
            return await _answered_in_ack(adapter, received, publish, budget, on_cloud=False)
        try:
            await _publish_all(defer if received.deferred and defer else publish, received.events)
        except Exception as error:  # noqa: BLE001 - every failure here is a 5xx the platform retries
            return await _refused(adapter, received, error)
        return to_starlette(received.response)

    return endpoint


async def _answered_in_ack(adapter: ChatAdapter, received: Received, publish: Publish, budget: float, *,
                           on_cloud: bool) -> Response:
    """Run the events with the delivery's answer open (if any), and answer with its reply if it came in time.

    On a cloud target `publish` is the mono chain, which defers a command that overruns the
    budget (so it ends within it), or the bus (the reply comes from another invocation, and
    the answer is the acknowledgement): it is awaited, since the instance may get no CPU once
    it answered. Locally the work may go on after the answer: it is awaited for `budget`
    seconds, then the answer is sent and a later reply goes through the platform's API.
    """
    with answering(received.answer):
        # The task copies this context now, so the respond step it reaches sees the answer.
        work = asyncio.ensure_future(_publish_all(publish, received.events))
    done, _ = await asyncio.wait({work}, timeout=None if on_cloud else budget)
    if not done:
        return to_starlette(received.http_answer(), background=BackgroundTask(_finish, work))
    try:
        work.result()
    except Exception as error:  # noqa: BLE001 - every failure here is a 5xx the platform retries
        return await _refused(adapter, received, error)
    return to_starlette(received.http_answer())


async def _finish(work: asyncio.Future[None]) -> None:
    await work  # what overran the ack budget, after the answer (its failures are logged by Starlette)


async def _refused(adapter: ChatAdapter, received: Received, error: Exception) -> Response:
    # The platform retries a 5xx; an ack here would lose the message. The adapter's
    # claim is given back first, so that retry is taken instead of dropped as a
    # duplicate (the store decides, never the retry's unsigned headers).
    await _give_back(adapter.platform, received)
    if isinstance(error, PublishError):
        logger.error(json.dumps({"role": "receive", "platform": adapter.platform,
                                 "outcome": "publish-refused", "reason": str(error)}))
        return JSONResponse({"error": f"could not hand the message on: {error}"}, status_code=503)
    # The mono chain failed (say, the platform refused the reply): its retry runs it again.
    logger.error(json.dumps({"role": "receive", "platform": adapter.platform, "outcome": "failed",
                             "reason": type(error).__name__}))
    return JSONResponse({"error": f"the message could not be handled ({type(error).__name__})"},
                        status_code=500)


async def _give_back(platform: str, received: Received) -> None:
    if received.on_publish_failure is None:
        return
    try:
        await received.on_publish_failure()
    except Exception as error:  # noqa: BLE001 - the hand-off's failure is what is answered
        # The retry is dropped as a duplicate until the claim expires: say so loudly.
        logger.error(json.dumps({"role": "receive", "platform": platform, "outcome": "release-failed",
                                 "reason": type(error).__name__}))


async def _publish_all(publish: Publish, events: list[CloudEvent]) -> None:
    await asyncio.gather(*(publish(event) for event in events))


def to_starlette(response: HttpResponse, background: BackgroundTask | None = None) -> Response:
    """The Starlette response for a neutral HttpResponse."""
    return Response(response.body, status_code=response.status, headers=dict(response.headers),
                    background=background)
