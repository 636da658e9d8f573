"""The Lambda driver: the real handlers, fed AWS's documented payload shapes, joined by moto.

moto runs in server mode on 127.0.0.1 (`ThreadedMotoServer`); boto3 and Botless's own
signed calls (providers/aws/json_api.py) reach it through `AWS_ENDPOINT_URL`. In the
pipeline an EventBridge bus has one rule per role, each with an SQS queue as target, so
what a role publishes is read back from moto and handed to the next role either as the
SQS batch Lambda would deliver, or as the EventBridge event itself (the body of the SQS
message is exactly that event). In mono the `Event` self-invoke goes to moto's Lambda
(the Docker-free backend, which runs no code); the payload it accepted with a 202 (seen
through providers/aws/invoke.py's INVOKE_OBSERVERS) is what the driver hands to the mono
handler, as Lambda would.

Lambda runs one request per instance at a time; so does this driver.

The driver is Lambda here: it calls the handlers, and counts each call as an invocation:
the HTTP function's `webhook` (a Function URL or API Gateway event), a pipeline role's
`bus` delivery (one SQS batch, or one EventBridge event), mono's `deferred` one (the
asynchronous self-invoke, handed over as Lambda would).
"""

from __future__ import annotations

import asyncio
import base64
import copy
import io
import json
import uuid
import zipfile
from collections.abc import Iterator, Mapping
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from moto.server import ThreadedMotoServer

from core import events as ev
from providers.aws import invoke
from providers.aws.dedupe import store_from_env
from providers.aws.lambda_app import LambdaApp, app_from_env
from tests import aws_clients
from tests.targets.driver import BUS, DEFERRED, WEBHOOK, CountsInvocations, HttpResult, InvocationLog
from tests.targets.scenarios import bot_for

EVENTS = Path(__file__).resolve().parents[2] / "events" / "aws"
HTTP_SHAPES = ("function-url", "http-api-v2", "rest-api-v1")
REGION = "us-east-1"


@contextmanager
def moto_server() -> Iterator[dict[str, str]]:
    """moto in server mode on 127.0.0.1; yields the AWS_* environment that points boto3 at it."""
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    url = f"http://{host}:{port}"
    import urllib.request

    # moto's Lambda without Docker: an invoke is accepted and its payload echoed back.
    request = urllib.request.Request(f"{url}/moto-api/config", method="POST",
                                     data=json.dumps({"lambda": {"use_docker": False}}).encode())
    urllib.request.urlopen(request, timeout=10).close()
    try:
        yield {"AWS_ENDPOINT_URL": url, "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
               "AWS_SESSION_TOKEN": "testing", "AWS_DEFAULT_REGION": REGION, "AWS_REGION": REGION}
    finally:
        server.stop()


@dataclass
class LambdaContext:
    """The few context attributes a handler may read."""

    function_name: str
    function_version: str = "$LATEST"
    aws_request_id: str = ""
    memory_limit_in_mb: int = 512

    def get_remaining_time_in_millis(self) -> int:
        return 30_000


def http_event(shape: str, path: str, headers: Mapping[str, str], body: bytes) -> dict[str, Any]:
    """A POST in one of the documented HTTP payload shapes (Function URL, HTTP API v2, REST API v1)."""
    text_body = headers.get("content-type", "").startswith("application/json")
    encoded = body.decode() if text_body else base64.b64encode(body).decode()
    if shape == "rest-api-v1":
        event = _load("rest_api_v1_get.json")
        event.update(httpMethod="POST", path=path, resource=path, body=encoded, isBase64Encoded=not text_body,
                     headers=dict(headers), multiValueHeaders={k: [v] for k, v in headers.items()},
                     queryStringParameters=None, multiValueQueryStringParameters=None)
        event["requestContext"].update(httpMethod="POST", path=path, resourcePath=path)
        return event
    event = _load("function_url_post_iam.json" if shape == "function-url" else "http_api_v2_post.json")
    event.update(rawPath=path, rawQueryString="", headers={k.lower(): v for k, v in headers.items()},
                 body=encoded, isBase64Encoded=not text_body)
    event.pop("queryStringParameters", None)
    event.pop("cookies", None)
    event["requestContext"]["http"].update(method="POST", path=path)
    return event


def sqs_batch(messages: list[Mapping[str, Any]], queue_arn: str) -> dict[str, Any]:
    """The Lambda SQS event for received messages (the documented record shape)."""
    template = _load("sqs_event.json")["Records"][0]
    records = []
    for message in messages:
        record = copy.deepcopy(template)
        record.update(messageId=message["MessageId"], receiptHandle=message["ReceiptHandle"],
                      body=message["Body"], md5OfBody=message["MD5OfBody"], messageAttributes={},
                      eventSourceARN=queue_arn, awsRegion=REGION)
        records.append(record)
    return {"Records": records}


class AwsLambdaDriver(CountsInvocations):
    """A TargetDriver for Lambda in one topology, HTTP payload shape and bus delivery."""

    target = "aws-lambda"

    def __init__(self, topology: str, shape: str, delivery: str, apps: Mapping[str, LambdaApp],
                 queues: Mapping[str, tuple[str, str]]) -> None:
        self.topology = topology
        self.shape = shape
        self.delivery = delivery  # "sqs" or "eventbridge"
        self.apps = dict(apps)
        self.queues = dict(queues)  # role -> (queue URL, queue ARN)
        self.invocations: list[bytes] = []  # Event invokes moto accepted and not yet handled
        self.deferred: list[str] = []  # the type of every event deferred by an Event invoke
        self.batch_answers: list[Any] = []
        self.raised: list[str] = []  # the asynchronous deliveries whose handler raised
        self.invocation_log = InvocationLog()  # every handler call (`invocations` are moto's pending invokes)

    def failed_deliveries(self) -> list[str]:
        """The SQS records a batch reported, and the deliveries that raised (Lambda retries both)."""
        return [f"SQS record {item['itemIdentifier']} failed" for answer in self.batch_answers
                for item in answer["batchItemFailures"]] + self.raised

    def _invoke(self, role: str, payload: Any) -> Any:
        """One asynchronous delivery to `role`; what raises is recorded, then raised on."""
        self.invocation_log.record(role, DEFERRED if role == "mono" else BUS)
        try:
            return self.apps[role](payload, LambdaContext("botless-" + role))
        except Exception as error:
            self.raised.append(f"{role} raised {type(error).__name__}: {error}")
            raise

    async def post(self, path: str, headers: Mapping[str, str], body: bytes) -> HttpResult:
        role = "mono" if self.topology == "mono" else "receive"
        entry = self.apps[role]
        self.invocation_log.record(role, WEBHOOK)
        answer = await asyncio.to_thread(entry, http_event(self.shape, path, headers, body),
                                         LambdaContext("botless-" + self.topology))
        raw = answer.get("body") or ""
        content = base64.b64decode(raw) if answer.get("isBase64Encoded") else raw.encode()
        return HttpResult(answer["statusCode"], answer.get("headers") or {}, content)

    async def settle(self, timeout: float = 10.0) -> None:
        await asyncio.to_thread(self.pump)

    def pump(self) -> None:
        """Deliver what moto holds (queued events, Event invokes) until nothing is left."""
        moved = True
        while moved:
            moved = False
            while self.invocations:
                self._invoke("mono", json.loads(self.invocations.pop(0)))
                moved = True
            for role, (url, arn) in self.queues.items():
                messages = aws_clients.client("sqs").receive_message(
                    QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=0).get("Messages", [])
                if messages:
                    moved = True
                    self._deliver(role, url, arn, messages)

    def _deliver(self, role: str, url: str, arn: str, messages: list[Mapping[str, Any]]) -> None:
        if self.delivery == "sqs":
            answer = self._invoke(role, sqs_batch(messages, arn))
            self.batch_answers.append(answer)
            failed = {item["itemIdentifier"] for item in answer["batchItemFailures"]}
        else:
            failed = set()
            for message in messages:
                self._invoke(role, json.loads(message["Body"]))  # the EventBridge event, as Lambda gets it
        for message in messages:
            if message["MessageId"] not in failed:
                aws_clients.client("sqs").delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])


def create_pipeline_bus(name: str) -> dict[str, tuple[str, str]]:
    """A bus with one rule per role (on `detail-type`), each targeting an SQS queue."""
    events, sqs = aws_clients.client("events"), aws_clients.client("sqs")
    events.create_event_bus(Name=name)
    patterns = {
        "parse": [ev.CHAT_MESSAGE],
        "command": [{"prefix": ev.COMMAND_PREFIX}],
        "respond": [ev.BOT_RESPONSE],
    }
    queues = {}
    for role, detail_type in patterns.items():
        url = sqs.create_queue(QueueName=f"{name}-{role}")["QueueUrl"]
        arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        events.put_rule(Name=f"{name}-{role}", EventBusName=name,
                        EventPattern=json.dumps({"source": ["botless"], "detail-type": detail_type}))
        events.put_targets(Rule=f"{name}-{role}", EventBusName=name, Targets=[{"Id": role, "Arn": arn}])
        queues[role] = (url, arn)
    return queues


def create_function(name: str) -> None:
    """A Lambda function in moto to invoke (its code never runs: moto answers an `Event` invoke 202)."""
    role = aws_clients.client("iam").create_role(RoleName=f"{name}-role", AssumeRolePolicyDocument="{}")["Role"]["Arn"]
    code = io.BytesIO()
    with zipfile.ZipFile(code, "w") as archive:
        archive.writestr("handler.py", "")
    aws_clients.client("lambda").create_function(FunctionName=name, Runtime="python3.11", Role=role,
                                             Handler="functions.aws_lambda.handler.mono",
                                             Code={"ZipFile": code.getvalue()})


@contextmanager
def start_aws_lambda(topology: str, env: Mapping[str, str], *, shape: str = "function-url",
                     delivery: str = "sqs") -> Iterator[AwsLambdaDriver]:
    """The handlers of one topology against moto; `env` holds the platform and AWS settings."""
    name = f"botless-{uuid.uuid4().hex[:8]}"
    with ExitStack() as stack:
        if topology == "mono":
            create_function(name)
            env = {**env, "AWS_LAMBDA_FUNCTION_NAME": name}
            apps = {"mono": app_from_env("mono", env, bot=bot_for(env, store_from_env(env)))}
            queues: dict[str, tuple[str, str]] = {}
        else:
            queues = create_pipeline_bus(name)
            env = {**env, "BOTLESS_EVENT_BUS": name}
            apps = {role: app_from_env(role, env, bot=bot_for(env, store_from_env(env)))
                    for role in ("receive", "parse", "command", "respond")}
        for app in apps.values():
            stack.callback(app.close)
        driver = AwsLambdaDriver(topology, shape, delivery, apps, queues)

        def capture(function_name: str, payload: bytes) -> None:  # once Lambda (moto) answered 202
            if function_name != name:
                return  # another driver's function
            driver.invocations.append(payload)
            driver.deferred.append(json.loads(payload)["botless-resume"]["type"])

        if topology == "mono":
            invoke.INVOKE_OBSERVERS.append(capture)
            stack.callback(invoke.INVOKE_OBSERVERS.remove, capture)
        yield driver


def _load(name: str) -> dict[str, Any]:
    return json.loads((EVENTS / name).read_text())
