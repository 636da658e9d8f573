"""Cold path of each HTTP-facing entrypoint: a fresh process imports it and handles one request.

Run: python bench/cold_start.py [--target knative --target aws-lambda] [--runs 3]
Prints, per target, role and request: import ms, first-request ms and peak RSS of the
child process (medians over --runs fresh processes). Asserts nothing; measures this
machine, not the cloud (no container start, no network to a real bus).

Everything the entrypoints call runs on 127.0.0.1: the stand-in platform API of the
tests (it also plays Knative's K_SINK) and moto in server mode for AWS. A target adds
itself with a function `(Stage) -> list[Case]` in TARGETS.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

# The child: import the entrypoint, handle one request, report. {import_code} binds `m`;
# {request_code} evaluates to the HTTP status of the answer.
# Peak RSS is the child's own high-water mark (VmHWM): getrusage's ru_maxrss is carried
# across fork and exec on Linux, so it would report this parent's peak when that is higher.
CHILD = """
import json, time
started = time.perf_counter()
{import_code}
imported = time.perf_counter()
status = {request_code}
answered = time.perf_counter()
print(json.dumps({{"import_ms": (imported - started) * 1000, "first_request_ms": (answered - imported) * 1000,
                  "peak_rss_mb": int(next(line.split()[1] for line in open("/proc/self/status")
                                          if line.startswith("VmHWM:"))) / 1024,
                  "status": status}}))
"""

@dataclass
class Case:
    """One measurement: a target's entrypoint in one role, answering one request."""

    target: str
    role: str
    request: str
    env: dict[str, str]
    import_code: str
    request_code: str


@dataclass
class Stage:
    """The loopback services the entrypoints talk to, started on first use."""

    stack: ExitStack
    _stand_in: object = None
    _aws: dict[str, str] = field(default_factory=dict)
    _pubsub: dict[str, str] = field(default_factory=dict)
    _event_grid: dict[str, str] = field(default_factory=dict)

    def stand_in_url(self) -> str:
        if self._stand_in is None:
            from tests.targets.scenarios import stand_in_platform_api

            self._stand_in = self.stack.enter_context(stand_in_platform_api())
        return self._stand_in.url  # type: ignore[attr-defined]

    def platform_env(self) -> dict[str, str]:
        self.stand_in_url()
        return self._stand_in.env()  # type: ignore[attr-defined]

    def aws_env(self) -> dict[str, str]:
        if not self._aws:
            from tests.targets.drivers.aws_lambda import moto_server

            self._aws = self.stack.enter_context(moto_server())
            os.environ.update(self._aws)  # for the boto3 calls that set up the bus and function
        return self._aws


    def pubsub_env(self) -> dict[str, str]:
        """The Pub/Sub emulator, with the four Botless topics; the variables that point at it."""
        if not self._pubsub:
            from tests.targets.drivers.gcf import PROJECT, PubSubEmulator

            log = Path(self.stack.enter_context(tempfile.TemporaryDirectory())) / "pubsub.log"
            emulator = PubSubEmulator(log, PROJECT)
            self.stack.callback(emulator.stop)
            for topic in ("botless-chat-message", "botless-bot-command", "botless-bot-response", "botless-deferred"):
                emulator.publisher.create_topic(name=emulator.publisher.topic_path(PROJECT, topic))
            self._pubsub = {"PUBSUB_EMULATOR_HOST": emulator.host_port, "BOTLESS_GCP_PROJECT": PROJECT,
                            "BOTLESS_DEFER_TOKEN": "bench"}
        return self._pubsub

    def event_grid_env(self) -> dict[str, str]:
        """A stand-in Event Grid topic on 127.0.0.1; the variables that point at it."""
        if not self._event_grid:
            from tests.targets.drivers.azure import event_grid_stand_in

            topic = self.stack.enter_context(event_grid_stand_in())
            self._event_grid = {"BOTLESS_EVENTGRID_ENDPOINT": topic.endpoint, "BOTLESS_EVENTGRID_KEY": topic.key}
        return self._event_grid


def slack_requests(stage: Stage) -> dict[str, tuple[dict[str, str], bytes]]:
    """The two requests of the Slack 3-second case: a slash command (ack first) and a message."""
    from tests.targets.scenarios import slack_message, slack_slash_command

    unique = str(time.time_ns())
    return {"slash /uptime": slack_slash_command(stage.stand_in_url(), "/uptime", "", trigger=unique),
            "message /define crd": slack_message("/define crd", event_id=f"Ev{unique}", ts=f"{unique}.1")}


def knative_cases(stage: Stage) -> list[Case]:
    """Knative: the ASGI app of receive and mono, K_SINK being the stand-in."""
    cases = []
    for role in ("receive", "mono"):
        for name, (headers, body) in slack_requests(stage).items():
            env = {**stage.platform_env(), "BOTLESS_ROLE": role, "K_SINK": stage.stand_in_url() + "/sink"}
            cases.append(Case("knative", role, name, env, "import functions.knative.app as m",
                              f"__import__('bench.asgi_once', fromlist=['call']).call(m.app, '/slack/events', "
                              f"{headers!r}, {body!r})"))
    return cases


def aws_lambda_cases(stage: Stage) -> list[Case]:
    """Lambda: the handler module in receive and mono, a Function URL event, moto for AWS."""
    from tests.targets.drivers.aws_lambda import create_function, create_pipeline_bus, http_event

    aws = stage.aws_env()
    bus, function = f"bench-{time.time_ns()}", f"bench-mono-{time.time_ns()}"
    create_pipeline_bus(bus)
    create_function(function)
    cases = []
    for role in ("receive", "mono"):
        for name, (headers, body) in slack_requests(stage).items():
            env = {**stage.platform_env(), **aws, "BOTLESS_ROLE": role, "BOTLESS_EVENT_BUS": bus,
                   "AWS_LAMBDA_FUNCTION_NAME": function}
            event = http_event("function-url", "/slack/events", headers, body)
            cases.append(Case("aws-lambda", role, name, env, "import functions.aws_lambda.handler as m",
                              f"m.handler({event!r}, None)['statusCode']"))
    return cases


def gcf_cases(stage: Stage) -> list[Case]:
    """Cloud Functions: functions-framework's ASGI app for receive and mono, the Pub/Sub emulator as bus.

    "import" is what an instance does before its first request: functions-framework
    loads main.py (the bot is built there) and makes its app. The first request pays
    for google.cloud.pubsub_v1 and the client when it publishes (receive, a deferral).
    """
    cases = []
    for role in ("receive", "mono"):
        for name, (headers, body) in slack_requests(stage).items():
            env = {**stage.platform_env(), **stage.pubsub_env(), "FUNCTION_TARGET": role}
            cases.append(Case("gcf", role, name, env,
                              "import functions_framework; "
                              f"m = functions_framework.create_app({role!r}, 'functions/gcf/main.py', 'http')",
                              f"__import__('bench.asgi_once', fromlist=['call']).call(m, '/slack/events', "
                              f"{headers!r}, {body!r})"))
    return cases


def azure_cases(stage: Stage) -> list[Case]:
    """Azure Functions: function_app.py indexed, its HTTP function called with a func.HttpRequest.

    What the Functions host itself adds (starting the worker, its gRPC channel) is not
    measured; an Event Grid stand-in on 127.0.0.1 is the topic.
    """
    cases = []
    for role, topology in (("receive", "pipeline"), ("mono", "mono")):
        for name, (headers, body) in slack_requests(stage).items():
            env = {**stage.platform_env(), **stage.event_grid_env(), "BOTLESS_TOPOLOGY": topology}
            cases.append(Case("azure", role, name, env, "import functions.azure.function_app as m",
                              f"__import__('bench.cold_start', fromlist=['call_azure']).call_azure("
                              f"m.app, {role!r}, '/slack/events', {headers!r}, {body!r})"))
    return cases


def call_azure(app: Any, function: str, path: str, headers: dict[str, str], body: bytes) -> int:
    """Invoke an indexed HTTP function as the Python worker does; the status it answers."""
    import asyncio

    from tests.targets.drivers.azure import FakeContext, http_request

    [fn] = [f for f in app.get_functions() if f.get_function_name() == function]
    answer = asyncio.run(fn.get_user_function()(http_request("POST", path, headers, body), FakeContext(function)))
    return int(answer.status_code)


TARGETS: dict[str, Callable[[Stage], list[Case]]] = {
    "knative": knative_cases,
    "aws-lambda": aws_lambda_cases,
    "gcf": gcf_cases,
    "azure": azure_cases,
}


def measure(case: Case) -> dict[str, float]:
    """Run the case in a fresh interpreter; its report plus the whole process's wall time."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("BOTLESS_", "K_", "AWS_LAMBDA"))}
    env.update(case.env, BOTLESS_ENTRY_POINTS="0", PYTHONPATH=str(ROOT))
    code = CHILD.format(import_code=case.import_code, request_code=case.request_code)
    started = time.perf_counter()
    done = subprocess.run([sys.executable, "-c", code], env=env, cwd=ROOT, capture_output=True, text=True,
                          timeout=120)
    if done.returncode != 0:
        raise RuntimeError(f"{case.target}/{case.role}: {done.stderr.strip().splitlines()[-1:]}")
    report = json.loads(done.stdout.strip().splitlines()[-1])
    report["process_ms"] = (time.perf_counter() - started) * 1000
    return report


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--target", action="append", choices=sorted(TARGETS), help="repeatable; default: all")
    parser.add_argument("--runs", type=int, default=3, help="fresh processes per case (median shown)")
    args = parser.parse_args()
    print(f"{'target':<11} {'role':<8} {'request':<19} {'status':>6} {'import ms':>10} "
          f"{'1st req ms':>11} {'process ms':>11} {'peak RSS MB':>12}")
    with ExitStack() as stack:
        stage = Stage(stack)
        for target in args.target or list(TARGETS):
            for case in TARGETS[target](stage):
                reports = [measure(case) for _ in range(args.runs)]
                median = {key: statistics.median(r[key] for r in reports)
                          for key in ("import_ms", "first_request_ms", "process_ms", "peak_rss_mb")}
                print(f"{case.target:<11} {case.role:<8} {case.request:<19} {reports[0]['status']:>6} "
                      f"{median['import_ms']:>10.0f} {median['first_request_ms']:>11.0f} "
                      f"{median['process_ms']:>11.0f} {median['peak_rss_mb']:>12.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
