"""A signed Slack slash command as a Lambda Function URL event, with the standard library only.

For subprocesses that check what the handler imports: tests/targets/drivers/aws_lambda.py
imports moto (and so boto3), which would hide what Botless itself imports.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import time
from typing import Any
from urllib.parse import urlencode


def slash_command_event(secret: str, command: str, text: str, *, trigger: str) -> dict[str, Any]:
    """A Function URL (payload 2.0) POST of a slash command signed with `secret`, its reply in the ack."""
    body = urlencode({"command": command, "text": text, "user_id": "U1", "channel_id": "C1", "trigger_id": trigger,
                      "response_url": "https://hooks.slack.com/commands/T1/1/x"}).encode()
    stamp = str(int(time.time()))
    signature = "v0=" + hmac.new(secret.encode(), b"v0:" + stamp.encode() + b":" + body, hashlib.sha256).hexdigest()
    host = "f.lambda-url.us-east-1.on.aws"
    return {"version": "2.0", "routeKey": "$default", "rawPath": "/slack/events", "rawQueryString": "",
            "headers": {"content-type": "application/x-www-form-urlencoded", "x-slack-request-timestamp": stamp,
                        "x-slack-signature": signature, "host": host},
            "requestContext": {"http": {"method": "POST", "path": "/slack/events", "protocol": "HTTP/1.1",
                                        "sourceIp": "127.0.0.1", "userAgent": "Slackbot"},
                               "domainName": host, "requestId": "r", "timeEpoch": 0},
            "body": base64.b64encode(body).decode(), "isBase64Encoded": True}
