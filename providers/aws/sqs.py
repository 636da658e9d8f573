"""SQS batches of EventBridge events (a rule's SQS target), answered with batchItemFailures.

Each record's body is the EventBridge event as the rule delivered it; a body that is
itself a structured CloudEvent (a queue fed directly) is accepted too. The function's
event source mapping must enable `ReportBatchItemFailures`, so that only the failed
records return to the queue (and, past maxReceiveCount, to its dead-letter queue).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from cloudevents.http import CloudEvent

from core.events import EventValidationError
from core.json_input import JsonInputError, decode_json
from core.wire import event_from_mapping
from providers.aws.eventbridge import event_from_eventbridge, is_eventbridge


def is_sqs(payload: Any) -> bool:
    """True for an SQS trigger batch."""
    records = payload.get("Records") if isinstance(payload, Mapping) else None
    return isinstance(records, list) and bool(records) and all(
        isinstance(r, Mapping) and r.get("eventSource") == "aws:sqs" for r in records)


def event_from_record(record: Mapping[str, Any], source: str) -> CloudEvent | None:
    """The Botless CloudEvent in one SQS record, None for another source's EventBridge event.

    EventValidationError when the record should hold a Botless event and does not.
    """
    where = f"SQS message {record.get('messageId', '?')}"
    raw = record.get("body") or ""
    if not isinstance(raw, str):
        raise EventValidationError(f"{where}: body is not JSON text")
    try:
        body = decode_json(raw, "body")
    except JsonInputError as error:
        raise EventValidationError(f"{where}: body is not JSON we read ({error})") from None
    if is_eventbridge(body):
        return event_from_eventbridge(body) if body["source"] == source else None
    return event_from_mapping(body)


def batch_response(failed_message_ids: list[str]) -> dict[str, list[dict[str, str]]]:
    """Lambda's partial batch response: only these records are retried."""
    return {"batchItemFailures": [{"itemIdentifier": message_id} for message_id in failed_message_ids]}
