"""What an accepted CloudEvent must be: the CloudEvents 1.0 rules a decoder may not let by.

A decoder that returns an event vouches for it; these are the rules of the spec (and of
Botless's types) that issue 9 found decoders letting through: non-string attributes,
extension names outside `[a-z0-9]{1,20}`, an unparseable `time`.
"""

from __future__ import annotations

import re
from datetime import datetime

from cloudevents.http import CloudEvent

from core.events import is_botless_type, validate_event
from core.wire import event_from_http, event_to_http

_EXTENSION_NAME = re.compile(r"^[a-z0-9]{1,20}$")
_CONTEXT = {"id", "source", "type", "specversion", "time", "subject", "datacontenttype", "dataschema"}


def check_accepted(event: CloudEvent) -> None:
    """Assert `event` keeps the spec's rules, and survives the wire both ways."""
    attributes = event.get_attributes()
    for name in ("id", "source", "type"):
        assert isinstance(attributes.get(name), str) and attributes[name], f"{name} must be a non-empty string"
    assert attributes["specversion"] == "1.0"
    for name, value in attributes.items():
        if name not in _CONTEXT:
            assert _EXTENSION_NAME.match(name), f"extension name {name!r} breaks the spec's naming rule"
            # The JSON format writes extension Booleans and Integers as JSON; every other type as a string.
            assert isinstance(value, (str, bool, int)), f"extension {name} is a {type(value).__name__}"
        elif value is not None and name != "time":
            assert isinstance(value, str), f"attribute {name} is a {type(value).__name__}, not a string"
    time = attributes.get("time")
    if time is not None:
        text = time if isinstance(time, str) else time.isoformat()
        datetime.fromisoformat(text.replace("Z", "+00:00"))  # RFC 3339, else ValueError
    if is_botless_type(attributes["type"]):
        validate_event(event)
    for mode in ("binary", "structured"):
        headers, body = event_to_http(event, mode)
        again = event_from_http(headers, body)
        assert again["id"] == attributes["id"] and again["type"] == attributes["type"]
