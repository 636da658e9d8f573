"""Lambda handlers source by source: EventBridge, SQS batches, the self-invoke, warm-ups,
unknown payloads; the EventBridge publisher against moto; failures and start-up checks."""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from cloudevents.conversion import to_dict

from core import events as ev
from core.events import EventValidationError
from providers.aws import eventbridge
from providers.aws.dedupe import DynamoDedupeStore
from providers.aws.lambda_app import LambdaApp, UnknownTriggerError, app_from_env
from providers.aws.publisher import EventBridgePublisher
from providers.runtime import ConfigurationError, PublishError
from tests import aws_clients
from tests.targets.drivers.aws_lambda import (
    EVENTS,
    LambdaContext,
    create_pipeline_bus,
    http_event,
    sqs_batch,
)
from tests.targets.scenarios import bot_for, slack_message, slack_slash_command

CONTEXT = LambdaContext("botless-test")


def sample(name: str) -> dict:
    return json.loads((EVENTS / name).read_text())


def chat_message(text: str) -> ev.CloudEvent:
    message = ev.ChatMessage(platform="slack", text=text, user=ev.ChatUser(id="W1"), channel="C1",
                             message_id="1.0001")
    return ev.chat_message_event(message, source="/test")


def as_eventbridge(event) -> dict:  # type: ignore[no-untyped-def]
    """An EventBridge event as Lambda receives it (the documented envelope, Botless detail)."""
    envelope = sample("eventbridge_event.json")
    envelope.update({"source": "botless", "detail-type": event["type"], "detail": to_dict(event),
                     "resources": []})
    envelope.pop("replay-name")
    return envelope


@pytest.fixture(scope="module")
def bus_name() -> str:
    # New for each setup: under xdist a worker may set this module up twice against its one moto.
    return f"botless-handlers-{uuid.uuid4().hex[:8]}"


@pytest.fixture(scope="module")
def bus(aws_env: dict[str, str], bus_name: str) -> dict[str, tuple[str, str]]:
    return create_pipeline_bus(bus_name)


@pytest.fixture
def env(stand_in, aws_env, bus_name) -> dict[str, str]:  # type: ignore[no-untyped-def]
    return {**stand_in.env(), **aws_env, "BOTLESS_EVENT_BUS": bus_name}


@pytest.fixture
def parse(env, bus) -> Iterator[LambdaApp]:  # type: ignore[no-untyped-def]
    app = app_from_env("parse", env, bot=bot_for(env))
    yield app
    app.close()


def drain(queue: tuple[str, str]) -> list[dict]:
    """Every message on `queue`, removed: the EventBridge events as the rule delivered them."""
    sqs, bodies = aws_clients.client("sqs"), []
    while True:
        messages = sqs.receive_message(QueueUrl=queue[0], MaxNumberOfMessages=10).get("Messages", [])
        if not messages:
            return bodies
        for message in messages:
            bodies.append(json.loads(message["Body"]))
            sqs.delete_message(QueueUrl=queue[0], ReceiptHandle=message["ReceiptHandle"])


async def test_the_publisher_puts_the_structured_cloudevent_in_detail_and_its_type_in_detail_type(bus, bus_name):
    event = ev.derive_event(chat_message("/define crd"), "botless.bot.command.define",
                            ev.CommandInvocation(name="define", raw_args="crd", args=("crd",), text="/define crd",
                                                 platform="slack", user=ev.ChatUser(id="W1")))
    await EventBridgePublisher(bus_name).publish(event)
    [delivered] = drain(bus["command"])
    assert delivered["source"] == "botless" and delivered["detail-type"] == "botless.bot.command.define"
    assert delivered["detail"] == to_dict(event)
    assert eventbridge.event_from_eventbridge(delivered).get_attributes() == event.get_attributes()


async def test_a_failed_entry_or_a_refused_call_raises_publish_error(bus, bus_name, monkeypatch):
    with pytest.raises(PublishError, match="does not exist"):
        await EventBridgePublisher("no-such-bus").publish(chat_message("hi"))
    # moto answers a malformed entry with FailedEntryCount, as EventBridge does.
    monkeypatch.setattr("providers.aws.publisher.entry_for",
                        lambda event, bus, source: {"EventBusName": bus, "Source": source,
                                                    "DetailType": event["type"], "Detail": "not json"})
    with pytest.raises(PublishError, match="MalformedDetail"):
        await EventBridgePublisher(bus_name).publish(chat_message("hi"))


def test_parse_on_an_eventbridge_event_publishes_the_command_to_the_bus(parse, bus):
    answer = parse(as_eventbridge(chat_message("/define crd")), CONTEXT)
    assert answer["emitted"] == ["botless.bot.command.define"]
    [delivered] = drain(bus["command"])
    assert delivered["detail"]["data"]["args"] == ["crd"]
    assert delivered["detail"][ev.EXT_CHANNEL] == "C1"


def test_an_sqs_batch_reports_only_the_records_that_failed(parse, bus, caplog):
    good = {"MessageId": "m-good", "ReceiptHandle": "r1", "MD5OfBody": "x",
            "Body": json.dumps(as_eventbridge(chat_message("/echo hi")))}
    batch = sqs_batch([good], "arn:aws:sqs:us-east-1:123456789012:parse")
    batch["Records"] += sample("sqs_event.json")["Records"]  # AWS's sample bodies are no CloudEvents
    with caplog.at_level(logging.ERROR, logger="botless"):
        answer = parse(batch, CONTEXT)
    assert answer == {"batchItemFailures": [{"itemIdentifier": "059f36b4-87a3-44ab-83d2-661975830a7d"},
                                            {"itemIdentifier": "2e1424d4-f796-459a-8184-9c92662be6da"}]}
    assert "body is not JSON" in caplog.text and "not a CloudEvent" in caplog.text
    assert [d["detail-type"] for d in drain(bus["command"])] == ["botless.bot.command.echo"]


def test_a_refused_publish_fails_the_record_so_sqs_retries_it(stand_in, aws_env, caplog):
    env = {**stand_in.env(), **aws_env, "BOTLESS_EVENT_BUS": "no-such-bus"}
    app = app_from_env("parse", env, bot=bot_for(env))
    record = {"MessageId": "m1", "ReceiptHandle": "r1", "MD5OfBody": "x",
              "Body": json.dumps(as_eventbridge(chat_message("/echo hi")))}
    try:
        assert app(sqs_batch([record], "arn:x"), CONTEXT) == {"batchItemFailures": [{"itemIdentifier": "m1"}]}
        with pytest.raises(PublishError):  # an EventBridge-invoked function fails: Lambda retries, then DLQ
            app(as_eventbridge(chat_message("/echo hi")), CONTEXT)
    finally:
        app.close()
    assert "Event bus no-such-bus does not exist" in caplog.text


def test_a_malformed_botless_event_raises_so_lambda_dead_letters_it(parse, caplog):
    broken = as_eventbridge(chat_message("hi"))
    broken["detail"] = {"type": ev.CHAT_MESSAGE}
    with pytest.raises(EventValidationError, match="not a CloudEvent|missing"):
        parse(broken, CONTEXT)
    mismatched = as_eventbridge(chat_message("hi"))
    mismatched["detail-type"] = ev.BOT_RESPONSE
    with pytest.raises(EventValidationError, match="differs from the CloudEvent type"):
        parse(mismatched, CONTEXT)


def test_another_sources_eventbridge_event_is_ignored_politely(parse, caplog):
    with caplog.at_level(logging.WARNING, logger="botless"):
        assert parse(sample("eventbridge_event.json"), CONTEXT) == {"ignored": "6a7e8feb-b491-4cf7-a9f1-bf3703467718"}
    assert "EventBridge source is not 'botless'" in caplog.text


def test_a_scheduled_warm_up_ping_is_an_explicit_no_op(parse):
    ping = sample("eventbridge_event.json")
    ping.update({"source": "aws.events", "detail-type": "Scheduled Event", "detail": {}})
    assert parse(ping, CONTEXT) == {"botless": "warm"}


def test_an_unknown_payload_or_a_misrouted_http_request_is_a_clear_error(parse):
    with pytest.raises(UnknownTriggerError, match="cannot read this payload"):
        parse({"hello": "world"}, CONTEXT)
    with pytest.raises(UnknownTriggerError, match="only receive and mono serve HTTP"):
        parse(sample("function_url_post_iam.json"), CONTEXT)


@pytest.mark.parametrize("shape", ["function-url", "http-api-v2", "rest-api-v1"])
def test_receive_publishes_a_slash_command_before_answering_each_http_shape(stand_in, env, bus, shape, unique):
    app = app_from_env("receive", env, bot=bot_for(env))
    try:
        headers, body = slack_slash_command(stand_in.url, "/uptime", "", trigger=unique)
        answer = app(http_event(shape, "/slack/events", headers, body), CONTEXT)
    finally:
        app.close()
    assert answer["statusCode"] == 200
    [delivered] = drain(bus["parse"])
    assert delivered["detail"]["data"]["command"] == "uptime"
    assert delivered["detail"][ev.EXT_REPLY_TO].endswith(f"/slack/response/T111/{unique}/xxxxx")


def test_receive_answers_503_when_eventbridge_refuses_so_slack_retries(stand_in, aws_env, unique, caplog):
    env = {**stand_in.env(), **aws_env, "BOTLESS_EVENT_BUS": "no-such-bus"}
    app = app_from_env("receive", env, bot=bot_for(env))
    try:
        headers, body = slack_slash_command(stand_in.url, "/uptime", "", trigger=unique)
        answer = app(http_event("http-api-v2", "/slack/events", headers, body), CONTEXT)
    finally:
        app.close()
    assert answer["statusCode"] == 503 and "does not exist" in json.loads(answer["body"])["error"]
    assert "publish-refused" in caplog.text


@pytest.mark.parametrize("role, missing", [("mono", "AWS_LAMBDA_FUNCTION_NAME"), ("receive", "BOTLESS_EVENT_BUS"),
                                           ("parse", "BOTLESS_EVENT_BUS"), ("command", "BOTLESS_EVENT_BUS")])
def test_a_function_missing_its_setting_fails_at_start_up(role, missing, stand_in):
    with pytest.raises(ConfigurationError, match=missing):
        app_from_env(role, stand_in.env(), bot=bot_for(stand_in.env()))


def test_respond_needs_no_bus():
    app = app_from_env("respond", {}, bot=bot_for({}))
    assert app.publisher is None
    app.close()


HANDLER_PROBE = """
import json, sys
import functions.aws_lambda.handler as h
names = ("handler", "receive", "mono", "parse", "command", "respond")
print(json.dumps({"names": [n for n in names if callable(getattr(h, n))],
                  "loaded": sorted(m for m in ("boto3", "mangum", "httpx", "google.cloud.pubsub_v1", "azure.functions",
                                               "uvicorn") if m in sys.modules)}))
"""


def run_handler_module(**env: str) -> subprocess.CompletedProcess[str]:
    full = {k: v for k, v in os.environ.items() if not k.startswith(("BOTLESS_", "AWS_"))}
    full.update(BOTLESS_ENTRY_POINTS="0", **env)
    return subprocess.run([sys.executable, "-c", HANDLER_PROBE], env=full, capture_output=True, text=True,
                          timeout=60, cwd=Path(__file__).resolve().parents[2])


@pytest.mark.slow  # a fresh interpreter, to see what a cold start imports
def test_the_handler_module_builds_its_role_at_init_without_importing_boto3():
    done = run_handler_module(BOTLESS_ROLE="receive", BOTLESS_EVENT_BUS="bus")
    assert done.returncode == 0, done.stderr
    probe = json.loads(done.stdout)
    assert probe["names"] == ["handler", "receive", "mono", "parse", "command", "respond"]
    # mangum is what the first request needs; boto3 waits for the first publish.
    assert probe["loaded"] == ["mangum"]
    done = run_handler_module(BOTLESS_ROLE="parse", BOTLESS_EVENT_BUS="bus")
    assert json.loads(done.stdout)["loaded"] == []


@pytest.mark.slow  # a fresh interpreter
def test_the_handler_module_fails_at_init_when_mono_cannot_defer():
    done = run_handler_module(BOTLESS_ROLE="mono")
    assert done.returncode != 0 and "AWS_LAMBDA_FUNCTION_NAME is not set" in done.stderr


@pytest.fixture(scope="module")
def dedupe_table(aws_env: dict[str, str]) -> str:
    """The dedupe table as infra/aws_lambda declares it: hash key `key`, TTL on `expires`."""
    name = f"botless-dedupe-{uuid.uuid4().hex[:8]}"  # new per setup, as the bus (xdist)
    aws_clients.client("dynamodb").create_table(
        TableName=name, BillingMode="PAY_PER_REQUEST",
        KeySchema=[{"AttributeName": "key", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "key", "AttributeType": "S"}])
    return name


def test_the_dynamodb_dedupe_store_claims_a_key_once_until_it_expires(dedupe_table):
    now = [1_000_000.0]
    store = DynamoDedupeStore.from_env({"BOTLESS_DEDUPE_TABLE": dedupe_table})
    assert store is not None and DynamoDedupeStore.from_env({}) is None
    store._clock = lambda: now[0]
    assert store.put_if_absent("slack:event:Ev1", 60) is True
    assert store.put_if_absent("slack:event:Ev1", 60) is False
    assert store.put_if_absent("slack:event:Ev2", 60) is True
    now[0] += 61  # DynamoDB's TTL sweep is lazy: an expired item is claimable at once
    assert store.put_if_absent("slack:event:Ev1", 60) is True
    with pytest.raises(Exception, match="ResourceNotFound"):
        DynamoDedupeStore("no-such-table").put_if_absent("k", 60)
    store.release("slack:event:Ev2")  # the bus refused that delivery: its retry must be taken
    assert store.put_if_absent("slack:event:Ev2", 60) is True


def test_a_slack_retry_reaching_another_instance_is_answered_once(stand_in, env, bus, dedupe_table, unique):
    """Two receive instances share the DynamoDB table: the retry is acknowledged and dropped."""
    store = DynamoDedupeStore(dedupe_table)
    first, second = (app_from_env("receive", env, bot=bot_for(env, store)) for _ in range(2))
    try:
        headers, body = slack_message("/echo once", event_id=f"Ev{unique}", ts=f"{unique}.9")
        assert first(http_event("function-url", "/slack/events", headers, body), CONTEXT)["statusCode"] == 200
        retry = {**headers, "x-slack-retry-num": "1"}
        assert second(http_event("function-url", "/slack/events", retry, body), CONTEXT)["statusCode"] == 200
    finally:
        first.close()
        second.close()
    assert [d["detail"]["data"]["text"] for d in drain(bus["parse"])] == ["/echo once"]

