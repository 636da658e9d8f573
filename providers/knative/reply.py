"""Knative's reply contract: a CloudEvent arrives on `POST /`, the derived event is the answer.

A Trigger delivers an event (binary or structured mode); the subscriber answers 200 with
one CloudEvent in the same mode, which the Broker publishes, or 202 with no body when
there is none. The status tells the Broker what to do with a failure: 400 for an event
that will never be handled and 422 for a reply the platform refused for good (a
PermanentDeliveryError: a 4xx other than 429, or a platform this bot has no responder
for), neither retried, dead-lettered at once when the Trigger has a dead letter sink and
logged `dead-lettered` with the platform's code; 429 with `Retry-After` (whole seconds,
rounded up) for a reply the platform rate-limited past respond's budget, which the
Broker retries with the Trigger's backoff, or after Retry-After when the Trigger sets
`delivery.retryAfterMax`; 5xx for one that may succeed later (retried with backoff, then
dead-lettered): a refused publish or a redelivery whose claim is still another
invocation's lease (InFlightError) is 503, a platform's transient refusal 502, anything
else 500. A failed run gave its claim back (run_role), so the redelivery runs.
"""

from __future__ import annotations

import json
import logging
import math
from collections.abc import Awaitable, Callable

from cloudevents.http import CloudEvent
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from core.chat.base import DeliveryError, PermanentDeliveryError, RateLimited
from core.events import EventValidationError
from core.logs import log_event
from core.wire import event_from_http, event_to_http
from providers.asgi.body import BodyTooLargeError, read_body
from providers.runtime import InFlightError, Publisher, PublishError

logger = logging.getLogger("botless")

Handle = Callable[[CloudEvent], Awaitable[list[CloudEvent]]]
# Knative Eventing retries 5xx, 404, 408, 409 and 429; any other 4xx is final.
PERMANENT_FAILURE = 422
RATE_LIMITED = 429


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
        except RateLimited as limited:
            return _rate_limited(role, limited, event)
        except PermanentDeliveryError as refused:
            # The Broker does not retry a 422 and dead-letters the event at once.
            log_event(event, role, 0.0, "dead-lettered", target="knative", status=PERMANENT_FAILURE,
                      retried=False, code=refused.code, reason=str(refused))
            return JSONResponse({"error": str(refused)}, status_code=PERMANENT_FAILURE)
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


def _rate_limited(role: str, limited: RateLimited, event: CloudEvent) -> Response:
    # Knative retries a 429; Retry-After says how long to wait (honoured with retryAfterMax).
    seconds = math.ceil(limited.retry_after)
    log_event(event, role, 0.0, "rate-limited", target="knative", status=RATE_LIMITED, retried=True,
              retry_after=seconds, reason=str(limited))
    return JSONResponse({"error": str(limited)}, status_code=RATE_LIMITED,
                        headers={"Retry-After": str(seconds)})


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
