"""The Pub/Sub publisher and the functions' failure answers, against the Pub/Sub emulator."""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from cloudevents.http import CloudEvent

from core import events as ev
from providers.gcp.config import GcpConfig
from providers.gcp.message import PubSubMessage, event_from_message, message_from_event
from providers.gcp.publisher import PubSubPublisher
from providers.runtime import PublishError
from tests.targets.drivers.gcf import PROJECT, GcfDriver, PubSubEmulator, gcf_driver
from tests.targets.scenarios import StandInPlatformApi

pytestmark = pytest.mark.slow


def chat_event(text: str = "/define crd") -> CloudEvent:
    message = ev.ChatMessage(platform="slack", text=text, user=ev.ChatUser(id="W1"), channel="C1",
                             message_id="1.0001")
    return ev.chat_message_event(message, source="/botless/slack")


def emulator_client(emulator: PubSubEmulator) -> Any:
    """The publisher's own client factory, pointed at the emulator."""
    return lambda: emulator._clients()[0]


@pytest.fixture
def topics(pubsub_emulator: PubSubEmulator) -> dict[str, str]:
    """Fresh topics for each family, each with a pull subscription to read them back."""
    suffix = uuid.uuid4().hex[:8]
    names = {key: f"{key}-{suffix}" for key in ("chat", "command", "response", "deferred")}
    for name in names.values():
        topic = pubsub_emulator.publisher.topic_path(PROJECT, name)
        pubsub_emulator.publisher.create_topic(name=topic)
        pubsub_emulator.subscriber.create_subscription(
            name=pubsub_emulator.subscriber.subscription_path(PROJECT, f"read-{name}"), topic=topic)
    return names


def read(emulator: PubSubEmulator, topic: str) -> list[PubSubMessage]:
    subscription = emulator.subscriber.subscription_path(PROJECT, f"read-{topic}")
    answer = emulator.subscriber.pull(request={"subscription": subscription, "max_messages": 10}, timeout=10)
    return [PubSubMessage(m.message.data, dict(m.message.attributes), m.message.message_id)
            for m in answer.received_messages]


async def test_each_family_goes_to_its_topic_with_filterable_attributes(pubsub_emulator, topics):
    config = GcpConfig(project=PROJECT, chat_message_topic=topics["chat"], bot_command_topic=topics["command"],
                       bot_response_topic=topics["response"], deferred_topic=topics["deferred"])
    publisher = PubSubPublisher(config, emulator_client(pubsub_emulator))
    chat = chat_event()
    command = ev.derive_event(chat, "botless.bot.command.define", ev.CommandInvocation(
        name="define", raw_args="crd", args=("crd",), text="/define crd", platform="slack",
        user=ev.ChatUser(id="W1")))
    await publisher.publish(chat)
    await publisher.publish(command)
    await publisher.defer(command)
    [on_chat] = read(pubsub_emulator, topics["chat"])
    [on_command] = read(pubsub_emulator, topics["command"])
    [on_deferred] = read(pubsub_emulator, topics["deferred"])
    assert on_chat.attributes["type"] == ev.CHAT_MESSAGE
    assert on_command.attributes["type"] == "botless.bot.command.define"
    assert event_from_message(on_command).get_attributes() == command.get_attributes()
    assert event_from_message(on_deferred)["id"] == command["id"]


async def test_a_missing_topic_is_a_publish_error_naming_it(pubsub_emulator):
    publisher = PubSubPublisher(GcpConfig(project=PROJECT, chat_message_topic="no-such-topic"),
                                emulator_client(pubsub_emulator))
    with pytest.raises(PublishError, match="projects/botless-test/topics/no-such-topic.*NotFound"):
        await publisher.publish(chat_event())


async def test_an_unreachable_pubsub_is_a_publish_error_within_the_timeout(monkeypatch):
    monkeypatch.setenv("PUBSUB_EMULATOR_HOST", "127.0.0.1:9")  # nothing listens on the discard port
    publisher = PubSubPublisher(GcpConfig(project=PROJECT, publish_timeout=0.5))
    with pytest.raises(PublishError, match="Pub/Sub refused event"):
        await publisher.publish(chat_event())
    publisher.client.stop()


# -- what the deployed functions answer Pub/Sub when something is wrong ----------------------

@pytest.fixture(scope="module")
def pipeline(pubsub_emulator: PubSubEmulator, stand_in: StandInPlatformApi,
             tmp_path_factory: pytest.TempPathFactory) -> Iterator[GcfDriver]:
    with gcf_driver(pubsub_emulator, "pipeline", stand_in.env(), tmp_path_factory.mktemp("gcf-fail")) as driver:
        yield driver


def publish_raw(driver: GcfDriver, topic_key: str, message: PubSubMessage) -> str:
    topic = driver.emulator.publisher.topic_path(PROJECT, driver.topics[topic_key])
    return driver.emulator.publisher.publish(topic, message.data, **message.attributes).result(timeout=10)


async def deliveries_of(driver: GcfDriver, message_id: str, count: int, timeout: float = 30.0) -> list[Any]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = [d for d in driver.relay.deliveries if d.message_id == message_id]
        if len(found) >= count:
            return found
        await asyncio.sleep(0.05)  # waiting on the emulator's redelivery
    return [d for d in driver.relay.deliveries if d.message_id == message_id]


async def test_a_malformed_message_is_refused_400_and_redelivered_never_acknowledged(pipeline):
    message_id = publish_raw(pipeline, "chat", PubSubMessage(b"not a cloudevent", {"type": ev.CHAT_MESSAGE}))
    found = await deliveries_of(pipeline, message_id, 2)
    assert [d.status for d in found[:2]] == [400, 400]  # nacked twice: on its way to the dead-letter topic
    # What reached parse is the emulator's push envelope, untouched.
    envelope = json.loads(found[0].body)
    assert envelope["message"]["messageId"] == message_id and "subscription" in envelope
    assert "data is not CloudEvent JSON" in pipeline.log("parse")


async def test_a_reply_no_responder_can_send_is_acknowledged_and_dead_lettered_in_the_log(pipeline):
    # Permanent (issue 14): never redelivered; tests/targets/test_rate_limits_gcf.py has the rest.
    reply = ev.new_event(ev.BOT_RESPONSE, ev.BotResponse(text="hi", platform="nowhere"))
    message_id = publish_raw(pipeline, "response", message_from_event(reply))
    [delivery] = await deliveries_of(pipeline, message_id, 1)
    assert delivery.status == 200  # acknowledged: Pub/Sub does not push it again
    assert '"outcome": "dead-lettered"' in pipeline.log("respond")
    assert "no responder for platform 'nowhere'" in pipeline.log("respond")


async def test_a_foreign_event_type_is_acknowledged_and_left_alone(pipeline):
    foreign = CloudEvent({"type": "com.example.other", "source": "/elsewhere"}, {"x": 1})
    message_id = publish_raw(pipeline, "chat", message_from_event(foreign))
    [delivery] = await deliveries_of(pipeline, message_id, 1)
    assert delivery.status == 200


def test_the_publisher_sends_each_message_at_once(pubsub_emulator, monkeypatch):
    """No batching: a function publishes one event and waits, so batching only added latency."""
    from providers.gcp.publisher import _default_client

    monkeypatch.setenv("PUBSUB_EMULATOR_HOST", pubsub_emulator.host_port)
    client = _default_client()
    try:
        assert client.batch_settings.max_messages == 1
    finally:
        client.stop()
