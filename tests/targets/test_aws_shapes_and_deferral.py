"""AWS Lambda beyond the conformance suite: the other HTTP payload shapes (REST API v1, HTTP
API v2), a role triggered by the EventBridge event itself, and mono's self-invoke deferral."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.targets.drivers.aws_lambda import AwsLambdaDriver, start_aws_lambda
from tests.targets.scenarios import DEFINE_CRD, SCENARIOS, Scenario, StandInPlatformApi, run_scenario, slack_message

# The conformance suite runs Function URL (mono) and Function URL + SQS (pipeline); these are
# the other payload shapes and the other way a role is triggered.
CONFIGURATIONS = [
    ("mono", "rest-api-v1", "-"),
    ("pipeline", "http-api-v2", "sqs"),
    ("pipeline", "function-url", "eventbridge"),
]


@pytest.fixture(scope="module", params=CONFIGURATIONS, ids=lambda c: "-".join(c).rstrip("-"))
def aws_lambda(request: pytest.FixtureRequest, stand_in: StandInPlatformApi,
               aws_env: dict[str, str]) -> Iterator[AwsLambdaDriver]:
    topology, shape, delivery = request.param
    with start_aws_lambda(topology, {**stand_in.env(), **aws_env}, shape=shape, delivery=delivery) as driver:
        yield driver


@pytest.mark.parametrize("scenario", SCENARIOS, ids=lambda s: s.name)
async def test_scenario(aws_lambda: AwsLambdaDriver, stand_in: StandInPlatformApi, scenario: Scenario,
                        unique: str) -> None:
    await run_scenario(aws_lambda, stand_in, scenario, unique)
    for answer in aws_lambda.batch_answers:
        assert answer == {"batchItemFailures": []}


@pytest.mark.parametrize("setting, text, deferred_type, reply", [
    ({"BOTLESS_COMMANDS": "tests.targets.slow_commands"}, "/report q3", "botless.bot.command.report",
     "report for q3 is ready"),
    ({"BOTLESS_SLOW_COMMAND_SECONDS": "0"}, "/define crd", "botless.bot.command.define", DEFINE_CRD),
], ids=["declared-slow", "past-the-budget"])
async def test_mono_defers_a_slow_command_by_invoking_itself(stand_in, aws_env, unique, setting, text,
                                                             deferred_type, reply):
    with start_aws_lambda("mono", {**stand_in.env(), **aws_env, **setting}) as driver:
        stand_in.reset()
        headers, body = slack_message(text, event_id=f"Ev{unique}", ts=f"{unique}.5")
        assert (await driver.post("/slack/events", headers, body)).status == 200
        assert stand_in.calls == []  # answered before the command ran
        await driver.settle()
        [call] = stand_in.wait_for(1)
    assert call.path == "/slack/api/chat.postMessage" and call.body["text"] == reply
    assert driver.deferred == [deferred_type]
