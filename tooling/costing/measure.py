"""Run the measurement workers: fresh processes per entrypoint and role, loopback services around them."""

from __future__ import annotations

import json
import os
import secrets
import subprocess
import sys
from collections.abc import Callable, Iterable, Mapping, Sequence
from contextlib import ExitStack
from dataclasses import dataclass

from tooling.costing.figures import DEFAULT_TEXTS, RoleFigures, summarise
from tooling.costing.samples import MIX_VARIABLE

ROLES = ("mono", "receive", "parse", "command", "respond")
ENTRYPOINTS = ("aws-lambda", "gcf", "azure", "knative")
BUS = "botless-measure"


class MeasurementError(RuntimeError):
    """A worker failed; the message carries its stderr tail."""


@dataclass(frozen=True)
class Plan:
    """How much to measure: warm invocations per role and fresh processes for cold starts."""

    invocations: int = 300
    cold_runs: int = 5

    @classmethod
    def quick(cls) -> Plan:
        return cls(invocations=40, cold_runs=2)


def _environment(entrypoint: str, role: str, services: Mapping[str, str], secret: str,
                 texts: Sequence[str]) -> dict[str, str]:
    # The user's own settings (BOTLESS_COMMANDS, prefixes) stay; roles, secrets and buses are ours.
    keep = {key: value for key, value in os.environ.items()
            if not key.startswith(("BOTLESS_ROLE", "BOTLESS_TOPOLOGY", "BOTLESS_EVENT", "SLACK_", "K_"))}
    env = dict(keep)
    env.update({
        MIX_VARIABLE: json.dumps(list(texts)),
        "BOTLESS_ROLE": role, "BOTLESS_TOPOLOGY": "mono" if role == "mono" else "pipeline",
        "SLACK_SIGNING_SECRET": secret, "SLACK_BOT_TOKEN": "xoxb-measure",
        "SLACK_API_URL": services["platform"] + "/api", "PYTHONDONTWRITEBYTECODE": "1",
    })
    if entrypoint == "knative":
        env["K_SINK"] = services["platform"] + "/sink"
    elif entrypoint == "aws-lambda":
        env.update({"BOTLESS_EVENT_BUS": BUS, "AWS_ENDPOINT_URL": services["moto"],
                    "AWS_ACCESS_KEY_ID": "measure", "AWS_SECRET_ACCESS_KEY": "measure",
                    "AWS_DEFAULT_REGION": "us-east-1", "AWS_REGION": "us-east-1",
                    "AWS_LAMBDA_FUNCTION_NAME": f"botless-{role}"})
    else:
        from tooling.costing import cloud_env

        env.update(cloud_env.environment(entrypoint, role, services))
    return env


def _run_worker(entrypoint: str, role: str, invocations: int, env: Mapping[str, str]) -> dict:
    spec = json.dumps({"entrypoint": entrypoint, "role": role, "invocations": invocations})
    done = subprocess.run([sys.executable, "-m", "tooling.costing.worker", spec], env=dict(env),
                          capture_output=True, text=True, timeout=600)
    if done.returncode != 0:
        tail = "\n".join(done.stderr.strip().splitlines()[-6:])
        raise MeasurementError(f"measuring {entrypoint} {role} failed:\n{tail}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def _services(stack: ExitStack, entrypoints: Iterable[str]) -> dict[str, str]:
    from tooling.costing.standins import moto_eventbridge, platform_api

    services = {"platform": stack.enter_context(platform_api())}
    if "aws-lambda" in entrypoints:
        services["moto"] = stack.enter_context(moto_eventbridge(BUS))
    if {"gcf", "azure"} & set(entrypoints):
        from tooling.costing import cloud_env

        services.update(cloud_env.start_services(stack, entrypoints, services))
    return services


def measure(entrypoints: Iterable[str] = ENTRYPOINTS, roles: Iterable[str] = ROLES, plan: Plan = Plan(),
            progress: Callable[[str], None] = lambda step: None,
            texts: Sequence[str] = DEFAULT_TEXTS) -> dict[str, dict[str, RoleFigures]]:
    """Figures for every entrypoint and role: warm durations, cold starts, peak memory."""
    entrypoints, roles = tuple(entrypoints), tuple(roles)
    secret = secrets.token_hex(16)
    results: dict[str, dict[str, RoleFigures]] = {}
    with ExitStack() as stack:
        services = _services(stack, entrypoints)
        for entrypoint in entrypoints:
            for role in roles:
                env = _environment(entrypoint, role, services, secret, texts)
                colds = [_run_worker(entrypoint, role, 0, env) for _ in range(plan.cold_runs)]
                progress(f"{entrypoint} {role}: cold starts")
                warm = _run_worker(entrypoint, role, plan.invocations, env)
                progress(f"{entrypoint} {role}: {plan.invocations} warm invocations")
                mean, median, p99 = summarise(warm["warm_ms"])
                cold_totals = sorted(c["import_ms"] + c["first_ms"] for c in colds)
                results.setdefault(entrypoint, {})[role] = RoleFigures(
                    entrypoint=entrypoint, role=role, invocations=len(warm["warm_ms"]),
                    warm_mean_ms=mean, warm_median_ms=median, warm_p99_ms=p99,
                    cold_start_ms=cold_totals[len(cold_totals) // 2],
                    cold_import_ms=sorted(c["import_ms"] for c in colds)[len(colds) // 2],
                    peak_rss_mb=max([warm["peak_rss_mb"], *(c["peak_rss_mb"] for c in colds)]),
                    published_bytes=warm["published_bytes"],
                )
    return results


def steps(entrypoints: Iterable[str] = ENTRYPOINTS, roles: Iterable[str] = ROLES) -> int:
    """How many progress steps `measure` reports."""
    return 2 * len(tuple(entrypoints)) * len(tuple(roles))

