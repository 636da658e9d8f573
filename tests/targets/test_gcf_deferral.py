"""Ack fast on Cloud Functions: mono answers first and continues through Pub/Sub, for real.

The commands below run inside the functions-framework process (BOTLESS_COMMANDS names
this module) and wait for a gate file the test creates only after it has the HTTP
answer, so "answered before the work finished" is shown by order, not by timing.
"""

from __future__ import annotations

import asyncio
import base64
import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from core.registry import Command, CommandSet
from tests.targets.drivers.gcf import MAIN, PROJECT, REPO, GcfDriver, PubSubEmulator, gcf_driver
from tests.targets.scenarios import StandInPlatformApi, slack_message

pytestmark = pytest.mark.slow

gated = CommandSet()


async def wait_for_gate(name: str) -> None:
    gate = Path(os.environ["BOTLESS_TEST_GATES"]) / name
    deadline = time.monotonic() + 60
    while not gate.exists() and time.monotonic() < deadline:
        await asyncio.sleep(0.02)  # the test opens the gate once it holds the HTTP answer


@gated.command(help="A declared-slow command that waits for its gate", slow=True)
async def gated_report(command: Command) -> str:
    await wait_for_gate(command.raw_args)
    return f"gated_report {command.raw_args} done"


@gated.command(help="An ordinary command that overruns the time budget until its gate opens")
async def overrun(command: Command) -> str:
    await wait_for_gate(command.raw_args)
    return f"overrun {command.raw_args} done"


@pytest.fixture(scope="module")
def mono(pubsub_emulator: PubSubEmulator, stand_in: StandInPlatformApi,
         tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[GcfDriver, Path]]:
    gates = tmp_path_factory.mktemp("gates")
    env = {**stand_in.env(), "BOTLESS_COMMANDS": __name__, "BOTLESS_TEST_GATES": str(gates),
           "BOTLESS_SLOW_COMMAND_SECONDS": "0.5"}
    with gcf_driver(pubsub_emulator, "mono", env, tmp_path_factory.mktemp("gcf-defer")) as driver:
        yield driver, gates


def deferred_types(driver: GcfDriver) -> list[str]:
    """The event type of each message Pub/Sub pushed back to the mono function."""
    types = []
    for delivery in driver.relay.deliveries:
        if delivery.function == "mono":
            data = json.loads(base64.b64decode(json.loads(delivery.body)["message"]["data"]))
            types.append(data["type"])
    return types


@pytest.mark.parametrize("command", ["gated_report", "overrun"])
async def test_the_ack_goes_out_first_and_the_command_finishes_through_pubsub(mono, stand_in, unique, command):
    driver, gates = mono
    stand_in.reset()
    name = f"{command}-{unique}"
    headers, body = slack_message(f"/{command} {name}", event_id=f"Ev{name}", ts=f"{unique}.0009")
    answer = await driver.post("/slack/events", headers, body)
    assert answer.status == 200
    assert stand_in.calls == []  # answered while the command still waits at its gate
    (gates / name).touch()
    await driver.settle()
    [reply] = stand_in.wait_for(1)
    assert reply.path == "/slack/api/chat.postMessage" and reply.body["text"] == f"{command} {name} done"
    assert f"botless.bot.command.{command}" in deferred_types(driver)
    assert [d for d in driver.relay.deliveries if d.status >= 300] == []


def test_mono_without_its_deferral_setting_does_not_start(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("BOTLESS_", "FUNCTION_"))}
    env.update(FUNCTION_TARGET="mono", BOTLESS_GCP_PROJECT=PROJECT, PYTHONPATH=str(REPO))
    run = subprocess.run(
        [sys.executable, "-m", "functions_framework", "--target", "mono", "--source", str(MAIN),
         "--host", "127.0.0.1", "--port", "9"], env=env, cwd=str(tmp_path), capture_output=True, timeout=120)
    assert run.returncode != 0
    assert b"ConfigurationError" in run.stderr and b"set BOTLESS_DEFER_TOKEN" in run.stderr
