"""What a chat webhook answers, and what runs after the answer: the one decision, for every ASGI app.

Both the Starlette app of `botless serve` (providers/asgi/app.py) and the raw ASGI app of the
cloud targets (providers/asgi/webhooks.py) hand a delivery here and send what comes back: a
neutral HttpResponse and, at most, work to run once it is sent. Nothing here knows a web
framework: a `Delivery` is how each app reads its request.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Protocol

from cloudevents.http import CloudEvent

from core.bot import Bot
from core.chat.answer import answering
from core.chat.base import ChatAdapter, Received
from core.http import HttpRequest, HttpResponse
from providers.asgi.body import BodyTooLargeError
from providers.runtime import PublishError

logger = logging.getLogger("botless")

Publish = Callable[[CloudEvent], Awaitable[None]]
After = Callable[[], Awaitable[None]]


def json_response(status: int, payload: Any) -> HttpResponse:
    """JSON rendered as Starlette's JSONResponse renders it, so both apps answer the same bytes."""
    body = json.dumps(payload, ensure_ascii=False, allow_nan=False, separators=(",", ":")).encode()
    return HttpResponse(status, body, {"content-type": "application/json"})


def health(bot: Bot) -> dict[str, Any]:
    """What `GET /healthz` answers."""
    # A platform without its secret answers 503: it is not served, so it is not listed.
    return {"status": "ok", "commands": len(bot.registry),
            "platforms": sorted(name for name, adapter in bot.adapters.items() if adapter.enabled)}


@dataclass(frozen=True)
class Answer:
    """The response to send now, and the work to run once it is sent (None: nothing)."""

    response: HttpResponse
    after: After | None = None


class Delivery(Protocol):
    """One webhook request as an app holds it."""

    async def body(self, limit: int) -> bytes:
        """The whole body; BodyTooLargeError once it passes `limit` bytes."""
        ...

    def request(self, body: bytes) -> HttpRequest:
        """The neutral request of this delivery, with its `body`."""
        ...


class Webhook:
    """One adapter's webhook: receive the delivery, publish its events, answer the platform.

    A delivery whose platform takes the reply in its answer (`Received.answer`: a Slack
    slash command, a Discord interaction) runs with that answer open, and is answered with
    its reply when it comes within the ack budget (`answered_in_ack`). Other events whose
    platform wants its ack first (`Received.deferred`) are published after the answer; or,
    when `defer` is given (a quick hand-off to a cloud target's bus or asynchronous
    invocation), handed to `defer` before the answer, so that a refused hand-off is an
    error the platform retries rather than a lost message.
    """

    def __init__(self, adapter: ChatAdapter, publish: Publish, *, limit: int, defer: Publish | None,
                 budget: float) -> None:
        self.adapter = adapter
        self.publish = publish
        self.limit = limit
        self.defer = defer
        self.budget = budget

    async def answer(self, delivery: Delivery) -> Answer:
        """What to answer `delivery`, and what to run after."""
        adapter, publish, defer = self.adapter, self.publish, self.defer
        if not adapter.enabled:
            return Answer(json_response(503, {"error": f"{adapter.platform} is not configured on this bot"}))
        try:
            body = await delivery.body(self.limit)
        except BodyTooLargeError as error:
            return Answer(json_response(413, {"error": str(error)}))
        received = await adapter.receive(delivery.request(body))
        if received.answer is not None and received.events:
            return await self.answered_in_ack(received, on_cloud=defer is not None)
        if received.deferred and received.events and defer is None:
            events = received.events
            return Answer(received.response, lambda: publish_all(publish, events))
        if received.events and defer is None:
            # Locally `publish` is the embedded broker, which runs the whole flow, a platform's
            # rate-limit waits included: the platform's ack waits for it no longer than the budget.
            return await self.answered_in_ack(received, on_cloud=False)
        try:
            await publish_all(defer if received.deferred and defer else publish, received.events)
        except Exception as error:  # noqa: BLE001 - every failure here is a 5xx the platform retries
            return Answer(await self.refused(received, error))
        return Answer(received.response)

    async def answered_in_ack(self, received: Received, *, on_cloud: bool) -> Answer:
        """Run the events with the delivery's answer open (if any), and answer with its reply if it came in time.

        On a cloud target `publish` is the mono chain, which defers a command that overruns the
        budget (so it ends within it), or the bus (the reply comes from another invocation, and
        the answer is the acknowledgement): it is awaited, since the instance may get no CPU once
        it answered. Locally the work may go on after the answer: it is awaited for `budget`
        seconds, then the answer is sent and a later reply goes through the platform's API.
        """
        if on_cloud:
            # Awaited in this task: no task of its own, no loop turns spent waiting on one.
            try:
                with answering(received.answer):
                    await publish_all(self.publish, received.events)
            except Exception as error:  # noqa: BLE001 - every failure here is a 5xx the platform retries
                return Answer(await self.refused(received, error))
            return Answer(received.http_answer())
        with answering(received.answer):
            # The task copies this context now, so the respond step it reaches sees the answer.
            work = asyncio.ensure_future(publish_all(self.publish, received.events))
        # No budget (BOTLESS_SLOW_COMMAND_SECONDS=0): acknowledge first, whatever the command.
        done = (await asyncio.wait({work}, timeout=self.budget))[0] if self.budget > 0 else set()
        if not done:
            async def finish() -> None:
                await work  # what overran the ack budget, after the answer (its failures reach the server's log)

            return Answer(received.http_answer(), finish)
        try:
            work.result()
        except Exception as error:  # noqa: BLE001 - every failure here is a 5xx the platform retries
            return Answer(await self.refused(received, error))
        return Answer(received.http_answer())

    async def refused(self, received: Received, error: Exception) -> HttpResponse:
        """The 5xx for events that could not be handed on or handled, the adapter's claim given back."""
        # The platform retries a 5xx; an ack here would lose the message. The adapter's
        # claim is given back first, so that retry is taken instead of dropped as a
        # duplicate (the store decides, never the retry's unsigned headers).
        platform = self.adapter.platform
        await give_back(platform, received)
        if isinstance(error, PublishError):
            logger.error(json.dumps({"role": "receive", "platform": platform,
                                     "outcome": "publish-refused", "reason": str(error)}))
            return json_response(503, {"error": f"could not hand the message on: {error}"})
        # The mono chain failed (say, the platform refused the reply): its retry runs it again.
        logger.error(json.dumps({"role": "receive", "platform": platform, "outcome": "failed",
                                 "reason": type(error).__name__}))
        return json_response(500, {"error": f"the message could not be handled ({type(error).__name__})"})


async def give_back(platform: str, received: Received) -> None:
    """Undo the adapter's dedupe claim, if it made one; a failure to is logged, never raised."""
    if received.on_publish_failure is None:
        return
    try:
        await received.on_publish_failure()
    except Exception as error:  # noqa: BLE001 - the hand-off's failure is what is answered
        # The retry is dropped as a duplicate until the claim expires: say so loudly.
        logger.error(json.dumps({"role": "receive", "platform": platform, "outcome": "release-failed",
                                 "reason": type(error).__name__}))


async def publish_all(publish: Publish, events: list[CloudEvent]) -> None:
    """Publish every event at once; the first failure is raised."""
    if len(events) == 1:
        await publish(events[0])  # the usual case: no gather, no task per event
        return
    await asyncio.gather(*(publish(event) for event in events))
