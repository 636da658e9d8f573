"""Cold path of each HTTP-facing entrypoint: a fresh process imports it and handles one request.

Run: python bench/cold_start.py [--target knative --target aws-lambda] [--runs 3]
Prints, per target, role and request: import ms, first-request ms and peak RSS of the
child process (medians over --runs fresh processes). Asserts nothing; measures this
machine, not the cloud (no container start, no network to a real bus).

Every target of the registry (tooling/targets.py) is called the way `botless cost`
measures it: its invoker (tooling/costing/invokers/<folder>.py) starts the loopback
services it needs, names the settings that point at them, and calls its real
entrypoint; the Slack API and Knative's K_SINK are tooling/costing/standins.py's
loopback server. Nothing here names a target, so a new one is measured once it has an
invoker; bench/ imports nothing from tests/.
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Mapping
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.load import SECRET, signed  # noqa: E402
from core.role_table import HTTP_ROLES, ROLE_TABLE  # noqa: E402
from tooling.costing.samples import SLACK_PATH, slack_message_request  # noqa: E402
from tooling.costing.standins import platform_api  # noqa: E402
from tooling.targets import TARGET_NAMES, TARGETS, Target, target_argument  # noqa: E402

# The child: import the invoker and the entrypoint it loads, handle one request, report.
# Nothing from core is imported before the clock starts (tooling.costing.worker's rule).
CHILD = """
import importlib, json, time
from tooling.costing.worker import peak_rss_kib
started = time.perf_counter()
call = importlib.import_module({invoker!r}).load({role!r})
imported = time.perf_counter()
from tooling.costing.samples import WebhookSample
call(WebhookSample({path!r}, {headers!r}, {body!r}))
answered = time.perf_counter()
print(json.dumps({{"import_ms": (imported - started) * 1000, "first_request_ms": (answered - imported) * 1000,
                  "peak_rss_mb": peak_rss_kib() / 1024}}))
"""


@dataclass
class Case:
    """One measurement: a target's entrypoint in one role, answering one Slack request."""

    target: Target
    role: str
    request: str
    env: dict[str, str]
    headers: dict[str, str]
    body: bytes


@dataclass
class Stage:
    """The loopback services the entrypoints talk to: the platform API, then each target's, on first use."""

    stack: ExitStack
    platform: str = ""
    _services: dict[str, dict[str, str]] = field(default_factory=dict)

    def services(self, target: Target) -> dict[str, str]:
        if not self.platform:
            self.platform = self.stack.enter_context(platform_api())
        if target.name not in self._services:
            start = getattr(_invoker(target), "start_services", None)
            self._services[target.name] = {"platform": self.platform,
                                           **(start(self.stack) if start is not None else {})}
        return self._services[target.name]


def _invoker(target: Target) -> ModuleType:
    return importlib.import_module(target.invoker)


def slack_requests(platform: str) -> dict[str, tuple[dict[str, str], bytes]]:
    """The two requests of the Slack 3-second case: a slash command (ack first) and a message."""
    unique = str(time.time_ns())
    slash = urlencode({"team_id": "T111", "channel_id": "C111", "user_id": "W111", "command": "/uptime",
                       "text": "", "trigger_id": unique,
                       "response_url": f"{platform}/slack/response/T111/{unique}/xxxxx"}).encode()
    message = slack_message_request("/define crd", SECRET)
    return {"slash /uptime": ({**signed(slash), "content-type": "application/x-www-form-urlencoded"}, slash),
            "message /define crd": (message.headers, message.body)}


def cases(target: Target, stage: Stage) -> list[Case]:
    """The target's HTTP roles, each answering each request, with the settings its invoker names."""
    services = stage.services(target)
    found = []
    for role in HTTP_ROLES:
        env = {"SLACK_SIGNING_SECRET": SECRET, "SLACK_BOT_TOKEN": "xoxb-bench",
               "SLACK_API_URL": services["platform"] + "/api",
               "BOTLESS_ROLE": role, "BOTLESS_TOPOLOGY": ROLE_TABLE[role].topologies[0],
               **_invoker(target).environment(role, services)}
        _create_deferral_target(env, services)
        for request, (headers, body) in slack_requests(services["platform"]).items():
            found.append(Case(target, role, request, env, headers, body))
    return found


def _create_deferral_target(env: Mapping[str, str], services: Mapping[str, str]) -> None:
    """Lambda's mono defers a slash command by invoking itself: moto (without Docker) must hold that function."""
    name, moto = env.get("AWS_LAMBDA_FUNCTION_NAME"), services.get("moto")
    if not name or not moto:
        return
    import io
    import zipfile

    import boto3
    from moto.core.config import default_user_config

    # moto runs in this process: its Lambda then takes an Event invocation without Docker.
    default_user_config["lambda"]["use_docker"] = False
    keys = {key.lower(): env[key] for key in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY") if key in env}
    session = boto3.session.Session(region_name=env.get("AWS_REGION", "us-east-1"), **keys)
    lambda_ = session.client("lambda", endpoint_url=moto)
    try:
        lambda_.get_function(FunctionName=name)
        return
    except lambda_.exceptions.ResourceNotFoundException:
        pass
    role = session.client("iam", endpoint_url=moto).create_role(
        RoleName=f"{name}-role", AssumeRolePolicyDocument="{}")["Role"]["Arn"]
    code = io.BytesIO()
    with zipfile.ZipFile(code, "w") as archive:
        archive.writestr("handler.py", "")  # never run: moto answers an Event invocation itself
    lambda_.create_function(FunctionName=name, Runtime="python3.11", Role=role, Handler="handler.mono",
                            Code={"ZipFile": code.getvalue()})


def measure(case: Case) -> dict[str, float]:
    """Run the case in a fresh interpreter; its report plus the whole process's wall time."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("BOTLESS_", "K_", "AWS_LAMBDA", "SLACK_"))}
    env.update(case.env, BOTLESS_ENTRY_POINTS="0", PYTHONPATH=str(ROOT))
    code = CHILD.format(invoker=case.target.invoker, role=case.role, path=SLACK_PATH, headers=case.headers,
                        body=case.body)
    started = time.perf_counter()
    done = subprocess.run([sys.executable, "-c", code], env=env, cwd=ROOT, capture_output=True, text=True,
                          timeout=120)
    if done.returncode != 0:
        raise RuntimeError(f"{case.target.name}/{case.role}: {done.stderr.strip().splitlines()[-1:]}")
    report: dict[str, float] = json.loads(done.stdout.strip().splitlines()[-1])
    report["process_ms"] = (time.perf_counter() - started) * 1000
    return report


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--target", action="append", type=target_argument, choices=TARGET_NAMES,
                        help="repeatable; default: all")
    parser.add_argument("--runs", type=int, default=3, help="fresh processes per case (median shown)")
    args = parser.parse_args()
    chosen = args.target or TARGET_NAMES
    print(f"{'target':<11} {'role':<8} {'request':<19} {'import ms':>10} "
          f"{'1st req ms':>11} {'process ms':>11} {'peak RSS MB':>12}")
    with ExitStack() as stack:
        stage = Stage(stack)
        for target in (target for target in TARGETS if target.name in chosen):
            for case in cases(target, stage):
                reports = [measure(case) for _ in range(args.runs)]
                median = {key: statistics.median(r[key] for r in reports)
                          for key in ("import_ms", "first_request_ms", "process_ms", "peak_rss_mb")}
                print(f"{case.target.name:<11} {case.role:<8} {case.request:<19} "
                      f"{median['import_ms']:>10.0f} {median['first_request_ms']:>11.0f} "
                      f"{median['process_ms']:>11.0f} {median['peak_rss_mb']:>12.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
