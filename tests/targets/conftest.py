"""Fixtures shared by the target suites (keep additive: several targets use this file)."""

from __future__ import annotations

import contextlib
import itertools
import json
import logging
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from tests import aws_clients
from tests.services import service_fixture
from tests.targets.scenarios import StandInPlatformApi, stand_in_platform_api

_unique = itertools.count(1)


@service_fixture(scope="module")
def stand_in() -> Iterator[StandInPlatformApi]:
    """The stand-in Slack/Discord API on 127.0.0.1, shared by a module's tests."""
    with stand_in_platform_api() as api:
        yield api


@pytest.fixture
def botless_logs(caplog: pytest.LogCaptureFixture) -> Iterator[Callable[[], list[dict[str, Any]]]]:
    """The JSON lines the `botless` logger wrote so far, whatever another test configured."""
    logger = logging.getLogger("botless")
    level = logger.level
    logger.addHandler(caplog.handler)
    logger.setLevel(logging.INFO)

    def lines() -> list[dict[str, Any]]:
        records = {id(r): r for r in caplog.records}.values()  # caplog may hold a record twice
        return [json.loads(r.getMessage()) for r in records if r.name == "botless" and r.getMessage().startswith("{")]

    yield lines
    logger.removeHandler(caplog.handler)
    logger.setLevel(level)


@pytest.fixture
def unique() -> str:
    """An id no other test in this session uses (trigger ids, event ids, tokens)."""
    return f"{next(_unique):06d}"


# Cloud Functions: the Pub/Sub emulator, started once per session (tests/targets/drivers/gcf.py).
from tests.targets.drivers.gcf import pubsub_emulator  # noqa: E402,F401

# -- AWS Lambda (moto in server mode on 127.0.0.1) -----------------------------------------

@service_fixture(scope="session")
def moto_endpoint() -> Iterator[dict[str, str]]:
    """One moto server for the session; yields the AWS_* variables that point boto3 at it."""
    from tests.targets.drivers.aws_lambda import moto_server

    with moto_server() as env:
        yield env


@pytest.fixture(scope="module")
def aws_env(moto_endpoint: dict[str, str]) -> Iterator[dict[str, str]]:
    """os.environ pointing boto3 at moto for a module's tests (fresh boto3 clients)."""
    from tests import aws_clients

    with pytest.MonkeyPatch.context() as patch:
        for name, value in moto_endpoint.items():
            patch.setenv(name, value)
        aws_clients.client.cache_clear()
        yield moto_endpoint
        aws_clients.client.cache_clear()


@pytest.fixture
def dedupe_table(aws_env: dict[str, str]) -> str:
    """A fresh DynamoDB dedupe table in moto (hash key `key`), for BOTLESS_DEDUPE_TABLE."""
    import uuid

    from tests import aws_clients

    table = f"botless-dedupe-{uuid.uuid4().hex[:8]}"
    aws_clients.client("dynamodb").create_table(
        TableName=table, KeySchema=[{"AttributeName": "key", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "key", "AttributeType": "S"}], BillingMode="PAY_PER_REQUEST")
    return table


@pytest.fixture
def iam_user(aws_env: dict[str, str], unique: str,
             monkeypatch: pytest.MonkeyPatch) -> Callable[..., contextlib.AbstractContextManager[None]]:
    """A function role of its own: inside `with iam_user(allowed)` the process has an IAM user's
    keys, and moto checks every request's SigV4 signature and the user's policy (IAM auth on).
    `secret` replaces the user's secret key (a signature moto refuses)."""
    from moto.core.authorization import enable_iam_authentication

    iam = aws_clients.client("iam")
    name = f"botless-{unique}"
    iam.create_user(UserName=name)
    key = iam.create_access_key(UserName=name)["AccessKey"]

    @contextlib.contextmanager
    def use(allowed: bool, secret: str | None = None, action: str = "ssm:GetParametersByPath") -> Iterator[None]:
        # Allowed: `action` on every resource; else no policy at all (an earlier one is removed).
        if allowed:
            policy = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": action, "Resource": "*"}]}
            iam.put_user_policy(UserName=name, PolicyName="allowed", PolicyDocument=json.dumps(policy))
        elif iam.list_user_policies(UserName=name)["PolicyNames"]:
            iam.delete_user_policy(UserName=name, PolicyName="allowed")
        with monkeypatch.context() as patch, enable_iam_authentication():
            patch.setenv("AWS_ACCESS_KEY_ID", key["AccessKeyId"])
            patch.setenv("AWS_SECRET_ACCESS_KEY", secret or key["SecretAccessKey"])
            patch.delenv("AWS_SESSION_TOKEN", raising=False)
            yield

    return use
