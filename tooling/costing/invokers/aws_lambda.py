"""AWS Lambda: the handlers of functions/aws_lambda/handler.py with Function URL and EventBridge events."""

from __future__ import annotations

import base64
import importlib
import time
import uuid
from collections.abc import Callable, Mapping
from contextlib import ExitStack
from typing import Any

from cloudevents.conversion import to_dict
from cloudevents.http import CloudEvent

from tooling.costing.samples import WebhookSample


class _Context:
    """The parts of Lambda's context object a handler may read."""

    function_name = "botless"
    memory_limit_in_mb = 512
    aws_request_id = "measure"

    def get_remaining_time_in_millis(self) -> int:
        return 30_000


def function_url_event(sample: WebhookSample) -> dict[str, Any]:
    """A Function URL (payload format 2.0) request, as AWS documents it."""
    now = time.time()
    return {
        "version": "2.0", "routeKey": "$default", "rawPath": sample.path, "rawQueryString": "",
        "headers": {**sample.headers, "host": "abc.lambda-url.us-east-1.on.aws"},
        "requestContext": {
            "accountId": "123456789012", "apiId": "abc", "domainName": "abc.lambda-url.us-east-1.on.aws",
            "domainPrefix": "abc", "requestId": str(uuid.uuid4()), "routeKey": "$default", "stage": "$default",
            "time": time.strftime("%d/%b/%Y:%H:%M:%S +0000", time.gmtime(now)), "timeEpoch": int(now * 1000),
            "http": {"method": "POST", "path": sample.path, "protocol": "HTTP/1.1", "sourceIp": "127.0.0.1",
                     "userAgent": "Slackbot 1.0"},
        },
        "body": base64.b64encode(sample.body).decode(), "isBase64Encoded": True,
    }


def eventbridge_event(event: CloudEvent) -> dict[str, Any]:
    """An EventBridge delivery of a Botless CloudEvent (the event in `detail`)."""
    return {"version": "0", "id": str(uuid.uuid4()), "detail-type": event["type"], "source": "botless",
            "account": "123456789012", "time": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            "region": "us-east-1", "resources": [], "detail": to_dict(event)}


BUS = "botless-measure"
# infra/aws_lambda gives each function the SSM path of the chat secrets, which it reads at init.
SSM_PREFIX = "/botless-measure/"
# The chat secrets the measured bot has (tooling/costing/measure.py sets the same names in its
# environment, which wins over SSM: the values here only have to be there to be read).
SSM_SECRETS = ("SLACK_SIGNING_SECRET", "SLACK_BOT_TOKEN")


def start_services(stack: ExitStack) -> dict[str, str]:
    """moto on loopback: the custom bus the handlers publish to, the chat secrets as SecureStrings."""
    import boto3

    from tooling.costing.standins import moto_eventbridge

    url = stack.enter_context(moto_eventbridge(BUS))
    ssm = boto3.client("ssm", endpoint_url=url, region_name="us-east-1", aws_access_key_id="measure",
                       aws_secret_access_key="measure")
    for name in SSM_SECRETS:
        ssm.put_parameter(Name=SSM_PREFIX + name, Value="measure-from-ssm", Type="SecureString", Overwrite=True)
    return {"moto": url}


def count_secret_reads() -> Callable[[], dict[str, float]]:
    """Count the SSM calls the entrypoint's init makes; call before it is imported, read after.

    The counts are the real GetParametersByPath pages SSM answered (providers/aws/ssm.py's
    PAGE_OBSERVERS), and the SecureStrings they returned, each of which SSM decrypts with KMS.
    """
    from providers.aws import ssm

    counts = {"calls": 0.0, "secure_strings": 0.0}

    def answered(page: Mapping[str, Any]) -> None:
        counts["calls"] += 1
        parameters = page.get("Parameters", [])
        counts["secure_strings"] += sum(p.get("Type") == "SecureString" for p in parameters)

    ssm.PAGE_OBSERVERS.append(answered)
    return lambda: {"calls_per_cold_start": counts["calls"],
                    "secure_strings_per_cold_start": counts["secure_strings"], "references": 0.0}


def environment(role: str, services: Mapping[str, str]) -> dict[str, str]:
    """A Lambda function's settings, its AWS endpoint the loopback moto."""
    return {"BOTLESS_EVENT_BUS": BUS, "AWS_ENDPOINT_URL": services["moto"], "BOTLESS_SSM_PREFIX": SSM_PREFIX,
            "AWS_ACCESS_KEY_ID": "measure", "AWS_SECRET_ACCESS_KEY": "measure",
            "AWS_DEFAULT_REGION": "us-east-1", "AWS_REGION": "us-east-1",
            "AWS_LAMBDA_FUNCTION_NAME": f"botless-{role}"}


def load(role: str) -> Callable[[Any], None]:
    handler = getattr(importlib.import_module("functions.aws_lambda.handler"), role)
    context = _Context()

    def call(sample: WebhookSample | CloudEvent) -> None:
        if isinstance(sample, WebhookSample):
            answer = handler(function_url_event(sample), context)
            if answer.get("statusCode", 500) >= 400:
                raise RuntimeError(f"aws-lambda {role} answered {answer.get('statusCode')}")
        else:
            handler(eventbridge_event(sample), context)

    return call
