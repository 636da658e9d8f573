"""The embedded broker: Knative Trigger filters, replies re-entering, hop limit, retries, dead letters."""

import logging

from cloudevents.http import CloudEvent

from core.bus import Broker, Trigger
from core.events import EXT_HOPS


def _event(event_type, **extensions):
    return CloudEvent({"type": event_type, "source": "/test", **extensions}, {"n": 1})


async def test_exact_and_prefix_filters_on_type_source_and_extensions():
    seen = []

    def recorder(name):
        async def subscriber(event):
            seen.append((name, event["type"]))
            return []
        return subscriber

    broker = Broker([
        Trigger("exact", recorder("exact"), exact={"type": "a.b"}),
        Trigger("prefix", recorder("prefix"), prefix={"type": "a."}),
        Trigger("ext", recorder("ext"), exact={"type": "a.b", "botplatform": "slack"}),
        Trigger("source", recorder("source"), exact={"source": "/elsewhere"}),
    ])
    await broker.publish(_event("a.b"))
    await broker.publish(_event("a.c", botplatform="slack"))
    await broker.publish(_event("a.b", botplatform="slack"))
    await broker.publish(_event("z.z"))
    assert seen == [("exact", "a.b"), ("prefix", "a.b"),
                    ("prefix", "a.c"),
                    ("exact", "a.b"), ("prefix", "a.b"), ("ext", "a.b")]


async def test_replies_re_enter_the_broker_with_one_more_hop():
    received = []

    async def first(event):
        return [_event("step.two")]

    async def second(event):
        received.append(event)
        return []

    broker = Broker([Trigger("1", first, exact={"type": "step.one"}), Trigger("2", second, exact={"type": "step.two"})])
    await broker.publish(_event("step.one"))
    assert [e[EXT_HOPS] for e in received] == ["1"]


async def test_a_loop_is_stopped_by_the_hop_limit_and_dead_lettered(caplog):
    calls = []

    async def echo_forever(event):
        calls.append(1)
        return [_event("loop")]

    broker = Broker([Trigger("loop", echo_forever, exact={"type": "loop"})], max_hops=5)
    with caplog.at_level(logging.ERROR, logger="botless"):
        await broker.publish(_event("loop"))
    assert len(calls) == 5
    assert len(broker.dead_letters) == 1
    assert "hop limit" in broker.dead_letters[0].reason
    assert "dead-lettered" in caplog.text


async def test_failing_delivery_is_retried_then_dead_lettered_not_dropped(caplog):
    attempts = []

    async def flaky(event):
        attempts.append(1)
        raise ConnectionError("platform down")

    broker = Broker([Trigger("flaky", flaky, exact={"type": "x"})], retries=2, retry_delay=0)
    with caplog.at_level(logging.ERROR, logger="botless"):
        await broker.publish(_event("x"))
    assert len(attempts) == 3
    [letter] = broker.dead_letters
    assert letter.trigger == "flaky" and "platform down" in letter.reason
    assert letter.event["type"] == "x"


async def test_a_delivery_that_recovers_is_not_dead_lettered():
    attempts = []

    async def recovers(event):
        attempts.append(1)
        if len(attempts) < 2:
            raise ConnectionError("blip")
        return []

    broker = Broker([Trigger("r", recovers, exact={"type": "x"})], retries=2, retry_delay=0)
    await broker.publish(_event("x"))
    assert len(attempts) == 2 and broker.dead_letters == []
