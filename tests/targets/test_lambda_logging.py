"""On Lambda the runtime's root handler (CloudWatch) sits at WARNING: Botless's per-event INFO lines still reach it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from tests.targets.scenarios import SLACK_SIGNING_SECRET

ROOT = Path(__file__).resolve().parents[2]

# The runtime's part, as awslambdaric does it for the text log format: one handler on the
# root logger, the root at WARNING. Then one slash command answered in the ack.
_AS_THE_RUNTIME = """
import json, logging, sys
handler = logging.StreamHandler(sys.stdout)
logging.getLogger().addHandler(handler)
logging.getLogger().setLevel(logging.WARNING)
from tests.targets.drivers.aws_lambda import http_event
from tests.targets.scenarios import slack_slash_command
import functions.aws_lambda.handler as module
headers, body = slack_slash_command("http://127.0.0.1:9", "/echo", "logged", trigger="t-log")
answer = module.handler(http_event("function-url", "/slack/events", headers, body), None)
print("ANSWER " + json.dumps({"status": answer["statusCode"], "body": answer["body"]}))
"""


def _run(**extra: str) -> tuple[dict[str, object], list[dict[str, object]]]:
    inherited = {name: value for name, value in os.environ.items() if name != "BOTLESS_LOG_LEVEL"}
    env = {**inherited, "BOTLESS_ROLE": "mono", "SLACK_SIGNING_SECRET": SLACK_SIGNING_SECRET,
           "SLACK_BOT_TOKEN": "xoxb-log", "AWS_DEFAULT_REGION": "us-east-1", "AWS_LAMBDA_FUNCTION_NAME": "f",
           "AWS_ACCESS_KEY_ID": "x", "AWS_SECRET_ACCESS_KEY": "x", "BOTLESS_ENTRY_POINTS": "0", **extra}
    done = subprocess.run([sys.executable, "-c", _AS_THE_RUNTIME], env=env, cwd=ROOT, capture_output=True,
                          text=True, timeout=60)
    assert done.returncode == 0, done.stderr[-2000:]
    lines = done.stdout.splitlines()
    answer = json.loads(next(line for line in lines if line.startswith("ANSWER "))[len("ANSWER "):])
    return answer, [json.loads(line) for line in lines if line.startswith("{")]


def test_each_role_of_the_chain_logs_its_line_to_the_runtimes_handler() -> None:
    answer, records = _run()
    assert answer["status"] == 200 and "logged" in str(answer["body"])
    assert [r["role"] for r in records if "role" in r] == ["parse", "command", "respond"]
    assert all(r["outcome"] == "ok" for r in records if "role" in r)


def test_botless_log_level_warning_keeps_only_warnings() -> None:
    answer, records = _run(BOTLESS_LOG_LEVEL="WARNING")
    assert answer["status"] == 200
    assert [r for r in records if "role" in r] == []
