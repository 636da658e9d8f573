"""Knative's reply contract: a CloudEvent arrives on `POST /`, the derived event is the answer.

A Trigger delivers an event (binary or structured mode); the subscriber answers 200 with
one CloudEvent in the same mode, which the Broker publishes, or 202 with no body when
there is none. The status tells the Broker what to do with a failure: 400 for an event
that will never be handled and 422 for a response to a platform this bot has no
responder for (neither is retried; dead-lettered at once when the Trigger has a dead
letter sink), 5xx for one that may succeed later (retried with backoff, then dead-lettered):
a refused publish or a redelivery whose claim is still another invocation's lease
(InFlightError) is 503, a platform's refusal 502, anything else 500.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable

from cloudevents.http import CloudEvent
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from core.chat.base import DeliveryError, UnknownPlatformError
from core.events import EventValidationError
from core.wire import event_from_http, event_to_http
from providers.asgi.body import BodyTooLargeError, read_body
from providers.runtime import InFlightError, Publisher, PublishError

logger = logging.getLogger("botless")

Handle = Callable[[CloudEvent], Awaitable[list[CloudEvent]]]
# Knative Eventing retries 5xx, 404, 408, 409 and 429; any other 4xx is final.
PERMANENT_FAILURE = 422


def reply_endpoint(role: str, handle: Handle, *, limit: int, sink: Publisher | None = None):  # type: ignore[no-untyped-def]
    """The `POST /` endpoint of `role`: run `handle` on the event, reply with what it emits."""

    async def endpoint(request: Request) -> Response:
        try:
            event = event_from_http(request.headers, await read_body(request, limit))
        except BodyTooLargeError as error:
            return _failure(role, 413, str(error))
        except EventValidationError as error:
            return _failure(role, 400, str(error))
        try:
            emitted = await handle(event)
            if len(emitted) > 1:
                # A reply carries one event; the rest go to the sink, if there is one.
                if sink is None:
                    raise PublishError(f"{role} emitted {len(emitted)} events but a Knative reply "
                                       "carries one; bind the service to the Broker (K_SINK)")
                for extra in emitted[1:]:
                    await sink.publish(extra)
        except EventValidationError as error:
            return _failure(role, 400, str(error), event)
        except UnknownPlatformError as error:
            # Permanent: the Broker does not retry a 422 and dead-letters the event at once.
            return _failure(role, PERMANENT_FAILURE, str(error), event)
        except (PublishError, InFlightError, DeliveryError) as error:
            return _failure(role, 502 if isinstance(error, DeliveryError) else 503, str(error), event)
        except Exception as error:  # noqa: BLE001 - answered 500 so the Broker retries
            logger.exception("%s failed on event %s", role, event["id"])
            return _failure(role, 500, f"{type(error).__name__}: {error}", event)
        if not emitted:
            return Response(status_code=202)
        mode = "structured" if _is_structured(request) else "binary"
        headers, body = event_to_http(emitted[0], mode)
        return Response(body, status_code=200, headers=headers)

    return endpoint


def _is_structured(request: Request) -> bool:
    return request.headers.get("content-type", "").startswith("application/cloudevents+json")


def _failure(role: str, status: int, reason: str, event: CloudEvent | None = None) -> Response:
    record = {"role": role, "target": "knative", "outcome": "rejected" if status < 500 else "failed",
              "retried": status >= 500,
              "status": status, "reason": reason}
    if event is not None:
        record.update(id=event["id"], type=event["type"])
    logger.error(json.dumps(record, ensure_ascii=False))
    return JSONResponse({"error": reason}, status_code=status)
