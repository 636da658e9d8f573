"""CloudEvents over HTTP (binary and structured mode) and as plain JSON, via the SDK.

Everything that reads an event from outside comes through here, and is checked before
the SDK sees it: JSON through core/json_input.py (bounded depth, UTF-8, no NaN), the
attributes as they were sent (core/event_attributes.py, since the SDK lower-cases
extension names and raises TypeError on some shapes), the Botless data last. What comes
out is a ValidEvent (core/events.py): checked here, once, and trusted by every later stage.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Mapping
from typing import Any

from cloudevents.conversion import from_http, to_binary, to_dict, to_structured
from cloudevents.exceptions import GenericException
from cloudevents.http import CloudEvent

from core.events import EventValidationError, ValidEvent, validate_attributes
from core.json_input import JsonInputError, check_json_value, decode_json

_BINARY_PREFIX = "ce-"


def event_from_http(headers: Mapping[str, str], body: bytes) -> ValidEvent:
    """The CloudEvent in an HTTP request (either mode), validated; else EventValidationError."""
    lowered = {name.lower(): value for name, value in headers.items()}
    if _BINARY_PREFIX + "specversion" not in lowered:
        # Structured mode: the body is the whole event (the SDK would decode it unbounded).
        try:
            payload = decode_json(body, "the body")
        except JsonInputError as error:
            raise EventValidationError(f"not a CloudEvent: {error}") from None
        return event_from_mapping(payload)
    validate_attributes({name[len(_BINARY_PREFIX):]: value for name, value in lowered.items()
                         if name.startswith(_BINARY_PREFIX)})
    data = _binary_data(lowered.get("content-type", ""), body)
    try:
        # The data is decoded already (bounded); the SDK only takes the attributes from headers.
        return from_http(ValidEvent, lowered, body, data_unmarshaller=lambda _: data)
    except EventValidationError:
        raise  # ValidEvent's own check: its reason as it is
    except GenericException as error:
        raise EventValidationError(f"not a CloudEvent: {error}") from None
    except (ValueError, TypeError, AttributeError) as error:
        raise EventValidationError(f"not a CloudEvent: {error}") from None


def event_to_http(event: CloudEvent, mode: str = "binary") -> tuple[dict[str, str], bytes]:
    """Headers and body for sending `event` over HTTP in `binary` or `structured` mode."""
    if mode == "binary":
        headers, body = to_binary(event)
        if event.data is None:
            # The SDK writes str(None), b"None", which no reader takes; an event without
            # data has an empty body (which event_from_http reads back as data None).
            body = b""
    elif mode == "structured":
        headers, body = to_structured(event)
    else:
        raise ValueError(f"unknown CloudEvents HTTP mode {mode!r}: choose binary or structured")
    return dict(headers), body if isinstance(body, bytes) else str(body).encode()


def event_to_json(event: CloudEvent) -> str:
    """The structured-mode JSON of `event` (for buses that carry JSON documents)."""
    return json.dumps(to_dict(event), separators=(",", ":"), ensure_ascii=False)


def event_from_mapping(payload: Mapping[str, Any]) -> ValidEvent:
    """A CloudEvent from its structured-mode JSON object, validated before the SDK builds it.

    The object may come from a runtime's own decoder (a Lambda payload), so its bounds are
    checked here too. `data_base64` becomes the decoded bytes, or their JSON when they are.
    """
    if not isinstance(payload, Mapping):
        raise EventValidationError(f"a CloudEvent must be a JSON object, got {type(payload).__name__}")
    try:
        check_json_value(payload, "the CloudEvent")
    except JsonInputError as error:
        raise EventValidationError(str(error)) from None
    validate_attributes(payload)
    attributes = {name: value for name, value in payload.items()
                  if name not in ("data", "data_base64") and value is not None}
    data = payload.get("data")
    if payload.get("data_base64") is not None:
        if "data" in payload:
            raise EventValidationError("a CloudEvent has either `data` or `data_base64`, not both")
        data = _base64_data(payload["data_base64"])
    try:
        return ValidEvent(attributes, data)
    except GenericException as error:
        raise EventValidationError(f"not a CloudEvent: {error}") from None


def _binary_data(content_type: str, body: bytes) -> Any:
    """The data of a binary-mode event: bounded JSON when the content type is JSON or absent."""
    if not body:
        return None
    media_type = content_type.split(";")[0].strip().lower()
    if media_type and not media_type.endswith(("/json", "+json")):
        return body
    try:
        return decode_json(body, "the body")
    except JsonInputError as error:
        raise EventValidationError(f"not a CloudEvent's JSON data: {error}") from None


def _base64_data(encoded: Any) -> Any:
    if not isinstance(encoded, str):
        raise EventValidationError("CloudEvent `data_base64` must be a base64 string")
    try:
        raw = base64.b64decode(encoded, validate=True)
    except (binascii.Error, ValueError):
        raise EventValidationError("CloudEvent `data_base64` is not base64 (RFC 4648)") from None
    try:
        return decode_json(raw)
    except JsonInputError:
        return raw  # not JSON: the data stays bytes, as the SDK would leave it
