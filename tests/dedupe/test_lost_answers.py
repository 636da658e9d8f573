"""A claim whose answer is lost on the way back is still fresh, on each cloud store.

Each store's client talks to the real service on 127.0.0.1 (Redis, the Firestore
emulator, Azurite, moto's DynamoDB server) through tests/dedupe/lossy_proxy.py, which lets
the conditional write reach the service and then drops the connection before the answer.
What happens next is the client's own doing. google-api-core and the DynamoDB store's
client (providers/aws/json_api.py) send the write again, which finds the claim the first
attempt wrote (and when every resend's answer is lost too, they give up and raise); so does redis-py with its
default Retry, which the store's `Redis.from_url` client does not get (redis-py 8: no
resend, a ConnectionError); azure-core resends the ETag-conditional update that takes
over an expired claim (a PUT) but not an insert (a POST). Each claim writes a token of
its own, so the store tells its own claim from another's, whether the client resent the
write or raised (then the store reads the key back, since a raise would leave the landed
claim to refuse the platform's retry): the claim is fresh once, and a second,
independent claim of the key is refused.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Iterator
from typing import Any

import pytest

from tests.dedupe.lossy_proxy import LossyProxy
from tests.services import service_fixture

pytestmark = pytest.mark.slow


class FakeClock:
    def __init__(self, now: float = 1_700_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def _key() -> str:
    return f"slack:event:Ev{uuid.uuid4().hex[:12]}"


def _host_port(text: str) -> tuple[str, int]:
    host, _, port = text.rpartition(":")
    return host.rsplit("/", 1)[-1], int(port.split("/")[0])


@service_fixture()  # a relay on loopback, with its threads
def proxies() -> Iterator[list[LossyProxy]]:
    made: list[LossyProxy] = []
    yield made
    for proxy in made:
        proxy.close()


def _proxy(proxies: list[LossyProxy], upstream: tuple[str, int], *, http2: bool = False) -> LossyProxy:
    proxies.append(LossyProxy(upstream, http2=http2))
    return proxies[-1]


def _assert_lost_then_fresh_once(store: Any, proxy: LossyProxy, key: str) -> None:
    assert store.put_if_absent(key, 60) is True  # the retried (or read back) claim is ours: fresh
    assert proxy.dropped == 1  # the first answer really was lost
    assert store.put_if_absent(key, 60) is False  # an independent claim (its own token) is refused
    assert proxy.dropped == 1


def test_redis_from_url_does_not_resend_the_set_and_the_claim_is_still_fresh(
        redis_url: str, proxies: list[LossyProxy]) -> None:
    from providers.knative.dedupe import RedisDedupeStore

    proxy = _proxy(proxies, _host_port(redis_url.rsplit("/", 1)[0]))
    store = RedisDedupeStore(f"redis://127.0.0.1:{proxy.port}/0", prefix=f"lost:{uuid.uuid4().hex[:8]}:")
    key = _key()
    # Redis.from_url gives its connections Retry(NoBackoff(), 0) (redis-py 8): the SET raises
    # ConnectionError, and the store reads its lease back instead of raising.
    proxy.arm(lambda sent: b"SET" in sent and key.encode() in sent)
    try:
        _assert_lost_then_fresh_once(store, proxy, key)
        other = RedisDedupeStore(redis_url, prefix=store.prefix)  # another pod, straight to Redis
        assert other.put_if_absent(key, 60) is False
        other.close()
    finally:
        store.close()


def test_redis_with_its_default_retry_resends_the_set_and_the_claim_is_fresh(
        redis_url: str, proxies: list[LossyProxy]) -> None:
    import redis

    from providers.knative.dedupe import RedisDedupeStore

    proxy = _proxy(proxies, _host_port(redis_url.rsplit("/", 1)[0]))
    store = RedisDedupeStore(redis_url, prefix=f"lost:{uuid.uuid4().hex[:8]}:")
    # Redis(host=...) keeps redis-py's default Retry (10 attempts on ConnectionError and
    # TimeoutError), as an operator's own client might: the resent SET NX finds our lease.
    store._client = redis.Redis(host="127.0.0.1", port=proxy.port, socket_timeout=2.0)
    key = _key()
    proxy.arm(lambda sent: b"SET" in sent and key.encode() in sent)
    try:
        _assert_lost_then_fresh_once(store, proxy, key)
    finally:
        store.close()


def test_firestore_retries_the_commit_and_the_claim_is_fresh(firestore_emulator: str, proxies: list[LossyProxy],
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    from providers.gcp.dedupe import FirestoreDedupeStore

    proxy = _proxy(proxies, _host_port(firestore_emulator), http2=True)
    monkeypatch.setenv("FIRESTORE_EMULATOR_HOST", f"127.0.0.1:{proxy.port}")
    store = FirestoreDedupeStore(f"lost-{uuid.uuid4().hex[:12]}", "botless-test")
    key = _key()
    # google-api-core retries Commit on ServiceUnavailable (what gRPC makes of a dropped connection).
    proxy.arm(lambda sent: key.encode() in sent)
    _assert_lost_then_fresh_once(store, proxy, key)


def test_firestore_gives_up_on_the_commit_and_the_claim_is_still_fresh(
        firestore_emulator: str, proxies: list[LossyProxy], monkeypatch: pytest.MonkeyPatch) -> None:
    from providers.gcp.dedupe import FirestoreDedupeStore

    proxy = _proxy(proxies, _host_port(firestore_emulator), http2=True)
    monkeypatch.setenv("FIRESTORE_EMULATOR_HOST", f"127.0.0.1:{proxy.port}")
    store = FirestoreDedupeStore(f"lost-{uuid.uuid4().hex[:12]}", "botless-test")
    key = _key()
    # Every Commit of the claim loses its answer (the first lands; the resends find it and
    # are refused, unheard) until the store's bounded retry gives up (RetryError). Only a
    # Commit carries the fields: b"\n\x05owner" is the `owner` key of the protobuf map
    # (field 1, 5 bytes), not the emulator's "authorization: Bearer owner" header that every
    # call sends. The read back, a BatchGetDocuments, carries only the name, and is relayed.
    proxy.arm(lambda sent: key.encode() in sent and b"\n\x05owner" in sent, times=1_000_000)
    started = time.monotonic()
    assert store.put_if_absent(key, 60) is True  # read back: the landed claim is ours
    assert time.monotonic() - started < 2 * store.timeout  # not the Commit's default 60 s retry
    assert proxy.dropped >= 2  # the first answer, and at least one resend's, were lost
    proxy.disarm()
    assert store.put_if_absent(key, 60) is False  # an independent claim (its own token) is refused


@pytest.fixture
def table(azurite: str) -> str:
    from azure.data.tables import TableServiceClient

    name = f"lost{uuid.uuid4().hex[:12]}"
    with TableServiceClient.from_connection_string(azurite) as service:
        service.create_table(name)
    return name


def _through(azurite: str, proxy: LossyProxy) -> str:
    endpoint = next(part for part in azurite.split(";") if part.startswith("TableEndpoint="))
    return azurite.replace(endpoint, f"TableEndpoint=http://127.0.0.1:{proxy.port}/devstoreaccount1/")


def _table_upstream(azurite: str) -> tuple[str, int]:
    endpoint = next(part for part in azurite.split(";") if part.startswith("TableEndpoint="))
    return _host_port(endpoint.removeprefix("TableEndpoint=http://").split("/")[0])


def test_table_storage_retries_the_take_over_and_the_claim_is_fresh(azurite: str, table: str,
                                                                    proxies: list[LossyProxy]) -> None:
    from providers.azure.dedupe import TableDedupeStore

    proxy = _proxy(proxies, _table_upstream(azurite))
    clock = FakeClock()
    store = TableDedupeStore(table, connection_string=_through(azurite, proxy), clock=clock)
    key = _key()
    assert store.put_if_absent(key, 60) is True
    clock.now += 90  # the claim expired: the next one takes it over with an If-Match PUT
    # azure-core resends a PUT after a lost answer; the resend's If-Match no longer matches.
    proxy.arm(lambda sent: sent.startswith(b"PUT ") and key.encode() in sent)
    try:
        _assert_lost_then_fresh_once(store, proxy, key)
    finally:
        store.close()


def test_table_storage_does_not_resend_an_insert_and_the_claim_is_still_fresh(
        azurite: str, table: str, proxies: list[LossyProxy]) -> None:
    from providers.azure.dedupe import TableDedupeStore

    proxy = _proxy(proxies, _table_upstream(azurite))
    store = TableDedupeStore(table, connection_string=_through(azurite, proxy))
    key = _key()
    # azure-core gives up on a POST whose answer was lost (ServiceResponseError): only the
    # store can tell that the insert landed, else the platform's retry would find it taken.
    proxy.arm(lambda sent: sent.startswith(b"POST ") and key.encode() in sent)
    try:
        _assert_lost_then_fresh_once(store, proxy, key)
    finally:
        store.close()


@service_fixture()  # moto under werkzeug, on loopback
def moto_server() -> Iterator[tuple[str, int]]:
    from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app
    from werkzeug.serving import make_server

    # One request at a time, as DynamoDB serialises the writes to one item (test_store_races.py).
    server = make_server("127.0.0.1", 0, DomainDispatcherApplication(create_backend_app), threaded=False)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield "127.0.0.1", server.server_port
    server.shutdown()
    thread.join(timeout=5)
    server.server_close()


@pytest.fixture
def dynamo_table(moto_server: tuple[str, int], proxies: list[LossyProxy],
                 monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[str, LossyProxy]]:
    """A new DynamoDB table on moto, and the proxy every boto3 client reaches moto through."""
    from tests import aws_clients

    proxy = _proxy(proxies, moto_server)
    for name, value in {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
                        "AWS_DEFAULT_REGION": "us-east-1",
                        "AWS_ENDPOINT_URL": f"http://127.0.0.1:{proxy.port}"}.items():
        monkeypatch.setenv(name, value)
    aws_clients.client.cache_clear()
    table = f"lost-{uuid.uuid4().hex[:12]}"
    aws_clients.client("dynamodb").create_table(
        TableName=table, KeySchema=[{"AttributeName": "key", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "key", "AttributeType": "S"}], BillingMode="PAY_PER_REQUEST")
    try:
        yield table, proxy
    finally:
        aws_clients.client.cache_clear()


def test_dynamodb_retries_the_put_and_the_claim_is_fresh(dynamo_table: tuple[str, LossyProxy]) -> None:
    from providers.aws.dedupe import DynamoDedupeStore

    table, proxy = dynamo_table
    key = _key()
    # The store's client (providers/aws/json_api.py, 3 attempts in all) resends the PutItem
    # after the connection is lost with its answer.
    proxy.arm(lambda sent: b"PutItem" in sent and key.encode() in sent)
    _assert_lost_then_fresh_once(DynamoDedupeStore(table), proxy, key)


def test_dynamodb_gives_up_on_the_put_and_the_claim_is_still_fresh(dynamo_table: tuple[str, LossyProxy]) -> None:
    from providers.aws.dedupe import DynamoDedupeStore
    from providers.aws.json_api import ATTEMPTS

    table, proxy = dynamo_table
    store = DynamoDedupeStore(table)
    key = _key()
    # Every one of the client's attempts loses its answer (the first lands, the resends are
    # refused by it, unheard): the client raises AwsUnreachableError, and the store reads
    # its lease back (a GetItem, relayed) instead of raising.
    attempts = ATTEMPTS
    proxy.arm(lambda sent: b"PutItem" in sent and key.encode() in sent, times=attempts)
    assert store.put_if_absent(key, 60) is True
    assert proxy.dropped == attempts  # the client's attempts, all lost: it gave up
    assert store.put_if_absent(key, 60) is False  # an independent claim (its own token) is refused
    assert proxy.dropped == attempts
