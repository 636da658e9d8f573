"""Which Botless files one Slack message crosses on Lambda mono, from webhook to reply.

Run: python bench/files_crossed.py [--list]
Calls the real entrypoint (`functions.aws_lambda.handler.handler`, BOTLESS_ROLE=mono) with a
signed Events API callback as a Function URL event, and records with `sys.setprofile` every
Botless file whose code runs and every call from one Botless file into another. The reply
goes to a stand-in Slack Web API on 127.0.0.1 (bench/slack_api.py). The first message warms
the instance (imports, clients); the second is the one counted. Prints the figures; asserts nothing.
"""

from __future__ import annotations

import argparse
import base64
import os
import sys
import time
from collections import Counter
from pathlib import Path
from types import FrameType
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.load import SECRET, callback, signed  # noqa: E402
from bench.slack_api import SlackApi  # noqa: E402

PACKAGES = ("core", "providers", "functions")


def function_url_event(body: bytes, headers: dict[str, str]) -> dict[str, Any]:
    """A Lambda Function URL (payload 2.0) event carrying a webhook POST."""
    return {"version": "2.0", "routeKey": "$default", "rawPath": "/slack/events", "rawQueryString": "",
            "headers": headers, "isBase64Encoded": True, "body": base64.b64encode(body).decode(),
            "requestContext": {"http": {"method": "POST", "path": "/slack/events", "protocol": "HTTP/1.1",
                                        "sourceIp": "127.0.0.1", "userAgent": "Slackbot"},
                               "domainName": "bench.lambda-url.local", "requestId": "bench",
                               "timeEpoch": int(time.time() * 1000)}}


class CallRecorder:
    """Botless files entered, and calls that cross from one Botless file into another."""

    def __init__(self) -> None:
        self.files: Counter[str] = Counter()
        self.crossings = 0

    def __call__(self, frame: FrameType, event: str, arg: object) -> None:
        if event != "call":
            return
        callee = _botless(frame.f_code.co_filename)
        if callee is None:
            return
        self.files[callee] += 1
        caller = frame.f_back
        while caller is not None and _botless(caller.f_code.co_filename) is None:
            caller = caller.f_back  # through library frames (mangum, starlette) to the Botless caller
        if caller is not None and _botless(caller.f_code.co_filename) != callee:
            self.crossings += 1


def _botless(filename: str) -> str | None:
    try:
        relative = Path(filename).resolve().relative_to(ROOT)
    except ValueError:
        return None
    return str(relative) if relative.parts and relative.parts[0] in PACKAGES else None


def measure() -> tuple[CallRecorder, int]:
    """Two messages through Lambda mono; the recorder of the second, and the replies seen."""
    with SlackApi() as api:
        os.environ.update({"BOTLESS_ROLE": "mono", "BOTLESS_TOPOLOGY": "mono", "SLACK_SIGNING_SECRET": SECRET,
                           "SLACK_BOT_TOKEN": "xoxb-bench-valid-nowhere", "SLACK_API_URL": api.url,
                           "AWS_LAMBDA_FUNCTION_NAME": "botless-bench", "AWS_DEFAULT_REGION": "us-east-1",
                           "BOTLESS_ENTRY_POINTS": "0"})
        from functions.aws_lambda.handler import handler

        body = callback(0)
        handler(function_url_event(body, signed(body)), None)  # warm: imports, clients, first claim
        recorder = CallRecorder()
        body = callback(1)
        event = function_url_event(body, signed(body))
        sys.setprofile(recorder)
        try:
            handler(event, None)
        finally:
            sys.setprofile(None)
        deadline = time.monotonic() + 5
        while api.replies < 2 and time.monotonic() < deadline:
            time.sleep(0.01)
        return recorder, api.replies


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--list", action="store_true", help="list the files, with the calls into each")
    args = parser.parse_args()
    recorder, replies = measure()
    print(f"Lambda mono, one Slack message (webhook to reply; replies seen: {replies} of 2)")
    print(f"Botless files crossed: {len(recorder.files)}; calls across Botless files: {recorder.crossings}")
    if args.list:
        for name, calls in sorted(recorder.files.items()):
            print(f"  {calls:5d}  {name}")
    return 0 if replies == 2 else 1


if __name__ == "__main__":
    raise SystemExit(main())
