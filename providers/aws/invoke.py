"""Mono deferral on Lambda: an asynchronous (`Event`) invoke of this same function.

The payload is `{"botless-resume": <structured CloudEvent>}`; the handler recognises it
and continues the event with the whole chain. Lambda queues the invocation (answering
202), retries it twice on failure and then sends it to the function's on-failure
destination or DLQ.

The invoke is one SigV4-signed REST-JSON POST through providers/aws/json_api.py
(`POST /2015-03-31/functions/<name>/invocations`, `X-Amz-Invocation-Type: Event`), not
boto3: the first deferred command of an instance would otherwise import boto3 and build a
client (some 200-300 ms, 25 MiB) while Slack's 3 s ack clock runs.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import quote

from cloudevents.http import CloudEvent

from core.events import EventValidationError
from core.wire import event_from_mapping, event_to_json
from providers.aws.json_api import AwsApiError, AwsJsonApi, AwsUnreachableError
from providers.runtime import ConfigurationError, PublishError

RESUME_KEY = "botless-resume"
# Called with (function name, payload) once Lambda has queued an invocation: tests and
# `botless cost` see what was deferred.
INVOKE_OBSERVERS: list[Callable[[str, bytes], None]] = []


def is_resume(payload: Any) -> bool:
    """True for the payload of a deferred Botless event."""
    return isinstance(payload, Mapping) and RESUME_KEY in payload


def event_from_resume(payload: Mapping[str, Any]) -> CloudEvent:
    """The CloudEvent to continue; EventValidationError when the payload is damaged."""
    inner = payload[RESUME_KEY]
    if not isinstance(inner, Mapping):
        raise EventValidationError(f"{RESUME_KEY} must hold a structured CloudEvent object")
    return event_from_mapping(inner)


def resume_payload(event: CloudEvent) -> bytes:
    """The invoke payload that makes this function continue `event`."""
    return (f'{{"{RESUME_KEY}":{event_to_json(event)}}}').encode()


class SelfInvoker:
    """A Deferrer: `Event`-invokes this function (`AWS_LAMBDA_FUNCTION_NAME`) with the event."""

    def __init__(self, function_name: str, qualifier: str = "") -> None:
        self.function_name = function_name
        self.qualifier = qualifier
        self._api = AwsJsonApi("lambda")

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> SelfInvoker:
        """The invoker for the running function; ConfigurationError outside Lambda."""
        name = env.get("AWS_LAMBDA_FUNCTION_NAME", "")
        if not name:
            raise ConfigurationError("the mono topology on Lambda defers slow commands by invoking "
                                     "itself, but AWS_LAMBDA_FUNCTION_NAME is not set (is this running "
                                     "outside Lambda?)")
        version = env.get("AWS_LAMBDA_FUNCTION_VERSION", "")
        return cls(name, "" if version in ("", "$LATEST") else version)

    async def defer(self, event: CloudEvent) -> None:
        """Queue an asynchronous invocation of this function; PublishError when refused."""
        payload = resume_payload(event)
        path = f"/2015-03-31/functions/{quote(self.function_name, safe='')}/invocations"
        query = {"Qualifier": self.qualifier} if self.qualifier else None
        try:
            status, _ = await asyncio.to_thread(self._api.post, "Invoke", path, payload,
                                                {"X-Amz-Invocation-Type": "Event"}, query)
        except (AwsApiError, AwsUnreachableError) as error:
            raise PublishError(f"Lambda refused to queue {self.function_name} for event "
                               f"{event['id']}: {type(error).__name__}: {error}") from None
        if status != 202:
            raise PublishError(f"Lambda answered {status} instead of 202 when "
                               f"queueing {self.function_name} for event {event['id']}")
        for observe in INVOKE_OBSERVERS:
            observe(self.function_name, payload)
