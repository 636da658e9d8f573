"""The `botless` command as a user runs it: a real subprocess, real output."""

import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow  # each test runs the CLI in a subprocess

REPO = Path(__file__).resolve().parents[2]


def botless(*args, env=None, input=None):
    environment = {**os.environ, **(env or {})}
    return subprocess.run([sys.executable, "-m", "functions.local.cli", *args], capture_output=True,
                          text=True, env=environment, input=input, timeout=60, cwd=REPO)


def test_chat_answers_each_message_in_order():
    result = botless("chat", "-m", "/define crd", "-m", "/flip hello", "-m", "/uptme")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert "Custom Resource Definition" in lines[0]
    assert lines[1] == "(╯°□°)╯︵ ollǝɥ"
    assert "Did you mean `uptime`?" in lines[2]


def test_chat_in_pipeline_topology_and_a_message_that_is_no_command():
    result = botless("chat", "--topology", "pipeline", "-m", "hello", "-m", "/echo hi")
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == ["", "hi"]


def test_interactive_prompt_reads_until_end_of_input():
    result = botless("chat", input="/echo one\n\n/echo two\n")
    assert result.returncode == 0, result.stderr
    assert "one" in result.stdout and "two" in result.stdout


def test_user_commands_from_botless_commands():
    env = {"PYTHONPATH": str(REPO / "examples"), "BOTLESS_COMMANDS": "team_commands"}
    result = botless("chat", "-m", "/standup platform", "-m", "/su", "-m", "/help", env=env)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("Stand-up for platform: ")
    assert "/standup: Post the stand-up questions" in result.stdout


def test_configuration_errors_are_reported_plainly():
    result = botless("chat", "-m", "/x", env={"BOTLESS_COMMANDS": "does_not_exist_anywhere"})
    assert result.returncode == 2
    assert "botless: BOTLESS_COMMANDS names 'does_not_exist_anywhere', which cannot be imported" in result.stderr
    result = botless("chat", "-m", "/x", env={"BOTLESS_TOPOLOGY": "star"})
    assert result.returncode == 2 and "BOTLESS_TOPOLOGY='star'" in result.stderr


def test_custom_prefixes_from_the_environment():
    result = botless("chat", "-m", "!echo bang", env={"BOTLESS_PREFIXES": "/,!"})
    assert result.stdout.strip() == "bang"


def test_bad_flags_get_usage_errors():
    result = botless("serve", "--port", "http")
    assert result.returncode == 2 and "'http' is not a port number" in result.stderr
    result = botless("chat", "--topology", "ring")
    assert result.returncode == 2 and "invalid choice: 'ring'" in result.stderr
    result = botless()
    assert result.returncode == 2 and "required" in result.stderr


def test_serve_on_a_busy_port_says_so():
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        port = holder.getsockname()[1]
        result = botless("serve", "--port", str(port))
    assert result.returncode == 2
    assert f"port {port} on 127.0.0.1 is already in use" in result.stderr


def test_cost_without_the_cost_extra_names_the_extra():
    # `pip install -e .` has no rich; a None in sys.modules makes its import fail the same way.
    code = ("import sys; sys.modules['rich'] = None; from functions.local.cli import main; "
            "sys.exit(main(['cost', '--quick']))")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, cwd=REPO)
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        "botless: measuring needs the cost extra (rich is not installed): pip install -e '.[cost]'"]
