"""A redelivery that arrives while another invocation holds the event's lease gets each
target's retryable answer, never an acknowledgement; once that invocation confirmed, the
next redelivery is acknowledged as a duplicate.

Another invocation is stood in for by claiming the event's key in the target's shared
store (as run_role does: `<role>:ce:<id>`, a lease), then the bus's delivery is made the
way the target's bus makes it. Knative: the reply endpoint answers 503 (the Broker
retries, then dead-letters); Lambda: the EventBridge invocation raises, the SQS batch
reports that record; Azure: the Event Grid trigger raises. Cloud Functions are in
test_gcf_functions.py (500 for a CloudEvent function, 503 for mono's deferred push).
"""

from __future__ import annotations

import asyncio
import json
import uuid
from typing import Any

import pytest
from cloudevents.conversion import to_dict
from cloudevents.http import CloudEvent

from core import events as ev
from core.wire import event_to_http
from providers.runtime import InFlightError
from tests.targets.scenarios import StandInPlatformApi
from tests.targets.test_redelivery import REPLY_PATH, chat_event, eventbridge_envelope

LEASE = 60


def response_event(unique: str) -> CloudEvent:
    return ev.derive_event(chat_event(unique), ev.BOT_RESPONSE, ev.BotResponse(
        text="in flight", platform="slack", channel="C222", message_id=f"{unique}.0001"))


def replies(stand_in: StandInPlatformApi) -> int:
    stand_in.wait_for(1, timeout=0.5)
    return len([call for call in stand_in.calls if call.path == REPLY_PATH])


# -- Knative: the reply endpoint answers 503 -----------------------------------------------

@pytest.mark.parametrize("topology", ["mono", "pipeline"])
async def test_knative(topology: str, stand_in: StandInPlatformApi, redis_url: str, unique: str) -> None:
    import httpx

    from providers.knative.dedupe import RedisDedupeStore
    from tests.targets.drivers.knative import start_knative

    # mono's deferred path claims; in pipeline respond does (parse and command answer in the reply).
    role, trigger = ("mono", "mono-message") if topology == "mono" else ("respond", "respond")
    store = RedisDedupeStore(redis_url)
    with start_knative(topology, {**stand_in.env(), "BOTLESS_REDIS_URL": redis_url}) as driver:
        stand_in.reset()
        event = chat_event(unique) if topology == "mono" else response_event(unique)
        key = f"{role}:ce:{event['id']}"
        assert store.put_if_absent(key, LEASE) is True
        headers, body = event_to_http(event, "binary")
        async with httpx.AsyncClient(timeout=10) as client:
            assert (await client.post(driver.broker_url + "/", headers=headers, content=body)).status_code == 202
            await driver.settle()
            assert [(name, status) for name, _, status in driver.broker.dead_letters] == [(trigger, 503)]
            assert replies(stand_in) == 0 and store.is_confirmed(key) is False
            store.confirm(key, LEASE)  # the other invocation succeeded: the Broker's retry is acknowledged
            assert (await client.post(driver.broker_url + "/", headers=headers, content=body)).status_code == 202
            await driver.settle()
        assert [status for name, _, status in driver.broker.answers if name == trigger] == [503, 202]
        assert replies(stand_in) == 0
    store.close()


async def lapse(redis_url: str, name: str) -> None:
    """End the lease under `name` as its time to live would: Redis expires the key itself.

    Shortened to 1 ms and waited for, rather than a short lease and a longer sleep: the lease
    must outlast the first delivery however slow this machine is, and lapse before the second.
    """
    import redis

    client = redis.Redis.from_url(redis_url)
    try:
        assert client.pexpire(name, 1) is True  # the lease is still there: nobody released it
        for _ in range(1000):
            if not client.exists(name):
                return
            await asyncio.sleep(0.002)  # Redis removes an expired key on its next access
        raise AssertionError(f"{name} did not expire")
    finally:
        client.close()


async def test_knative_runs_a_retry_once_the_lease_of_a_dead_invocation_lapsed(
        stand_in: StandInPlatformApi, redis_url: str, unique: str) -> None:
    import httpx

    from providers.knative.dedupe import RedisDedupeStore
    from tests.targets.drivers.knative import start_knative

    store = RedisDedupeStore(redis_url)
    with start_knative("mono", {**stand_in.env(), "BOTLESS_REDIS_URL": redis_url}) as driver:
        stand_in.reset()
        event = chat_event(unique)
        key = f"mono:ce:{event['id']}"
        assert store.put_if_absent(key, LEASE) is True  # its invocation died: nobody confirms or releases
        headers, body = event_to_http(event, "binary")
        async with httpx.AsyncClient(timeout=10) as client:
            await client.post(driver.broker_url + "/", headers=headers, content=body)
            await driver.settle()
            await lapse(redis_url, store.prefix + key)
            await client.post(driver.broker_url + "/", headers=headers, content=body)
            await driver.settle()
        assert [status for _, _, status in driver.broker.answers] == [503, 202]
        assert replies(stand_in) == 1 and store.is_confirmed(key) is True
    store.close()


# -- Lambda: the invocation raises; an SQS batch reports the record -----------------------

@pytest.mark.parametrize("topology, delivery", [("mono", "invoke"), ("pipeline", "eventbridge"),
                                                ("pipeline", "sqs")])
def test_lambda(topology: str, delivery: str, stand_in: StandInPlatformApi, aws_env: dict[str, str],
                dedupe_table: str, unique: str) -> None:
    from providers.aws.dedupe import DynamoDedupeStore
    from tests.targets.drivers.aws_lambda import LambdaContext, sqs_batch, start_aws_lambda

    store = DynamoDedupeStore(dedupe_table)
    env = {**stand_in.env(), **aws_env, "BOTLESS_DEDUPE_TABLE": dedupe_table}
    with start_aws_lambda(topology, env, delivery="sqs") as driver:
        stand_in.reset()
        event = chat_event(unique)
        first = "mono" if topology == "mono" else "parse"
        key = f"{first}:ce:{event['id']}"
        assert store.put_if_absent(key, LEASE) is True
        app, context = driver.apps[first], LambdaContext(f"botless-{first}")
        other = chat_event(unique + "b")  # in the SQS batch, next to the in-flight event

        def deliver() -> Any:
            if delivery == "invoke":
                return app({"botless-resume": to_dict(event)}, context)
            if delivery == "eventbridge":
                return app(eventbridge_envelope(event), context)
            # The in-flight event and another one, in one batch: only the first is reported.
            messages = [{"Body": json.dumps(eventbridge_envelope(e)), "MD5OfBody": "0" * 32,
                         "MessageId": f"m-{e['id']}", "ReceiptHandle": f"r-{e['id']}"} for e in (event, other)]
            return app(sqs_batch(messages, "arn:aws:sqs:us-east-1:123456789012:botless-parse"), context)

        if delivery == "sqs":
            assert deliver() == {"batchItemFailures": [{"itemIdentifier": f"m-{event['id']}"}]}
        else:
            with pytest.raises(InFlightError, match=f"event {event['id']} is being handled elsewhere"):
                deliver()
        driver.pump()
        assert replies(stand_in) == (1 if delivery == "sqs" else 0)  # the other event's reply only
        assert store.is_confirmed(key) is False
        store.confirm(key, LEASE)  # the other invocation succeeded: the retry is acknowledged
        answer = deliver()
        if delivery == "sqs":
            assert answer == {"batchItemFailures": []}
        driver.pump()
        assert replies(stand_in) == (1 if delivery == "sqs" else 0)
        assert all(a == {"batchItemFailures": []} for a in driver.batch_answers)


# -- Azure: the Event Grid trigger raises ------------------------------------------------

@pytest.mark.parametrize("topology", ["mono", "pipeline"])
async def test_azure(topology: str, stand_in: StandInPlatformApi, azurite: str, unique: str) -> None:
    from azure.data.tables import TableServiceClient

    from providers.azure.dedupe import TableDedupeStore
    from tests.targets.drivers.azure import azure_driver

    table = f"dedupe{uuid.uuid4().hex[:8]}"
    with TableServiceClient.from_connection_string(azurite) as service:
        service.create_table(table)
    store = TableDedupeStore(table, connection_string=azurite)
    env = {**stand_in.env(), "BOTLESS_DEDUPE_TABLE_NAME": table, "BOTLESS_TABLE_CONNECTION_STRING": azurite}
    function, role = ("mono_deferred", "mono") if topology == "mono" else ("parse", "parse")
    with azure_driver(topology, env) as driver:
        stand_in.reset()
        event = chat_event(unique)
        key = f"{role}:ce:{event['id']}"
        assert store.put_if_absent(key, LEASE) is True
        delivery = json.loads(json.dumps(to_dict(event)))
        with pytest.raises(InFlightError, match=f"event {event['id']} is being handled elsewhere"):
            await driver.deliver(function, delivery)  # the function fails: Event Grid retries it
        await driver.settle()
        assert replies(stand_in) == 0 and store.is_confirmed(key) is False
        store.confirm(key, LEASE)
        await driver.deliver(function, delivery)
        await driver.settle()
        assert replies(stand_in) == 0 and driver.failures == []
    store.close()
