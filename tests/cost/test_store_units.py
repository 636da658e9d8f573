"""The unit table of tooling/pricing/stores.py against the real DynamoDB store: each protocol call
is the one request the table says, and an item is under one write unit (moto's server on 127.0.0.1).
"""

from __future__ import annotations

import uuid
from collections import Counter
from collections.abc import Iterator
from typing import Any

import pytest

from tooling.costing.estimate import ITEM_OVERHEAD_BYTES


@pytest.fixture
def dynamodb(monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[Any, Counter[str]]]:
    from providers.aws import json_api
    from providers.aws.dedupe import DynamoDedupeStore
    from tests.aws_clients import client
    from tests.targets.drivers.aws_lambda import moto_server

    with moto_server() as env:
        for name, value in env.items():
            monkeypatch.setenv(name, value)
        client.cache_clear()
        table = f"units-{uuid.uuid4().hex[:12]}"  # moto's servers in one process share their tables
        client("dynamodb").create_table(
            TableName=table, BillingMode="PAY_PER_REQUEST",
            AttributeDefinitions=[{"AttributeName": "key", "AttributeType": "S"}],
            KeySchema=[{"AttributeName": "key", "KeyType": "HASH"}])
        calls: Counter[str] = Counter()  # every request the store sends, by operation

        def sent(service: str, operation: str, body: bytes) -> None:
            if service == "dynamodb":
                calls.update([operation])

        monkeypatch.setattr(json_api, "REQUEST_OBSERVERS", [sent])
        yield DynamoDedupeStore(table), calls
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
    from tests.aws_clients import client

    store, _ = dynamodb
    key = "respond:ce:" + "0" * 36
    store.put_if_absent(key, 86_400)
    item = client("dynamodb").get_item(TableName=store.table, Key={"key": {"S": key}})["Item"]
    size = sum(len(name) + len(next(iter(value.values()))) for name, value in item.items())
    assert size - len(key) <= ITEM_OVERHEAD_BYTES
    assert size <= 1024
