"""What a Lambda function does with a reply the platform refused: later, or never.

- Rate-limited (`RateLimited`, past respond's wait budget): an SQS record's visibility is
  set to the platform's wait (`delay_record`; ceil, at most SQS's 12 h) and the record is
  reported failed, so SQS redelivers it after that wait. An asynchronous invocation
  (EventBridge, mono's resume) raises instead: Lambda retries it with its own backoff
  (about 1 min, then 2 min), then hands it to the function's dead-letter queue.
- Refused for good (`PermanentDeliveryError`): sent at once to the dead-letter queue
  `BOTLESS_DEAD_LETTER_QUEUE_URL` names (`DeadLetters.keep`), logged `dead-lettered` with
  the platform's code, and acknowledged, so neither SQS nor Lambda retries it.
  infra/aws_lambda sets that URL to the queue it already makes the functions' and the
  rules' dead-letter queue, so every dead letter of a bot is in one queue; without it the
  log line is the only record.

`within_remaining_time` narrows respond's wait budget to the invocation's remaining
time, less a margin for what follows respond (a visibility change, a dead letter, the
dedupe confirm), so a wait never outlives the invocation.
"""

from __future__ import annotations

import json
import logging
import math
import os
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

from cloudevents.http import CloudEvent

from core.chat.base import PermanentDeliveryError
from core.chat.rate_limits import waiting_up_to
from core.logs import log_event
from providers.aws.json_api import AwsJsonApi, endpoint_of, region_of

logger = logging.getLogger("botless")

DLQ_SETTING = "BOTLESS_DEAD_LETTER_QUEUE_URL"
# SQS refuses a visibility timeout past 12 hours (counted from the message's receipt).
MAX_VISIBILITY_SECONDS = 12 * 3600
# Seconds of the invocation kept for what runs after respond; those calls take milliseconds.
SAFETY_MARGIN_SECONDS = 3.0
# SQS message attribute values are at most 256 KB; an error message needs far less.
_MAX_ERROR_CHARS = 1000
# SQS's JSON protocol (what botocore speaks to it too), signed with the standard library:
# a rate-limited record or a dead letter imports no boto3 (some 200 ms and 25 MiB).
_SQS = AwsJsonApi("sqs", "AmazonSQS", "application/x-amz-json-1.0")


@contextmanager
def within_remaining_time(context: Any) -> Iterator[None]:
    """Within the block, respond waits at most the Lambda context's remaining time, less the margin."""
    remaining = getattr(context, "get_remaining_time_in_millis", None)
    if not callable(remaining):  # called outside Lambda (a test, a local run): no deadline of its own
        yield
        return
    with waiting_up_to(max(0.0, remaining() / 1000 - SAFETY_MARGIN_SECONDS)):
        yield


def visibility_for(retry_after: float) -> int:
    """The visibility timeout that redelivers after `retry_after` seconds: ceil, 1 s to 12 h."""
    return min(MAX_VISIBILITY_SECONDS, max(1, math.ceil(retry_after)))


def queue_url(queue_arn: str) -> str:
    """The URL of the queue `queue_arn` names, on the endpoint the SQS calls go to.

    arn:aws:sqs:<region>:<account>:<name> -> <endpoint>/<account>/<name>, SQS's own URL
    form; built, not looked up, so no GetQueueUrl call (or permission) is needed.
    """
    parts = queue_arn.split(":")
    if len(parts) != 6 or parts[2] != "sqs":
        raise ValueError(f"{queue_arn!r} is not an SQS queue ARN")
    endpoint = endpoint_of("sqs", os.environ, region_of(os.environ, parts[3]))
    return f"{endpoint.rstrip('/')}/{parts[4]}/{parts[5]}"


def delay_record(record: Mapping[str, Any], retry_after: float, event: CloudEvent, role: str) -> int | None:
    """Make SQS redeliver `record` after `retry_after` seconds; the timeout set, None when refused.

    Refused (no permission, a lost receipt), the record still returns to the queue, after the
    queue's own visibility timeout, which is logged.
    """
    seconds = visibility_for(retry_after)
    try:
        _SQS.call("ChangeMessageVisibility", {"QueueUrl": queue_url(str(record.get("eventSourceARN", ""))),
                                              "ReceiptHandle": str(record.get("receiptHandle", "")),
                                              "VisibilityTimeout": seconds})
    except Exception as error:  # SQS refused or unreachable, a bad ARN: the queue's own timeout applies
        log_event(event, role, 0.0, "delay-refused", target="aws-lambda", sqs=record.get("messageId"),
                  reason=f"{type(error).__name__}: {error}")
        return None
    log_event(event, role, 0.0, "rate-limited", target="aws-lambda", sqs=record.get("messageId"),
              retry_after=retry_after, visibility_timeout=seconds)
    return seconds


class DeadLetters:
    """The dead-letter queue of permanent refusals (`BOTLESS_DEAD_LETTER_QUEUE_URL`), if any."""

    def __init__(self, url: str = "") -> None:
        self.url = url

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> DeadLetters:
        return cls(env.get(DLQ_SETTING, "").strip())

    def keep(self, body: str, event: CloudEvent, refused: PermanentDeliveryError, role: str) -> bool:
        """Dead-letter `body` (the delivery as it came) for `refused`; False when the queue refused it.

        Logs one line either way; the caller acknowledges the delivery when this is True, and
        fails it (so it is retried, never lost) when False.
        """
        code = refused.code or type(refused).__name__
        fields = {"target": "aws-lambda", "code": code, "reason": str(refused)[:_MAX_ERROR_CHARS]}
        if not self.url:
            log_event(event, role, 0.0, "dead-lettered", kept="log only (no dead-letter queue set)", **fields)
            return True
        try:
            # The attribute names of Lambda's own dead letters (ErrorCode, ErrorMessage), so one
            # queue's messages read alike whoever put them there.
            _SQS.call("SendMessage", {"QueueUrl": self.url, "MessageBody": body, "MessageAttributes": {
                "ErrorCode": {"DataType": "String", "StringValue": code},
                "ErrorMessage": {"DataType": "String", "StringValue": fields["reason"] or code},
                "EventId": {"DataType": "String", "StringValue": str(event["id"])},
                "EventType": {"DataType": "String", "StringValue": str(event["type"])},
            }})
        except Exception as error:  # SQS refused (AwsApiError) or unreachable (AwsUnreachableError)
            log_event(event, role, 0.0, "dead-letter-refused", queue=self.url,
                      error=f"{type(error).__name__}: {error}", **fields)
            return False
        log_event(event, role, 0.0, "dead-lettered", queue=self.url, **fields)
        return True


def payload_text(payload: Any) -> str:
    """An invocation payload as the dead letter's body (the JSON Lambda was given)."""
    return json.dumps(payload, separators=(",", ":"), default=str)
