"""The contract every target's test driver meets, so one suite runs on all targets.

A driver starts one target's real entrypoints on this machine (in-process handlers,
functions-framework servers behind the Pub/Sub emulator, uvicorn, ...) in one topology,
with the environment it is given, and lets a test post a platform webhook to the
HTTP-facing entrypoint (receive, or mono) and wait until the pipeline is quiet.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Protocol


@dataclass(frozen=True)
class HttpResult:
    """What the HTTP-facing entrypoint answered."""

    status: int
    headers: Mapping[str, str] = field(default_factory=dict)
    body: bytes = b""


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
