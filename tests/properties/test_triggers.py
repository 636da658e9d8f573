"""The bus trigger converters: EventBridge, SQS records, Pub/Sub push, Event Grid.

Property: each converter's documented rejection (EventValidationError, of which
MalformedTriggerError is one) or an explicit no-op (None), else an event that keeps the
spec's rules (spec.py); never another exception, and bounded work (budget.py).
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from typing import Any

import azure.functions as func
from azure.functions import meta
from azure.functions.eventgrid import EventGridEventInConverter
from hypothesis import given
from hypothesis import strategies as st

from core.events import EventValidationError
from providers.aws.eventbridge import event_from_eventbridge, is_eventbridge
from providers.aws.sqs import event_from_record
from providers.azure.eventgrid import event_from_trigger, is_subscription_event
from providers.gcp.delivery import delivered_event, message_from_http
from tests.chat.helpers import event_json
from tests.properties.budget import within_budget
from tests.properties.profiles import fast, fast_big, full, full_big
from tests.properties.spec import check_accepted
from tests.properties.strategies import Body, Text, documents, json_values, mutated, mutated_objects
from tests.properties.test_wire import SAMPLES, WIRE_BUDGET

SOURCE = "botless"
SQS_RECORD = event_json("aws", "sqs_event.json")["Records"][0]
PUSH_ENVELOPE = event_json("gcp", "push_envelope.json")
EVENT_GRID = event_json("azure", "eventgrid_cloudevent.json")


def eventbridge_of(event: dict[str, Any]) -> dict[str, Any]:
    """How a rule delivers a Botless event to a Lambda function."""
    return {"version": "0", "id": "eb-1", "detail-type": event["type"], "source": SOURCE, "account": "1",
            "time": "2026-11-28T07:12:10Z", "region": "eu-west-1", "resources": [], "detail": event}


EVENTBRIDGE_SAMPLES = [eventbridge_of(sample) for sample in SAMPLES]


def converted(convert: Callable[..., Any], *args: Any) -> None:
    try:
        event = within_budget(WIRE_BUDGET, convert, *args)
    except EventValidationError:
        return
    if event is not None:
        check_accepted(event)


def eventbridge(payload: Any) -> None:
    if is_eventbridge(payload):
        converted(event_from_eventbridge, payload)


@st.composite
def sqs_records(draw: st.DrawFn) -> dict[str, Any]:
    """A real SQS record whose body is a (hostile) EventBridge event, CloudEvent or anything."""
    record = dict(SQS_RECORD)
    sample = draw(st.sampled_from(EVENTBRIDGE_SAMPLES + SAMPLES))
    record["body"] = draw(documents(sample)).decode("utf-8", "replace")
    if draw(st.integers(0, 9)) == 0:
        record["body"] = draw(json_values)
    return record


def sqs(record: dict[str, Any]) -> None:
    converted(event_from_record, record, SOURCE)


@st.composite
def pushes(draw: st.DrawFn) -> tuple[dict[str, str], bytes]:
    """A push envelope carrying a hostile event in base64 data, a mutated envelope, or anything."""
    choice = draw(st.integers(0, 3))
    if choice == 0:
        return {"content-type": "application/json"}, draw(documents(PUSH_ENVELOPE))
    envelope = json.loads(json.dumps(PUSH_ENVELOPE))
    inner = draw(st.sampled_from(SAMPLES).flatmap(documents))
    envelope["message"]["data"] = base64.b64encode(inner).decode()
    if choice == 1:
        envelope["message"]["attributes"] = {"ce-type": "botless.chat.message", "ce-id": "1", "ce-source": "/x",
                                             "ce-specversion": "1.0", "content-type": "application/json"}
    return {"content-type": "application/json"}, Body(json.dumps(envelope).encode())


def pubsub_push(request: tuple[dict[str, str], bytes]) -> None:
    converted(lambda headers, body: delivered_event(message_from_http(headers, body)), *request)


def event_grid(text: str) -> None:
    # What the Functions worker does with the delivery before Botless sees it; what the
    # worker itself cannot decode never reaches Botless.
    try:
        trigger = EventGridEventInConverter.decode(meta.Datum(text, "json"), trigger_metadata={})
    except (ValueError, TypeError, AttributeError, RecursionError):  # e.g. a JSON string, not an object
        return
    if isinstance(trigger, func.CloudEvent) and not is_subscription_event(trigger):
        converted(event_from_trigger, trigger)


eventbridge_payloads = st.sampled_from(EVENTBRIDGE_SAMPLES).flatmap(mutated_objects)
event_grid_texts = mutated(EVENT_GRID, deep=False).map(Text)

test_fast_eventbridge = fast(given(payload=eventbridge_payloads)(eventbridge))
test_full_eventbridge = full(given(payload=eventbridge_payloads)(eventbridge))
test_fast_sqs_records = fast_big(given(record=sqs_records())(sqs))
test_full_sqs_records = full_big(given(record=sqs_records())(sqs))
test_fast_pubsub_push = fast_big(given(request=pushes())(pubsub_push))
test_full_pubsub_push = full_big(given(request=pushes())(pubsub_push))
test_fast_event_grid = fast_big(given(text=event_grid_texts)(event_grid))
test_full_event_grid = full_big(given(text=event_grid_texts)(event_grid))
