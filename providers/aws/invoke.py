"""Mono deferral on Lambda: an asynchronous (`Event`) invoke of this same function.

The payload is `{"botless-resume": <structured CloudEvent>}`; the handler recognises it
and continues the event with the whole chain. Lambda queues the invocation, retries
it twice on failure and then sends it to the function's on-failure destination or DLQ.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from typing import Any

from cloudevents.http import CloudEvent

from core.events import EventValidationError
from core.wire import event_from_mapping, event_to_json
from providers.aws.clients import client
from providers.runtime import ConfigurationError, PublishError

RESUME_KEY = "botless-resume"


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
        request: dict[str, Any] = {"FunctionName": self.function_name, "InvocationType": "Event",
                                   "Payload": resume_payload(event)}
        if self.qualifier:
            request["Qualifier"] = self.qualifier
        try:
            answer = await asyncio.to_thread(client("lambda").invoke, **request)
        except Exception as error:  # botocore's ClientError, EndpointConnectionError, ...
            raise PublishError(f"Lambda refused to queue {self.function_name} for event "
                               f"{event['id']}: {type(error).__name__}: {error}") from None
        if answer.get("StatusCode") != 202:
            raise PublishError(f"Lambda answered {answer.get('StatusCode')} instead of 202 when "
                               f"queueing {self.function_name} for event {event['id']}")

