"""Cloud Functions' trigger sources: each one's `infer` picks its own shape, in order, and
a shape no source knows is a MalformedTriggerError naming what was expected."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from cloudevents.http import CloudEvent, from_http

from core import events as ev
from core.wire import event_to_http
from providers.gcp.delivery import (
    CLOUD_EVENT_SOURCES,
    DELIVERIES,
    PUSH_SOURCES,
    MalformedTriggerError,
    PushRequest,
    delivered_event,
    message_from_http,
    message_from_trigger,
)
from providers.gcp.message import PubSubMessage, message_from_event

EVENTS = Path(__file__).resolve().parents[1] / "events" / "gcp"


def chat_event() -> CloudEvent:
    message = ev.ChatMessage(platform="slack", text="/echo hi", user=ev.ChatUser(id="W1"), channel="C1")
    return ev.chat_message_event(message, source="/botless/slack")


def chosen(sources, payload) -> list[str]:
    """The names of the sources whose infer accepts `payload` (dispatch takes the first)."""
    return [source.name for source in sources if source.infer(payload)]


def request(headers, body: bytes) -> PushRequest:
    return PushRequest(headers, body, json.loads(body) if body.startswith(b"{") else None)


def test_a_cloud_event_function_tells_message_published_from_a_direct_event():
    golden = json.loads((EVENTS / "eventarc_message_published.json").read_bytes())
    published = from_http(golden["headers"], json.dumps(golden["body"]).encode())
    assert chosen(CLOUD_EVENT_SOURCES, published)[0] == "pubsub-message-published"
    assert isinstance(message_from_trigger(published), PubSubMessage)
    direct = chat_event()
    assert chosen(CLOUD_EVENT_SOURCES, direct) == ["botless-cloudevent"]
    assert message_from_trigger(direct) is direct


@pytest.mark.parametrize("mode", ["binary", "structured"])
def test_a_push_is_an_envelope_or_a_cloud_event_over_http(mode):
    envelope = (EVENTS / "push_envelope.json").read_bytes()
    assert chosen(PUSH_SOURCES, request({"content-type": "application/json"}, envelope)) == ["pubsub-push"]
    headers, body = event_to_http(chat_event(), mode)
    assert chosen(PUSH_SOURCES, request(headers, body)) == ["cloudevent-http"]
    assert delivered_event(message_from_http(headers, body))["type"] == ev.CHAT_MESSAGE


def test_each_delivery_goes_to_its_own_source_warm_up_first():
    ping = PubSubMessage(b"", {"botless-warmup": "1"}, "10")
    assert chosen(DELIVERIES, ping)[0] == "warm-up" and delivered_event(ping) is None
    message = message_from_event(chat_event())
    assert chosen(DELIVERIES, message) == ["pubsub-message"]
    assert chosen(DELIVERIES, chat_event()) == ["cloudevent"]


@pytest.mark.parametrize("body", [b'{"hello": "world"}', b"[1, 2]", b'{"message": {"data": ""}}'])
def test_json_that_is_no_source_s_shape_is_malformed_and_says_what_was_expected(body):
    assert chosen(PUSH_SOURCES, request({}, body)) == []
    with pytest.raises(MalformedTriggerError, match=r"neither a Pub/Sub push envelope nor a CloudEvent \(keys"):
        message_from_http({"content-type": "application/json"}, body)


def test_something_that_is_no_delivery_at_all_is_malformed():
    with pytest.raises(MalformedTriggerError, match="no Pub/Sub message or CloudEvent"):
        delivered_event({"message": "not a delivery"})  # type: ignore[arg-type]
