"""One measurement in a fresh process: import an entrypoint, invoke one role many times.

`python -m tooling.costing.worker '{"entrypoint": "aws-lambda", "role": "mono", "invocations": 200}'`
prints one JSON line: import ms, first-invocation ms, every warm duration, peak RSS, and what
the invocations caused (dedupe store calls, deferrals, log lines: tooling/costing/counting.py).
The environment (secrets, bus endpoints on loopback) comes from the parent.
"""

from __future__ import annotations

import importlib
import json
import resource
import sys
import time
from collections.abc import Callable
from typing import Any

# Nothing from core is imported before the clock starts: the entrypoint's import pays for it.
from tooling.targets import target_named

NO_SECRETS = {"calls_per_cold_start": 0.0, "secure_strings_per_cold_start": 0.0, "references": 0.0}


def measure(entrypoint: str, role: str, invocations: int, count: bool = False) -> dict[str, Any]:
    """Import the entrypoint (timed), then time its first and each warm invocation.

    With `count`, the secret reads of its init are counted too (the invoker's
    count_secret_reads, set up before the import: its import time is then not a cold one).
    """
    secrets_read: Callable[[], dict[str, float]] = lambda: NO_SECRETS  # noqa: E731
    if count:
        counter = getattr(importlib.import_module(target_named(entrypoint).invoker), "count_secret_reads", None)
        secrets_read = counter() if counter is not None else secrets_read
    started = time.perf_counter()
    invoker = importlib.import_module(target_named(entrypoint).invoker)
    call: Callable[[Any], None] = invoker.load(role)  # imports the real entrypoint module
    import_ms = (time.perf_counter() - started) * 1000

    from tooling.costing.counting import counting_log_lines, instrument
    from tooling.costing.samples import inputs_for

    tally = instrument()  # before the samples are made: making them builds a bot of its own
    samples = inputs_for(role, max(invocations, 1) + 1)
    durations: list[float] = []
    with counting_log_lines(tally):  # after the samples: making them runs roles, which log too
        for sample in samples:
            begun = time.perf_counter()
            call(sample)
            durations.append((time.perf_counter() - begun) * 1000)
    first_ms, warm = durations[0], durations[1:]
    peak_kib = peak_rss_kib()
    return {"entrypoint": entrypoint, "role": role, "import_ms": import_ms, "first_ms": first_ms,
            "warm_ms": warm, "peak_rss_mb": peak_kib / 1024, "published_bytes": published_bytes(role),
            "counted": tally.to_dict(), "counted_invocations": len(samples), "secrets": secrets_read()}


def peak_rss_kib() -> int:
    """This process's peak resident memory (Linux VmHWM; what Lambda reports as max memory used).

    Not getrusage's ru_maxrss: Linux carries it across fork and exec, so a child would
    report its parent's peak when that was higher.
    """
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def published_bytes(role: str) -> float:
    """Mean size of the structured JSON of one event `role` publishes (for bus pricing)."""
    from core.role_table import BUS_ROLES, PIPELINE_ROLES

    # What a pipeline role publishes is what the next role in the flow consumes.
    following = dict(zip(PIPELINE_ROLES, BUS_ROLES, strict=False)).get(role)
    if following is None:
        return 0.0
    from cloudevents.http import CloudEvent

    from core.wire import event_to_json
    from tooling.costing.samples import inputs_for

    events = [event for event in inputs_for(following, 10) if isinstance(event, CloudEvent)]
    return sum(len(event_to_json(event).encode()) for event in events) / len(events)


def main(argv: list[str]) -> int:
    spec = json.loads(argv[0])
    result = measure(spec["entrypoint"], spec["role"], int(spec.get("invocations", 100)), bool(spec.get("count")))
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
