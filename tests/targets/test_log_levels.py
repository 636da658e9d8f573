"""Every target ships one JSON line per event at INFO and keeps only warnings with BOTLESS_LOG_LEVEL=WARNING.

Lambda's own case (the runtime's root handler) is tests/targets/test_lambda_logging.py. Here:
Knative, whose uvicorn configures only its own loggers, and Azure, whose worker's root
handler sits at WARNING as Lambda's does.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

# The Knative image's CMD runs uvicorn on functions.knative.app:app; this is that app, one slash command.
_KNATIVE = """
import json
from starlette.testclient import TestClient
from tests.targets.scenarios import slack_slash_command
import functions.knative.app as module
headers, body = slack_slash_command("http://127.0.0.1:9", "/echo", "logged", trigger="t-knative-log")
with TestClient(module.app) as client:
    answer = client.post("/slack/events", headers=headers, content=body)
print("ANSWER " + json.dumps({"status": answer.status_code, "body": answer.text}))
"""

# The Azure worker's part: one handler on the root logger, the root at WARNING; then the app indexed.
_AZURE = """
import logging, sys
logging.getLogger().addHandler(logging.StreamHandler(sys.stdout))
logging.getLogger().setLevel(logging.WARNING)
import functions.azure.function_app
from core import events as ev
from core.logs import log_event
log_event(ev.new_event(ev.BOT_RESPONSE, ev.BotResponse(text="hi", platform="slack")), "respond", 0.1)
"""


def _lines(code: str, **extra: str) -> tuple[str, list[dict[str, object]]]:
    inherited = {name: value for name, value in os.environ.items() if not name.startswith("BOTLESS_")}
    done = subprocess.run([sys.executable, "-c", code], env={**inherited, "BOTLESS_ENTRY_POINTS": "0", **extra},
                          cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr[-2000:]
    out = done.stdout + done.stderr
    return out, [json.loads(line) for line in out.splitlines() if line.startswith("{")]


@pytest.mark.slow  # a fresh interpreter, as a container start
@pytest.mark.parametrize("level, roles", [(None, ["parse", "command", "respond"]), ("WARNING", [])])
def test_the_knative_service_logs_each_event_as_json_unless_told_warnings_only(level, roles) -> None:
    from tests.targets.scenarios import SLACK_SIGNING_SECRET

    settings = {"BOTLESS_ROLE": "mono", "K_SINK": "http://127.0.0.1:9/", "SLACK_SIGNING_SECRET": SLACK_SIGNING_SECRET,
                "SLACK_BOT_TOKEN": "xoxb-log", **({"BOTLESS_LOG_LEVEL": level} if level else {})}
    out, records = _lines(_KNATIVE, **settings)
    answer = json.loads(next(line for line in out.splitlines() if line.startswith("ANSWER "))[len("ANSWER "):])
    assert answer["status"] == 200 and "logged" in answer["body"]  # answered in the ack
    assert [r["role"] for r in records if "role" in r] == roles


@pytest.mark.slow  # a fresh interpreter, as the worker indexes the app
@pytest.mark.parametrize("level, logged", [(None, True), ("WARNING", False)])
def test_the_azure_app_lets_event_lines_through_at_the_level_it_is_given(level, logged) -> None:
    settings = {"BOTLESS_EVENTGRID_ENDPOINT": "http://127.0.0.1:9/api/events", "BOTLESS_EVENTGRID_KEY": "k",
                **({"BOTLESS_LOG_LEVEL": level} if level else {})}
    _, records = _lines(_AZURE, **settings)
    assert [r["role"] for r in records if "role" in r] == (["respond"] if logged else [])
