"""The shared chat scenarios on Knative, in both topologies, over real HTTP on 127.0.0.1."""

from __future__ import annotations

from typing import Iterator

import pytest

from tests.targets.drivers.knative import KnativeDriver, start_knative
from tests.targets.scenarios import SCENARIOS, Scenario, StandInPlatformApi, run_scenario


@pytest.fixture(scope="module", params=["mono", "pipeline"])
def knative(request: pytest.FixtureRequest, stand_in: StandInPlatformApi) -> Iterator[KnativeDriver]:
    with start_knative(request.param, stand_in.env()) as driver:
        yield driver


@pytest.mark.parametrize("scenario", SCENARIOS, ids=lambda s: s.name)
async def test_scenario(knative: KnativeDriver, stand_in: StandInPlatformApi, scenario: Scenario,
                        unique: str) -> None:
    await run_scenario(knative, stand_in, scenario, unique)
    assert knative.broker.dead_letters == []
