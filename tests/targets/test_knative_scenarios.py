"""The shared chat scenarios on Knative, in both topologies, over real HTTP on 127.0.0.1."""

from __future__ import annotations

from typing import Iterator

import pytest

from tests.targets.drivers.knative import KnativeDriver, start_knative
from tests.targets.scenarios import DEFINE_CRD, SCENARIOS, Scenario, StandInPlatformApi, run_scenario, slack_message


@pytest.fixture(scope="module", params=["mono", "pipeline"])
def knative(request: pytest.FixtureRequest, stand_in: StandInPlatformApi) -> Iterator[KnativeDriver]:
    with start_knative(request.param, stand_in.env()) as driver:
        yield driver


@pytest.mark.parametrize("scenario", SCENARIOS, ids=lambda s: s.name)
async def test_scenario(knative: KnativeDriver, stand_in: StandInPlatformApi, scenario: Scenario,
                        unique: str) -> None:
    await run_scenario(knative, stand_in, scenario, unique)
    assert knative.broker.dead_letters == []


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
