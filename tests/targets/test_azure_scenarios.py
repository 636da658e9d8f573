"""The shared chat scenarios on Azure Functions, both topologies, with an Event Grid hop over HTTP."""

from __future__ import annotations

from typing import Iterator

import pytest

from tests.targets.drivers.azure import AzureDriver, azure_driver
from tests.targets.scenarios import SCENARIOS, Scenario, StandInPlatformApi, run_scenario


@pytest.fixture(scope="module", params=["mono", "pipeline"])
def azure(request: pytest.FixtureRequest, stand_in: StandInPlatformApi) -> Iterator[AzureDriver]:
    with azure_driver(request.param, stand_in.env()) as driver:
        yield driver


@pytest.mark.parametrize("scenario", SCENARIOS, ids=lambda s: s.name)
async def test_scenario(azure: AzureDriver, stand_in: StandInPlatformApi, scenario: Scenario, unique: str) -> None:
    await run_scenario(azure, stand_in, scenario, unique)
    # Every invocation succeeded: nothing for Event Grid to retry or dead-letter.
    assert azure.failures == []
