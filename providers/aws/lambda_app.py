"""One Lambda function playing one role: each invocation payload goes to its converter.

| payload                                   | converter          | roles                   |
|-------------------------------------------|--------------------|-------------------------|
| Function URL, HTTP API v2, REST API v1    | mangum + ASGI app  | receive, mono           |
| EventBridge event (Botless CE in detail)  | eventbridge.py     | parse, command, respond |
| SQS batch of EventBridge events           | sqs.py             | parse, command, respond |
| `{"botless-resume": CE}` (Event invoke)   | invoke.py          | mono                    |
| scheduled / warm-up ping                  | warmup.py (no-op)  | any                     |

Failures are raised, so Lambda retries them and then hands them to the function's
on-failure destination or DLQ; in an SQS batch only the failed records are reported
(`batchItemFailures`). Nothing is acknowledged that was not handled.
"""

from __future__ import annotations

import asyncio
import functools
import json
import logging
import os
from collections.abc import Awaitable, Callable, Mapping
from typing import Any, TypeVar

from cloudevents.http import CloudEvent

from core.bot import Bot
from core.logs import log_event
from providers.aws import eventbridge, http, invoke, sqs, warmup
from providers.aws.dedupe import store_from_env
from providers.aws.publisher import EventBridgePublisher
from providers.aws.secrets import load_chat_secrets
from providers.mono import MonoChain
from providers.runtime import ConfigurationError, Deferrer, Publisher, bot_from_env, role_from_env, run_role

logger = logging.getLogger("botless")

T = TypeVar("T")
HTTP_ROLES = ("receive", "mono")


class UnknownTriggerError(ValueError):
    """An invocation payload is no shape this function handles; the message names what was expected."""


class LambdaApp:
    """The handler of one role: dispatches a payload, runs the role, answers Lambda."""

    def __init__(self, bot: Bot, role: str, *, publisher: Publisher | None = None,
                 deferrer: Deferrer | None = None, source: str = eventbridge.DEFAULT_SOURCE) -> None:
        self.bot = bot
        self.role = role
        self.publisher = publisher
        self.source = source
        self.chain = MonoChain(bot, deferrer, target="aws-lambda") if role == "mono" else None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._mangum: Callable[[Any, Any], dict[str, Any]] | None = None

    def __call__(self, payload: Any, context: Any = None) -> Any:
        """Handle one invocation (the Lambda handler signature)."""
        if warmup.is_warmup(payload):
            logger.info(json.dumps({"role": self.role, "target": "aws-lambda", "outcome": "warm-up"}))
            return warmup.WARMUP_ANSWER
        if http.is_http(payload):
            if self.role not in HTTP_ROLES:
                raise UnknownTriggerError(f"an HTTP request reached the {self.role} function; only "
                                          "receive and mono serve HTTP (check the Function URL/API route)")
            problem = http.body_problem(payload)
            if problem is not None:
                logger.warning(json.dumps({"role": self.role, "target": "aws-lambda", "outcome": "rejected",
                                           "status": 400, "reason": problem}))
                return http.bad_request(payload, problem)
            return self.http_handler()(payload, context)
        if invoke.is_resume(payload):
            return self._bus_event(invoke.event_from_resume(payload), "invoke")
        if sqs.is_sqs(payload):
            return self._sqs_batch(payload["Records"])
        if eventbridge.is_eventbridge(payload):
            if payload["source"] != self.source:
                return self._foreign(payload)
            return self._bus_event(eventbridge.event_from_eventbridge(payload), "eventbridge")
        keys = sorted(payload)[:8] if isinstance(payload, Mapping) else type(payload).__name__
        raise UnknownTriggerError(f"the {self.role} function cannot read this payload (keys: {keys}); "
                                  "it takes HTTP events (receive, mono), EventBridge events or SQS "
                                  "batches of them (parse, command, respond), or a Botless resume")

    def http_handler(self) -> Callable[[Any, Any], dict[str, Any]]:
        """mangum around the shared ASGI app, built on first use."""
        if self._mangum is None:
            from mangum import Mangum

            from providers.asgi import create_app

            if self.chain is not None:
                app = create_app(self.bot, self.chain.run, defer=self.chain.defer, ingress=False,
                                 api_chat=False)
            else:
                publish = self._require_publisher().publish
                app = create_app(self.bot, publish, defer=publish, ingress=False, api_chat=False)
            self._event_loop()  # mangum runs on the current loop: make it ours
            self._mangum = Mangum(app, lifespan="off")
        self._event_loop()
        return self._mangum

    def close(self) -> None:
        """Close the instance's event loop (Lambda just ends the process; tests call this)."""
        if self._loop is not None and not self._loop.is_closed():
            self._loop.close()

    def _bus_event(self, event: CloudEvent, source: str) -> dict[str, Any]:
        try:
            emitted = self._run(self._handle(event))
        except Exception as error:
            self._log_failure(event, source, error)
            raise
        return {"handled": event["id"], "emitted": [e["type"] for e in emitted]}

    async def _handle(self, event: CloudEvent) -> list[CloudEvent]:
        if self.chain is not None:
            await self.chain.resume(event)
            return []
        if self.role == "receive":
            raise UnknownTriggerError(f"a bus event ({event['type']}) reached the receive function, "
                                      "which takes HTTP only; check the EventBridge rule targets")
        publisher = self._require_publisher() if self.role != "respond" else None
        return await run_role(self.bot, self.role, event, publisher)

    def _sqs_batch(self, records: list[Mapping[str, Any]]) -> dict[str, list[dict[str, str]]]:
        failed: list[str] = []
        for record in records:
            try:
                event = sqs.event_from_record(record, self.source)
                if event is None:
                    logger.warning(json.dumps({"role": self.role, "target": "aws-lambda",
                                               "outcome": "ignored", "sqs": record.get("messageId"),
                                               "reason": "an EventBridge event of another source"}))
                    continue
                self._run(self._handle(event))
            except Exception as error:  # reported, so SQS retries this record alone
                logger.error(json.dumps({"role": self.role, "target": "aws-lambda", "outcome": "failed",
                                         "sqs": record.get("messageId"),
                                         "reason": f"{type(error).__name__}: {error}"}))
                failed.append(str(record.get("messageId", "")))
        return sqs.batch_response(failed)

    def _foreign(self, payload: Mapping[str, Any]) -> dict[str, Any]:
        logger.warning(json.dumps({"role": self.role, "target": "aws-lambda", "outcome": "ignored",
                                   "source": payload.get("source"), "detail-type": payload.get("detail-type"),
                                   "reason": f"EventBridge source is not {self.source!r}"}))
        return {"ignored": payload.get("id")}

    def _require_publisher(self) -> Publisher:
        if self.publisher is None:
            raise ConfigurationError(f"the {self.role} role on Lambda needs an EventBridge publisher")
        return self.publisher

    def _log_failure(self, event: CloudEvent, source: str, error: Exception) -> None:
        log_event(event, self.role, 0.0, "failed", target="aws-lambda", trigger=source,
                  reason=f"{type(error).__name__}: {error}")

    def _event_loop(self) -> asyncio.AbstractEventLoop:
        # One loop for the life of the instance, shared with mangum (which uses the current one).
        if self._loop is None or self._loop.is_closed():
            self._loop = asyncio.new_event_loop()
        asyncio.set_event_loop(self._loop)
        return self._loop

    def _run(self, work: Awaitable[T]) -> T:
        return self._event_loop().run_until_complete(work)  # type: ignore[arg-type]


def app_from_env(role: str, env: Mapping[str, str] | None = None, bot: Bot | None = None) -> LambdaApp:
    """The LambdaApp of `role` from the environment; ConfigurationError when a setting is missing."""
    env = os.environ if env is None else env
    publisher = EventBridgePublisher.from_env(env, role) if role in ("receive", "parse", "command") else None
    deferrer = invoke.SelfInvoker.from_env(env) if role == "mono" else None
    source = env.get("BOTLESS_EVENT_SOURCE", "") or eventbridge.DEFAULT_SOURCE
    if bot is None:
        # bot_from_env reads os.environ, once per process: the chat secrets SSM holds
        # (BOTLESS_SSM_PREFIX) must be there before it runs.
        load_chat_secrets(os.environ)
        # Webhook retries and bus redeliveries are recognised across instances through DynamoDB.
        bot = bot_from_env(store_from_env(env))
    return LambdaApp(bot, role, publisher=publisher, deferrer=deferrer, source=source)


@functools.cache
def _app(role: str) -> LambdaApp:
    return app_from_env(role)


def lambda_handler(role: str | None = None) -> Callable[[Any, Any], Any]:
    """A Lambda handler for `role` (default: `BOTLESS_ROLE`); the app is built once per instance."""

    def handle(payload: Any, context: Any = None) -> Any:
        return _app(role or role_from_env())(payload, context)

    handle.__name__ = handle.__qualname__ = role or "handler"
    return handle


def start(env: Mapping[str, str] | None = None) -> None:
    """Build the `BOTLESS_ROLE` app now (Lambda's init phase), so bad settings fail before a request.

    That includes reading the chat secrets from SSM when `BOTLESS_SSM_PREFIX` is set.
    """
    env = os.environ if env is None else env
    if env.get("BOTLESS_ROLE"):
        app = _app(role_from_env(dict(env)))
        if app.role in HTTP_ROLES:
            app.http_handler()  # mangum and the ASGI app: the first request needs them
