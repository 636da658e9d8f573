"""Knative beyond the shared scenarios (tests/targets/test_conformance.py): mono deferral through the Broker."""

from __future__ import annotations

import pytest

from tests.targets.drivers.knative import start_knative
from tests.targets.scenarios import DEFINE_CRD, slack_message


@pytest.mark.parametrize("setting, text, deferred_type, reply", [
    ({"BOTLESS_COMMANDS": "tests.targets.slow_commands"}, "/report q3", "botless.bot.command.report",
     "report for q3 is ready"),
    ({"BOTLESS_SLOW_COMMAND_SECONDS": "0"}, "/define crd", "botless.bot.command.define", DEFINE_CRD),
], ids=["declared-slow", "past-the-budget"])
async def test_mono_defers_a_slow_command_through_the_broker(stand_in, unique, setting, text, deferred_type,
                                                             reply):
    with start_knative("mono", {**stand_in.env(), **setting}) as driver:
        stand_in.reset()
        headers, body = slack_message(text, event_id=f"Ev{unique}", ts=f"{unique}.5")
        assert (await driver.post("/slack/events", headers, body)).status == 200
        await driver.settle()
        [call] = stand_in.wait_for(1)
    assert call.path == "/slack/api/chat.postMessage" and call.body["text"] == reply
    # The only event that went through the Broker is the deferred command.
    assert [event["type"] for event, _ in driver.broker.received] == [deferred_type]
