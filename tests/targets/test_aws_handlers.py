"""Lambda handlers source by source: EventBridge, SQS batches, the self-invoke, warm-ups,
unknown payloads; the EventBridge publisher against moto; failures and start-up checks."""

from __future__ import annotations

import asyncio
import json
import logging
import os
import subprocess
import sys
import threading
import uuid
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from cloudevents.conversion import to_dict

from core import events as ev
from core.events import EventValidationError
from providers.aws import eventbridge, invoke, json_api
from providers.aws.dedupe import DynamoDedupeStore
from providers.aws.invoke import SelfInvoker, resume_payload
from providers.aws.lambda_app import LambdaApp, UnknownTriggerError, app_from_env
from providers.aws.publisher import EventBridgePublisher
from providers.runtime import ConfigurationError, PublishError
from tests import aws_clients
from tests.servers import free_port
from tests.targets.drivers.aws_lambda import (
    EVENTS,
    LambdaContext,
    create_function,
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


def test_mono_answers_a_fast_slash_command_in_the_ack_in_one_invocation(stand_in, aws_env, unique):
    create_function("botless-mono-fast")
    env = {**stand_in.env(), **aws_env, "AWS_LAMBDA_FUNCTION_NAME": "botless-mono-fast"}
    app = app_from_env("mono", env, bot=bot_for(env))
    invoked: list[tuple[str, bytes]] = []

    def record(name: str, payload: bytes) -> None:
        invoked.append((name, payload))

    invoke.INVOKE_OBSERVERS.append(record)
    try:
        stand_in.reset()
        headers, body = slack_slash_command(stand_in.url, "/define", "crd", trigger=unique)
        answer = app(http_event("function-url", "/slack/events", headers, body), CONTEXT)
        assert answer["statusCode"] == 200
        assert json.loads(answer["body"])["text"].startswith("*CRD* stands for")
        assert invoked == [] and stand_in.calls == []  # no self-invoke, no response_url call
    finally:
        invoke.INVOKE_OBSERVERS.remove(record)
        app.close()


def test_mono_defers_with_an_event_invoke_of_itself_and_resumes_from_its_payload(stand_in, aws_env, unique):
    create_function("botless-mono-defer")
    # No ack budget: the command overruns it at once, so it is deferred.
    env = {**stand_in.env(), **aws_env, "AWS_LAMBDA_FUNCTION_NAME": "botless-mono-defer",
           "BOTLESS_SLOW_COMMAND_SECONDS": "0"}
    app = app_from_env("mono", env, bot=bot_for(env))
    received: list[bytes] = []

    def capture(name: str, payload: bytes) -> None:  # called once Lambda (moto) answered 202
        assert name == "botless-mono-defer"
        received.append(payload)

    invoke.INVOKE_OBSERVERS.append(capture)
    try:
        stand_in.reset()
        headers, body = slack_slash_command(stand_in.url, "/define", "crd", trigger=unique)
        answer = app(http_event("function-url", "/slack/events", headers, body), CONTEXT)
        assert answer["statusCode"] == 200 and stand_in.calls == []
        [payload] = received
        assert list(json.loads(payload)) == ["botless-resume"]
        assert app(json.loads(payload), CONTEXT)["handled"] == json.loads(payload)["botless-resume"]["id"]
        [call] = stand_in.wait_for(1)
        assert call.body["text"].startswith("*CRD* stands for") and len(received) == 1
    finally:
        invoke.INVOKE_OBSERVERS.remove(capture)
        app.close()


def test_mono_answers_503_when_lambda_cannot_be_reached_for_the_self_invoke(stand_in, aws_env, unique,
                                                                           monkeypatch):
    # moto's Docker-free Lambda accepts any invoke, so the refusal here is a closed port.
    monkeypatch.setenv("AWS_ENDPOINT_URL", f"http://127.0.0.1:{free_port()}")  # read at each call
    # No ack budget: the command is deferred, and the self-invoke cannot be queued.
    env = {**stand_in.env(), **aws_env, "AWS_LAMBDA_FUNCTION_NAME": "botless-mono", "BOTLESS_SLOW_COMMAND_SECONDS": "0"}
    app = app_from_env("mono", env, bot=bot_for(env))
    try:
        headers, body = slack_slash_command(stand_in.url, "/define", "crd", trigger=unique)
        answer = app(http_event("rest-api-v1", "/slack/events", headers, body), CONTEXT)
    finally:
        app.close()
    assert answer["statusCode"] == 503 and "Lambda refused to queue botless-mono" in answer["body"]


def test_the_self_invoke_of_a_published_version_is_queued(aws_env, unique, monkeypatch):
    name = f"botless-mono-version-{unique}"
    create_function(name)
    version = aws_clients.client("lambda").publish_version(FunctionName=name)["Version"]
    requests: list[tuple[str, str]] = []
    monkeypatch.setattr(json_api, "REQUEST_OBSERVERS", [lambda service, operation, body: requests.append(
        (service, operation))])
    queued: list[tuple[str, bytes]] = []
    monkeypatch.setattr(invoke, "INVOKE_OBSERVERS", [lambda *seen: queued.append(seen)])
    event = chat_message("hi")
    asyncio.run(SelfInvoker(name, version).defer(event))
    assert requests == [("lambda", "Invoke")] and queued == [(name, resume_payload(event))]


class LambdaStandIn(ThreadingHTTPServer):
    """Lambda's Invoke as a stub: records each request, answers `answer` (a status, an error code or "")."""

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _LambdaStandInRequest)
        self.requests: list[tuple[str, dict[str, str], bytes]] = []
        self.answer = (202, "")


class _LambdaStandInRequest(BaseHTTPRequestHandler):
    server: LambdaStandIn

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        self.server.requests.append((self.path, dict(self.headers), body))
        status, error = self.server.answer
        answer = json.dumps({"Type": "User", "message": "Function not found"}).encode() if error else b""
        self.send_response(status)
        if error:  # Lambda's REST-JSON error: the code in this header, the message in the body
            self.send_header("x-amzn-ErrorType", f"{error}:http://internal.amazon.com/coral/com.amazonaws.lambda/")
        self.send_header("Content-Length", str(len(answer)))
        self.end_headers()
        self.wfile.write(answer)

    def log_message(self, *args: object) -> None:
        pass


def test_the_self_invoke_is_lambdas_rest_invoke_and_its_refusals_are_publish_errors(monkeypatch):
    server = LambdaStandIn()
    threading.Thread(target=server.serve_forever, daemon=True).start()
    for name, value in {"AWS_ENDPOINT_URL": f"http://127.0.0.1:{server.server_port}", "AWS_REGION": "eu-west-1",
                        "AWS_ACCESS_KEY_ID": "ASIAEXAMPLE", "AWS_SECRET_ACCESS_KEY": "s"}.items():
        monkeypatch.setenv(name, value)
    event, invoker = chat_message("hi"), SelfInvoker("botless-mono", "7")
    try:
        asyncio.run(invoker.defer(event))
        [(path, headers, body)] = server.requests
        assert path == "/2015-03-31/functions/botless-mono/invocations?Qualifier=7"
        assert headers["X-Amz-Invocation-Type"] == "Event" and headers["Content-Type"] == "application/json"
        assert "/eu-west-1/lambda/aws4_request" in headers["Authorization"] and body == resume_payload(event)
        server.answer = (404, "ResourceNotFoundException")
        with pytest.raises(PublishError, match=f"Lambda refused to queue botless-mono for event {event['id']}: "
                                               "AwsApiError: ResourceNotFoundException: Function not found"):
            asyncio.run(invoker.defer(event))
        assert len(server.requests) == 2  # a 4xx is not sent again
        server.answer = (200, "")
        with pytest.raises(PublishError, match="Lambda answered 200 instead of 202 when queueing botless-mono"):
            asyncio.run(invoker.defer(event))
    finally:
        server.shutdown()
        server.server_close()


def test_a_damaged_resume_payload_raises(stand_in, aws_env):
    env = {**stand_in.env(), **aws_env, "AWS_LAMBDA_FUNCTION_NAME": "x"}
    app = app_from_env("mono", env, bot=bot_for(env))
    try:
        with pytest.raises(EventValidationError):
            app({"botless-resume": {"type": ev.CHAT_MESSAGE}}, CONTEXT)
        assert resume_payload(chat_message("hi")).startswith(b'{"botless-resume":{')
    finally:
        app.close()


@pytest.mark.parametrize("role, missing", [("mono", "AWS_LAMBDA_FUNCTION_NAME"), ("receive", "BOTLESS_EVENT_BUS"),
                                           ("parse", "BOTLESS_EVENT_BUS"), ("command", "BOTLESS_EVENT_BUS")])
def test_a_function_missing_its_setting_fails_at_start_up(role, missing, stand_in):
    with pytest.raises(ConfigurationError, match=missing):
        app_from_env(role, stand_in.env(), bot=bot_for(stand_in.env()))


def test_respond_needs_no_bus():
    app = app_from_env("respond", {}, bot=bot_for({}))
    assert app.publisher is None
    app.close()


def test_the_self_invoker_targets_the_published_version():
    for version, qualifier in (("7", "7"), ("$LATEST", "")):
        env = {"AWS_LAMBDA_FUNCTION_NAME": "f", "AWS_LAMBDA_FUNCTION_VERSION": version}
        assert SelfInvoker.from_env(env).qualifier == qualifier


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

