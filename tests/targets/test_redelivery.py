"""A bus that delivers one event twice causes one reply, on every target, in both topologies.

Each target runs with its own shared dedupe store on 127.0.0.1: Knative with Redis,
Cloud Functions (functions-framework processes) with the Firestore emulator, Lambda with
DynamoDB in moto, Azure with Azurite's Table service. The same chat message event is
delivered twice the way the target's bus delivers it (the Broker, a Pub/Sub push, an
EventBridge event or an SQS batch, an Event Grid trigger) to the first bus-triggered
function (parse in pipeline, mono's deferred path in mono); the stand-in Slack API must
then have received exactly one reply. A delivery that arrives while the other still runs
finds its claim an unconfirmed lease and is refused retryably, so the bus delivers it
again (then as a duplicate); the Knative Broker stand-in retries a 5xx for that.
"""

from __future__ import annotations

import json
import uuid
from typing import Any

import pytest
from cloudevents.conversion import to_dict
from cloudevents.http import CloudEvent

from core import events as ev
from core.wire import event_to_http
from tests.targets.scenarios import DEFINE_CRD, StandInPlatformApi

TOPOLOGIES = ["mono", "pipeline"]
REPLY_PATH = "/slack/api/chat.postMessage"


def chat_event(unique: str) -> CloudEvent:
    """A Slack message asking for /define crd, as receive would have published it."""
    message = ev.ChatMessage(platform="slack", text="/define crd", user=ev.ChatUser(id="W222"), channel="C222",
                             message_id=f"{unique}.0001")
    return ev.chat_message_event(message, source="/botless/slack")


def assert_one_reply(stand_in: StandInPlatformApi) -> None:
    calls = stand_in.wait_for(1)
    stand_in.wait_for(2, timeout=0.5)  # a second reply would come now, if at all
    replies = [call for call in stand_in.calls if call.path == REPLY_PATH]
    assert len(replies) == 1, stand_in.calls
    assert replies[0].body["text"] == DEFINE_CRD and calls


# -- Knative: the Broker delivers the event twice ---------------------------------------

@pytest.mark.parametrize("topology", TOPOLOGIES)
async def test_knative(topology: str, stand_in: StandInPlatformApi, redis_url: str, unique: str) -> None:
    import httpx

    from tests.targets.drivers.knative import start_knative

    with start_knative(topology, {**stand_in.env(), "BOTLESS_REDIS_URL": redis_url}, retries=5) as driver:
        stand_in.reset()
        headers, body = event_to_http(chat_event(unique), "binary")
        async with httpx.AsyncClient(timeout=10) as client:
            for _ in range(2):
                assert (await client.post(driver.broker_url + "/", headers=headers, content=body)).status_code == 202
        await driver.settle()
        assert_one_reply(stand_in)
        assert driver.broker.dead_letters == []
        # Any refusal was the in-flight one (503), retried until the first run had confirmed.
        assert {status for _, _, status in driver.broker.answers} <= {200, 202, 503}


# -- Cloud Functions: Pub/Sub pushes the same event twice ----------------------------------

@pytest.mark.parametrize("topology", TOPOLOGIES)
async def test_cloud_functions(topology: str, stand_in: StandInPlatformApi, firestore_emulator: str,
                               pubsub_emulator: Any, tmp_path: Any, unique: str) -> None:
    from providers.gcp.message import message_from_event
    from tests.targets.drivers.gcf import PROJECT, gcf_driver

    env = {**stand_in.env(), "FIRESTORE_EMULATOR_HOST": firestore_emulator,
           "BOTLESS_FIRESTORE_COLLECTION": f"dedupe-{uuid.uuid4().hex[:8]}"}
    with gcf_driver(pubsub_emulator, topology, env, tmp_path) as driver:
        stand_in.reset()
        message = message_from_event(chat_event(unique))
        topic = driver.topics["deferred" if topology == "mono" else "chat"]
        path = pubsub_emulator.publisher.topic_path(PROJECT, topic)
        for _ in range(2):  # two Pub/Sub messages (two message ids), one CloudEvent id
            pubsub_emulator.publisher.publish(path, message.data, **message.attributes).result(timeout=10)
        await driver.settle()
        assert_one_reply(stand_in)
        first = "mono" if topology == "mono" else "parse"
        answers = [d.status for d in driver.relay.deliveries if d.function == first]
        # Each message acknowledged once; a push that came while the other message's run held
        # the lease was refused (mono's push endpoint 503, a CloudEvent function 500) and pushed again.
        assert len([status for status in answers if 200 <= status < 300]) == 2, answers
        assert all(status in (500, 503) for status in answers if not 200 <= status < 300), answers
        log = driver.log(first)
        assert '"outcome": "duplicate"' in log and "dedupe-per-instance" not in log


# -- Lambda: EventBridge invokes twice, or one SQS batch holds the event twice --------------

def eventbridge_envelope(event: CloudEvent) -> dict[str, Any]:
    """An EventBridge event as Lambda receives it (the documented envelope, Botless detail)."""
    return {"version": "0", "id": str(uuid.uuid4()), "detail-type": event["type"], "source": "botless",
            "account": "123456789012", "time": "2026-01-01T00:00:00Z", "region": "us-east-1",
            "resources": [], "detail": to_dict(event)}


@pytest.mark.parametrize("topology, delivery", [("mono", "invoke"), ("pipeline", "eventbridge"),
                                                ("pipeline", "sqs")])
def test_lambda(topology: str, delivery: str, stand_in: StandInPlatformApi, aws_env: dict[str, str],
                dedupe_table: str, unique: str) -> None:
    # Synchronous, as Lambda calls a handler: each invocation runs the app's own event loop.
    from tests.targets.drivers.aws_lambda import LambdaContext, sqs_batch, start_aws_lambda

    env = {**stand_in.env(), **aws_env, "BOTLESS_DEDUPE_TABLE": dedupe_table}
    with start_aws_lambda(topology, env, delivery="sqs") as driver:
        stand_in.reset()
        event = chat_event(unique)
        first = "mono" if topology == "mono" else "parse"
        app, context = driver.apps[first], LambdaContext(f"botless-{first}")
        if delivery == "invoke":
            answers = [app({"botless-resume": to_dict(event)}, context) for _ in range(2)]
            assert [a["handled"] for a in answers] == [event["id"]] * 2
        elif delivery == "eventbridge":
            for _ in range(2):
                app(eventbridge_envelope(event), context)
        else:
            message = {"Body": json.dumps(eventbridge_envelope(event)), "MD5OfBody": "0" * 32}
            batch = sqs_batch([{**message, "MessageId": f"m{n}", "ReceiptHandle": f"r{n}"} for n in (1, 2)],
                              "arn:aws:sqs:us-east-1:123456789012:botless-parse")
            assert app(batch, context) == {"batchItemFailures": []}
        driver.pump()
        assert_one_reply(stand_in)
        assert all(answer == {"batchItemFailures": []} for answer in driver.batch_answers)


# -- Azure: Event Grid triggers the function twice --------------------------------------

@pytest.mark.parametrize("topology", TOPOLOGIES)
async def test_azure(topology: str, stand_in: StandInPlatformApi, azurite: str, unique: str) -> None:
    from azure.data.tables import TableServiceClient

    from tests.targets.drivers.azure import azure_driver

    table = f"dedupe{uuid.uuid4().hex[:8]}"
    with TableServiceClient.from_connection_string(azurite) as service:
        service.create_table(table)
    env = {**stand_in.env(), "BOTLESS_DEDUPE_TABLE_NAME": table, "BOTLESS_TABLE_CONNECTION_STRING": azurite}
    with azure_driver(topology, env) as driver:
        stand_in.reset()
        delivery = json.loads(json.dumps(to_dict(chat_event(unique))))
        for _ in range(2):
            await driver.deliver("mono_deferred" if topology == "mono" else "parse", delivery)
        await driver.settle()
        assert_one_reply(stand_in)
        assert driver.failures == []
