"""core.wire: CloudEvents from HTTP (binary and structured mode) and from JSON objects.

Property: EventValidationError or an event that keeps the spec's rules (spec.py); never
another exception, and bounded work (budget.py) on inputs up to 1000s deep.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from core.events import EventValidationError
from core.wire import event_from_http, event_from_mapping
from tests.chat.helpers import event_json
from tests.properties.budget import within_budget
from tests.properties.profiles import fast, fast_big, full, full_big
from tests.properties.spec import check_accepted
from tests.properties.strategies import Body, documents, json_values, mutated_objects

COMMAND_EVENT = event_json("azure", "eventgrid_cloudevent.json")
CHAT_EVENT = {"specversion": "1.0", "id": "m-1", "source": "/botless/slack", "type": "botless.chat.message",
              "datacontenttype": "application/json", "botplatform": "slack", "botchannel": "C1",
              "data": {"platform": "slack", "text": "/echo hi", "user": {"id": "W1"}, "channel": "C1",
                       "message_id": "1700000000.000100"}}
SAMPLES = [COMMAND_EVENT, CHAT_EVENT]
# A decoder's Python work per event: the SDK's attribute handling, not the document's size.
WIRE_BUDGET = 30_000
_HEADER_TEXT = st.text(alphabet=st.characters(min_codepoint=32, max_codepoint=126), max_size=30)
_ATTRIBUTE_NAMES = st.sampled_from(["id", "source", "type", "specversion", "time", "subject", "dataschema",
                                    "botplatform", "botchannel", "BotChannel", "bot-channel",
                                    "averyveryverylongextensionname"]) | st.from_regex(r"[A-Za-z0-9-]{1,24}",
                                                                                       fullmatch=True)


def decoded(decode: Callable[..., Any], *args: Any) -> None:
    try:
        event = within_budget(WIRE_BUDGET, decode, *args)
    except EventValidationError:
        return
    check_accepted(event)


@st.composite
def binary_requests(draw: st.DrawFn) -> tuple[dict[str, str], bytes]:
    """Binary mode: a real event's ce-* headers, some changed, dropped or added; any body."""
    sample = dict(draw(st.sampled_from(SAMPLES)))
    data = sample.pop("data")
    headers = {f"ce-{name}": str(value) for name, value in sample.items() if name != "datacontenttype"}
    headers["content-type"] = draw(st.sampled_from(["application/json", "text/plain", "application/xml", ""]))
    for _ in range(draw(st.integers(0, 3))):
        name = "ce-" + draw(_ATTRIBUTE_NAMES)
        if draw(st.booleans()):
            headers[name] = draw(_HEADER_TEXT)
        else:
            headers.pop(name, None)
    body = draw(documents(data) | st.just(Body(json.dumps(data).encode())))
    return headers, body


def structured(body: bytes) -> None:
    decoded(event_from_http, {"content-type": "application/cloudevents+json"}, body)


def binary(request: tuple[dict[str, str], bytes]) -> None:
    decoded(event_from_http, *request)


def mapping(payload: Any) -> None:
    decoded(event_from_mapping, payload)


structured_bodies = st.sampled_from(SAMPLES).flatmap(documents)
mappings = st.sampled_from(SAMPLES).flatmap(mutated_objects) | json_values

test_fast_event_from_http_structured = fast_big(given(body=structured_bodies)(structured))
test_full_event_from_http_structured = full_big(given(body=structured_bodies)(structured))
test_fast_event_from_http_binary = fast_big(given(request=binary_requests())(binary))
test_full_event_from_http_binary = full_big(given(request=binary_requests())(binary))
test_fast_event_from_mapping = fast(given(payload=mappings)(mapping))
test_full_event_from_mapping = full(given(payload=mappings)(mapping))
