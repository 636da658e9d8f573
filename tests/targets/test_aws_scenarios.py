"""The shared chat scenarios on AWS Lambda: every HTTP payload shape, both topologies, and
both ways a role is triggered from the bus (an SQS batch, or the EventBridge event itself)."""

from __future__ import annotations

from typing import Iterator

import pytest

from tests.targets.drivers.aws_lambda import AwsLambdaDriver, start_aws_lambda
from tests.targets.scenarios import SCENARIOS, Scenario, StandInPlatformApi, run_scenario

CONFIGURATIONS = [
    ("mono", "function-url", "-"),
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
