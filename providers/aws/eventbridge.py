"""EventBridge: a Botless CloudEvent travels as `detail`, its type as `detail-type`.

A rule routes on `detail-type` alone (one type per command, DESIGN.md), e.g.
`{"source": ["botless"], "detail-type": [{"prefix": "botless.bot.command."}]}`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from cloudevents.http import CloudEvent

from core.events import EventValidationError
from core.wire import event_from_mapping, event_to_json

DEFAULT_SOURCE = "botless"
# PutEvents refuses an entry over 256 KB; say so before AWS does.
MAX_ENTRY_BYTES = 256 * 1024


def is_eventbridge(payload: Any) -> bool:
    """True for an EventBridge event delivered to a Lambda function (or through SQS)."""
    return isinstance(payload, Mapping) and "detail-type" in payload and "detail" in payload \
        and "source" in payload


def event_from_eventbridge(payload: Mapping[str, Any]) -> CloudEvent:
    """The Botless CloudEvent in an EventBridge event; EventValidationError when it is not one."""
    detail = payload.get("detail")
    if not isinstance(detail, Mapping):
        raise EventValidationError(f"EventBridge event {payload.get('id', '?')}: detail is not a "
                                   "CloudEvent object")
    event = event_from_mapping(detail)
    if event["type"] != payload.get("detail-type"):
        raise EventValidationError(f"EventBridge event {payload.get('id', '?')}: detail-type "
                                   f"{payload.get('detail-type')!r} differs from the CloudEvent type "
                                   f"{event['type']!r}")
    return event


def entry_for(event: CloudEvent, bus: str, source: str = DEFAULT_SOURCE) -> dict[str, str]:
    """The PutEvents entry carrying `event` on `bus`."""
    detail = event_to_json(event)
    if len(detail.encode()) > MAX_ENTRY_BYTES:
        raise EventValidationError(f"event {event['id']} is {len(detail.encode())} bytes; an "
                                   f"EventBridge entry holds at most {MAX_ENTRY_BYTES}")
    return {"EventBusName": bus, "Source": source, "DetailType": event["type"], "Detail": detail}
