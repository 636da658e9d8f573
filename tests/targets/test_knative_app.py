"""The Knative app over real HTTP: the reply contract (binary and structured, with the
cloudevents SDK as client), the SinkBinding contract, failure statuses and start-up checks."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator

import httpx
import pytest
from cloudevents.conversion import to_binary, to_structured
from cloudevents.http import CloudEvent, from_http

from core import events as ev
from providers.knative.app import MONO_ROUTES, build_app
from providers.knative.sink import KnativeSink, parse_overrides
from providers.runtime import ConfigurationError
from tests.servers import uvicorn_server
from tests.services import service_fixture
from tests.targets.drivers.knative import RecordingBroker
from tests.targets.scenarios import StandInPlatformApi, bot_for, slack_message, slack_slash_command


def chat_message(text: str, platform: str = "slack") -> CloudEvent:
    message = ev.ChatMessage(platform=platform, text=text, user=ev.ChatUser(id="W1"), channel="C1",
                             message_id="1.0001")
    return ev.chat_message_event(message, source="/test")


@service_fixture(scope="module")  # uvicorn
def sink() -> Iterator[tuple[RecordingBroker, str]]:
    """A recording K_SINK on 127.0.0.1 with no Triggers: it only keeps what it receives."""
    broker = RecordingBroker()
    with uvicorn_server(broker.app()) as url:
        yield broker, url


@service_fixture(scope="module")  # uvicorn
def roles(stand_in: StandInPlatformApi) -> Iterator[dict[str, str]]:
    """parse, command and respond services under uvicorn (no sink: they reply)."""
    urls = {}
    with uvicorn_server(build_app(bot_for(stand_in.env()), "parse", None)) as urls["parse"], \
            uvicorn_server(build_app(bot_for(stand_in.env()), "command", None)) as urls["command"], \
            uvicorn_server(build_app(bot_for(stand_in.env()), "respond", None)) as urls["respond"]:
        yield urls


@pytest.mark.parametrize("mode", ["binary", "structured"])
def test_parse_replies_with_the_command_event_in_the_mode_it_was_sent(roles, mode):
    event = chat_message("/define crd")
    headers, body = (to_binary if mode == "binary" else to_structured)(event)
    answer = httpx.post(roles["parse"] + "/", headers=headers, content=body)
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith(
        "application/cloudevents+json" if mode == "structured" else "application/json")
    reply = from_http(dict(answer.headers), answer.content)
    assert reply["type"] == "botless.bot.command.define"
    assert reply.data["args"] == ["crd"]
    # Routing extensions travel with the derived event.
    assert reply[ev.EXT_PLATFORM] == "slack" and reply[ev.EXT_CHANNEL] == "C1"


@pytest.mark.parametrize("mode", ["binary", "structured"])
def test_command_replies_with_the_response_event(roles, mode):
    parsed = from_http(*_post(roles["parse"], chat_message("/echo hi there"), "binary"))
    headers, body = (to_binary if mode == "binary" else to_structured)(parsed)
    answer = httpx.post(roles["command"] + "/", headers=headers, content=body)
    reply = from_http(dict(answer.headers), answer.content)
    assert answer.status_code == 200 and reply["type"] == ev.BOT_RESPONSE
    assert reply.data["text"] == "hi there"


def test_no_derived_event_is_202_with_no_body(roles):
    answer = httpx.post(roles["parse"] + "/", headers=to_binary(chat_message("just chatting"))[0],
                        content=to_binary(chat_message("just chatting"))[1])
    assert answer.status_code == 202 and answer.content == b""


def test_a_foreign_event_type_is_ignored_politely(roles):
    foreign = CloudEvent({"type": "dev.knative.sources.ping", "source": "/ping"}, {"hello": 1})
    headers, body = to_binary(foreign)
    assert httpx.post(roles["command"] + "/", headers=headers, content=body).status_code == 202


def test_a_malformed_event_is_400_so_the_broker_dead_letters_instead_of_retrying(roles, caplog):
    answer = httpx.post(roles["parse"] + "/", headers={"content-type": "application/json"}, content=b"{}")
    assert answer.status_code == 400 and "not a CloudEvent" in answer.json()["error"]
    bad = CloudEvent({"type": ev.CHAT_MESSAGE, "source": "/x"}, {"text": 3})
    headers, body = to_binary(bad)
    answer = httpx.post(roles["parse"] + "/", headers=headers, content=body)
    assert answer.status_code == 400 and "data.platform" in answer.json()["error"]


def test_respond_calls_the_platform_and_a_refusal_is_a_retryable_5xx(roles, stand_in):
    stand_in.reset()
    response = ev.BotResponse(text="hello", platform="slack", channel="C9")
    event = ev.new_event(ev.BOT_RESPONSE, response, extensions={ev.EXT_PLATFORM: "slack", ev.EXT_CHANNEL: "C9"})
    headers, body = to_binary(event)
    assert httpx.post(roles["respond"] + "/", headers=headers, content=body).status_code == 202
    [call] = stand_in.wait_for(1)
    assert call.path == "/slack/api/chat.postMessage" and call.body["text"] == "hello"
    nowhere = ev.new_event(ev.BOT_RESPONSE, ev.BotResponse(text="x", platform="irc"))
    answer = httpx.post(roles["respond"] + "/", headers=to_binary(nowhere)[0], content=to_binary(nowhere)[1])
    # Permanent: 422, which the Broker does not retry (it dead-letters the event at once).
    assert answer.status_code == 422 and "no responder for platform 'irc'" in answer.json()["error"]


def test_every_role_answers_healthz(roles):
    for role, url in roles.items():
        assert httpx.get(url + "/healthz").json()["role"] == role


def test_receive_publishes_to_k_sink_with_k_ce_overrides_applied(stand_in, sink, unique):
    broker, sink_url = sink
    env = {**stand_in.env(), "K_SINK": sink_url, "K_CE_OVERRIDES": json.dumps({"extensions": {"team": "ops"}})}
    app = build_app(bot_for(env), "receive", KnativeSink.from_env(env))
    before = len(broker.received)
    with uvicorn_server(app) as url:
        headers, body = slack_message("/uptime", event_id=f"Ev{unique}", ts=f"{unique}.1")
        assert httpx.post(url + "/slack/events", headers=headers, content=body).status_code == 200
        headers, body = slack_slash_command(stand_in.url, "/define", "crd", trigger=unique)
        assert httpx.post(url + "/slack/events", headers=headers, content=body).status_code == 200
    assert broker.wait_idle()
    published = [event for event, _ in broker.received[before:]]
    assert [e["type"] for e in published] == [ev.CHAT_MESSAGE, ev.CHAT_MESSAGE]
    assert all(e["team"] == "ops" for e in published)
    assert [e.data["text"] for e in published] == ["/uptime", "crd"]
    # Binary mode on the wire, as the SinkBinding's sink expects from a source.
    assert all(headers["ce-type"] == ev.CHAT_MESSAGE for _, headers in broker.received[before:])


@pytest.mark.slow  # uvicorn
def test_a_refused_publish_is_a_503_the_platform_retries(stand_in, unique, caplog):
    with uvicorn_server(_refusing_sink()) as sink_url:
        app = build_app(bot_for(stand_in.env()), "receive", KnativeSink(sink_url))
        with uvicorn_server(app) as url:
            headers, body = slack_slash_command(stand_in.url, "/uptime", "", trigger=unique)
            answer = httpx.post(url + "/slack/events", headers=headers, content=body)
    assert answer.status_code == 503 and "HTTP 500" in answer.json()["error"]
    assert "publish-refused" in caplog.text


def test_mono_defers_through_the_broker_and_resumes_on_post(stand_in, sink, unique):
    broker, sink_url = sink
    # No ack budget: the command overruns it at once, so it is deferred.
    bot = bot_for({**stand_in.env(), "BOTLESS_SLOW_COMMAND_SECONDS": "0"})
    with uvicorn_server(build_app(bot, "mono", KnativeSink(sink_url), routes="all")) as url:
        stand_in.reset()
        before = len(broker.received)
        headers, body = slack_slash_command(stand_in.url, "/define", "crd", trigger=unique)
        answer = httpx.post(url + "/slack/events", headers=headers, content=body)
        assert answer.status_code == 200 and answer.content == b""
        assert broker.wait_idle()
        [(deferred, _)] = broker.received[before:]
        assert deferred["type"] == "botless.bot.command.define" and stand_in.calls == []
        # The Broker's mono Trigger brings it back: the whole chain runs, nothing is deferred again.
        headers, body = to_structured(deferred)
        assert httpx.post(url + "/", headers=headers, content=body).status_code == 202
        [call] = stand_in.wait_for(1)
        assert call.body["text"].startswith("*CRD* stands for") and len(broker.received) == before + 1


async def test_mono_routes_all_answers_another_method_on_root_405_as_the_bus_face(stand_in):
    """`POST /` is the bus route; `GET /` is its 405 with Allow, not the webhooks' 404 under Mount("/")."""
    sink = KnativeSink("http://127.0.0.1:9/")  # never called: nothing here publishes
    faces = {routes: build_app(bot_for(stand_in.env()), "mono", sink, routes=routes) for routes in MONO_ROUTES}
    answers = {}
    for routes, app in faces.items():
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://bot.test") as client:
            answers[routes] = {(method, path): await client.request(method, path)
                               for method in ("GET", "HEAD", "PUT") for path in ("/", "/healthz", "/slack/events/")}
    for method in ("GET", "HEAD", "PUT"):
        root = answers["all"][(method, "/")]
        assert (root.status_code, root.headers["allow"]) == (405, "POST")
        assert root.headers["content-type"].startswith("text/plain") and root.content == (
            b"" if method == "HEAD" else b"Method Not Allowed")
        bus = answers["bus"][(method, "/")]
        assert (bus.status_code, bus.headers["allow"], bus.content) == (405, "POST", root.content)
        assert answers["webhooks"][(method, "/")].status_code == 404  # the public face has no bus route
    assert answers["all"][("GET", "/healthz")].status_code == 200
    slashed = answers["all"][("GET", "/slack/events/")]
    assert (slashed.status_code, slashed.headers["location"]) == (307, "http://bot.test/slack/events")


@pytest.mark.parametrize("role", ["receive", "mono"])
def test_roles_that_publish_fail_at_start_up_without_k_sink(role, stand_in):
    with pytest.raises(ConfigurationError, match="K_SINK"):
        build_app(bot_for(stand_in.env()), role, KnativeSink.from_env({}))


@pytest.mark.parametrize("raw, problem", [("{", "not JSON"), ('{"extensions": []}', "must look like"),
                                          ('{"extensions": {"Bad-Name": "x"}}', "extension name")])
def test_bad_k_ce_overrides_fail_at_start_up(raw, problem):
    with pytest.raises(ConfigurationError, match=problem):
        parse_overrides(raw)


@pytest.mark.slow  # a fresh interpreter, to see what a cold start imports
def test_the_entrypoint_imports_no_cloud_sdk_and_fails_loudly_when_misconfigured():
    code = ("import sys, functions.knative.app as m; print(type(m.app).__name__, "
            "sorted(n for n in ('boto3', 'mangum', 'google.cloud.pubsub_v1', 'azure.functions', 'httpx') "
            "if n in sys.modules))")
    env = {**os.environ, "BOTLESS_ROLE": "receive", "K_SINK": "http://127.0.0.1:9/", "BOTLESS_ENTRY_POINTS": "0"}
    ok = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=60)
    assert ok.returncode == 0, ok.stderr
    assert ok.stdout.split() == ["Starlette", "[]"]
    env.pop("K_SINK")
    env["BOTLESS_ROLE"] = "mono"
    bad = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=60)
    assert bad.returncode != 0 and "K_SINK is not set" in bad.stderr


def _post(url: str, event: CloudEvent, mode: str) -> tuple[dict[str, str], bytes]:
    headers, body = (to_binary if mode == "binary" else to_structured)(event)
    answer = httpx.post(url + "/", headers=headers, content=body)
    return dict(answer.headers), answer.content


def _refusing_sink():  # type: ignore[no-untyped-def]
    from starlette.applications import Starlette
    from starlette.responses import Response
    from starlette.routing import Route

    async def refuse(request):  # type: ignore[no-untyped-def]
        return Response("broker is full", status_code=500)

    return Starlette(routes=[Route("/", refuse, methods=["POST"])])


async def test_the_sink_keeps_one_http_client_and_closes_it(sink):
    """A client per publish cost ~20 ms each (its TLS context): one is kept per event loop."""
    broker, url = sink
    publisher = KnativeSink(url)
    await publisher.publish(chat_message("/echo one"))
    first = publisher._client()
    await publisher.publish(chat_message("/echo two"))
    assert publisher._client() is first
    await publisher.aclose()
    assert first.is_closed
    await publisher.publish(chat_message("/echo three"))  # a new client after a close
    await publisher.aclose()
