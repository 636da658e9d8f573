"""The contract every target's test driver meets, so one suite runs on all targets.

A driver starts one target's real entrypoints on this machine (in-process handlers,
functions-framework servers behind the Pub/Sub emulator, uvicorn, ...) in one topology,
with the environment it is given, and lets a test post a platform webhook to the
HTTP-facing entrypoint (receive, or mono) and wait until the pipeline is quiet.

Each driver also counts the invocations of the deployed functions, where its platform
stand-in really makes them (`InvocationLog`): one `role <- trigger` entry per invocation,
the trigger being the chat platform's `webhook`, a `bus` delivery between pipeline roles,
or a `deferred` event brought back to mono. Each driver's docstring says what these are
on its platform.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Protocol

# What invoked a function: the chat platform's HTTP request, a bus delivery between the
# pipeline's roles, or mono's deferred work coming back (a self-invoke, a deferred topic...).
WEBHOOK, BUS, DEFERRED = "webhook", "bus", "deferred"


@dataclass(frozen=True)
class HttpResult:
    """What the HTTP-facing entrypoint answered."""

    status: int
    headers: Mapping[str, str] = field(default_factory=dict)
    body: bytes = b""


def invocation(role: str, trigger: str) -> str:
    """One entry of an invocation log: which role ran, and what invoked it."""
    return f"{role} <- {trigger}"


class InvocationLog:
    """The invocations a driver's platform stand-in made, in order; safe across threads."""

    def __init__(self) -> None:
        self._entries: list[str] = []
        self._lock = threading.Lock()

    def record(self, role: str, trigger: str) -> None:
        with self._lock:
            self._entries.append(invocation(role, trigger))

    def entries(self) -> list[str]:
        with self._lock:
            return list(self._entries)

    def reset(self) -> None:
        with self._lock:
            self._entries.clear()


class TargetDriver(Protocol):
    """One target, started in one topology with a given environment."""

    target: str  # "knative", "gcf", "aws-lambda", "azure"
    topology: str  # "mono" or "pipeline"

    async def post(self, path: str, headers: Mapping[str, str], body: bytes) -> HttpResult:
        """POST a webhook (e.g. /slack/events) to the target's HTTP entrypoint."""
        ...

    async def settle(self, timeout: float = 10.0) -> None:
        """Return once every event the last posts caused has been handled (or time is up)."""
        ...

    def failed_deliveries(self) -> list[str]:
        """Every delivery so far that the target's bus would retry or dead-letter, one line each."""
        ...

    def invoked(self) -> list[str]:
        """Every invocation of a deployed function since `reset_invocations()`: `role <- trigger` each."""
        ...

    def reset_invocations(self) -> None:
        """Start counting invocations afresh."""
        ...


class CountsInvocations:
    """TargetDriver's `invoked` and `reset_invocations`, over the driver's `invocation_log`."""

    invocation_log: InvocationLog

    def invoked(self) -> list[str]:
        return self.invocation_log.entries()

    def reset_invocations(self) -> None:
        self.invocation_log.reset()
