"""Run the measurement workers: fresh processes per entrypoint and role, loopback services around them."""

from __future__ import annotations

import importlib
import json
import os
import secrets
import subprocess
import sys
from collections.abc import Callable, Iterable, Mapping, Sequence
from contextlib import ExitStack
from dataclasses import dataclass
from types import ModuleType
from typing import Any

from core.role_table import ROLE_TABLE, TARGET_ROLES
from tooling.costing.figures import DEFAULT_TEXTS, Caused, RoleFigures, summarise
from tooling.costing.samples import MIX_VARIABLE
from tooling.targets import TARGET_NAMES, target_named

ROLES = TARGET_ROLES
ENTRYPOINTS = TARGET_NAMES  # each target's entrypoint is measured under the target's name


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
        "BOTLESS_ROLE": role, "BOTLESS_TOPOLOGY": ROLE_TABLE[role].topologies[0],
        "SLACK_SIGNING_SECRET": secret, "SLACK_BOT_TOKEN": "xoxb-measure",
        "SLACK_API_URL": services["platform"] + "/api", "PYTHONDONTWRITEBYTECODE": "1",
    })
    env.update(_invoker(entrypoint).environment(role, services))
    return env


def _run_worker(entrypoint: str, role: str, invocations: int, env: Mapping[str, str],
                count: bool = False) -> dict[str, Any]:
    spec = json.dumps({"entrypoint": entrypoint, "role": role, "invocations": invocations, "count": count})
    done = subprocess.run([sys.executable, "-m", "tooling.costing.worker", spec], env=dict(env),
                          capture_output=True, text=True, timeout=600)
    if done.returncode != 0:
        tail = "\n".join(done.stderr.strip().splitlines()[-6:])
        raise MeasurementError(f"measuring {entrypoint} {role} failed:\n{tail}")
    report: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return report


def _invoker(entrypoint: str) -> ModuleType:
    return importlib.import_module(target_named(entrypoint).invoker)


def _services(stack: ExitStack, entrypoints: Iterable[str]) -> dict[str, str]:
    from tooling.costing.standins import platform_api

    services = {"platform": stack.enter_context(platform_api())}
    for entrypoint in entrypoints:
        start = getattr(_invoker(entrypoint), "start_services", None)
        if start is not None:
            services.update(start(stack))
    return services


def measure(entrypoints: Iterable[str] = ENTRYPOINTS, roles: Iterable[str] = ROLES, plan: Plan = Plan(),
            progress: Callable[[str], None] = lambda step: None,
            texts: Sequence[str] = DEFAULT_TEXTS) -> dict[str, dict[str, RoleFigures]]:
    """Figures for every entrypoint and role: warm durations, cold starts, peak memory, and what
    the invocations caused (store calls, deferrals, secret reads: RoleFigures.caused).
    """
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
                # The warm run also counts what the invocations cause (its import is not timed).
                warm = _run_worker(entrypoint, role, plan.invocations, env, count=True)
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
                    caused=Caused.from_counts(warm["counted"], warm["counted_invocations"], warm["secrets"]),
                )
    return results


def steps(entrypoints: Iterable[str] = ENTRYPOINTS, roles: Iterable[str] = ROLES) -> int:
    """How many progress steps `measure` reports."""
    return 2 * len(tuple(entrypoints)) * len(tuple(roles))

