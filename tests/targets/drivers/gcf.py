"""Cloud Functions for real: the Pub/Sub emulator and functions-framework servers on loopback.

Each function of functions/gcf/main.py runs as its own `functions-framework` process
(the CLI Cloud Functions runs; gunicorn with uvicorn workers for the ASGI HTTP
functions). The functions are joined the way Google joins them: topics, and push
subscriptions whose deliveries are the emulator's own bytes. A relay on loopback sits
between the emulator and the functions only to count deliveries and their answers
(it forwards headers and body untouched), which is how `settle` knows the pipeline
is quiet: every message published on a topic (seen through a pull "tap" subscription
on it) has been acknowledged by its push subscriber.

Invocations are counted where the requests to the functions come from, since
functions-framework's gunicorn keeps no access log (its CLI passes gunicorn no options):
the driver's `post` is the HTTP function's only client (but for the `/healthz` probe at
start), a `webhook`; the relay is the only way a push reaches a function, a `bus`
delivery (pipeline) or a `deferred` one (mono's deferred topic). A push the relay could
not connect to its function with invoked nothing and is not counted.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import threading
import time
import uuid
import warnings
from collections.abc import Iterator, Mapping
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from tests.servers import free_port, uvicorn_server
from tests.targets.driver import BUS, DEFERRED, WEBHOOK, CountsInvocations, HttpResult, InvocationLog
from tooling.pubsub_emulator import PubSubEmulator, emulator_command
from tooling.pubsub_emulator import stop_process_group as stop_group

REPO = Path(__file__).resolve().parents[3]
MAIN = REPO / "functions" / "gcf" / "main.py"
PROJECT = "botless-test"
HTTP_ROLES = ("receive", "mono")
# The push subscriptions of each topology: (function, topic key, filter, path on the function).
FILTERS = {
    "chat": 'attributes.type = "botless.chat.message"',
    "command": 'hasPrefix(attributes.type, "botless.bot.command.")',
    "response": 'attributes.type = "botless.bot.response"',
    "deferred": "",
}
SUBSCRIBERS = {
    "pipeline": [("parse", "chat", "/"), ("command", "command", "/"), ("respond", "response", "/")],
    "mono": [("mono", "deferred", "/_botless/deferred")],
}


@dataclass
class Delivery:
    """One push the relay passed on: to which function, which message, and the answer."""

    function: str
    message_id: str
    status: int
    body: bytes = field(repr=False, default=b"")
    headers: Mapping[str, str] = field(repr=False, default_factory=dict)


class PushRelay:
    """Forwards each push, bytes untouched, to the function it names, and records the answer.

    Each push that reached its function is recorded in `invocation_log` as `trigger` (when given).
    """

    def __init__(self, invocation_log: InvocationLog | None = None, trigger: str = BUS) -> None:
        self.functions: dict[str, str] = {}
        self.deliveries: list[Delivery] = []
        self.invocation_log = invocation_log
        self.trigger = trigger
        self.in_flight = 0
        self._lock = threading.Lock()
        self.url = ""

    def app(self) -> Starlette:
        async def relay(request: Request) -> Response:
            function, _, rest = request.url.path.lstrip("/").partition("/")
            body = await request.body()
            headers = {k: v for k, v in request.headers.items() if k not in ("host", "content-length")}
            with self._lock:
                self.in_flight += 1
            try:
                async with httpx.AsyncClient(timeout=30) as client:
                    answer = await client.post(f"{self.functions[function]}/{rest}", content=body,
                                               headers=headers, params=dict(request.query_params))
                status, content = answer.status_code, answer.content
            except httpx.HTTPError as error:
                status, content = 502, str(error).encode()
                # Only a push that never reached its function (no connection) invoked nothing.
                reached = not isinstance(error, httpx.ConnectError)
            else:
                reached = True
            if reached and self.invocation_log is not None:
                self.invocation_log.record(function, self.trigger)
            with self._lock:
                self.deliveries.append(Delivery(function, _message_id(body), status, body, headers))
                self.in_flight -= 1
            return Response(content, status_code=status)

        return Starlette(routes=[Route("/{path:path}", relay, methods=["POST"])])

    def acknowledged(self) -> set[str]:
        with self._lock:
            return {d.message_id for d in self.deliveries if 200 <= d.status < 300}


def _message_id(body: bytes) -> str:
    import json

    try:
        return str(json.loads(body)["message"]["messageId"])
    except (ValueError, KeyError, TypeError):
        return ""


class GcfDriver(CountsInvocations):
    """Cloud Functions in one topology, with its own topics, subscriptions and processes."""

    target = "gcf"

    def __init__(self, emulator: PubSubEmulator, topology: str, env: Mapping[str, str], workdir: Path) -> None:
        self.emulator = emulator
        self.topology = topology
        self.workdir = workdir
        suffix = uuid.uuid4().hex[:8]
        self.topics = {key: f"botless-{key}-{suffix}" for key in FILTERS}
        self.token = uuid.uuid4().hex
        self.env = {
            **env,
            "PUBSUB_EMULATOR_HOST": emulator.host_port,
            "BOTLESS_GCP_PROJECT": PROJECT,
            "BOTLESS_TOPOLOGY": topology,
            "BOTLESS_PUBSUB_TOPIC_CHAT_MESSAGE": self.topics["chat"],
            "BOTLESS_PUBSUB_TOPIC_BOT_COMMAND": self.topics["command"],
            "BOTLESS_PUBSUB_TOPIC_BOT_RESPONSE": self.topics["response"],
            "BOTLESS_PUBSUB_TOPIC_DEFERRED": self.topics["deferred"],
            "BOTLESS_DEFER_TOKEN": self.token,
        }
        self.invocation_log = InvocationLog()
        self.relay = PushRelay(self.invocation_log, DEFERRED if topology == "mono" else BUS)
        self.processes: dict[str, subprocess.Popen[bytes]] = {}
        self.urls: dict[str, str] = {}
        self._published: set[str] = set()
        self._taps: list[str] = []
        self._subscriptions: list[str] = []

    @property
    def entry(self) -> str:
        return "mono" if self.topology == "mono" else "receive"

    @contextmanager
    def running(self) -> Iterator[GcfDriver]:
        with ExitStack() as stack:
            self.relay.url = stack.enter_context(uvicorn_server(self.relay.app()))
            self._create_topics()
            roles = [self.entry] + [function for function, _, _ in SUBSCRIBERS[self.topology]
                                    if function != self.entry]
            for role in roles:
                self._start(role)
                stack.callback(stop_group, self.processes[role])
            for role in roles:
                self._wait_ready(role)
            self._subscribe()
            stack.callback(self._delete_subscriptions)
            yield self

    def _create_topics(self) -> None:
        for _key, topic in self.topics.items():
            path = self.emulator.publisher.topic_path(PROJECT, topic)
            self.emulator.publisher.create_topic(name=path)
            tap = self.emulator.subscriber.subscription_path(PROJECT, f"tap-{topic}")
            self.emulator.subscriber.create_subscription(name=tap, topic=path)
            self._taps.append(tap)

    def _subscribe(self) -> None:
        for function, key, path in SUBSCRIBERS[self.topology]:
            query = f"?token={self.token}" if function == "mono" else ""
            request: dict[str, Any] = {
                "name": self.emulator.subscriber.subscription_path(PROJECT, f"{function}-{self.topics[key]}"),
                "topic": self.emulator.publisher.topic_path(PROJECT, self.topics[key]),
                "push_config": {"push_endpoint": f"{self.relay.url}/{function}{path}{query}"},
                "ack_deadline_seconds": 30,
            }
            if FILTERS[key]:
                request["filter"] = FILTERS[key]  # accepted by the emulator, but not applied
            self.emulator.subscriber.create_subscription(request=request)
            self._subscriptions.append(request["name"])

    def _delete_subscriptions(self) -> None:
        # Otherwise the emulator keeps redelivering unacknowledged messages to a stopped relay.
        for name in self._subscriptions:
            self.emulator.subscriber.delete_subscription(subscription=name)

    def _start(self, role: str) -> None:
        port = free_port()
        signature = "http" if role in HTTP_ROLES else "cloudevent"
        inherited = {k: v for k, v in os.environ.items() if not k.startswith(("BOTLESS_", "FUNCTION_", "K_"))}
        env = {**inherited, **self.env, "FUNCTION_TARGET": role, "PYTHONPATH": str(REPO)}
        with (self.workdir / f"gcf-{self.topology}-{role}.log").open("wb") as log:
            self.processes[role] = self._popen(role, signature, port, env, log)
        self.urls[role] = f"http://127.0.0.1:{port}"
        self.relay.functions[role] = self.urls[role]

    def _popen(self, role: str, signature: str, port: int, env: Mapping[str, str], log: Any) -> Any:
        return subprocess.Popen(
            [sys.executable, "-m", "functions_framework", "--target", role, "--source", str(MAIN),
             "--signature-type", signature, "--host", "127.0.0.1", "--port", str(port)],
            env=env, cwd=str(REPO), stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
        )

    def _wait_ready(self, role: str, timeout: float = 60.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.processes[role].poll() is not None:
                raise RuntimeError(f"functions-framework --target {role} exited:\n{self.log(role)}")
            try:
                httpx.get(f"{self.urls[role]}/healthz", timeout=1)
                return
            except httpx.HTTPError:
                time.sleep(0.05)  # the server is still starting
        raise RuntimeError(f"functions-framework --target {role} did not listen in {timeout} s:\n{self.log(role)}")

    def log(self, role: str) -> str:
        """The output of one function's process so far (for failure messages)."""
        return (self.workdir / f"gcf-{self.topology}-{role}.log").read_text(errors="replace")[-4000:]

    async def post(self, path: str, headers: Mapping[str, str], body: bytes) -> HttpResult:
        async with httpx.AsyncClient(timeout=30) as client:
            answer = await client.post(f"{self.urls[self.entry]}{path}", headers=dict(headers), content=body)
        self.invocation_log.record(self.entry, WEBHOOK)  # answered, so the function ran
        return HttpResult(answer.status_code, dict(answer.headers), answer.content)

    async def settle(self, timeout: float = 20.0) -> None:
        """Wait until every message published so far was acknowledged by its subscriber."""
        deadline = time.monotonic() + timeout
        quiet_rounds = 0
        while time.monotonic() < deadline:
            fresh = self._drain_taps()  # a few ms: the emulator answers empty pulls at once
            done = not (self._published - self.relay.acknowledged()) and self.relay.in_flight == 0
            quiet_rounds = quiet_rounds + 1 if done and not fresh else 0
            if quiet_rounds >= 2:
                return
            await asyncio.sleep(0.05)  # polling the emulator's taps
        raise TimeoutError(f"gcf/{self.topology}: still unacknowledged after {timeout} s: "
                           f"{sorted(self._published - self.relay.acknowledged())}")

    def failed_deliveries(self) -> list[str]:
        """The pushes a function did not acknowledge (Pub/Sub redelivers them)."""
        with self.relay._lock:
            return [f"{d.function} answered {d.status} to message {d.message_id}"
                    for d in self.relay.deliveries if not 200 <= d.status < 300]

    def _drain_taps(self) -> int:
        fresh = 0
        for tap in self._taps:
            with warnings.catch_warnings():
                # Deprecated for production, where it costs throughput; here it keeps settle
                # from waiting on the emulator's 4-second long poll of an empty subscription.
                warnings.simplefilter("ignore", DeprecationWarning)
                answer = self.emulator.subscriber.pull(
                    request={"subscription": tap, "max_messages": 100, "return_immediately": True}, timeout=5)
            if answer.received_messages:
                self._published.update(m.message.message_id for m in answer.received_messages)
                fresh += len(answer.received_messages)
                self.emulator.subscriber.acknowledge(
                    request={"subscription": tap, "ack_ids": [m.ack_id for m in answer.received_messages]})
        return fresh


@contextmanager
def gcf_driver(emulator: PubSubEmulator, topology: str, env: Mapping[str, str], workdir: Path) -> Iterator[GcfDriver]:
    """A running GcfDriver (functions, topics, subscriptions); everything stopped afterwards."""
    with GcfDriver(emulator, topology, env, workdir).running() as driver:
        yield driver


@contextmanager
def start_gcf(topology: str, env: Mapping[str, str], *, emulator: PubSubEmulator | None = None) -> Iterator[GcfDriver]:
    """`start_<target>(topology, env)`, as every driver has one; pass the session's emulator to reuse it."""
    import tempfile

    with tempfile.TemporaryDirectory(prefix="botless-gcf-") as workdir, ExitStack() as stack:
        if emulator is None:
            emulator = PubSubEmulator(Path(workdir) / "emulator.log", PROJECT)
            stack.callback(emulator.stop)
        yield stack.enter_context(gcf_driver(emulator, topology, env, Path(workdir)))


# -- the session's emulator, a pytest fixture (imported by tests/targets/conftest.py) ----

import pytest  # noqa: E402

from tests.services import service_fixture  # noqa: E402


@service_fixture(scope="session")
def pubsub_emulator(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PubSubEmulator]:
    """The Pub/Sub emulator for the whole session (skipped only when it is not installed)."""
    if emulator_command("127.0.0.1:0", PROJECT) is None:
        pytest.skip("the Pub/Sub emulator or Java is not installed here (.ci/emulators.sh installs both)")
    emulator = PubSubEmulator(tmp_path_factory.mktemp("pubsub") / "emulator.log", PROJECT)
    yield emulator
    emulator.stop()
