"""`botless serve`'s app over real HTTP: /healthz, /api/chat, and the CloudEvents ingress."""

import httpx
import pytest
from cloudevents.conversion import to_binary, to_structured
from cloudevents.http import CloudEvent

from core import events as ev
from core.bot import Bot
from core.settings import Settings
from providers.asgi.app import create_app
from tests.servers import uvicorn_server
from tests.services import service_fixture


@service_fixture(params=["mono", "pipeline"])  # uvicorn, per test
def server(request):
    bot = Bot(Settings(topology=request.param, load_entry_points=False, max_body_bytes=4096))
    broker = bot.broker()
    with uvicorn_server(create_app(bot, broker.publish, ingress=True)) as url:
        yield url, bot, broker


def chat_message_event(text, message_id):
    message = ev.ChatMessage(platform="local", text=text, user=ev.ChatUser("u1"), message_id=message_id)
    return ev.chat_message_event(message, source="/test")


def test_healthz(server):
    url, bot, _ = server
    answer = httpx.get(f"{url}/healthz")
    assert answer.status_code == 200 and answer.json()["status"] == "ok"
    assert answer.json()["commands"] == len(bot.registry)
    assert answer.json()["platforms"] == []  # no platform has its secret here, so none is served


def test_api_chat_answers_with_the_replies(server):
    url, _, _ = server
    assert httpx.post(f"{url}/api/chat", json={"text": "/flip hello"}).json() == {"replies": ["(╯°□°)╯︵ ollǝɥ"]}
    assert httpx.post(f"{url}/api/chat", json={"text": "just chatting"}).json() == {"replies": []}
    assert "Did you mean `uptime`" in httpx.post(f"{url}/api/chat", json={"text": "/uptme"}).json()["replies"][0]


@pytest.mark.parametrize("body, reason", [
    (b"{not json", "body is not valid JSON"),
    (b'{"message": "hi"}', 'expected a JSON object like {"text": "/uptime"}'),
    (b'["/uptime"]', "expected a JSON object"),
])
def test_api_chat_rejects_bad_bodies_with_a_reason(server, body, reason):
    url, bot, _ = server
    answer = httpx.post(f"{url}/api/chat", content=body, headers={"content-type": "application/json"})
    assert answer.status_code == 400 and reason in answer.json()["error"]
    assert bot.outbox.recent() == []


@pytest.mark.parametrize("encode", [to_binary, to_structured], ids=["binary", "structured"])
def test_ingress_accepts_cloudevents_from_the_sdk(server, encode):
    url, bot, broker = server
    headers, body = encode(chat_message_event("/echo from the sdk", "m-sdk"))
    answer = httpx.post(f"{url}/", headers=headers, content=body)
    assert answer.status_code == 202
    replies = httpx.get(f"{url}/api/replies").json()["replies"]
    assert [(r["text"], r["message_id"]) for r in replies] == [("from the sdk", "m-sdk")]
    assert broker.dead_letters == []


def test_ingress_accepts_a_command_event_directly_in_both_topologies(server):
    url, bot, _ = server
    invocation = ev.CommandInvocation(name="hash", raw_args="md5 a", args=("md5", "a"), text="/hash md5 a",
                                      platform="local", user=ev.ChatUser("u"), message_id="m-cmd")
    headers, body = to_binary(ev.new_event(ev.command_type("hash"), invocation))
    assert httpx.post(f"{url}/", headers=headers, content=body).status_code == 202
    texts = [r["text"] for r in httpx.get(f"{url}/api/replies").json()["replies"]]
    topology = bot.settings.topology
    # mono's one trigger takes chat messages; a bare command event is a pipeline concern.
    assert texts == (["md5: 0cc175b9c0f1b6a831c399e269772661"] if topology == "pipeline" else [])


@pytest.mark.parametrize("headers, body, reason", [
    ({"content-type": "application/json"}, b"{broken", "not a CloudEvent"),
    ({"ce-specversion": "1.0", "ce-type": "botless.chat.message", "ce-source": "/x"}, b"{}", "not a CloudEvent"),
    ({"ce-specversion": "1.0", "ce-id": "1", "ce-type": "botless.chat.message", "ce-source": "/x",
      "content-type": "application/json"}, b'{"text": "/uptime"}', "data.platform is required"),
])
def test_ingress_rejects_invalid_events_with_400_and_a_reason(server, headers, body, reason):
    url, bot, _ = server
    answer = httpx.post(f"{url}/", headers=headers, content=body)
    assert answer.status_code == 400 and reason in answer.json()["error"]
    assert bot.outbox.recent() == []


def test_ingress_ignores_unknown_event_types_politely(server):
    url, bot, broker = server
    headers, body = to_structured(CloudEvent({"type": "com.example.other", "source": "/x"}, {"a": 1}))
    assert httpx.post(f"{url}/", headers=headers, content=body).status_code == 202
    assert bot.outbox.recent() == [] and broker.dead_letters == []


def test_oversized_bodies_get_413(server):
    url, bot, _ = server
    big = b'{"text": "' + b"x" * 5000 + b'"}'
    assert httpx.post(f"{url}/api/chat", content=big).status_code == 413
    headers, body = to_structured(chat_message_event("/echo " + "y" * 5000, "m-big"))
    assert httpx.post(f"{url}/", headers=headers, content=body).status_code == 413
    assert bot.outbox.recent() == []
