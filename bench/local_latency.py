"""Per-message latency of the embedded bot, mono vs pipeline, and the import cost of `core`.

Run: python bench/local_latency.py [--messages 2000]. Prints figures; asserts nothing.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

MIX = ["/uptime", "/define crd", "/flip hello", "/hash md5 hello", "/echo hi", "/uptme", "good morning"]


def import_ms(module: str, runs: int = 5) -> float:
    """Median wall time of a fresh interpreter importing `module`, minus a bare interpreter."""
    def run(code: str) -> float:
        started = time.perf_counter()
        subprocess.run([sys.executable, "-c", code], check=True)
        return (time.perf_counter() - started) * 1000

    bare = statistics.median(run("pass") for _ in range(runs))
    return statistics.median(run(f"import {module}") for _ in range(runs)) - bare


async def per_message(topology: str, count: int) -> list[float]:
    from core.conversation import ask
    from core.testing import BotTester

    tester = BotTester(topology=topology)
    timings = []
    for i in range(count):
        started = time.perf_counter()
        await ask(tester.bot, tester.broker, MIX[i % len(MIX)])
        timings.append((time.perf_counter() - started) * 1000)
    return timings


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--messages", type=int, default=2000)
    args = parser.parse_args()
    for module in ("core.bot", "core.testing", "providers.asgi"):
        print(f"import {module:<16} {import_ms(module):7.1f} ms (fresh process, minus bare interpreter)")
    for topology in ("mono", "pipeline"):
        timings = sorted(asyncio.run(per_message(topology, args.messages)))
        p99 = timings[int(len(timings) * 0.99) - 1]
        print(f"{topology:<9} {args.messages} messages: median {statistics.median(timings):.3f} ms, "
              f"p99 {p99:.3f} ms, max {timings[-1]:.3f} ms")


if __name__ == "__main__":
    main()
