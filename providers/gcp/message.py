"""The Pub/Sub message that carries one Botless CloudEvent, both ways.

Botless publishes in the structured mode of the CloudEvents Pub/Sub binding: the
message data is the event's JSON and the `content-type` attribute says so. It also
copies `type`, `source` and `id` into plain attributes, so that a subscription can
filter on the event type alone, e.g. `attributes.type = "botless.bot.command.define"`
or `hasPrefix(attributes.type, "botless.bot.command.")`.

Reading accepts that and the binary mode of the same binding (`ce-*` attributes, the
data as the event's data), so events published by other tools arrive too. A message
with the `botless-warmup` attribute (a Cloud Scheduler keep-warm job) is an explicit
no-op.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from cloudevents.http import CloudEvent

from core.events import EventValidationError, validate_attributes, validated
from core.json_input import JsonInputError, decode_json
from core.wire import event_from_mapping, event_to_json

STRUCTURED_CONTENT_TYPE = "application/cloudevents+json"
WARMUP_ATTRIBUTE = "botless-warmup"
# Plain attribute names: the Pub/Sub filter language reads `attributes.type` without quoting.
FILTER_ATTRIBUTES = ("type", "source", "id")


@dataclass(frozen=True)
class PubSubMessage:
    """A Pub/Sub message as a function sees it: decoded data, attributes and its id."""

    data: bytes
    attributes: Mapping[str, str] = field(default_factory=dict)
    message_id: str = ""


def message_from_event(event: CloudEvent) -> PubSubMessage:
    """The message to publish for `event`: structured JSON data plus filter attributes."""
    attributes = {name: str(event[name]) for name in FILTER_ATTRIBUTES}
    attributes["content-type"] = STRUCTURED_CONTENT_TYPE
    return PubSubMessage(event_to_json(event).encode("utf-8"), attributes)


def is_warmup(message: PubSubMessage) -> bool:
    """True for a keep-warm ping: handled as an explicit no-op."""
    return WARMUP_ATTRIBUTE in message.attributes


def event_from_message(message: PubSubMessage) -> CloudEvent:
    """The Botless CloudEvent in `message` (structured or binary), validated.

    Raises EventValidationError, naming the message id, when the message carries no
    CloudEvent: the caller answers with an error so that Pub/Sub redelivers it and,
    past the subscription's attempts, dead-letters it.
    """
    attributes = dict(message.attributes)
    where = f"Pub/Sub message {message.message_id or '(no id)'}"
    content_type = attributes.get("content-type", "")
    if "ce-type" in attributes and not content_type.startswith(STRUCTURED_CONTENT_TYPE):
        return _from_binary(attributes, message.data, where)
    try:
        payload = decode_json(message.data, "data")
    except JsonInputError as error:
        raise EventValidationError(f"{where}: data is not CloudEvent JSON ({error})") from None
    if not isinstance(payload, Mapping):
        raise EventValidationError(f"{where}: data must be a CloudEvent JSON object")
    try:
        return event_from_mapping(payload)
    except EventValidationError as error:
        raise EventValidationError(f"{where}: {error}") from None


def _from_binary(attributes: Mapping[str, str], data: bytes, where: str) -> CloudEvent:
    ce_attributes: dict[str, Any] = {
        name[3:]: value for name, value in attributes.items() if name.startswith("ce-")
    }
    missing = [name for name in ("id", "source", "type", "specversion") if not ce_attributes.get(name)]
    if missing:
        raise EventValidationError(f"{where}: binary CloudEvent without {', '.join('ce-' + m for m in missing)}")
    if attributes.get("content-type"):
        ce_attributes.setdefault("datacontenttype", attributes["content-type"])
    try:
        validate_attributes(ce_attributes)  # before the SDK, which lower-cases names
    except EventValidationError as error:
        raise EventValidationError(f"{where}: {error}") from None
    body: Any = data
    if ce_attributes.get("datacontenttype", "application/json").split(";")[0].endswith("json"):
        try:
            body = decode_json(data, "data") if data else None
        except JsonInputError as error:
            raise EventValidationError(f"{where}: data is not the JSON its content type says ({error})") from None
    try:
        event = CloudEvent(ce_attributes, body)
    except Exception as error:  # the SDK raises its own exception types for bad attributes
        raise EventValidationError(f"{where}: not a CloudEvent: {error}") from None
    return validated(event)  # checked once, here at its door


def message_from_json(payload: Any, where: str) -> PubSubMessage:
    """A message from its JSON form in push deliveries (`{"data": base64, "attributes": ...}`)."""
    if not isinstance(payload, Mapping):
        raise EventValidationError(f"{where}: `message` must be an object, got {type(payload).__name__}")
    attributes = payload.get("attributes") or {}
    if not isinstance(attributes, Mapping) or not all(isinstance(v, str) for v in attributes.values()):
        raise EventValidationError(f"{where}: message attributes must be an object of strings")
    raw = payload.get("data") or ""
    try:
        data = base64.b64decode(raw, validate=True) if raw else b""
    except (binascii.Error, TypeError, ValueError):
        raise EventValidationError(f"{where}: message data is not base64") from None
    message_id = payload.get("messageId") or payload.get("message_id") or ""
    return PubSubMessage(data, dict(attributes), str(message_id))
