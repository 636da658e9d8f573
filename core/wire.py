"""CloudEvents over HTTP (binary and structured mode) and as plain JSON, via the SDK."""

from __future__ import annotations

import json
from typing import Any, Mapping

from cloudevents.conversion import to_binary, to_dict, to_structured
from cloudevents.exceptions import GenericException
from cloudevents.http import CloudEvent, from_dict, from_http

from core.events import EventValidationError, validate_event


def event_from_http(headers: Mapping[str, str], body: bytes) -> CloudEvent:
    """The CloudEvent in an HTTP request (either mode), validated; else EventValidationError."""
    try:
        event = from_http(dict(headers), body)
    except GenericException as error:
        raise EventValidationError(f"not a CloudEvent: {error}") from None
    except (ValueError, TypeError, AttributeError) as error:
        raise EventValidationError(f"not a CloudEvent: {error}") from None
    validate_event(event)
    return event


def event_to_http(event: CloudEvent, mode: str = "binary") -> tuple[dict[str, str], bytes]:
    """Headers and body for sending `event` over HTTP in `binary` or `structured` mode."""
    if mode == "binary":
        headers, body = to_binary(event)
    elif mode == "structured":
        headers, body = to_structured(event)
    else:
        raise ValueError(f"unknown CloudEvents HTTP mode {mode!r}: choose binary or structured")
    return dict(headers), body if isinstance(body, bytes) else str(body).encode()


def event_to_json(event: CloudEvent) -> str:
    """The structured-mode JSON of `event` (for buses that carry JSON documents)."""
    return json.dumps(to_dict(event), separators=(",", ":"), ensure_ascii=False)


def event_from_mapping(payload: Mapping[str, Any]) -> CloudEvent:
    """A CloudEvent from its structured-mode JSON object, validated."""
    if not isinstance(payload, Mapping):
        raise EventValidationError(f"a CloudEvent must be a JSON object, got {type(payload).__name__}")
    try:
        event = from_dict(dict(payload))
    except GenericException as error:
        raise EventValidationError(f"not a CloudEvent: {error}") from None
    validate_event(event)
    return event
