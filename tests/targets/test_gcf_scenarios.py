"""The shared chat scenarios on Cloud Functions, both topologies, through the Pub/Sub emulator."""

from __future__ import annotations

from pathlib import Path
from typing import Iterator

import pytest

from tests.targets.drivers.gcf import GcfDriver, PubSubEmulator, gcf_driver
from tests.targets.scenarios import SCENARIOS, Scenario, StandInPlatformApi, run_scenario

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module", params=["mono", "pipeline"])
def gcf(request: pytest.FixtureRequest, pubsub_emulator: PubSubEmulator, stand_in: StandInPlatformApi,
        tmp_path_factory: pytest.TempPathFactory) -> Iterator[GcfDriver]:
    workdir: Path = tmp_path_factory.mktemp(f"gcf-{request.param}")
    with gcf_driver(pubsub_emulator, request.param, stand_in.env(), workdir) as driver:
        yield driver


@pytest.mark.parametrize("scenario", SCENARIOS, ids=lambda s: s.name)
async def test_scenario(gcf: GcfDriver, stand_in: StandInPlatformApi, scenario: Scenario, unique: str) -> None:
    try:
        await run_scenario(gcf, stand_in, scenario, unique)
    except AssertionError:
        print(*(f"--- {role}\n{gcf.log(role)}" for role in gcf.processes), sep="\n")
        raise
    # Every push was answered 2xx: nothing was retried, nothing is on its way to a dead letter.
    assert [d for d in gcf.relay.deliveries if d.status >= 300] == []
