"""The README's examples, replayed as written: the `POST /` event and "Write your own command"."""

import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from core.bot import Bot
from core.settings import Settings
from providers.asgi.app import create_app
from tests.servers import uvicorn_server
from tests.services import service_fixture

REPO = Path(__file__).resolve().parents[2]
README = (REPO / "README.md").read_text(encoding="utf-8")


def readme_section(title):
    start = README.index(f"\n### {title}\n")
    end = min(README.find(marker, start + 1) % (len(README) + 1) for marker in ("\n## ", "\n### "))
    return README[start:end]


def fenced_blocks(text, language):
    return re.findall(rf"```{language}\n(.*?)```", text, flags=re.S)


def ingress_example():
    """The headers and body of the README's `curl ... localhost:8080/ ... -d '...'`."""
    match = re.search(r"curl -s localhost:8080/ (-H '[^']+') -d '([^']+)'", README)
    assert match, "the README's POST / example is gone or no longer one curl -d call"
    name, value = match.group(1)[4:-1].split(": ", 1)
    return {name: value}, json.loads(match.group(2))


@service_fixture(params=["mono", "pipeline"])  # uvicorn, per test
def server(request):
    bot = Bot(Settings(topology=request.param, load_entry_points=False))
    with uvicorn_server(create_app(bot, bot.broker().publish, ingress=True)) as url:
        yield url


def test_the_documented_post_is_accepted_and_answered(server):
    headers, body = ingress_example()
    assert httpx.post(f"{server}/", headers=headers, json=body).status_code == 202, "README's POST / body"
    replies = []
    for _ in range(100):  # the reply is published after the 202; poll, with no claim on time
        replies = httpx.get(f"{server}/api/replies").json()["replies"]
        if replies:
            break
        time.sleep(0.05)
    assert [(reply["text"], reply["message_id"]) for reply in replies] == [("hi", body["data"]["message_id"])]


def run_documented(command, tmp_path):
    """A README shell line, run from the repository root as a person would run it."""
    env = {key: value for key, value in os.environ.items() if key not in ("PYTHONPATH", "BOTLESS_COMMANDS")}
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    return subprocess.run(["bash", "-c", command], capture_output=True, text=True, timeout=120,
                          cwd=REPO, env=env)


@pytest.mark.slow  # runs the CLI and pytest in subprocesses
def test_write_your_own_command_runs_as_documented(tmp_path):
    section = readme_section("Write your own command")
    _module, test = fenced_blocks(section, "python")
    chat_line, test_line = (block.strip() for block in fenced_blocks(section, "sh"))
    chat = run_documented(chat_line, tmp_path)
    assert chat.returncode == 0, chat.stderr
    assert chat.stdout.startswith("Stand-up for platform:")
    (tmp_path / "test_team_commands.py").write_text(test, encoding="utf-8")
    documented = test_line.replace("test_team_commands.py", str(tmp_path / "test_team_commands.py"))
    pytest_run = run_documented(documented + " -p no:cacheprovider", tmp_path)
    assert pytest_run.returncode == 0, pytest_run.stdout + pytest_run.stderr
    assert "1 passed" in pytest_run.stdout
