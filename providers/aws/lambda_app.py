"""One Lambda function playing one role: each invocation payload goes to its converter.

| payload                                   | converter          | roles                   |
|-------------------------------------------|--------------------|-------------------------|
| scheduled / warm-up ping                  | warmup.py (no-op)  | any                     |
| Function URL, HTTP API v2, REST API v1    | mangum + ASGI app  | receive, mono           |
| `{"botless-resume": CE}` (Event invoke)   | invoke.py          | mono                    |
| SQS batch of EventBridge events           | sqs.py             | parse, command, respond |
| EventBridge event (Botless CE in detail)  | eventbridge.py     | parse, command, respond |

The table is `LambdaApp.triggers`, tried in that order (each source's `infer` is its
module's pure check). Failures are raised, so Lambda retries them and then hands them to
the function's on-failure destination or DLQ; in an SQS batch only the failed records are
reported (`batchItemFailures`). Nothing is acknowledged that was not handled. A reply the
platform rate-limits goes back with its wait, one it refuses for good to the dead-letter
queue at once (redelivery.py); respond's wait never outlives the invocation.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Awaitable, Callable, Mapping
from typing import Any, TypeVar

from cloudevents.http import CloudEvent

from core.bot import Bot
from core.chat.base import PermanentDeliveryError, RateLimited
from core.logs import let_event_lines_through, log_event, log_level_of
from core.role_table import HTTP_ROLES, PUBLISHING_ROLES
from core.settings import Settings
from providers.app_factory import RoleDoors, build_bot, role_of
from providers.aws import eventbridge, http, invoke, redelivery, sqs, warmup
from providers.aws.dedupe import store_from_env
from providers.aws.publisher import EventBridgePublisher
from providers.aws.secrets import load_chat_secrets
from providers.runtime import ConfigurationError, Deferrer, Publisher
from providers.triggers import Trigger, UnknownTriggerError, dispatch

logger = logging.getLogger("botless")

T = TypeVar("T")
Handler = Callable[[Any, Any], Any]

__all__ = ["LambdaApp", "UnknownTriggerError", "app_from_env", "role_handler"]


class LambdaApp:
    """The handler of one role: dispatches a payload, runs the role, answers Lambda."""

    def __init__(self, bot: Bot, role: str, *, publisher: Publisher | None = None,
                 deferrer: Deferrer | None = None, source: str = eventbridge.DEFAULT_SOURCE,
                 dead_letters: redelivery.DeadLetters | None = None) -> None:
        self.doors = RoleDoors(bot, role, target="aws-lambda", publisher=publisher, deferrer=deferrer)
        self.bot = bot
        self.role = role
        self.publisher = publisher
        self.source = source
        self.dead_letters = dead_letters or redelivery.DeadLetters()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._mangum: Handler | None = None
        self.triggers: tuple[Trigger[Any], ...] = (
            Trigger("warm-up", warmup.is_warmup, self._warmup),
            Trigger("http", http.is_http, self._http),
            Trigger("invoke", invoke.is_resume, self._resume),
            Trigger("sqs", sqs.is_sqs, self._sqs),
            Trigger("eventbridge", eventbridge.is_eventbridge, self._eventbridge),
        )

    def __call__(self, payload: Any, context: Any = None) -> Any:
        """Handle one invocation (the Lambda handler signature)."""
        with redelivery.within_remaining_time(context):
            return dispatch(self.triggers, payload, context, expected=(
                f"the {self.role} function cannot read this payload; it takes HTTP events (receive, mono), "
                "EventBridge events or SQS batches of them (parse, command, respond), or a Botless resume"))

    def http_handler(self) -> Handler:
        """mangum around the shared ASGI app, built on first use."""
        if self._mangum is None:
            from mangum import Mangum

            app = self.doors.webhooks()
            self._event_loop()  # mangum runs on the current loop: make it ours
            self._mangum = Mangum(app, lifespan="off")
        self._event_loop()
        return self._mangum

    def close(self) -> None:
        """Close the instance's event loop (Lambda just ends the process; tests call this)."""
        if self._loop is not None and not self._loop.is_closed():
            self._loop.close()

    # The sources, in the order of `triggers` --------------------------------------------

    def _warmup(self, payload: Any, context: Any) -> dict[str, str]:
        logger.info(json.dumps({"role": self.role, "target": "aws-lambda", "outcome": "warm-up"}))
        return warmup.WARMUP_ANSWER

    def _http(self, payload: Mapping[str, Any], context: Any) -> dict[str, Any]:
        if self.role not in HTTP_ROLES:
            self.doors.webhooks()  # raises UnknownTriggerError naming the roles that serve HTTP
        problem = http.body_problem(payload)
        if problem is not None:
            logger.warning(json.dumps({"role": self.role, "target": "aws-lambda", "outcome": "rejected",
                                       "status": 400, "reason": problem}))
            return http.bad_request(payload, problem)
        answer: dict[str, Any] = self.http_handler()(payload, context)
        return answer

    def _resume(self, payload: Mapping[str, Any], context: Any) -> dict[str, Any]:
        return self._bus_event(invoke.event_from_resume(payload), "invoke", payload)

    def _eventbridge(self, payload: Mapping[str, Any], context: Any) -> dict[str, Any]:
        if payload["source"] != self.source:
            logger.warning(json.dumps({"role": self.role, "target": "aws-lambda", "outcome": "ignored",
                                       "source": payload.get("source"), "detail-type": payload.get("detail-type"),
                                       "reason": f"EventBridge source is not {self.source!r}"}))
            return {"ignored": payload.get("id")}
        return self._bus_event(eventbridge.event_from_eventbridge(payload), "eventbridge", payload)

    def _sqs(self, payload: Mapping[str, Any], context: Any) -> dict[str, list[dict[str, str]]]:
        failed = [str(record.get("messageId", "")) for record in payload["Records"] if not self._record(record)]
        return sqs.batch_response(failed)

    def _record(self, record: Mapping[str, Any]) -> bool:
        """Handle one SQS record; False when it must be reported, so SQS retries it alone."""
        try:
            event = sqs.event_from_record(record, self.source)
            if event is None:
                logger.warning(json.dumps({"role": self.role, "target": "aws-lambda",
                                           "outcome": "ignored", "sqs": record.get("messageId"),
                                           "reason": "an EventBridge event of another source"}))
                return True
            try:
                self._run(self.doors.on_bus(event))
            except RateLimited as limited:
                # Reported failed, and back in the queue only once the platform's wait is over.
                redelivery.delay_record(record, limited.retry_after, event, self.role)
                return False
            except PermanentDeliveryError as refused:
                # Not reported (SQS deletes it): a retry would only be refused again.
                return self.dead_letters.keep(str(record.get("body") or ""), event, refused, self.role)
        except Exception as error:
            logger.error(json.dumps({"role": self.role, "target": "aws-lambda", "outcome": "failed",
                                     "sqs": record.get("messageId"),
                                     "reason": f"{type(error).__name__}: {error}"}))
            return False
        return True

    def _bus_event(self, event: CloudEvent, source: str, payload: Mapping[str, Any]) -> dict[str, Any]:
        try:
            emitted = self._run(self.doors.on_bus(event))
        except PermanentDeliveryError as refused:
            # Returned, so Lambda does not retry it; raised when the dead-letter queue refused it.
            if self.dead_letters.keep(redelivery.payload_text(payload), event, refused, self.role):
                return {"dead-lettered": event["id"], "code": refused.code}
            raise
        except RateLimited as limited:
            pending = limited.pending
            if self.doors.chain is None or pending is None or pending["id"] == event["id"]:
                # The reply itself: Lambda's async retry (about 1 min, then 2 min) brings it back
                # after the wait; its claim was released, so that retry runs.
                log_event(event, self.role, 0.0, "rate-limited", target="aws-lambda", trigger=source,
                          retry_after=limited.retry_after, redelivery="Lambda's asynchronous retry")
                raise
            # A resumed command whose reply was refused: only the reply goes on, to an invocation
            # of its own (a fresh budget, then that invocation's retries), so the command runs once.
            self._run(self.doors.chain.defer(pending))
            return {"handled": event["id"], "deferred": pending["id"]}
        except Exception as error:
            log_event(event, self.role, 0.0, "failed", target="aws-lambda", trigger=source,
                      reason=f"{type(error).__name__}: {error}")
            raise
        return {"handled": event["id"], "emitted": [e["type"] for e in emitted]}

    def _event_loop(self) -> asyncio.AbstractEventLoop:
        # One loop for the life of the instance, shared with mangum (which uses the current one).
        if self._loop is None or self._loop.is_closed():
            self._loop = asyncio.new_event_loop()
        asyncio.set_event_loop(self._loop)
        return self._loop

    def _run(self, work: Awaitable[T]) -> T:
        return self._event_loop().run_until_complete(work)


def app_from_env(role: str | None, env: Mapping[str, str], bot: Bot | None = None) -> LambdaApp:
    """The LambdaApp of `role` (None: `BOTLESS_ROLE`) from `env`; ConfigurationError when a setting is missing.

    Without `bot`, the bot is built here: the chat secrets SSM holds (`BOTLESS_SSM_PREFIX`)
    are read and passed in with the settings, and webhook retries and bus redeliveries are
    recognised across instances through DynamoDB (`BOTLESS_DEDUPE_TABLE`).
    """
    let_event_lines_through(log_level_of(env))  # the runtime's root handler (CloudWatch) is at WARNING
    settings = Settings.from_env(env)
    role = role or role_of(settings)
    publisher = EventBridgePublisher.from_env(env, role) if role in PUBLISHING_ROLES and role != "mono" else None
    deferrer = invoke.SelfInvoker.from_env(env) if role == "mono" else None
    source = env.get("BOTLESS_EVENT_SOURCE", "") or eventbridge.DEFAULT_SOURCE
    if bot is None:
        bot = build_bot(settings, load_chat_secrets(env, settings), store_from_env(env))
    app = LambdaApp(bot, role, publisher=publisher, deferrer=deferrer, source=source,
                    dead_letters=redelivery.DeadLetters.from_env(env))
    if role in HTTP_ROLES:
        app.http_handler()  # mangum and the ASGI app, in the init phase: the first request needs them
    return app


def role_handler(app: LambdaApp, role: str) -> Handler:
    """The handler Terraform names `functions.aws_lambda.handler.<role>`: `app`, which plays `role`.

    A function whose handler and `BOTLESS_ROLE` disagree fails its first invocation, saying so.
    """

    def handle(payload: Any, context: Any = None) -> Any:
        if app.role != role:
            raise ConfigurationError(f"this function's handler is functions.aws_lambda.handler.{role} but "
                                     f"BOTLESS_ROLE={app.role}: set them to the same role")
        return app(payload, context)

    handle.__name__ = handle.__qualname__ = role
    return handle
