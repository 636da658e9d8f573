"""One suite, every target: the same chat scenarios through each target's real entrypoints.

Each (target, topology) is started on this machine by its driver (tests/targets/drivers):
Knative's role services under uvicorn behind a recording Broker, Cloud Functions as
functions-framework processes behind the Pub/Sub emulator, Lambda handlers behind moto's
EventBridge and SQS, Azure's indexed FunctionApp behind an Event Grid topic on loopback.
Every scenario must end in exactly the same calls at the stand-in platform API
(tests/targets/scenarios.py), whatever the target and topology; on mono, a fast slash
command's or interaction's reply is in the HTTP answer itself, and the stand-in sees none.

Every scenario also ends in exactly the function invocations it declares for the topology
(`Scenario.invocations`), the same on every target. The driver counts them where its
platform stand-in makes them (tests/targets/driver.py; each driver's docstring says how)
from just before the webhook until the target has settled, one `role <- trigger` each:

                          mono               pipeline
  slash command, fast     1 (mono webhook)   4 (receive webhook; parse, command, respond by bus)
  Events API message      1                  4
  Discord interaction     1                  4
  unknown command         1                  3 (no command role: parse answers it)
  forged signature        1                  1 (refused by the webhook; nothing further)

On mono a fast command is answered in the webhook's own invocation (in the ack, or via the
Web API for an Events API message): a deferral would show as a second, `mono <- deferred`,
invocation (a self-invoke on Lambda, the deferred topic or Trigger elsewhere), and fails.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import AbstractContextManager
from typing import Any

import pytest

from core.settings import TOPOLOGIES
from tests.targets.driver import TargetDriver
from tests.targets.scenarios import SCENARIOS, Scenario, StandInPlatformApi, run_scenario
from tooling.targets import TARGET_NAMES

# Every registered target in every topology: a new target without a driver below fails here.
CONFIGURATIONS = [(target, topology) for target in TARGET_NAMES for topology in TOPOLOGIES]


def start(target: str, topology: str, stand_in: StandInPlatformApi,
          request: pytest.FixtureRequest) -> AbstractContextManager[Any]:
    """The driver of `target` in `topology`, pointed at the stand-in platform API."""
    env = stand_in.env()
    if target == "knative":
        from tests.targets.drivers.knative import start_knative

        return start_knative(topology, env)
    if target == "gcf":
        from tests.targets.drivers.gcf import gcf_driver

        emulator = request.getfixturevalue("pubsub_emulator")
        workdir = request.getfixturevalue("tmp_path_factory").mktemp(f"gcf-{topology}")
        return gcf_driver(emulator, topology, env, workdir)
    if target == "aws-lambda":
        from tests.targets.drivers.aws_lambda import start_aws_lambda

        aws_env = request.getfixturevalue("aws_env")
        delivery = "sqs" if topology == "pipeline" else "-"
        return start_aws_lambda(topology, {**env, **aws_env}, shape="function-url", delivery=delivery)
    if target == "azure":
        from tests.targets.drivers.azure import azure_driver

        return azure_driver(topology, env)
    raise LookupError(f"no conformance driver for target {target!r}: add one under tests/targets/drivers/")


def assert_nothing_failed(driver: TargetDriver) -> None:
    """Nothing the target's bus would retry or dead-letter (each driver says what that is)."""
    assert driver.failed_deliveries() == []


def test_every_scenario_declares_its_invocations_in_every_topology() -> None:
    assert [(s.name, sorted(s.invocations)) for s in SCENARIOS] == [(s.name, sorted(TOPOLOGIES)) for s in SCENARIOS]


@pytest.fixture(scope="module", params=CONFIGURATIONS, ids=lambda c: f"{c[0]}-{c[1]}")
def target(request: pytest.FixtureRequest, stand_in: StandInPlatformApi) -> Iterator[Any]:
    with start(*request.param, stand_in, request) as driver:
        yield driver


@pytest.mark.parametrize("scenario", SCENARIOS, ids=lambda s: s.name)
async def test_scenario(target: Any, stand_in: StandInPlatformApi, scenario: Scenario, unique: str) -> None:
    try:
        await run_scenario(target, stand_in, scenario, unique)
    except AssertionError:
        for role in getattr(target, "processes", {}):  # functions-framework logs, for the reader
            print(f"--- {role}\n{target.log(role)}")
        raise
    assert_nothing_failed(target)
