"""Mono's self-invoke on Lambda: a fast command stays in its invocation, a slow one is an Event
invoke of the function itself (Lambda's REST-JSON Invoke, signed as moto checks with IAM on),
resumed from its payload; refusals are PublishErrors the webhook answers 503."""

from __future__ import annotations

import asyncio
import json

import pytest

from core import events as ev
from core.events import EventValidationError
from providers.aws import invoke, json_api
from providers.aws.invoke import SelfInvoker, resume_payload
from providers.aws.lambda_app import app_from_env
from providers.runtime import PublishError
from tests import aws_clients
from tests.servers import free_port
from tests.targets.drivers.aws_lambda import LambdaContext, create_function, http_event
from tests.targets.scenarios import bot_for, slack_slash_command

CONTEXT = LambdaContext("botless-test")


def chat_message(text: str) -> ev.CloudEvent:
    message = ev.ChatMessage(platform="slack", text=text, user=ev.ChatUser(id="U1"), channel="C1")
    return ev.chat_message_event(message, source="/test")


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


def test_a_damaged_resume_payload_raises(stand_in, aws_env):
    env = {**stand_in.env(), **aws_env, "AWS_LAMBDA_FUNCTION_NAME": "x"}
    app = app_from_env("mono", env, bot=bot_for(env))
    try:
        with pytest.raises(EventValidationError):
            app({"botless-resume": {"type": ev.CHAT_MESSAGE}}, CONTEXT)
        assert resume_payload(chat_message("hi")).startswith(b'{"botless-resume":{')
    finally:
        app.close()


def test_the_self_invoker_targets_the_published_version():
    for version, qualifier in (("7", "7"), ("$LATEST", "")):
        env = {"AWS_LAMBDA_FUNCTION_NAME": "f", "AWS_LAMBDA_FUNCTION_VERSION": version}
        assert SelfInvoker.from_env(env).qualifier == qualifier


def test_the_self_invoke_is_signed_as_lambda_checks_and_a_refusal_is_a_publish_error(aws_env, unique, iam_user):
    name = f"botless-mono-iam-{unique}"
    create_function(name)
    event = chat_message("hi")
    sent: list[tuple[str, str]] = []
    queued: list[tuple[str, bytes]] = []
    json_api.REQUEST_OBSERVERS.append(observe := lambda service, operation, body: sent.append((service, operation)))
    invoke.INVOKE_OBSERVERS.append(seen := lambda *queued_one: queued.append(queued_one))
    try:
        with iam_user(allowed=True, action="lambda:*"):  # moto verifies the signature and the policy
            asyncio.run(SelfInvoker(name).defer(event))
        assert queued == [(name, resume_payload(event))] and sent == [("lambda", "Invoke")]
        with iam_user(allowed=False), pytest.raises(
                PublishError, match=f"Lambda refused to queue {name} for event {event['id']}: "
                                    "AwsApiError: AccessDenied"):
            asyncio.run(SelfInvoker(name).defer(event))
        assert sent == [("lambda", "Invoke")] * 2  # a refusal (4xx) is not sent again
        with iam_user(allowed=True, action="lambda:*", secret="not-the-secret-key"), pytest.raises(
                PublishError, match=f"Lambda refused to queue {name} .*SignatureDoesNotMatch"):
            asyncio.run(SelfInvoker(name).defer(event))
        assert len(queued) == 1
    finally:
        json_api.REQUEST_OBSERVERS.remove(observe)
        invoke.INVOKE_OBSERVERS.remove(seen)


def test_an_answer_other_than_202_is_a_publish_error(monkeypatch):
    # Lambda answers an Event invoke 202 or an error; anything else means it was not queued.
    monkeypatch.setattr(json_api.AwsJsonApi, "post", lambda self, *args: (200, b"{}"))
    event = chat_message("hi")
    with pytest.raises(PublishError, match="Lambda answered 200 instead of 202 when queueing botless-mono"):
        asyncio.run(SelfInvoker("botless-mono").defer(event))
