"""functions/gcf/main.py in-process, through functions-framework's own apps.

`functions_framework.create_app` loads main.py as Cloud Functions does: a Flask app for
the CloudEvent functions (which also turns a raw push envelope into a messagePublished
event) and an ASGI app for the `aio` HTTP functions. The bus is a recording publisher.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import functions_framework
import httpx
import pytest
from cloudevents.conversion import to_binary
from cloudevents.http import CloudEvent

import providers.gcp.target as gcp_target
from core import events as ev
from core.bot import Bot
from core.chat.platforms import adapters_from_env
from core.commands import BUILTIN_COMMAND_SETS
from core.registry import CommandSet
from core.settings import Settings
from providers.gcp.config import GcpConfig
from providers.gcp.message import message_from_event
from providers.gcp.target import GcfTarget
from providers.runtime import ConfigurationError, PublishError
from tests.targets.scenarios import StandInPlatformApi, slack_message, slack_slash_command

MAIN = Path(__file__).resolve().parents[2] / "functions" / "gcf" / "main.py"
EVENTS = Path(__file__).resolve().parents[1] / "events" / "gcp"
CONFIG = GcpConfig(project="botless-test", defer_token="s3cret")

slow_commands = CommandSet()


@slow_commands.command(help="A report that takes a while", slow=True)
def report(command: Any) -> str:
    return "report ready"


class RecordingPublisher:
    """Publisher and Deferrer that keeps what it is given (or refuses, when told to)."""

    def __init__(self) -> None:
        self.published: list[CloudEvent] = []
        self.deferred: list[CloudEvent] = []
        self.refuse = False

    async def publish(self, event: CloudEvent) -> None:
        if self.refuse:
            raise PublishError("Pub/Sub refused it (test)")
        self.published.append(event)

    async def defer(self, event: CloudEvent) -> None:
        if self.refuse:
            raise PublishError("Pub/Sub refused it (test)")
        self.deferred.append(event)


def build_bot(env: dict[str, str]) -> Bot:
    settings = Settings.from_env(env)
    return Bot(settings, command_sets=[*BUILTIN_COMMAND_SETS, slow_commands], adapters=adapters_from_env(settings))


@pytest.fixture
def publisher() -> RecordingPublisher:
    return RecordingPublisher()


@pytest.fixture
def target(publisher: RecordingPublisher, stand_in: StandInPlatformApi) -> GcfTarget:
    stand_in.reset()
    return GcfTarget(build_bot(stand_in.env()), CONFIG, publisher)  # type: ignore[arg-type]


@pytest.fixture
def load(monkeypatch: pytest.MonkeyPatch, target: GcfTarget) -> Callable[[str], Any]:
    """`load(role)`: functions-framework's app for that function of main.py, on `target`."""
    monkeypatch.setattr(sys, "path", list(sys.path))  # create_app appends functions/gcf to it
    monkeypatch.setitem(sys.modules, "main", None)  # and registers main.py as `main`
    monkeypatch.setattr(gcp_target, "target_from_env", lambda env: target)
    for name in ("FUNCTION_TARGET", "FUNCTION_SIGNATURE_TYPE", "FUNCTION_TRIGGER_TYPE"):
        monkeypatch.setenv(name, "")  # create_app sets them in os.environ; undone after the test

    def create(role: str) -> Any:
        signature = "http" if role in ("receive", "mono") else "cloudevent"
        return functions_framework.create_app(role, str(MAIN), signature)

    return create


def chat_event(text: str, platform: str = "slack") -> CloudEvent:
    message = ev.ChatMessage(platform=platform, text=text, user=ev.ChatUser(id="W1"), channel="C1",
                             message_id="1.0001")
    return ev.chat_message_event(message, source="/test")


def push(event: CloudEvent, attributes: dict[str, str] | None = None, data: bytes | None = None) -> bytes:
    """A push envelope as a push subscription sends it (see tests/events/gcp/push_envelope.json)."""
    import base64

    message = message_from_event(event)
    return json.dumps({"subscription": "projects/botless-test/subscriptions/parse", "message": {
        "data": base64.b64encode(message.data if data is None else data).decode(),
        "attributes": {**message.attributes, **(attributes or {})}, "messageId": "42", "message_id": "42",
        "publishTime": "2026-11-28T07:12:10.862Z"}}).encode()


# -- CloudEvent functions -----------------------------------------------------------------

def test_parse_takes_the_emulators_raw_push_envelope(load, publisher):
    answer = load("parse").test_client().post("/", data=(EVENTS / "push_envelope.json").read_bytes(),
                                               content_type="application/json")
    assert answer.status_code == 200
    [command] = publisher.published
    assert command["type"] == "botless.bot.command.define" and command.data["args"] == ["crd"]
    assert command[ev.EXT_CHANNEL] == "C222"  # the extensions travel through Pub/Sub


def test_parse_takes_an_eventarc_binary_delivery(load, publisher):
    golden = json.loads((EVENTS / "eventarc_message_published.json").read_bytes())
    answer = load("parse").test_client().post("/", data=json.dumps(golden["body"]), headers=golden["headers"])
    assert answer.status_code == 200
    assert [e["type"] for e in publisher.published] == ["botless.bot.command.define"]


def test_command_then_respond_through_their_functions(load, publisher, target):
    parse_client, command_client, respond_client = (load(r).test_client() for r in ("parse", "command", "respond"))
    assert parse_client.post("/", data=push(chat_event("/echo hello", platform="api")),
                             content_type="application/json").status_code == 200
    [command] = publisher.published
    assert command_client.post("/", data=push(command), content_type="application/json").status_code == 200
    response = publisher.published[1]
    assert response["type"] == ev.BOT_RESPONSE and response.data["text"] == "hello"
    assert respond_client.post("/", data=push(response), content_type="application/json").status_code == 200
    assert [r.text for r in target.bot.outbox.take("1.0001")] == ["hello"]


def test_a_botless_event_sent_directly_in_binary_mode_is_handled(load, publisher):
    headers, body = to_binary(chat_event("/define crd"))
    assert load("parse").test_client().post("/", data=body, headers=headers).status_code == 200
    assert len(publisher.published) == 1


def test_a_malformed_message_is_400_so_pubsub_redelivers_and_dead_letters_it(load, publisher):
    answer = load("parse").test_client().post("/", data=push(chat_event("x"), data=b"not json"),
                                               content_type="application/json")
    assert answer.status_code == 400
    assert b"Pub/Sub message 42: data is not CloudEvent JSON" in answer.data
    assert publisher.published == []


def test_a_refused_publish_is_500_so_pubsub_redelivers(load, publisher):
    publisher.refuse = True
    answer = load("parse").test_client().post("/", data=push(chat_event("/define crd")),
                                               content_type="application/json")
    assert answer.status_code == 500


def test_a_reply_no_responder_can_send_is_acknowledged_not_redelivered(load):
    # Permanent (issue 14): dead-lettered in the log; a transient failure is 500
    # (tests/targets/test_rate_limits_gcf.py).
    reply = ev.new_event(ev.BOT_RESPONSE, ev.BotResponse(text="hi", platform="nowhere"))
    answer = load("respond").test_client().post("/", data=push(reply), content_type="application/json")
    assert answer.status_code == 200


def test_foreign_types_a_type_for_another_role_and_warm_ups_are_acknowledged(load, publisher):
    client = load("command").test_client()
    foreign = CloudEvent({"type": "com.example.other", "source": "/elsewhere"}, {"x": 1})
    assert client.post("/", data=push(foreign), content_type="application/json").status_code == 200
    assert client.post("/", data=push(chat_event("/define crd")), content_type="application/json").status_code == 200
    warmup = push(chat_event("/define crd"), attributes={"botless-warmup": "1"})
    assert client.post("/", data=warmup, content_type="application/json").status_code == 200
    assert publisher.published == []


# -- HTTP functions -----------------------------------------------------------------------

async def post(app: Any, path: str, headers: dict[str, str], body: bytes) -> httpx.Response:
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://gcf.test") as client:
        return await client.post(path, headers=headers, content=body)


async def test_receive_serves_the_shared_app_and_publishes_before_answering(load, publisher):
    app = load("receive")
    headers, body = slack_message("/define crd", event_id="Ev1", ts="1.0001")
    answer = await post(app, "/slack/events", headers, body)
    assert answer.status_code == 200
    assert [e["type"] for e in publisher.published] == [ev.CHAT_MESSAGE]
    headers, body = slack_slash_command("http://127.0.0.1:9", "/uptime", "", trigger="t1")
    assert (await post(app, "/slack/events", headers, body)).status_code == 200
    assert len(publisher.published) == 2  # the slash command's ack-first event, too, before the ack
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://gcf.test") as client:
        assert (await client.get("/healthz")).json()["status"] == "ok"
        assert (await client.post("/", json={})).status_code in (404, 405)  # no public CloudEvents ingress


async def test_receive_answers_503_when_pubsub_refuses_so_slack_retries(load, publisher):
    publisher.refuse = True
    headers, body = slack_message("/define crd", event_id="Ev2", ts="1.0002")
    answer = await post(load("receive"), "/slack/events", headers, body)
    assert answer.status_code == 503 and "could not hand the message on" in answer.text


async def test_mono_runs_a_fast_command_inline_and_defers_a_slow_one(load, publisher, stand_in, unique):
    app = load("mono")
    headers, body = slack_message("/echo hi", event_id=f"Ev{unique}", ts=f"{unique}.1")
    assert (await post(app, "/slack/events", headers, body)).status_code == 200
    assert [call.body["text"] for call in stand_in.calls] == ["hi"] and publisher.deferred == []
    headers, body = slack_message("/report", event_id=f"Ev{unique}-2", ts=f"{unique}.2")
    assert (await post(app, "/slack/events", headers, body)).status_code == 200
    assert len(stand_in.calls) == 1  # not run here: handed over
    [deferred] = publisher.deferred
    assert deferred["type"] == "botless.bot.command.report"
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://gcf.test") as client:
        assert (await client.post("/api/chat", json={"text": "/echo hi"})).status_code in (404, 405)


async def test_mono_answers_a_fast_slash_command_in_the_ack_and_defers_nothing(load, publisher):
    headers, body = slack_slash_command("http://127.0.0.1:9", "/uptime", "", trigger="t2")
    answer = await post(load("mono"), "/slack/events", headers, body)
    assert answer.status_code == 200 and answer.json()["response_type"] == "in_channel"
    assert publisher.deferred == []


async def test_mono_defers_a_slow_slash_command_and_acknowledges_it(load, publisher):
    headers, body = slack_slash_command("http://127.0.0.1:9", "/report", "", trigger="t3")
    answer = await post(load("mono"), "/slack/events", headers, body)
    assert answer.status_code == 200 and answer.content == b""
    assert [e["type"] for e in publisher.deferred] == ["botless.bot.command.report"]


async def test_mono_resumes_deferred_work_pushed_back_to_it(load, publisher, target):
    app = load("mono")
    deferred = ev.derive_event(chat_event("/report", platform="api"), "botless.bot.command.report",
                               ev.CommandInvocation(name="report", raw_args="", args=(), text="/report",
                                                    platform="api", user=ev.ChatUser(id="W1"), channel="C1",
                                                    message_id="1.0001"))
    path = "/_botless/deferred?token=s3cret"
    answer = await post(app, path, {"content-type": "application/json"}, push(deferred))
    assert answer.status_code == 204
    assert [r.text for r in target.bot.outbox.take("1.0001")] == ["report ready"]
    assert publisher.deferred == []  # resumed work is never deferred again
    headers, body = to_binary(deferred)  # an Eventarc-style binary delivery of a Botless event works too
    assert (await post(app, path, headers, body)).status_code == 204


@pytest.mark.parametrize("path, body, status", [
    ("/_botless/deferred", b"{}", 403),
    ("/_botless/deferred?token=wrong", b"{}", 403),
    ("/_botless/deferred?token=s3cret", b"not a push", 400),
])
async def test_mono_refuses_unauthenticated_or_malformed_deferred_pushes(load, path, body, status):
    answer = await post(load("mono"), path, {"content-type": "application/json"}, body)
    assert answer.status_code == status


def test_an_instance_that_cannot_defer_fails_at_start_up():
    bot = build_bot({"BOTLESS_ENTRY_POINTS": "0"})
    with pytest.raises(ConfigurationError, match="BOTLESS_DEFER_TOKEN"):
        GcfTarget(bot, GcpConfig(project="p"), RecordingPublisher(), role="mono")  # type: ignore[arg-type]
    with pytest.raises(ConfigurationError, match="BOTLESS_GCP_PROJECT"):
        GcfTarget(bot, GcpConfig(), RecordingPublisher(), role="receive")  # type: ignore[arg-type]


@pytest.mark.slow  # a fresh interpreter, to see what a cold start imports
def test_main_imports_no_other_cloud_and_pubsub_only_when_it_first_publishes():
    import subprocess

    code = ("import sys, functions.gcf.main\n"
            "print(sorted({m.split('.')[0] for m in sys.modules} & {'azure', 'boto3', 'botocore', 'mangum', 'grpc'}),"
            " 'google.cloud.pubsub_v1' in sys.modules, 'google.api_core' in sys.modules)")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("BOTLESS_", "FUNCTION_"))}
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120,
                         cwd=str(MAIN.parents[2]), env=env)
    assert run.returncode == 0, run.stderr
    assert run.stdout.split() == ["[]", "False", "False"]


# -- a redelivery while another instance holds the event's lease --------------------------

def test_a_redelivery_during_a_running_lease_is_500_so_pubsub_pushes_it_again(load, publisher, target):
    event = chat_event("/define crd")
    key = f"parse:ce:{event['id']}"
    assert target.bot.dedupe.put_if_absent(key, 60) is True  # another instance is running parse on it
    client = load("parse").test_client()
    assert client.post("/", data=push(event), content_type="application/json").status_code == 500
    assert publisher.published == [] and target.bot.dedupe.is_confirmed(key) is False  # the lease is left
    target.bot.dedupe.confirm(key, 60)  # that instance succeeded: Pub/Sub's next push is a duplicate
    assert client.post("/", data=push(event), content_type="application/json").status_code == 200
    assert publisher.published == []


async def test_a_deferred_push_during_a_running_lease_is_503_so_pubsub_pushes_it_again(load, target):
    app = load("mono")
    deferred = chat_event("/define crd", platform="api")
    key = f"mono:ce:{deferred['id']}"
    assert target.bot.dedupe.put_if_absent(key, 60) is True
    path = "/_botless/deferred?token=s3cret"
    answer = await post(app, path, {"content-type": "application/json"}, push(deferred))
    assert answer.status_code == 503 and "being handled elsewhere" in answer.json()["error"]
    assert target.bot.outbox.take("1.0001") == []
    target.bot.dedupe.confirm(key, 60)
    assert (await post(app, path, {"content-type": "application/json"}, push(deferred))).status_code == 204
    assert target.bot.outbox.take("1.0001") == []
