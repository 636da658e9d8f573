"""Slack's v0 request signature, computed with hmac: the same as slack_sdk's, and checked before anything else."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st
from slack_sdk.signature import SignatureVerifier

from core.chat.slack import SlackAdapter, SlackConfig, slack_signature
from core.dedupe import MemoryDedupeStore
from core.http import HttpRequest
from core.settings import Settings
from tests.chat.helpers import event_json

FORM = "application/x-www-form-urlencoded"


@given(secret=st.text(min_size=1).filter(str.strip), timestamp=st.integers(0, 2**40).map(str),
       body=st.text().map(lambda text: text.encode("utf-8")))
def test_the_signature_is_the_one_slack_sdk_computes(secret: str, timestamp: str, body: bytes) -> None:
    expected = SignatureVerifier(secret).generate_signature(timestamp=timestamp, body=body)
    assert slack_signature(secret, timestamp, body) == expected


def test_slacks_documented_example_has_the_documented_signature() -> None:
    example = event_json("slack", "signature_example.json")
    assert slack_signature(example["signing_secret"], example["timestamp"],
                           example["body"].encode()) == example["signature"]


async def test_an_odd_signature_or_timestamp_is_a_401_never_an_error() -> None:
    example = event_json("slack", "signature_example.json")
    adapter = SlackAdapter(SlackConfig(signing_secret=example["signing_secret"]), Settings(), MemoryDedupeStore(),
                           clock=lambda: int(example["timestamp"]))
    stamp = example["timestamp"]
    odd = (("v0=é" + "0" * 63, stamp), ("", stamp), (example["signature"][:-1], stamp),
           (example["signature"], "١٥٣١٤٢٠٦١٨"))  # the same instant in Arabic-Indic digits: int() takes it
    for signature, timestamp in odd:
        request = HttpRequest.build("POST", "/slack/events", {
            "content-type": FORM, "x-slack-request-timestamp": timestamp, "x-slack-signature": signature},
            example["body"].encode())
        received = await adapter.receive(request)
        assert received.response.status == 401 and received.events == [], (signature, timestamp)


_FIRST_SLASH_COMMAND = """
import json, sys
from tests.targets.lambda_events import slash_command_event
import functions.aws_lambda.handler as module
answer = module.handler(slash_command_event("x", "/echo", "lean first answer", trigger="t1"), None)
print(json.dumps({"status": answer["statusCode"], "body": answer["body"],
                  "slack_sdk": sorted(m for m in sys.modules if m.split(".")[0] == "slack_sdk")}))
"""


def test_the_first_slash_command_on_lambda_is_answered_without_importing_slack_sdk() -> None:
    import json

    env = {**os.environ, "BOTLESS_ROLE": "mono", "SLACK_SIGNING_SECRET": "x", "SLACK_BOT_TOKEN": "xoxb-y",
           "AWS_DEFAULT_REGION": "us-east-1", "AWS_LAMBDA_FUNCTION_NAME": "f",
           "AWS_ACCESS_KEY_ID": "x", "AWS_SECRET_ACCESS_KEY": "x", "BOTLESS_ENTRY_POINTS": "0"}
    done = subprocess.run([sys.executable, "-c", _FIRST_SLASH_COMMAND], env=env, capture_output=True, text=True,
                          timeout=60, cwd=Path(__file__).resolve().parents[2])
    assert done.returncode == 0, done.stderr[-2000:]
    answer = json.loads(done.stdout.strip().splitlines()[-1])
    assert answer["status"] == 200 and "lean first answer" in answer["body"], answer
    assert answer["slack_sdk"] == []
