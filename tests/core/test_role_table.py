"""The role table: each role declared once, and what derives from it."""

from __future__ import annotations

import pytest

from core import events as ev
from core.role_table import (
    BUS_ROLES,
    HTTP_ROLES,
    PIPELINE_ROLES,
    PUBLISHING_ROLES,
    ROLE_TABLE,
    TARGET_ROLES,
    handles,
    roles_of,
)


def test_the_flow_and_its_derived_lists() -> None:
    assert PIPELINE_ROLES == ("receive", "parse", "command", "respond")
    assert TARGET_ROLES == (*PIPELINE_ROLES, "mono")
    assert HTTP_ROLES == ("receive", "mono")
    assert PUBLISHING_ROLES == ("receive", "parse", "command", "mono")
    assert BUS_ROLES == ("parse", "command", "respond")
    assert roles_of("mono") == ("mono",) and roles_of("pipeline") == PIPELINE_ROLES
    with pytest.raises(ValueError, match="topology"):
        roles_of("trio")


@pytest.mark.parametrize(("role", "event_type", "expected"), [
    ("parse", ev.CHAT_MESSAGE, True), ("parse", ev.BOT_RESPONSE, False),
    ("command", ev.command_type("echo"), True), ("command", ev.CHAT_MESSAGE, False),
    ("respond", ev.BOT_RESPONSE, True), ("receive", ev.CHAT_MESSAGE, False),
    ("mono", ev.CHAT_MESSAGE, True), ("mono", ev.command_type("x"), True), ("mono", ev.BOT_RESPONSE, True),
    ("mono", "com.example.other", False), ("nobody", ev.CHAT_MESSAGE, False),
    # A prefix is a prefix: the bare namespace is no command.
    ("command", "botless.bot.command", False),
])
def test_handles_follows_what_each_role_consumes(role: str, event_type: str, expected: bool) -> None:
    assert handles(role, event_type) is expected


def test_only_bus_triggered_roles_deduplicate_bus_deliveries() -> None:
    assert [name for name, role in ROLE_TABLE.items() if role.deduplicates] == [*BUS_ROLES, "mono"]
    assert not ROLE_TABLE["receive"].bus_triggered
