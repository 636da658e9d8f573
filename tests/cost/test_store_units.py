"""The unit table of tooling/pricing/stores.py against the real DynamoDB store: each protocol call
is the one request the table says, and an item is under one write unit (moto, in process).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from typing import Any

import pytest

from tooling.costing.estimate import ITEM_OVERHEAD_BYTES


@pytest.fixture
def dynamodb(monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[Any, Counter[str]]]:
    import boto3
    from moto import mock_aws

    from providers.aws.clients import client
    from providers.aws.dedupe import DynamoDedupeStore

    credentials = {"AWS_ACCESS_KEY_ID": "t", "AWS_SECRET_ACCESS_KEY": "t", "AWS_DEFAULT_REGION": "us-east-1"}
    for name, value in credentials.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    client.cache_clear()
    with mock_aws():
        boto3.setup_default_session()
        calls: Counter[str] = Counter()
        boto3.DEFAULT_SESSION.events.register(
            "before-call.dynamodb", lambda model, **_: calls.update([model.name]))
        boto3.client("dynamodb").create_table(
            TableName="dedupe", BillingMode="PAY_PER_REQUEST",
            AttributeDefinitions=[{"AttributeName": "key", "AttributeType": "S"}],
            KeySchema=[{"AttributeName": "key", "KeyType": "HASH"}])
        calls.clear()
        yield DynamoDedupeStore("dedupe"), calls
    client.cache_clear()


def test_each_protocol_call_is_one_dynamodb_request(dynamodb: tuple[Any, Counter[str]]) -> None:
    store, calls = dynamodb
    key = "slack:" + "E" * 200  # the longest key core/dedupe.storage_key lets through
    assert store.put_if_absent(key, 60) is True
    assert calls == {"PutItem": 1}
    assert store.put_if_absent(key, 60) is False  # refused: still one (billed) conditional write
    assert calls == {"PutItem": 2}
    store.confirm(key, 120)
    assert store.is_confirmed(key) is True
    store.release(key)
    assert calls == {"PutItem": 3, "GetItem": 1, "DeleteItem": 1}


def test_an_item_is_within_one_write_unit(dynamodb: tuple[Any, Counter[str]]) -> None:
    """DynamoDB sizes an item as its attribute names plus values; the estimate adds ITEM_OVERHEAD_BYTES to the key."""
    import boto3

    store, _ = dynamodb
    key = "respond:ce:" + "0" * 36
    store.put_if_absent(key, 86_400)
    item = boto3.client("dynamodb").get_item(TableName="dedupe", Key={"key": {"S": key}})["Item"]
    size = sum(len(name) + len(next(iter(value.values()))) for name, value in item.items())
    assert size - len(key) <= ITEM_OVERHEAD_BYTES
    assert size <= 1024
