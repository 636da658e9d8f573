"""What reached a function from Pub/Sub, back to the Botless CloudEvent it carries.

Three sources, each recognised by a pure check: a raw push envelope (providers/gcp/push.py),
a messagePublished CloudEvent (providers/gcp/eventarc.py) and a Botless CloudEvent sent
directly. A warm-up ping and a foreign event type come out as None (acknowledged, no
work); anything else that carries no Botless event is a MalformedTriggerError. What
comes out is a ValidEvent: checked once, by the decoder that read it, or here for an
event functions-framework built.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping

from cloudevents.http import CloudEvent

from core.events import EventValidationError, ValidEvent, is_botless_type, validated
from core.json_input import JsonInputError, decode_json
from core.logs import log_event
from core.wire import event_from_http
from providers.gcp.eventarc import is_message_published, message_from_cloud_event
from providers.gcp.message import PubSubMessage, event_from_message, is_warmup
from providers.gcp.push import is_push_envelope, message_from_push

logger = logging.getLogger("botless")


class MalformedTriggerError(EventValidationError):
    """A Pub/Sub delivery that carries no Botless CloudEvent (answered 400, so it is dead-lettered)."""


def message_from_trigger(cloud_event: CloudEvent) -> PubSubMessage | CloudEvent:
    """What a CloudEvent function got: a Pub/Sub message, or a Botless event sent directly."""
    if is_message_published(cloud_event):
        try:
            return message_from_cloud_event(cloud_event)
        except EventValidationError as error:
            raise MalformedTriggerError(str(error)) from None
    return cloud_event


def message_from_http(headers: Mapping[str, str], body: bytes) -> PubSubMessage | CloudEvent:
    """What a push to the mono function carries: a push envelope or a messagePublished event."""
    try:
        payload = decode_json(body)
    except JsonInputError as error:
        if not any(name.lower() == "ce-specversion" for name in headers):
            raise MalformedTriggerError(f"neither a Pub/Sub push envelope nor a CloudEvent: {error}") from None
        payload = None  # a binary-mode CloudEvent: its data is read (bounded) by event_from_http
    if is_push_envelope(payload):
        try:
            return message_from_push(payload)
        except EventValidationError as error:
            raise MalformedTriggerError(str(error)) from None
    try:
        event = event_from_http(headers, body)
    except EventValidationError as error:
        raise MalformedTriggerError(f"neither a Pub/Sub push envelope nor a CloudEvent: {error}") from None
    return message_from_trigger(event)


def delivered_event(delivery: PubSubMessage | CloudEvent) -> ValidEvent | None:
    """The Botless event in a delivery; None for a warm-up ping or a foreign event type."""
    if isinstance(delivery, PubSubMessage):
        if is_warmup(delivery):
            logger.info(json.dumps({"message": delivery.message_id, "outcome": "warm-up"}))
            return None
        try:
            delivery = event_from_message(delivery)
        except EventValidationError as error:
            raise MalformedTriggerError(str(error)) from None
    if not is_botless_type(delivery["type"]):
        log_event(delivery, "gcf", 0.0, "ignored")
        return None
    try:
        return validated(delivery)  # as it is when its decoder checked it (a ValidEvent)
    except EventValidationError as error:
        raise MalformedTriggerError(str(error)) from None
