"""Cloud Functions converters: the Pub/Sub binding both ways, push envelopes, messagePublished events.

The push envelope in tests/events/gcp/ is the Pub/Sub emulator's own bytes; the Eventarc
delivery follows Google's documented binary-mode shape.
"""

from __future__ import annotations

import base64
import json
from pathlib import Path

import pytest
from cloudevents.http import CloudEvent, from_http

from core import events as ev
from core.events import EventValidationError
from providers.gcp.config import GcpConfig
from providers.gcp.delivery import MalformedTriggerError, delivered_event, message_from_http, message_from_trigger
from providers.gcp.eventarc import MESSAGE_PUBLISHED, is_message_published, message_from_cloud_event
from providers.gcp.message import PubSubMessage, event_from_message, is_warmup, message_from_event
from providers.gcp.push import is_push_envelope, message_from_push
from providers.runtime import ConfigurationError, PublishError

EVENTS = Path(__file__).resolve().parents[1] / "events" / "gcp"
GOLDEN_ID = "5f0c7d1e-8a61-4b0e-9a53-2f1c3c1b7e10"


def chat_event(text: str = "/define crd") -> CloudEvent:
    message = ev.ChatMessage(platform="slack", text=text, user=ev.ChatUser(id="W1"), channel="C1",
                             thread="1.0001", message_id="1.0002")
    return ev.chat_message_event(message, source="/botless/slack", reply_to="https://hooks.slack.com/x")


def test_an_event_becomes_structured_json_with_filter_attributes():
    event = chat_event()
    message = message_from_event(event)
    assert message.attributes == {"type": ev.CHAT_MESSAGE, "source": "/botless/slack", "id": event["id"],
                                  "content-type": "application/cloudevents+json"}
    payload = json.loads(message.data)
    assert payload["type"] == ev.CHAT_MESSAGE and payload["data"]["text"] == "/define crd"


def test_the_round_trip_keeps_every_attribute_and_extension():
    event = chat_event()
    back = event_from_message(message_from_event(event))
    assert back.get_attributes() == event.get_attributes()
    assert back.data == event.data


def test_the_binary_mode_of_the_binding_is_read_too():
    event = chat_event()
    attributes = {f"ce-{name}": str(value) for name, value in event.get_attributes().items()
                  if name != "datacontenttype"}
    message = PubSubMessage(json.dumps(event.data).encode(), {**attributes, "content-type": "application/json"}, "7")
    back = event_from_message(message)
    assert back["id"] == event["id"] and back[ev.EXT_THREAD] == "1.0001"
    assert back.data == event.data


def test_a_binary_message_without_an_id_is_refused_not_given_a_new_one():
    message = PubSubMessage(b"{}", {"ce-type": ev.CHAT_MESSAGE, "ce-source": "/x", "ce-specversion": "1.0"}, "8")
    with pytest.raises(EventValidationError, match="Pub/Sub message 8: binary CloudEvent without ce-id"):
        event_from_message(message)


@pytest.mark.parametrize("data, reason", [
    (b"not json", "data is not CloudEvent JSON"),
    (b"[1, 2]", "must be a CloudEvent JSON object"),
    (b'{"id": "1", "source": "/x", "type": "botless.chat.message", "specversion": "1.0", "data": {}}',
     "data.platform is required"),
])
def test_a_message_without_a_botless_event_says_why(data, reason):
    with pytest.raises(EventValidationError, match=reason):
        event_from_message(PubSubMessage(data, {}, "9"))


def test_the_emulators_push_envelope_is_recognised_and_unwrapped():
    payload = json.loads((EVENTS / "push_envelope.json").read_bytes())
    assert is_push_envelope(payload)
    message = message_from_push(payload)
    assert message.message_id == "1" and message.attributes["type"] == ev.CHAT_MESSAGE
    event = event_from_message(message)
    assert event["id"] == GOLDEN_ID and event[ev.EXT_CHANNEL] == "C222"
    assert ev.ChatMessage.from_data(event.data).text == "/define crd"


def test_an_eventarc_delivery_is_a_message_published_event_around_the_message():
    golden = json.loads((EVENTS / "eventarc_message_published.json").read_bytes())
    delivery = from_http(golden["headers"], json.dumps(golden["body"]).encode())
    assert is_message_published(delivery) and delivery["type"] == MESSAGE_PUBLISHED
    message = message_from_cloud_event(delivery)
    assert message.message_id == "9876543210123456"
    assert event_from_message(message)["id"] == GOLDEN_ID


def test_what_an_http_push_to_mono_carries_is_read_in_either_form():
    envelope = (EVENTS / "push_envelope.json").read_bytes()
    assert delivered_event(message_from_http({"content-type": "application/json"}, envelope))["id"] == GOLDEN_ID
    golden = json.loads((EVENTS / "eventarc_message_published.json").read_bytes())
    eventarc = message_from_http(golden["headers"], json.dumps(golden["body"]).encode())
    assert delivered_event(eventarc)["id"] == GOLDEN_ID


@pytest.mark.parametrize("body, reason", [
    (b'{"message": {"data": "%%%"}, "subscription": "s"}', "not base64"),
    (b'{"message": {"attributes": {"a": 1}}, "subscription": "s"}', "attributes must be an object of strings"),
    (b"hello", "neither a Pub/Sub push envelope nor a CloudEvent"),
])
def test_a_malformed_push_is_a_malformed_trigger(body, reason):
    with pytest.raises(MalformedTriggerError, match=reason):
        delivered_event(message_from_http({"content-type": "application/json"}, body))


def test_a_warm_up_ping_and_a_foreign_type_are_acknowledged_without_work():
    ping = PubSubMessage(b"", {"botless-warmup": "1"}, "10")
    assert is_warmup(ping) and delivered_event(ping) is None
    foreign = CloudEvent({"type": "com.example.other", "source": "/elsewhere"}, {"x": 1})
    assert delivered_event(message_from_event(foreign)) is None
    assert delivered_event(message_from_trigger(foreign)) is None


def test_a_message_published_event_without_a_message_is_malformed():
    event = CloudEvent({"type": MESSAGE_PUBLISHED, "source": "//pubsub.googleapis.com/x"}, {"nothing": True})
    with pytest.raises(MalformedTriggerError, match="data has no `message`"):
        message_from_trigger(event)


def test_a_botless_event_sent_directly_is_validated():
    event = CloudEvent({"type": ev.BOT_RESPONSE, "source": "/x"}, {"text": "hi"})
    with pytest.raises(MalformedTriggerError, match="data.platform is required"):
        delivered_event(event)


def test_each_family_has_its_topic_and_foreign_types_none():
    config = GcpConfig.from_env({"BOTLESS_PUBSUB_TOPIC_BOT_COMMAND": "cmds"})
    assert config.topic_for(ev.CHAT_MESSAGE) == "botless-chat-message"
    assert config.topic_for("botless.bot.command.define") == "cmds"
    assert config.topic_for(ev.BOT_RESPONSE) == "botless-bot-response"
    with pytest.raises(PublishError, match="no Pub/Sub topic for event type 'com.example'"):
        config.topic_for("com.example")


@pytest.mark.parametrize("env, role, message", [
    ({}, "receive", "set BOTLESS_GCP_PROJECT"),
    ({}, "parse", "set BOTLESS_GCP_PROJECT"),
    ({"BOTLESS_GCP_PROJECT": "p"}, "mono", "set BOTLESS_DEFER_TOKEN"),
    ({"BOTLESS_GCP_PROJECT": "p"}, "nope", "unknown Cloud Functions role"),
    ({"BOTLESS_PUBLISH_TIMEOUT_SECONDS": "soon"}, "respond", "is not a number"),
])
def test_missing_settings_fail_at_start_up_naming_the_variable(env, role, message):
    with pytest.raises(ConfigurationError, match=message):
        GcpConfig.from_env(env).check(role)


def test_respond_needs_no_project_and_the_project_falls_back_to_google_cloud_project():
    GcpConfig.from_env({}).check("respond")
    assert GcpConfig.from_env({"GOOGLE_CLOUD_PROJECT": "g"}).project == "g"


def test_base64_data_of_the_golden_envelope_is_the_structured_event():
    payload = json.loads((EVENTS / "push_envelope.json").read_bytes())
    decoded = json.loads(base64.b64decode(payload["message"]["data"]))
    assert decoded["specversion"] == "1.0" and decoded["id"] == GOLDEN_ID
