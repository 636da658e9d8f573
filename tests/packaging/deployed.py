"""Running a built artifact the way its platform does: what tests/packaging/test_deployed_runs.py shares.

Each artifact runs in a process of its own, from a folder that holds only the artifact
(and, where the platform installs them, its requirements in a fresh venv). Its calls
out (Lambda's self-invoke, Event Grid, the Knative Broker, Slack's response_url) go to
one recording stand-in on 127.0.0.1; Pub/Sub is Google's emulator.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
import tarfile
import threading
import time
import zipfile
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tests.targets.scenarios import SLACK_SIGNING_SECRET, UPTIME, slack_slash_command
from tooling.loopback import Answer, LoopbackServer, Request
from tooling.packaging import PackageOptions, package
from tooling.packaging.bytecode import this_version
from tooling.pubsub_emulator import PubSubEmulator

ROOT = Path(__file__).resolve().parents[2]
EVENTS = ROOT / "tests" / "events"
INFRA = ROOT / "infra"
SLACK_PATH = "/slack/events"
# What each stand-in path is, and what the real service answers there.
LAMBDA_INVOKE = re.compile(r"^/2015-03-31/functions/[^/]+/invocations")
_ANSWERS = {"invoke": Answer(202, b"", ""), "event-grid": Answer(200, b"", ""), "sink": Answer(202, b"", ""),
            "response-url": Answer(200, b"ok", "text/plain"), "slack-api": Answer.json({"ok": True, "ts": "1.1"})}


def kind_of(request: Request) -> str:
    """Which service a request to the stand-in was meant for."""
    if LAMBDA_INVOKE.match(request.path):
        return "invoke"
    for prefix, kind in (("/api/events", "event-grid"), ("/sink", "sink"), ("/slack/response/", "response-url"),
                         ("/slack/api/", "slack-api")):
        if request.path.startswith(prefix):
            return kind
    return "unknown"


@dataclass
class StandIn:
    """Records every request; answers like Lambda's Invoke, Event Grid, a Broker and Slack."""

    url: str = ""
    requests: list[Request] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def answer(self, request: Request) -> Answer:
        with self._lock:
            self.requests.append(request)
        return _ANSWERS.get(kind_of(request), Answer(404, b"", ""))

    def of(self, kind: str) -> list[Request]:
        with self._lock:
            return [r for r in self.requests if kind_of(r) == kind]

    def clear(self) -> None:
        with self._lock:
            self.requests.clear()

    def env(self) -> dict[str, str]:
        """The bot's settings: Slack only, its Web API here."""
        return {"SLACK_SIGNING_SECRET": SLACK_SIGNING_SECRET, "SLACK_BOT_TOKEN": "xoxb-deployed",
                "SLACK_API_URL": f"{self.url}/slack/api", "BOTLESS_ENTRY_POINTS": "0", "BOTLESS_TOPOLOGY": "mono"}


@contextmanager
def stand_in() -> Iterator[StandIn]:
    recorder = StandIn()
    with LoopbackServer(recorder.answer) as server:
        recorder.url = server.url
        yield recorder


def slash_command(recorder: StandIn, trigger: str, *, forged: bool = False) -> tuple[dict[str, str], bytes]:
    """A `/uptime` slash command signed with the bot's secret (or another one), replying to the stand-in."""
    secret = "not-the-signing-secret" if forged else SLACK_SIGNING_SECRET
    return slack_slash_command(recorder.url, "/uptime", "", trigger=trigger, secret=secret)


def assert_acknowledged(status: int, body: bytes, handed_off: list[bytes]) -> bool:
    """A 200 whose body answers `/uptime`, or an empty 200 after one hand-off of it to the platform's async path.

    True when it was handed off: then the test delivers it as the platform would, and the answer goes
    to the command's response_url (`assert_replied`).
    """
    assert status == 200, (status, body[:500])
    if body.strip():  # answered in the ack (Slack's response body)
        assert UPTIME.fullmatch(json.loads(body)["text"]), body[:500]
        assert not handed_off, handed_off
        return False
    assert len(handed_off) == 1 and b"uptime" in handed_off[0], handed_off
    return True


def assert_refused(status: int, recorder: StandIn) -> None:
    """A forged signature: 401, and nothing handed off or replied."""
    assert status == 401
    assert not recorder.requests, [r.path for r in recorder.requests]


def assert_replied(recorder: StandIn, timeout: float = 20.0) -> None:
    """The deferred work reached Slack: one POST to the command's response_url, with the uptime."""
    deadline = time.monotonic() + timeout
    while not recorder.of("response-url") and time.monotonic() < deadline:
        time.sleep(0.05)  # the platform's async hop is still on its way
    [reply] = recorder.of("response-url")
    assert UPTIME.fullmatch(reply.json["text"]), reply.body[:500]


class LineProcess:
    """A subprocess that answers each JSON line on stdin with one JSON line on stdout (a runtime's loop)."""

    def __init__(self, command: list[str], *, env: Mapping[str, str], cwd: Path) -> None:
        self._stderr = (cwd / "stderr.log").open("wb")
        self.process = subprocess.Popen(command, env=dict(env), cwd=cwd, stdin=subprocess.PIPE,
                                        stdout=subprocess.PIPE, stderr=self._stderr, text=True)
        self.log = cwd / "stderr.log"

    def call(self, value: object) -> Any:
        assert self.process.stdin is not None and self.process.stdout is not None
        self.process.stdin.write(json.dumps(value) + "\n")
        self.process.stdin.flush()
        line = self.process.stdout.readline()
        assert line, self.log.read_text()[-3000:]
        return json.loads(line)

    def __enter__(self) -> LineProcess:
        return self

    def __exit__(self, *exc: object) -> None:
        for stream in (self.process.stdin, self.process.stdout):
            if stream is not None:
                stream.close()
        self.process.wait(timeout=15)
        self._stderr.close()


def built(target: str, out: Path) -> Path:
    """The Slack-only artifact of `target` for this Python (so its bytecode is what runs), unpacked."""
    result = package(PackageOptions(target=target, out=out / "out", platforms=("slack",), env={},
                                    python_version=this_version()))
    unpacked = out / "artifact"
    if tarfile.is_tarfile(result.artifact.path):
        with tarfile.open(result.artifact.path) as archive:
            archive.extractall(unpacked, filter="data")
    else:
        with zipfile.ZipFile(result.artifact.path) as archive:
            archive.extractall(unpacked)
    return unpacked


def boto3_only(runtime: Path) -> Path:
    """A folder with the Lambda runtime's own boto3 and botocore (and what they import), nothing else."""
    import boto3
    import botocore

    for module in (boto3, botocore):
        shutil.copytree(Path(str(module.__file__)).parent, runtime / module.__name__)
    for name in ("dateutil", "jmespath", "s3transfer", "urllib3", "six.py"):
        found = next((Path(p) / name for p in sys.path if (Path(p) / name).exists()), None)
        if found is not None:
            (shutil.copytree if found.is_dir() else shutil.copy)(found, runtime / name)
    return runtime


def function_url_event(headers: dict[str, str], body: bytes) -> dict[str, object]:
    """A Function URL event (the shape of tests/events/aws) carrying a Slack request."""
    event: dict[str, Any] = json.loads((EVENTS / "aws/function_url_post_iam.json").read_text())
    for absent in ("cookies", "queryStringParameters"):
        event.pop(absent, None)
    event.update(rawPath=SLACK_PATH, rawQueryString="", body=body.decode(), isBase64Encoded=False,
                 headers={**headers, "host": event["requestContext"]["domainName"], "user-agent": "Slackbot"})
    event["requestContext"]["http"].update(method="POST", path=SLACK_PATH)
    return event


def pulled(emulator: PubSubEmulator, subscription: str) -> list[bytes]:
    """What the subscription holds (the publish finished before the ack, so it is there or soon is)."""
    for _ in range(20):
        answer = emulator.subscriber.pull(request={"subscription": subscription, "max_messages": 10}, timeout=5)
        if answer.received_messages:
            return [m.message.data for m in answer.received_messages]
        time.sleep(0.1)  # the emulator's pull can be empty just after the publish
    return []


# -- what infra/ says -------------------------------------------------------------------

def terraform_value(path: Path, name: str) -> str:
    """The right-hand side of `name = ...` in a Terraform file (the first one)."""
    found = re.search(rf"^\s*{re.escape(name)}\s*=\s*(.+?)\s*$", path.read_text(), re.MULTILINE)
    assert found, f"{name} not found in {path}"
    return found.group(1)


def mono_role(path: Path) -> str:
    """The role the mono topology deploys: the else branch of `roles = local.pipeline ? [...] : [...]`."""
    [role] = json.loads(terraform_value(path, "roles").split(":", 1)[1])
    return str(role)
