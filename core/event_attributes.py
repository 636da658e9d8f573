"""The CloudEvents 1.0 rules for context attributes, checked before an event is built or used.

The SDK accepts an integer `id`, an object `source`, `time: "yesterday"` and any
extension name (it lower-cases them), and some shapes make it raise TypeError. An event
that breaks these rules can never be handled, so it is refused where it enters (400),
not accepted and then retried until it is dead-lettered. The rules are those of the
spec (the JSON Schema in the CloudEvents repository, plus the naming and type-system
sections it leaves out); core/events.py re-exports `validate_attributes`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from core.event_fields import EventValidationError

REQUIRED_ATTRIBUTES = ("id", "source", "type", "specversion")
OPTIONAL_ATTRIBUTES = ("time", "datacontenttype", "dataschema", "subject")
# Members of the JSON format that are no attributes.
DATA_MEMBERS = ("data", "data_base64")
# Extension names: lower-case ASCII letters and digits; the spec asks for at most 20.
EXTENSION_NAME = re.compile(r"\A[a-z0-9]{1,20}\Z")  # \Z: `$` would allow a final newline
# RFC 3339 `date-time` (section 5.6); the ranges of the fields are checked below.
_RFC3339 = re.compile(
    r"^(?P<year>[0-9]{4})-(?P<month>[0-9]{2})-(?P<day>[0-9]{2})[Tt]"
    r"(?P<hour>[0-9]{2}):(?P<minute>[0-9]{2}):(?P<second>[0-9]{2})(?:\.[0-9]+)?"
    r"(?:[Zz]|[+-](?P<off_hour>[0-9]{2}):(?P<off_minute>[0-9]{2}))\Z"
)
_DAYS = (31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)


def validate_attributes(attributes: Mapping[str, Any]) -> None:
    """Raise EventValidationError unless `attributes` (as sent, before the SDK) follow CloudEvents 1.0.

    `data` and `data_base64` are skipped. Optional attributes may be null (absent).
    """
    # specversion first: it says which rules apply.
    for name in ("specversion", *REQUIRED_ATTRIBUTES[:-1]):
        value = attributes.get(name)
        if not isinstance(value, str) or not value:
            got = "missing" if value is None else f"{type(value).__name__} {_shown(value)}"
            raise EventValidationError(f"not a CloudEvent: attribute {name!r} must be a non-empty string, got {got}")
    if attributes["specversion"] != "1.0":
        raise EventValidationError(f"not a CloudEvent 1.0: specversion {_shown(attributes['specversion'])} is not 1.0 "
                                   "(Botless speaks CloudEvents 1.0)")
    for name, value in attributes.items():
        if not isinstance(name, str):
            raise EventValidationError(f"not a CloudEvent: attribute name {name!r} is not a string")
        if name in DATA_MEMBERS or name in REQUIRED_ATTRIBUTES:
            continue
        if name in OPTIONAL_ATTRIBUTES:
            if value is not None and (not isinstance(value, str) or not value):
                raise EventValidationError(f"not a CloudEvent: attribute {name!r} must be a non-empty string or "
                                           f"absent, got {type(value).__name__} {_shown(value)}")
            continue
        if not EXTENSION_NAME.match(name):
            raise EventValidationError(f"not a CloudEvent: extension name {_shown(name)} must be 1-20 lower-case "
                                       "letters a-z or digits 0-9 (CloudEvents 1.0, naming conventions)")
        # The type system: String, Integer, Boolean (URI, Timestamp, Binary travel as strings).
        if value is not None and not isinstance(value, (str, int)):
            raise EventValidationError(f"not a CloudEvent: extension {name!r} must be a string, integer or "
                                       f"boolean, got {type(value).__name__}")
    content_type = attributes.get("datacontenttype")
    if content_type is not None and not is_json_media_type(content_type):
        # Botless data is JSON: any other type comes back as bytes after one HTTP hop and is
        # refused there, after the message was accepted. Refuse it here, at the door.
        raise EventValidationError(f"not a Botless event: datacontenttype {_shown(content_type)} is not JSON "
                                   "(use application/json)")
    time = attributes.get("time")
    if time is not None and not is_rfc3339(time):
        raise EventValidationError(f"not a CloudEvent: attribute 'time' {_shown(time)} is not an RFC 3339 "
                                   "timestamp like 2024-05-01T12:00:00Z")


def is_json_media_type(value: str) -> bool:
    """True for application/json, text/json or a `+json` type, parameters (`; charset=`) allowed."""
    media = value.split(";", 1)[0].strip().lower()
    return media in ("application/json", "text/json") or media.endswith("+json")


def is_rfc3339(value: str) -> bool:
    """True when `value` is an RFC 3339 date-time with its fields in range (leap second allowed)."""
    found = _RFC3339.match(value)
    if not found:
        return False
    year, month, day = int(found["year"]), int(found["month"]), int(found["day"])
    if not 1 <= month <= 12:
        return False
    # The Gregorian leap rule (calendar.isleap), inline: importing calendar costs more than the check.
    leap = year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)
    days = 29 if month == 2 and leap else _DAYS[month - 1]
    if not 1 <= day <= days:
        return False
    if int(found["hour"]) > 23 or int(found["minute"]) > 59 or int(found["second"]) > 60:
        return False
    return not (found["off_hour"] is not None and (int(found["off_hour"]) > 23 or int(found["off_minute"]) > 59))


def _shown(value: Any) -> str:
    # A reason is logged: never a whole hostile value.
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."
