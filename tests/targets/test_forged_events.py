"""Issue 9, point 1, on every target: the forged CloudEvent posted to the URL the internet reaches
(the webhook function, Service or Function URL) gets a 4xx and no reply at the platform API.

The bus routes are proved elsewhere: Knative's in tests/targets/test_knative_oidc.py and
tests/infra/test_knative_manifests.py, Cloud Functions' deferred push in
tests/targets/test_gcf_push_auth.py, `botless serve` in tests/local/test_ingress_access.py.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from cloudevents.conversion import to_binary
from cloudevents.http import CloudEvent

from tests.targets.scenarios import StandInPlatformApi
from tests.targets.test_conformance import start

FORGED = (Path(__file__).parents[1] / "events" / "forged" / "slack_message.json").read_bytes()


def forged_requests() -> list[tuple[dict[str, str], bytes]]:
    """The issue's request, structured as posted, and the same event in binary mode."""
    document = json.loads(FORGED)
    event = CloudEvent({k: v for k, v in document.items() if k != "data"}, document["data"])
    headers, body = to_binary(event)
    return [({"content-type": "application/cloudevents+json"}, FORGED), (dict(headers), body)]


CONFIGURATIONS = [pytest.param((target, topology), id=f"{target}-{topology}",
                               marks=[pytest.mark.slow] if target == "gcf" else [])
                  for target in ("knative", "gcf", "aws-lambda", "azure") for topology in ("mono", "pipeline")]


@pytest.fixture(scope="module", params=CONFIGURATIONS)
def target(request: pytest.FixtureRequest, stand_in: StandInPlatformApi) -> Iterator[Any]:
    with start(*request.param, stand_in, request) as driver:
        yield driver


async def test_the_forged_event_gets_a_4xx_and_no_reply(target: Any, stand_in: StandInPlatformApi) -> None:
    stand_in.reset()
    paths = ["/", "/api/chat"]
    if target.target == "gcf" and target.topology == "mono":
        paths.append("/_botless/deferred")  # no URL token (and no OIDC token)
    for path in paths:
        for headers, body in forged_requests():
            answer = await target.post(path, headers, body)
            assert 400 <= answer.status < 500, (path, answer.status, answer.body)
    await target.settle()
    assert stand_in.calls == []  # nothing was posted to C-ANY, or anywhere
