"""Each cloud's dedupe store against the real thing on 127.0.0.1: claim once, taken, expired,
released, confirmed (a lease held for longer), a lease told from a confirmed claim,
concurrent claims, and errors that surface instead of passing for "new".

Redis (redis-server), Firestore (Google's emulator), Table Storage (Azurite) and
DynamoDB (moto). Redis expires keys by itself, so a 0.2 s claim is waited out; the
others compare `expires` with the store's clock, which the tests move past a 60 s claim.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import pytest

from core.dedupe import DedupeStore, claim, confirm, is_confirmed, release

# Every test here runs against a server the session starts (moto runs in-process).
pytestmark = pytest.mark.slow

KINDS = ["redis", "firestore", "table", "dynamodb"]


class FakeClock:
    def __init__(self, now: float = 1_700_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


@dataclass
class Case:
    """A store under test, how to let time pass for it, and a broken twin of it."""

    store: Any
    advance: Callable[[float], None]
    broken: Callable[[], Any]
    expected_error: type[BaseException] | tuple[type[BaseException], ...]
    short_ttl: float = 60.0  # a claim the test waits out (advance(short_ttl * 1.5))


def _unique(prefix: str) -> str:
    return f"{prefix}{uuid.uuid4().hex[:12]}"


@pytest.fixture
def redis_case(redis_url: str) -> Iterator[Case]:
    import redis

    from providers.knative.dedupe import RedisDedupeStore
    from tests.servers import free_port

    store = RedisDedupeStore(redis_url, prefix=_unique("test:") + ":")
    nothing_there = f"redis://127.0.0.1:{free_port()}/0"
    yield Case(store, time.sleep, lambda: RedisDedupeStore(nothing_there, timeout=0.5), redis.RedisError,
               short_ttl=0.2)
    store.close()


@pytest.fixture
def firestore_case(firestore_emulator: str, monkeypatch: pytest.MonkeyPatch) -> Case:
    from google.api_core.exceptions import GoogleAPIError

    from providers.gcp.dedupe import FirestoreDedupeStore

    monkeypatch.setenv("FIRESTORE_EMULATOR_HOST", firestore_emulator)
    clock = FakeClock()
    store = FirestoreDedupeStore(_unique("dedupe-"), "botless-test", clock=clock)

    def advance(seconds: float) -> None:
        clock.now += seconds

    # Collection ids like __name__ are reserved: Firestore refuses the write.
    return Case(store, advance, lambda: FirestoreDedupeStore("__reserved__", "botless-test"), GoogleAPIError)


@pytest.fixture
def table_case(azurite: str) -> Case:
    from azure.core.exceptions import AzureError
    from azure.data.tables import TableServiceClient

    from providers.azure.dedupe import TableDedupeStore

    table = _unique("dedupe")
    with TableServiceClient.from_connection_string(azurite) as service:
        service.create_table(table)
    clock = FakeClock()
    store = TableDedupeStore(table, connection_string=azurite, clock=clock)

    def advance(seconds: float) -> None:
        clock.now += seconds

    return Case(store, advance, lambda: TableDedupeStore("nosuchtable", connection_string=azurite), AzureError)


@pytest.fixture
def dynamodb_case(monkeypatch: pytest.MonkeyPatch) -> Iterator[Case]:
    from providers.aws.dedupe import DynamoDedupeStore
    from providers.aws.json_api import AwsApiError
    from tests import aws_clients
    from tests.targets.drivers.aws_lambda import moto_server

    with moto_server() as env:  # moto in server mode on 127.0.0.1: the store's own HTTP calls reach it
        for name, value in env.items():
            monkeypatch.setenv(name, value)
        aws_clients.client.cache_clear()
        table = _unique("dedupe-")
        aws_clients.client("dynamodb").create_table(
            TableName=table, KeySchema=[{"AttributeName": "key", "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": "key", "AttributeType": "S"}], BillingMode="PAY_PER_REQUEST")
        clock = FakeClock()

        def advance(seconds: float) -> None:
            clock.now += seconds

        yield Case(DynamoDedupeStore(table, clock=clock), advance, lambda: DynamoDedupeStore("no-such-table"),
                   AwsApiError)
    aws_clients.client.cache_clear()


@pytest.fixture(params=KINDS)
def case(request: pytest.FixtureRequest) -> Case:
    return request.getfixturevalue(f"{request.param}_case")


def test_a_key_is_claimed_once_and_then_taken(case: Case) -> None:
    store = case.store
    assert isinstance(store, DedupeStore)
    assert store.put_if_absent("slack:event:Ev1", 60) is True
    assert store.put_if_absent("slack:event:Ev1", 60) is False
    assert store.put_if_absent("slack:event:Ev2", 60) is True


def test_an_expired_claim_can_be_claimed_again(case: Case) -> None:
    store = case.store
    assert store.put_if_absent("parse:ce:1", case.short_ttl) is True
    assert store.put_if_absent("parse:ce:1", case.short_ttl) is False
    case.advance(case.short_ttl * 1.5)
    assert store.put_if_absent("parse:ce:1", 60) is True
    assert store.put_if_absent("parse:ce:1", 60) is False


def test_a_released_claim_can_be_claimed_again(case: Case) -> None:
    store = case.store
    assert store.put_if_absent("respond:ce:9", 60) is True
    store.release("respond:ce:9")
    assert store.put_if_absent("respond:ce:9", 60) is True
    assert store.put_if_absent("respond:ce:9", 60) is False
    store.release("never-claimed")  # forgetting an absent key is no error


def test_a_confirmed_lease_is_held_past_the_lease_until_its_new_expiry(case: Case) -> None:
    store, lease = case.store, case.short_ttl
    assert store.put_if_absent("respond:ce:5", lease) is True
    store.confirm("respond:ce:5", lease * 4)
    case.advance(lease * 1.5)  # the lease alone would have lapsed
    assert store.put_if_absent("respond:ce:5", lease) is False
    case.advance(lease * 3)  # past the confirmed expiry
    assert store.put_if_absent("respond:ce:5", lease) is True


def test_confirm_writes_whatever_was_there_and_release_forgets_a_confirmed_key(case: Case) -> None:
    store, lease = case.store, case.short_ttl
    # A lapsed lease (the role outran it) and a key never claimed: both are recorded.
    assert store.put_if_absent("mono:ce:6", lease) is True
    case.advance(lease * 1.5)
    store.confirm("mono:ce:6", 60)
    store.confirm("mono:ce:never-claimed", 60)
    assert store.put_if_absent("mono:ce:6", lease) is False
    assert store.put_if_absent("mono:ce:never-claimed", lease) is False
    store.release("mono:ce:6")
    assert store.put_if_absent("mono:ce:6", lease) is True


def test_a_lease_reads_as_unconfirmed_and_a_confirmed_claim_as_confirmed(case: Case) -> None:
    store, lease = case.store, case.short_ttl
    assert store.is_confirmed("respond:ce:8") is False  # nothing there
    assert store.put_if_absent("respond:ce:8", lease) is True
    assert store.is_confirmed("respond:ce:8") is False  # a lease, running
    case.advance(lease * 1.5)
    assert store.is_confirmed("respond:ce:8") is False  # a lapsed lease
    assert store.put_if_absent("respond:ce:8", lease) is True  # taken again: a lease again
    assert store.is_confirmed("respond:ce:8") is False
    store.confirm("respond:ce:8", lease * 2)
    assert store.is_confirmed("respond:ce:8") is True
    assert store.put_if_absent("respond:ce:8", lease) is False  # a failed claim leaves it confirmed
    assert store.is_confirmed("respond:ce:8") is True
    case.advance(lease * 3)
    assert store.is_confirmed("respond:ce:8") is False  # the confirmed claim expired
    store.confirm("respond:ce:8", 60)
    store.release("respond:ce:8")
    assert store.is_confirmed("respond:ce:8") is False
    for key in ("mono:ce:a/b#c?d\\e", "x" * 600):  # keys stored as a digest read the same
        assert store.put_if_absent(key, 60) is True
        assert store.is_confirmed(key) is False
        store.confirm(key, 60)
        assert store.is_confirmed(key) is True


async def test_is_confirmed_runs_the_store_off_the_event_loop_and_errors_surface(case: Case) -> None:
    assert await claim(case.store, "parse:ce:9", 60) is True
    assert await is_confirmed(case.store, "parse:ce:9") is False
    await confirm(case.store, "parse:ce:9", 60)
    assert await is_confirmed(case.store, "parse:ce:9") is True
    with pytest.raises(case.expected_error):
        await is_confirmed(case.broken(), "parse:ce:9")


def test_keys_with_characters_no_id_may_hold_are_claimed_too(case: Case) -> None:
    store = case.store
    for key in ("mono:ce:a/b#c?d\\e", "x" * 600, "telegram:1:€"):
        assert store.put_if_absent(key, 60) is True
        assert store.put_if_absent(key, 60) is False
        store.confirm(key, 60)
        assert store.put_if_absent(key, 60) is False


def test_concurrent_claims_of_one_key_let_exactly_one_through(case: Case) -> None:
    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(lambda _: case.store.put_if_absent("telegram:1:10000", 60), range(16)))
    assert results.count(True) == 1


async def test_claim_confirm_and_release_run_the_store_off_the_event_loop(case: Case) -> None:
    assert case.store.blocking is True
    assert await claim(case.store, "command:ce:7", 60) is True
    assert await claim(case.store, "command:ce:7", 60) is False
    await release(case.store, "command:ce:7")
    assert await claim(case.store, "command:ce:7", case.short_ttl) is True
    await confirm(case.store, "command:ce:7", case.short_ttl * 4)
    case.advance(case.short_ttl * 1.5)
    assert await claim(case.store, "command:ce:7", 60) is False


async def test_errors_surface_and_are_never_taken_for_a_new_key(case: Case) -> None:
    broken = case.broken()
    with pytest.raises(case.expected_error):
        broken.put_if_absent("k", 60)
    with pytest.raises(case.expected_error):
        await claim(broken, "k", 60)
    with pytest.raises(case.expected_error):
        await confirm(broken, "k", 60)
