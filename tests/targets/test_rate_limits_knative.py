"""Knative under a platform's rate limit (issue 14): the role services on 127.0.0.1 behind the
Broker stand-in, replies to the stand-in Telegram API answering its documented 429 or a 403.

A reply rate-limited past respond's budget is answered 429 with Retry-After, which the Broker
retries (after Retry-After, with a Trigger's `delivery.retryAfterMax`); one refused for good
is 422, dead-lettered at once. mono's webhook defers its rate-limited reply to the Broker.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from contextlib import contextmanager

import httpx
import pytest
from cloudevents.http import CloudEvent

import tests.targets.drivers.knative as knative_driver
from core import events as ev
from core.wire import event_to_http
from tests.targets.drivers.knative import KnativeDriver, RecordingBroker, Trigger, start_knative
from tests.targets.rate_limit_stand_in import (  # noqa: F401 - fixtures
    TELEGRAM_403,
    TELEGRAM_429,
    botless_logs,
    outcomes,
    sent,
    telegram_api,
    telegram_env,
    telegram_update,
)

NO_WAIT = {"BOTLESS_RATE_LIMIT_WAIT_SECONDS": "0"}  # every 429 goes back to the Broker


class RetryAfterBroker(RecordingBroker):
    """The Broker stand-in delivering as a Trigger with `delivery.retryAfterMax` does: a 429 is
    retried too, after the larger of the backoff and its Retry-After, which is kept in `waits`."""

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.waits: list[str] = []

    async def _deliver(self, event: CloudEvent, hops: int) -> None:
        try:
            for trigger in [t for t in self.triggers if t.matches(event)]:
                headers, body = event_to_http(event, "binary")
                wait = 0.0
                for attempt in range(self.retries + 1):
                    if attempt:
                        await asyncio.sleep(max(self.backoff, wait))
                    async with httpx.AsyncClient(timeout=30) as client:
                        answer = await client.post(trigger.subscriber, headers=headers, content=body)
                    self.answers.append((trigger.name, event, answer.status_code))
                    if answer.status_code < 500 and answer.status_code != 429:
                        break
                    if "retry-after" in answer.headers:
                        self.waits.append(answer.headers["retry-after"])
                        wait = float(answer.headers["retry-after"])
                if answer.status_code >= 300:
                    self.dead_letters.append((trigger.name, event, answer.status_code))
                elif answer.status_code == 200 and answer.content and hops < self.max_hops:
                    reply = knative_driver.from_http(dict(answer.headers), answer.content)
                    self._accept(reply, dict(answer.headers), hops + 1)
        finally:
            with self._idle:
                self._in_flight -= 1
                self._idle.notify_all()


@contextmanager
def knative(topology: str, env: dict[str, str]) -> Iterator[KnativeDriver]:
    """The topology behind a RetryAfterBroker; mono also gets the Trigger that brings a deferred reply back."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(knative_driver, "RecordingBroker", RetryAfterBroker)
        with start_knative(topology, env, retries=3) as driver:
            if topology == "mono":
                bus = driver.broker.triggers[0].subscriber
                driver.broker.triggers.append(Trigger("mono-response", bus, exact=ev.BOT_RESPONSE))
            yield driver


def answers(driver: KnativeDriver, trigger: str) -> list[int]:
    return [status for name, _, status in driver.broker.answers if name == trigger]


async def post_update(driver: KnativeDriver, update_id: int, text: str = "/echo hi") -> int:
    headers, body = telegram_update(update_id, text)
    status = (await driver.post("/telegram/webhook", headers, body)).status
    await driver.settle(timeout=20)
    return status


async def test_respond_answers_429_with_retry_after_and_the_redelivery_posts_once(telegram_api, unique):
    telegram_api.fail("/sendMessage", 429, TELEGRAM_429, times=1)
    with knative("pipeline", telegram_env(telegram_api, **NO_WAIT)) as driver:
        assert await post_update(driver, int(unique)) == 200
    assert answers(driver, "respond") == [429, 202]
    assert driver.broker.waits == ["1"]  # the wait the Broker was told
    assert sent(telegram_api) == ["hi", "hi"]  # refused once, then posted once
    assert answers(driver, "command") == [200] and driver.broker.dead_letters == []


async def test_within_the_default_budget_respond_waits_and_posts_in_the_same_delivery(telegram_api, unique):
    telegram_api.fail("/sendMessage", 429, TELEGRAM_429, times=1)
    with knative("pipeline", telegram_env(telegram_api)) as driver:
        assert await post_update(driver, int(unique)) == 200
    assert answers(driver, "respond") == [202] and driver.broker.waits == []
    assert sent(telegram_api) == ["hi", "hi"]


async def test_a_403_is_422_dead_lettered_at_once_with_the_platforms_code(telegram_api, unique, botless_logs):
    telegram_api.fail("/sendMessage", 403, TELEGRAM_403)
    with knative("pipeline", telegram_env(telegram_api)) as driver:
        assert await post_update(driver, int(unique)) == 200
    assert answers(driver, "respond") == [422]  # not retried
    assert [(name, status) for name, _, status in driver.broker.dead_letters] == [("respond", 422)]
    assert len(telegram_api.calls) == 1
    [line] = outcomes(botless_logs, "dead-lettered")
    assert line["code"] == "403" and line["role"] == "respond" and line["type"] == ev.BOT_RESPONSE
    assert "blocked by the user" in str(line["reason"])


async def test_mono_webhook_defers_its_rate_limited_reply_and_the_bus_face_posts_it_once(telegram_api, unique):
    telegram_api.fail("/sendMessage", 429, TELEGRAM_429, times=1)
    with knative("mono", telegram_env(telegram_api, **NO_WAIT)) as driver:
        assert await post_update(driver, int(unique)) == 200  # the webhook is not failed
    # Only the reply went through the Broker, not the message or the command.
    assert [event["type"] for event, _ in driver.broker.received] == [ev.BOT_RESPONSE]
    assert answers(driver, "mono-response") == [202]
    assert sent(telegram_api) == ["hi", "hi"]


async def test_mono_bus_face_answers_429_with_retry_after_for_the_deferred_reply(telegram_api, unique):
    telegram_api.fail("/sendMessage", 429, TELEGRAM_429, times=2)  # the webhook's try, then the bus face's
    with knative("mono", telegram_env(telegram_api, **NO_WAIT)) as driver:
        assert await post_update(driver, int(unique)) == 200
    assert answers(driver, "mono-response") == [429, 202] and driver.broker.waits == ["1"]
    assert sent(telegram_api) == ["hi", "hi", "hi"]  # refused twice, posted once


async def test_mono_resumed_command_hands_on_only_its_rate_limited_reply(telegram_api, unique):
    telegram_api.fail("/sendMessage", 429, TELEGRAM_429, times=1)
    env = telegram_env(telegram_api, BOTLESS_COMMANDS="tests.targets.slow_commands", **NO_WAIT)
    with knative("mono", env) as driver:
        assert await post_update(driver, int(unique), "/report q3") == 200
    # The deferred command ran once; its refused reply came back as the bus face's answer.
    assert [event["type"] for event, _ in driver.broker.received] == ["botless.bot.command.report",
                                                                      ev.BOT_RESPONSE]
    assert answers(driver, "mono-command") == [200] and answers(driver, "mono-response") == [202]
    assert sent(telegram_api) == ["report for q3 is ready"] * 2


async def test_mono_webhook_dead_letters_a_403_and_answers_the_webhook(telegram_api, unique, botless_logs):
    telegram_api.fail("/sendMessage", 403, TELEGRAM_403)
    with knative("mono", telegram_env(telegram_api)) as driver:
        # Telegram would retry a 5xx for a day, refused the same way each time.
        assert await post_update(driver, int(unique)) == 200
    assert len(telegram_api.calls) == 1 and driver.broker.received == []
    [line] = outcomes(botless_logs, "dead-lettered")
    assert line["code"] == "403" and line["role"] == "mono"
