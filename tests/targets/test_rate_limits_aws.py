"""Rate limits on Lambda (issue 14): a 429 past respond's budget goes back to SQS with its wait,
or to mono's deferrer; a permanent refusal is dead-lettered at once, never retried.

The real handlers against moto (SQS, DynamoDB, Lambda) through tests/targets/drivers/aws_lambda.py,
replying through the stand-in Telegram Bot API (tests/chat/platform_api.py), which answers 429
in Telegram's documented shape.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Iterator
from typing import Any

import pytest

from core.chat.base import PermanentDeliveryError, RateLimited
from providers.aws import json_api, redelivery
from tests import aws_clients
from tests.chat.helpers import TELEGRAM_SECRET, TELEGRAM_TOKEN, telegram_headers, to_body
from tests.chat.platform_api import PlatformApi
from tests.chat.test_rate_limits import TELEGRAM_429
from tests.targets.drivers.aws_lambda import AwsLambdaDriver, LambdaContext, start_aws_lambda

TELEGRAM_403 = {"ok": False, "error_code": 403, "description": "Forbidden: bot was blocked by the user"}


@pytest.fixture
def platform_api() -> Iterator[PlatformApi]:
    api = PlatformApi().start()
    yield api
    api.stop()



@pytest.fixture
def dead_letter_queue(aws_env: dict[str, str], unique: str) -> str:
    return str(aws_clients.client("sqs").create_queue(QueueName=f"botless-dlq-{unique}")["QueueUrl"])


@pytest.fixture
def env(platform_api: PlatformApi, aws_env: dict[str, str], dedupe_table: str,
        dead_letter_queue: str) -> dict[str, str]:
    return {**aws_env, "BOTLESS_ENTRY_POINTS": "0", "BOTLESS_DEDUPE_TABLE": dedupe_table,
            "BOTLESS_DEAD_LETTER_QUEUE_URL": dead_letter_queue, "TELEGRAM_BOT_TOKEN": TELEGRAM_TOKEN,
            "TELEGRAM_SECRET_TOKEN": TELEGRAM_SECRET, "TELEGRAM_API_URL": platform_api.url}


@pytest.fixture
def visibility_changes() -> Iterator[list[int]]:
    """The VisibilityTimeout of every ChangeMessageVisibility the functions send."""
    changes: list[int] = []

    def record(service: str, operation: str, body: bytes) -> None:
        if (service, operation) == ("sqs", "ChangeMessageVisibility"):
            changes.append(json.loads(body)["VisibilityTimeout"])

    json_api.REQUEST_OBSERVERS.append(record)
    yield changes
    json_api.REQUEST_OBSERVERS.remove(record)


def update(unique: str) -> bytes:
    return to_body({"update_id": int(unique), "message": {
        "message_id": 7, "date": 1700000000, "text": "/echo hi",
        "chat": {"id": 42, "type": "private"}, "from": {"id": 99, "is_bot": False, "first_name": "Ada"}}})


def sent(platform_api: PlatformApi) -> list[str]:
    return [call.json["text"] for call in platform_api.calls if call.path.endswith("/sendMessage")]


def failures(driver: AwsLambdaDriver) -> list[str]:
    return [item["itemIdentifier"] for answer in driver.batch_answers for item in answer["batchItemFailures"]]


def queue_counts(url: str) -> tuple[int, int]:
    """(visible, in flight) messages of the queue."""
    attributes = aws_clients.client("sqs").get_queue_attributes(QueueUrl=url, AttributeNames=[
        "ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"])["Attributes"]
    return int(attributes["ApproximateNumberOfMessages"]), int(attributes["ApproximateNumberOfMessagesNotVisible"])


def wait_until_visible(url: str, timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while queue_counts(url)[0] == 0 and time.monotonic() < deadline:
        time.sleep(0.1)


def dead_letters(url: str) -> list[dict[str, Any]]:
    return aws_clients.client("sqs").receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=0,
                                                 MessageAttributeNames=["All"]).get("Messages", [])


# -- pipeline: respond on an SQS batch ---------------------------------------------------

async def test_a_429_past_the_budget_is_redelivered_by_sqs_after_its_wait(env, platform_api, visibility_changes,
                                                                         unique, botless_logs):
    with start_aws_lambda("pipeline", {**env, "BOTLESS_RATE_LIMIT_WAIT_SECONDS": "0"}) as driver:
        platform_api.fail("/sendMessage", 429, TELEGRAM_429, times=1)
        assert (await driver.post("/telegram/webhook", telegram_headers(), update(unique))).status == 200
        await driver.settle()
        [failed] = failures(driver)
        assert visibility_changes == [1]  # ceil(retry_after): redelivered after the wait, not at once
        respond_queue = driver.queues["respond"][0]
        assert queue_counts(respond_queue) == (0, 1)  # held back by SQS, not dropped
        assert sent(platform_api) == ["hi"]
        wait_until_visible(respond_queue)
        await driver.settle()
    assert sent(platform_api) == ["hi", "hi"]  # refused once, then delivered once
    assert failures(driver) == [failed]  # the redelivery succeeded
    assert queue_counts(respond_queue) == (0, 0)
    [limited] = [line for line in botless_logs() if line.get("outcome") == "rate-limited"]
    assert limited["retry_after"] == 1 and limited["visibility_timeout"] == 1 and limited["sqs"] == failed


async def test_a_429_that_fits_the_budget_is_waited_out_in_the_same_invocation(env, platform_api,
                                                                               visibility_changes, unique):
    with start_aws_lambda("pipeline", env) as driver:  # the default budget: 5 s
        platform_api.fail("/sendMessage", 429, TELEGRAM_429, times=1)
        assert (await driver.post("/telegram/webhook", telegram_headers(), update(unique))).status == 200
        await driver.settle()
    assert sent(platform_api) == ["hi", "hi"]
    assert failures(driver) == [] and visibility_changes == []


async def test_the_budget_is_narrowed_to_the_invocations_remaining_time(env, platform_api, visibility_changes,
                                                                        unique, monkeypatch):
    # 1.5 s left, less the margin: a 1 s wait no longer fits, so it goes back to SQS.
    left = int((redelivery.SAFETY_MARGIN_SECONDS + 0.5) * 1000)
    monkeypatch.setattr(LambdaContext, "get_remaining_time_in_millis", lambda self: left)
    with start_aws_lambda("pipeline", env) as driver:
        platform_api.fail("/sendMessage", 429, TELEGRAM_429, times=1)
        assert (await driver.post("/telegram/webhook", telegram_headers(), update(unique))).status == 200
        await driver.settle()
    assert sent(platform_api) == ["hi"] and len(failures(driver)) == 1 and visibility_changes == [1]


async def test_a_permanent_refusal_is_dead_lettered_and_not_retried(env, platform_api, dead_letter_queue,
                                                                    visibility_changes, unique, botless_logs):
    with start_aws_lambda("pipeline", env) as driver:
        platform_api.fail("/sendMessage", 403, TELEGRAM_403)
        assert (await driver.post("/telegram/webhook", telegram_headers(), update(unique))).status == 200
        await driver.settle()
        assert failures(driver) == [] and visibility_changes == []
        assert queue_counts(driver.queues["respond"][0]) == (0, 0)  # deleted by SQS, not redelivered
    assert sent(platform_api) == ["hi"]  # one call to the platform
    [letter] = dead_letters(dead_letter_queue)
    assert letter["MessageAttributes"]["ErrorCode"]["StringValue"] == "403"
    body = json.loads(letter["Body"])  # the record's body: the EventBridge event, as delivered
    assert body["detail-type"] == "botless.bot.response" and body["detail"]["data"]["text"] == "hi"
    [line] = [line for line in botless_logs() if line.get("outcome") == "dead-lettered"]
    assert line["code"] == "403" and line["queue"] == dead_letter_queue and line["role"] == "respond"
    assert TELEGRAM_TOKEN not in json.dumps(line)


# -- mono: the webhook runs the chain; deferred work resumes by an Event invoke -----------

async def test_mono_defers_a_rate_limited_reply_and_answers_the_webhook(env, platform_api, unique, botless_logs):
    with start_aws_lambda("mono", {**env, "BOTLESS_RATE_LIMIT_WAIT_SECONDS": "0"}) as driver:
        platform_api.fail("/sendMessage", 429, TELEGRAM_429, times=1)
        assert (await driver.post("/telegram/webhook", telegram_headers(), update(unique))).status == 200
        assert driver.deferred == ["botless.bot.response"]  # only the reply, not the chain
        assert sent(platform_api) == ["hi"]
        await driver.settle()
    assert sent(platform_api) == ["hi", "hi"] and driver.raised == []
    commands = [line for line in botless_logs() if line.get("role") == "command" and line["outcome"] == "ok"]
    assert len(commands) == 1


async def test_mono_resume_rate_limited_again_raises_and_lambdas_retry_delivers_once(env, platform_api, unique,
                                                                                     botless_logs):
    with start_aws_lambda("mono", {**env, "BOTLESS_RATE_LIMIT_WAIT_SECONDS": "0"}) as driver:
        platform_api.fail("/sendMessage", 429, TELEGRAM_429, times=2)
        assert (await driver.post("/telegram/webhook", telegram_headers(), update(unique))).status == 200
        [payload] = [json.loads(raw) for raw in driver.invocations]
        with pytest.raises(RateLimited):  # Lambda's async retry redelivers it, with its backoff
            await driver.settle()
        # Lambda's retry: the same payload again; the claim was released, so it runs.
        answer = await asyncio.to_thread(driver.apps["mono"], payload, LambdaContext("botless-mono"))
    assert answer["handled"] == payload["botless-resume"]["id"]
    assert sent(platform_api) == ["hi", "hi", "hi"]  # refused twice, then delivered once
    assert not [line for line in botless_logs() if line.get("outcome") == "duplicate"]


async def test_mono_resumed_command_whose_reply_is_rate_limited_defers_only_the_reply(env, platform_api, unique,
                                                                                      botless_logs):
    slow = {"BOTLESS_COMMANDS": "tests.targets.slow_commands", "BOTLESS_RATE_LIMIT_WAIT_SECONDS": "0"}
    with start_aws_lambda("mono", {**env, **slow}) as driver:
        platform_api.fail("/sendMessage", 429, TELEGRAM_429, times=1)
        body = json.loads(update(unique))
        body["message"]["text"] = "/report q3"
        assert (await driver.post("/telegram/webhook", telegram_headers(), to_body(body))).status == 200
        await driver.settle()
    # The command ran in the first resumed invocation; its refused reply got an invocation of its own.
    assert driver.deferred == ["botless.bot.command.report", "botless.bot.response"] and driver.raised == []
    assert sent(platform_api) == ["report for q3 is ready"] * 2  # refused once, then delivered once
    commands = [line for line in botless_logs() if line.get("role") == "command" and line["outcome"] == "ok"]
    assert len(commands) == 1


async def test_mono_permanent_refusals_are_acknowledged_on_the_webhook_and_dead_lettered_on_resume(
        env, platform_api, dead_letter_queue, unique, botless_logs):
    with start_aws_lambda("mono", {**env, "BOTLESS_RATE_LIMIT_WAIT_SECONDS": "0"}) as driver:
        platform_api.fail("/sendMessage", 403, TELEGRAM_403)
        assert (await driver.post("/telegram/webhook", telegram_headers(), update(unique))).status == 200
        assert driver.deferred == [] and dead_letters(dead_letter_queue) == []  # logged (the webhook's side)
        platform_api.fail("/sendMessage", 429, TELEGRAM_429, times=1)
        next_update = str(int(unique) + 500_000)
        assert (await driver.post("/telegram/webhook", telegram_headers(), update(next_update))).status == 200
        platform_api.fail("sendMessage", 403, TELEGRAM_403)  # another suffix: the 429 above is spent
        await driver.settle()  # the resumed reply meets the 403: dead-lettered, returned, not retried
        assert driver.raised == []
    assert sent(platform_api) == ["hi", "hi", "hi"]
    [letter] = dead_letters(dead_letter_queue)
    assert "botless-resume" in json.loads(letter["Body"])
    codes = [line["code"] for line in botless_logs() if line.get("outcome") == "dead-lettered"]
    assert codes == ["403", "403"]


# -- pipeline: respond invoked by EventBridge itself (asynchronously, as infra/aws_lambda wires it) --

def response_envelope(unique: str) -> dict[str, Any]:
    """An EventBridge event carrying a Telegram reply, as Lambda receives it."""
    from cloudevents.conversion import to_dict

    from core import events as ev

    reply = ev.new_event(ev.BOT_RESPONSE, ev.BotResponse(text="hi", platform="telegram", channel="42"),
                         extensions={"botreplyto": f"42:{unique}"})
    return {"version": "0", "id": f"eb-{unique}", "detail-type": ev.BOT_RESPONSE, "source": "botless",
            "account": "123456789012", "time": "2026-01-01T00:00:00Z", "region": "us-east-1",
            "resources": [], "detail": to_dict(reply)}


def test_an_eventbridge_delivery_rate_limited_past_the_budget_raises_and_lambdas_retry_delivers_once(
        env, platform_api, unique, botless_logs):
    with start_aws_lambda("pipeline", {**env, "BOTLESS_RATE_LIMIT_WAIT_SECONDS": "0"}) as driver:
        platform_api.fail("/sendMessage", 429, TELEGRAM_429, times=1)
        respond, payload = driver.apps["respond"], response_envelope(unique)
        with pytest.raises(RateLimited):  # Lambda's async retry (about a minute later) redelivers it
            respond(payload, LambdaContext("botless-respond"))
        answer = respond(payload, LambdaContext("botless-respond"))  # that retry: the claim was released
    assert answer["handled"] == payload["detail"]["id"]
    assert sent(platform_api) == ["hi", "hi"]


def test_an_eventbridge_delivery_refused_for_good_is_dead_lettered_and_returned(env, platform_api, unique,
                                                                               dead_letter_queue):
    with start_aws_lambda("pipeline", env) as driver:
        platform_api.fail("/sendMessage", 403, TELEGRAM_403)
        payload = response_envelope(unique)
        answer = driver.apps["respond"](payload, LambdaContext("botless-respond"))  # returned: not retried
    assert answer == {"dead-lettered": payload["detail"]["id"], "code": "403"}
    assert sent(platform_api) == ["hi"]
    [letter] = dead_letters(dead_letter_queue)
    assert json.loads(letter["Body"]) == payload  # the invocation's payload, as Lambda's own DLQ keeps it


def test_a_refused_dead_letter_fails_the_invocation_so_it_is_never_lost(env, platform_api, unique, botless_logs):
    gone = "http://127.0.0.1:9/000000000000/no-such-queue"  # nothing listens on port 9
    with start_aws_lambda("pipeline", {**env, "BOTLESS_DEAD_LETTER_QUEUE_URL": gone}) as driver:
        platform_api.fail("/sendMessage", 403, TELEGRAM_403)
        with pytest.raises(PermanentDeliveryError):  # Lambda retries it, then its own dead-letter queue keeps it
            driver.apps["respond"](response_envelope(unique), LambdaContext("botless-respond"))
    assert [line["outcome"] for line in botless_logs() if line.get("code") == "403"] == ["dead-letter-refused"]


# -- the arithmetic, without services ------------------------------------------------------

@pytest.mark.parametrize("retry_after, seconds", [(0, 1), (0.2, 1), (1, 1), (1.5, 2), (30, 30),
                                                  (86_400, redelivery.MAX_VISIBILITY_SECONDS)])
def test_the_visibility_timeout_is_the_wait_rounded_up_within_sqs_limits(retry_after, seconds):
    assert redelivery.visibility_for(retry_after) == seconds


@pytest.mark.parametrize("arn", ["", "arn:aws:sns:us-east-1:123456789012:topic", "arn:aws:sqs:us-east-1:q"])
def test_a_record_without_an_sqs_queue_arn_names_no_queue(arn):
    with pytest.raises(ValueError, match="not an SQS queue ARN"):
        redelivery.queue_url(arn)


def test_a_queue_url_is_built_on_the_endpoint_the_sqs_calls_go_to(monkeypatch):
    arn = "arn:aws:sqs:eu-west-1:123456789012:botless-parse"
    for name in ("AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_SQS", "AWS_REGION", "AWS_DEFAULT_REGION"):
        monkeypatch.delenv(name, raising=False)
    assert redelivery.queue_url(arn) == "https://sqs.eu-west-1.amazonaws.com/123456789012/botless-parse"
    monkeypatch.setenv("AWS_ENDPOINT_URL_SQS", "http://127.0.0.1:4566/")
    assert redelivery.queue_url(arn) == "http://127.0.0.1:4566/123456789012/botless-parse"
