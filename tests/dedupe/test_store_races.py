"""N messages, each delivered as racing copies to two instances sharing one real store: N fresh.

Every copy of one message (a Slack post's original, its retry and its `app_mention`
twin; a slash command and its replay; a Discord interaction and its replay; a Telegram
update and its retry) goes through the adapters' receive path at the same time as all
the others, half of them on a second instance (its own client of the same store), on
all six stores: memory, SQLite, Redis, Firestore's emulator, Azurite's Table service
and DynamoDB (moto's server on 127.0.0.1). Exactly one copy of each message is fresh.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from core.chat.platforms import adapters_from_env
from core.dedupe import DedupeStore, MemoryDedupeStore, SqliteDedupeStore
from core.http import HttpRequest
from core.settings import Settings
from tests.chat.helpers import bot_env, discord_headers, event_json, slack_headers, telegram_headers, to_body
from tests.dedupe.test_interleavings import FORM, KEY, PATHS, RETRY

pytestmark = pytest.mark.slow

N = 25
Instances = Callable[[], DedupeStore]  # each call: another instance's client of the one store


def _unique(prefix: str) -> str:
    return f"{prefix}{uuid.uuid4().hex[:12]}"


@pytest.fixture
def memory_instances() -> Instances:
    shared = MemoryDedupeStore()  # memory is one process's: both "instances" are this one
    return lambda: shared


@pytest.fixture
def sqlite_instances(tmp_path: Any) -> Instances:
    path = tmp_path / "shared.db"
    return lambda: SqliteDedupeStore(path)


@pytest.fixture
def redis_instances(redis_url: str) -> Iterator[Instances]:
    from providers.knative.dedupe import RedisDedupeStore

    prefix, made = _unique("race:") + ":", []

    def make() -> DedupeStore:
        made.append(RedisDedupeStore(redis_url, prefix=prefix))
        return made[-1]

    yield make
    for store in made:
        store.close()


@pytest.fixture
def firestore_instances(firestore_emulator: str, monkeypatch: pytest.MonkeyPatch) -> Instances:
    from providers.gcp.dedupe import FirestoreDedupeStore

    monkeypatch.setenv("FIRESTORE_EMULATOR_HOST", firestore_emulator)
    collection = _unique("race-")
    return lambda: FirestoreDedupeStore(collection, "botless-test")


@pytest.fixture
def table_instances(azurite: str) -> Instances:
    from azure.data.tables import TableServiceClient

    from providers.azure.dedupe import TableDedupeStore

    table = _unique("race")
    with TableServiceClient.from_connection_string(azurite) as service:
        service.create_table(table)
    return lambda: TableDedupeStore(table, connection_string=azurite)


@pytest.fixture
def dynamodb_instances(monkeypatch: pytest.MonkeyPatch) -> Iterator[Instances]:
    import threading

    from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app
    from werkzeug.serving import make_server

    from providers.aws.dedupe import DynamoDedupeStore
    from tests import aws_clients

    # One request at a time, as DynamoDB serialises the writes to one item: moto's own
    # conditional put is not atomic between threads, which real DynamoDB's is.
    server = make_server("127.0.0.1", 0, DomainDispatcherApplication(create_backend_app), threaded=False)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    for name, value in {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
                        "AWS_DEFAULT_REGION": "us-east-1",
                        "AWS_ENDPOINT_URL": f"http://127.0.0.1:{server.server_port}"}.items():
        monkeypatch.setenv(name, value)
    aws_clients.client.cache_clear()
    table = _unique("race-")
    aws_clients.client("dynamodb").create_table(
        TableName=table, KeySchema=[{"AttributeName": "key", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "key", "AttributeType": "S"}], BillingMode="PAY_PER_REQUEST")
    yield lambda: DynamoDedupeStore(table)
    aws_clients.client.cache_clear()
    server.shutdown()
    thread.join(timeout=5)


def copies(i: int) -> dict[str, list[tuple[str, bytes, dict[str, str]]]]:
    """Message `i` of each kind, as the copies that race: (platform, body, headers)."""
    post = event_json("slack", "event_callback_message.json")
    post["event"].update(text=f"/echo {i}", channel="C111", ts=f"1700000000.{i:06d}")
    post["event_id"] = f"EvPost{i}"
    mention = event_json("slack", "event_callback_app_mention.json")
    mention["event"].update(text=f"<@U0LAN0Z89> /echo {i}", channel="C111", ts=post["event"]["ts"])
    mention["event_id"] = f"EvMention{i}"
    post_body, mention_body = to_body(post), to_body(mention)
    slash = (f"command=%2Fecho&text={i}&user_id=W111&channel_id=C111&trigger_id={i}.222.abc"
             "&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT111%2F1%2Fx").encode()
    interaction = event_json("discord", "interaction_application_command_guild.json")
    interaction["data"]["name"] = "echo"
    interaction["id"] = str(786008729715212338 + i)
    interaction_body = to_body(interaction)
    update = event_json("telegram", "update_message_private_start.json")
    update["update_id"] = 90000 + i
    update["message"]["text"] = f"/echo {i}"
    update_body = to_body(update)
    return {
        "slack post": [("slack", post_body, slack_headers(post_body)),
                       ("slack", post_body, {**slack_headers(post_body), **RETRY}),
                       ("slack", mention_body, slack_headers(mention_body))],
        "slash command": [("slack", slash, slack_headers(slash, content_type=FORM))] * 2,
        "discord interaction": [("discord", interaction_body, discord_headers(KEY, interaction_body))] * 2,
        "telegram update": [("telegram", update_body, telegram_headers())] * 2,
    }


@pytest.mark.parametrize("kind", ["memory", "sqlite", "redis", "firestore", "table", "dynamodb"])
async def test_racing_copies_of_n_messages_at_a_shared_store_are_n_fresh(kind: str,
                                                                         request: pytest.FixtureRequest) -> None:
    instances: Instances = request.getfixturevalue(f"{kind}_instances")
    settings = Settings.from_env(bot_env("http://127.0.0.1:9", KEY.verify_key.encode().hex()))
    sides = [{a.platform: a for a in adapters_from_env(settings, instances())} for _ in range(2)]
    # Enough worker threads that the copies' store calls are in flight together.
    asyncio.get_running_loop().set_default_executor(ThreadPoolExecutor(max_workers=32))

    async def deliver(side: int, platform: str, body: bytes, headers: dict[str, str]) -> bool:
        received = await sides[side][platform].receive(HttpRequest.build("POST", PATHS[platform], headers, body))
        assert received.response.status == 200
        return bool(received.events)

    groups = [(i, name, group) for i in range(N) for name, group in copies(i).items()]
    # Every copy of every message at once; copy j of a message goes to instance (i + j) % 2.
    results = await asyncio.gather(*(
        asyncio.gather(*(deliver((i + j) % 2, *copy) for j, copy in enumerate(group)))
        for i, _, group in groups))
    fresh = {(i, name): sum(outcome) for (i, name, _), outcome in zip(groups, results, strict=True)}
    assert {key: count for key, count in fresh.items() if count != 1} == {}
    assert len(fresh) == 4 * N
