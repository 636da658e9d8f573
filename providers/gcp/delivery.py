"""What reached a function from Pub/Sub, back to the Botless CloudEvent it carries.

Three sources, mangum-style (providers/triggers.py): each is a pure `infer` check and the
converter it picks, listed in the order they are tried. A CloudEvent function gets a
messagePublished CloudEvent (providers/gcp/eventarc.py) or a Botless CloudEvent sent
directly; an HTTP push to mono carries a raw push envelope (providers/gcp/push.py) or a
CloudEvent over HTTP. A warm-up ping and a foreign event type come out as None
(acknowledged, no work); anything else that carries no Botless event is a
MalformedTriggerError. What comes out is a ValidEvent: checked once, by the decoder that
read it, or here for an event functions-framework built.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, TypeVar

from cloudevents.http import CloudEvent

from core.events import EventValidationError, ValidEvent, is_botless_type, validated
from core.json_input import JsonInputError, decode_json
from core.logs import log_event
from core.wire import event_from_http
from providers.gcp.eventarc import is_message_published, message_from_cloud_event
from providers.gcp.message import PubSubMessage, event_from_message, is_warmup
from providers.gcp.push import is_push_envelope, message_from_push
from providers.triggers import Trigger, UnknownTriggerError, dispatch

logger = logging.getLogger("botless")

Delivery = PubSubMessage | CloudEvent
Converted = TypeVar("Converted")


class MalformedTriggerError(EventValidationError):
    """A Pub/Sub delivery that carries no Botless CloudEvent (answered 400, so it is dead-lettered)."""


@dataclass(frozen=True)
class PushRequest:
    """An HTTP push as the sources see it: headers, body, and the body's JSON (None if it is none)."""

    headers: Mapping[str, str]
    body: bytes
    payload: Any


def message_from_trigger(cloud_event: CloudEvent) -> Delivery:
    """What a CloudEvent function got: a Pub/Sub message, or a Botless event sent directly."""
    return _converted(CLOUD_EVENT_SOURCES, cloud_event, "no CloudEvent")


def message_from_http(headers: Mapping[str, str], body: bytes) -> Delivery:
    """What a push to the mono function carries: a push envelope or a CloudEvent over HTTP."""
    try:
        payload = decode_json(body)
    except JsonInputError as error:
        if not any(name.lower() == "ce-specversion" for name in headers):
            raise MalformedTriggerError(f"neither a Pub/Sub push envelope nor a CloudEvent: {error}") from None
        payload = None  # a binary-mode CloudEvent: its data is read (bounded) by event_from_http
    return _converted(PUSH_SOURCES, PushRequest(headers, body, payload),
                      "neither a Pub/Sub push envelope nor a CloudEvent")


def delivered_event(delivery: Delivery) -> ValidEvent | None:
    """The Botless event in a delivery; None for a warm-up ping or a foreign event type."""
    return _converted(DELIVERIES, delivery, "no Pub/Sub message or CloudEvent")


def _converted(sources: tuple[Trigger[Converted], ...], payload: Any, expected: str) -> Converted:
    # Every refusal, a source's own or "no source is this shape", is the one error the
    # entrypoints answer 400 (dead-lettered): never a 5xx that Pub/Sub would retry.
    try:
        return dispatch(sources, payload, expected=expected)
    except (EventValidationError, UnknownTriggerError) as error:
        if isinstance(error, MalformedTriggerError):
            raise
        raise MalformedTriggerError(str(error)) from None


# A CloudEvent function ---------------------------------------------------------------

def _is_cloud_event(payload: Any) -> bool:
    return isinstance(payload, CloudEvent)


def _as_sent(event: CloudEvent) -> CloudEvent:
    return event  # checked with the other deliveries, by delivered_event


CLOUD_EVENT_SOURCES: tuple[Trigger[Delivery], ...] = (
    Trigger("pubsub-message-published", is_message_published, message_from_cloud_event),
    Trigger("botless-cloudevent", _is_cloud_event, _as_sent),
)


# An HTTP push to mono ----------------------------------------------------------------

def _is_push(request: PushRequest) -> bool:
    return is_push_envelope(request.payload)


def _message_of_push(request: PushRequest) -> PubSubMessage:
    return message_from_push(request.payload)


def _is_cloud_event_request(request: PushRequest) -> bool:
    # Binary mode names the version in a header; structured mode in the JSON body.
    return any(name.lower() == "ce-specversion" for name in request.headers) \
        or (isinstance(request.payload, Mapping) and "specversion" in request.payload)


def _event_of_request(request: PushRequest) -> Delivery:
    try:
        event = event_from_http(request.headers, request.body)
    except EventValidationError as error:
        raise MalformedTriggerError(f"neither a Pub/Sub push envelope nor a CloudEvent: {error}") from None
    return message_from_trigger(event)


PUSH_SOURCES: tuple[Trigger[Delivery], ...] = (
    Trigger("pubsub-push", _is_push, _message_of_push),
    Trigger("cloudevent-http", _is_cloud_event_request, _event_of_request),
)


# What a delivery holds ---------------------------------------------------------------

def _is_message(delivery: Any) -> bool:
    return isinstance(delivery, PubSubMessage)


def _is_warmup_message(delivery: Any) -> bool:
    return isinstance(delivery, PubSubMessage) and is_warmup(delivery)


def _warmup(message: PubSubMessage) -> None:
    logger.info(json.dumps({"message": message.message_id, "outcome": "warm-up"}))
    return None


def _event_of_message(message: PubSubMessage) -> ValidEvent | None:
    return _botless_event(event_from_message(message))


def _botless_event(event: CloudEvent) -> ValidEvent | None:
    if not is_botless_type(event["type"]):
        log_event(event, "gcf", 0.0, "ignored")
        return None
    return validated(event)  # as it is when its decoder checked it (a ValidEvent)


DELIVERIES: tuple[Trigger[ValidEvent | None], ...] = (
    Trigger("warm-up", _is_warmup_message, _warmup),
    Trigger("pubsub-message", _is_message, _event_of_message),
    Trigger("cloudevent", _is_cloud_event, _botless_event),
)
