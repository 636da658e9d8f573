"""What the Lambda mono init phase must not import: what no cold start of a deployed function uses."""

from __future__ import annotations

import json
import os
import subprocess
import sys

# Each is either another target's (Starlette: `botless serve`), the embedded bus's, or used
# only off the hot path (SQLite dedupe, fuzzy suggestions, slack_sdk's clients on the first post),
# or a platform this Slack-only bot does not serve (core/chat/builtin_platforms.py).
NOT_AT_INIT = ("starlette", "core.bus", "core.channels", "sqlite3", "difflib", "slack_sdk",
               "importlib.resources", "calendar", "boto3", "core.chat.discord", "core.chat.telegram")


def test_the_lambda_init_phase_imports_none_of_what_a_cold_start_does_not_use() -> None:
    env = {**os.environ, "BOTLESS_ROLE": "mono", "SLACK_SIGNING_SECRET": "x", "SLACK_BOT_TOKEN": "xoxb-y",
           "AWS_DEFAULT_REGION": "us-east-1", "AWS_LAMBDA_FUNCTION_NAME": "f",
           "AWS_ACCESS_KEY_ID": "x", "AWS_SECRET_ACCESS_KEY": "x",
           # A source checkout scans entry points (importlib.metadata pulls in email, calendar, ...);
           # the zip reads the frozen list instead (tests/packaging/test_lean.py checks that).
           "BOTLESS_ENTRY_POINTS": "0"}
    loaded = f"print(json.dumps(sorted(m for m in {NOT_AT_INIT!r} if m in sys.modules)))"
    # What the interpreter loads before any of our code (a site .pth file may import
    # importlib.resources, as CI's does) is not the init's doing.
    before = subprocess.run([sys.executable, "-c", f"import json, sys; {loaded}"], env=env,
                            capture_output=True, text=True, timeout=60)
    code = f"import json, sys, functions.aws_lambda.handler as h; h.app.http_handler(); {loaded}"
    done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=60)
    assert before.returncode == 0 and done.returncode == 0, (before.stderr + done.stderr)[-2000:]
    at_start = set(json.loads(before.stdout.strip().splitlines()[-1]))
    assert [m for m in json.loads(done.stdout.strip().splitlines()[-1]) if m not in at_start] == []


_MESSAGE = """
import json, os, sys
from tests.targets.lambda_events import slash_command_event
import functions.aws_lambda.handler as module
event = slash_command_event(os.environ["SLACK_SIGNING_SECRET"], "/echo", "claimed", trigger="t-boto3")
answer = module.handler(event, None)
again = module.handler(event, None)
print(json.dumps({"first": answer["body"], "again": again["body"], "boto3": "boto3" in sys.modules}))
"""


def test_a_mono_message_claimed_in_dynamodb_imports_no_boto3(aws_env, dedupe_table) -> None:  # type: ignore[no-untyped-def]
    from pathlib import Path

    from tests.targets.scenarios import SLACK_SIGNING_SECRET

    env = {**os.environ, **aws_env, "BOTLESS_ROLE": "mono", "SLACK_SIGNING_SECRET": SLACK_SIGNING_SECRET,
           "SLACK_BOT_TOKEN": "xoxb-y", "AWS_LAMBDA_FUNCTION_NAME": "f", "BOTLESS_ENTRY_POINTS": "0",
           "BOTLESS_DEDUPE_TABLE": dedupe_table}
    done = subprocess.run([sys.executable, "-c", _MESSAGE], env=env, capture_output=True, text=True, timeout=60,
                          cwd=Path(__file__).resolve().parents[2])
    assert done.returncode == 0, done.stderr[-2000:]
    seen = json.loads(done.stdout.strip().splitlines()[-1])
    assert "claimed" in seen["first"] and seen["again"] == ""  # the replay met the claim in DynamoDB
    assert seen["boto3"] is False


_RECEIVED = """
import json, os, sys
from tests.targets.lambda_events import slash_command_event
import functions.aws_lambda.handler as module
answer = module.handler(slash_command_event(os.environ["SLACK_SIGNING_SECRET"], "/echo", "on", trigger="t-rx"), None)
print(json.dumps({"status": answer["statusCode"], "boto3": "boto3" in sys.modules}))
"""


def test_the_pipelines_receive_publishes_to_eventbridge_without_boto3(aws_env, dedupe_table, unique) -> None:  # type: ignore[no-untyped-def]
    from pathlib import Path

    from tests import aws_clients
    from tests.targets.drivers.aws_lambda import create_pipeline_bus
    from tests.targets.scenarios import SLACK_SIGNING_SECRET

    bus = f"botless-imports-{unique}"
    queues = create_pipeline_bus(bus)
    env = {**os.environ, **aws_env, "BOTLESS_ROLE": "receive", "BOTLESS_TOPOLOGY": "pipeline",
           "SLACK_SIGNING_SECRET": SLACK_SIGNING_SECRET, "SLACK_BOT_TOKEN": "xoxb-y",
           "AWS_LAMBDA_FUNCTION_NAME": "f", "BOTLESS_ENTRY_POINTS": "0", "BOTLESS_DEDUPE_TABLE": dedupe_table,
           "BOTLESS_EVENT_BUS": bus}
    done = subprocess.run([sys.executable, "-c", _RECEIVED], env=env, capture_output=True, text=True, timeout=60,
                          cwd=Path(__file__).resolve().parents[2])
    assert done.returncode == 0, done.stderr[-2000:]
    assert json.loads(done.stdout.strip().splitlines()[-1]) == {"status": 200, "boto3": False}
    messages = aws_clients.client("sqs").receive_message(QueueUrl=queues["parse"][0]).get("Messages", [])
    assert [json.loads(m["Body"])["detail"]["data"]["command"] for m in messages] == ["echo"]


_DEFERRED = """
import json, os, sys
from tests.targets.lambda_events import slash_command_event
import functions.aws_lambda.handler as module
from providers.aws import invoke
queued = []
invoke.INVOKE_OBSERVERS.append(lambda name, payload: queued.append((name, payload)))
answer = module.handler(slash_command_event(os.environ["SLACK_SIGNING_SECRET"], "/echo", "later", trigger="t-defer"),
                        None)
print(json.dumps({"status": answer["statusCode"], "queued": [(name, json.loads(payload)["botless-resume"]["type"])
                                                             for name, payload in queued],
                  "boto3": "boto3" in sys.modules}))
"""


def test_a_mono_slash_command_deferred_by_a_self_invoke_imports_no_boto3(aws_env, dedupe_table, unique) -> None:  # type: ignore[no-untyped-def]
    from pathlib import Path

    from tests.targets.drivers.aws_lambda import create_function
    from tests.targets.scenarios import SLACK_SIGNING_SECRET

    function = f"botless-imports-defer-{unique}"
    create_function(function)
    # No ack budget: the command is past it before it starts, so it is handed to an Event invoke.
    env = {**os.environ, **aws_env, "BOTLESS_ROLE": "mono", "SLACK_SIGNING_SECRET": SLACK_SIGNING_SECRET,
           "SLACK_BOT_TOKEN": "xoxb-y", "AWS_LAMBDA_FUNCTION_NAME": function, "BOTLESS_ENTRY_POINTS": "0",
           "BOTLESS_DEDUPE_TABLE": dedupe_table, "BOTLESS_SLOW_COMMAND_SECONDS": "0"}
    done = subprocess.run([sys.executable, "-c", _DEFERRED], env=env, capture_output=True, text=True, timeout=60,
                          cwd=Path(__file__).resolve().parents[2])
    assert done.returncode == 0, done.stderr[-2000:]
    seen = json.loads(done.stdout.strip().splitlines()[-1])
    assert seen == {"status": 200, "queued": [[function, "botless.bot.command.echo"]], "boto3": False}


_REDELIVERY = """
import json, os, sys
from core import events as ev
from core.chat.base import PermanentDeliveryError
from providers.aws import redelivery
event = ev.new_event(ev.BOT_RESPONSE, ev.BotResponse(text="hi", platform="slack"))
refused = PermanentDeliveryError("Slack refused the reply", "channel_not_found")
kept = redelivery.DeadLetters(os.environ["DLQ_URL"]).keep('{"the": "delivery"}', event, refused, "respond")
record = {"eventSourceARN": os.environ["QUEUE_ARN"], "receiptHandle": os.environ["RECEIPT"], "messageId": "m-1"}
delayed = redelivery.delay_record(record, 6.5, event, "respond")
print(json.dumps({"kept": kept, "delayed": delayed, "boto3": "boto3" in sys.modules}))
"""


def test_a_dead_letter_and_a_delayed_record_go_to_sqs_without_boto3(aws_env, unique) -> None:  # type: ignore[no-untyped-def]
    import time
    from pathlib import Path

    from tests import aws_clients

    sqs = aws_clients.client("sqs")
    dlq = sqs.create_queue(QueueName=f"botless-imports-dlq-{unique}")["QueueUrl"]
    work = sqs.create_queue(QueueName=f"botless-imports-work-{unique}")["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=work, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    sqs.send_message(QueueUrl=work, MessageBody="a respond record")
    [received] = sqs.receive_message(QueueUrl=work, VisibilityTimeout=1)["Messages"]
    env = {**os.environ, **aws_env, "DLQ_URL": dlq, "QUEUE_ARN": arn, "RECEIPT": received["ReceiptHandle"]}
    done = subprocess.run([sys.executable, "-c", _REDELIVERY], env=env, capture_output=True, text=True, timeout=60,
                          cwd=Path(__file__).resolve().parents[2])
    assert done.returncode == 0, done.stderr[-2000:]
    assert json.loads(done.stdout.strip().splitlines()[-1]) == {"kept": True, "delayed": 7, "boto3": False}
    [letter] = sqs.receive_message(QueueUrl=dlq, MessageAttributeNames=["All"])["Messages"]
    assert letter["Body"] == '{"the": "delivery"}'
    assert letter["MessageAttributes"]["ErrorCode"]["StringValue"] == "channel_not_found"
    # Past the 1 s it was received with, the record is still invisible: its timeout is now 7 s.
    time.sleep(1.5)
    assert sqs.receive_message(QueueUrl=work).get("Messages", []) == []
