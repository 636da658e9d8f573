"""Derived event ids are uuid5 names of the parent's source and id and the new type: the same on a redelivery."""

from __future__ import annotations

import uuid

from core import events as ev


def test_a_derived_event_id_is_a_version_5_uuid_of_the_parent_and_type() -> None:
    parent = ev.new_event(ev.BOT_RESPONSE, ev.BotResponse(text="hi", platform="api"), source="/t", event_id="e1")
    child = ev.derive_event(parent, ev.BOT_RESPONSE, ev.BotResponse(text="again", platform="api"))
    assert uuid.UUID(child["id"]).version == 5
    assert child["id"] == str(uuid.uuid5(ev._DERIVED_IDS, f"/t\ne1\n{ev.BOT_RESPONSE}"))
