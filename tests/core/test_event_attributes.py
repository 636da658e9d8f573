"""CloudEvents 1.0 attribute rules, checked against the spec's own JSON Schema.

Every structured event the schema refuses is refused here too; the rules the schema
leaves out (specversion 1.0, extension names, RFC 3339 time, extension value types)
are refused on top, each with its reason.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from core.event_attributes import is_rfc3339
from core.events import EventValidationError, validate_attributes
from core.wire import event_from_mapping

SCHEMA = json.loads((Path(__file__).parent / "schemas" / "cloudevents.json").read_text("utf-8"))
VALID = {"specversion": "1.0", "id": "A234-1234-1234", "source": "/sensors/tn-1234567/alerts",
         "type": "com.example.object.deleted.v2"}


def schema_accepts(event: dict[str, Any]) -> bool:
    return jsonschema.Draft7Validator(SCHEMA).is_valid(event)


values = st.none() | st.booleans() | st.integers() | st.text(max_size=5) | st.lists(st.integers(), max_size=2) \
    | st.dictionaries(st.text(max_size=2), st.integers(), max_size=2)


structured_events = st.fixed_dictionaries({}, optional={name: values for name in (
    "id", "source", "specversion", "type", "datacontenttype", "dataschema", "subject", "time")})


def _refused_where_the_schema_refuses(event: dict[str, Any]) -> None:
    try:
        validate_attributes(event)
    except EventValidationError:
        return
    assert schema_accepts(event)


# 200 examples in the inner loop (`-m "not slow"`); the full suite runs 2000 too.
test_what_the_schema_refuses_is_refused = settings(max_examples=200, deadline=None)(
    given(structured_events)(_refused_where_the_schema_refuses))
test_what_the_schema_refuses_is_refused_in_full = pytest.mark.slow(settings(max_examples=2000, deadline=None)(
    given(structured_events)(_refused_where_the_schema_refuses)))


@pytest.mark.parametrize("changes, phrase", [
    ({"type": 1}, "'type'"),
    ({"id": 7}, "'id'"),
    ({"source": {"a": 1}}, "'source'"),
    ({"specversion": []}, "specversion"),
    ({"specversion": "0.3"}, "not 1.0"),
    ({"subject": ""}, "'subject'"),
])
def test_what_the_schema_refuses_is_said_with_a_reason(changes, phrase):
    event = {**VALID, **changes}
    assert not schema_accepts(event) or changes == {"specversion": "0.3"}
    with pytest.raises(EventValidationError, match=phrase):
        validate_attributes(event)
    with pytest.raises(EventValidationError, match=phrase):
        event_from_mapping(event)


@pytest.mark.parametrize("name", ["botPlatform", "bot-platform", "bot_platform", "a" * 21, "é", "",
                                  "botplatform\n"])
def test_extension_names_follow_the_naming_rule(name):
    # The schema does not check extension names; the spec's naming section does.
    with pytest.raises(EventValidationError, match="extension name"):
        event_from_mapping({**VALID, name: "x"})


def test_extension_names_at_the_limit_and_typed_values_pass():
    event = event_from_mapping({**VALID, "a" * 20: "x", "count": 3, "flag": True, "comexampleothervalue": "5"})
    assert event["a" * 20] == "x" and event["count"] == 3


@pytest.mark.parametrize("value", [1.5, [1], {"a": 1}])
def test_extension_values_are_string_integer_or_boolean(value):
    with pytest.raises(EventValidationError, match="string, integer or boolean"):
        event_from_mapping({**VALID, "botchannel": value})


@pytest.mark.parametrize("time", ["2018-04-05T17:31:00Z", "2018-04-05t17:31:00.123456+01:00",
                                  "2024-02-29T23:59:60-05:30", "1985-04-12T23:20:50.52Z"])
def test_rfc3339_times_pass(time):
    assert is_rfc3339(time)
    assert event_from_mapping({**VALID, "time": time})["time"] == time


@pytest.mark.parametrize("time", ["yesterday", "2018-04-05", "2018-04-05T17:31:00", "2018-13-05T17:31:00Z",
                                  "2023-02-29T00:00:00Z", "2018-04-05T24:00:00Z", "2018-04-05 17:31:00Z ",
                                  "2018-04-05T17:31:00+0100", "٢٠١٨-04-05T17:31:00Z",
                                  "2018-04-05T17:31:00Z\n"])
def test_other_times_are_refused(time):
    assert not is_rfc3339(time)
    with pytest.raises(EventValidationError, match="RFC 3339"):
        event_from_mapping({**VALID, "time": time})


def test_data_base64_is_decoded_and_bad_base64_refused():
    assert event_from_mapping({**VALID, "data_base64": "eyJhIjogMX0="}).data == {"a": 1}
    assert event_from_mapping({**VALID, "data_base64": "AAE="}).data == b"\x00\x01"
    with pytest.raises(EventValidationError, match="base64"):
        event_from_mapping({**VALID, "data_base64": "not base64!"})
