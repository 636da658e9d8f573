"""Derived event ids are uuid5 names: the fast digest path gives exactly what the uuid module gives."""

from __future__ import annotations

import uuid

from hypothesis import given
from hypothesis import strategies as st

from core import events as ev


@given(st.text())
def test_a_derived_id_is_the_uuid5_of_its_name(name: str) -> None:
    assert ev.derived_id(name) == str(uuid.uuid5(ev._DERIVED_IDS, name))


def test_a_derived_event_id_is_a_version_5_uuid_of_the_parent_and_type() -> None:
    parent = ev.new_event(ev.BOT_RESPONSE, ev.BotResponse(text="hi", platform="api"), source="/t", event_id="e1")
    child = ev.derive_event(parent, ev.BOT_RESPONSE, ev.BotResponse(text="again", platform="api"))
    assert uuid.UUID(child["id"]).version == 5
    assert child["id"] == str(uuid.uuid5(ev._DERIVED_IDS, f"/t\ne1\n{ev.BOT_RESPONSE}"))
