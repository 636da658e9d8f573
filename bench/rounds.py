"""The interleaved run: each round visits every contestant in turn, so the machine's noise hits all alike.

Per round: `python -c pass` with each contestant's flags (the baseline), then, per
contestant, a cold import with teardown, one without (os._exit), and import + first
answer, each in a fresh process. Then the warm rounds: per contestant a process that
answers `events` times; the samples of all warm rounds are pooled. The fixture is signed
afresh each round (Slack's five-minute window).
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from bench import child
from bench.contestants import Contestant
from bench.fixture import slash_command
from bench.shipped import size_mib

COLD_MODES = ("import", "import-exit", "first")


@dataclass
class Figures:
    """What was measured of one contestant (ms above the baseline; µs per event)."""

    cold: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    warm_us: list[float] = field(default_factory=list)
    peak_rss_mib: float = 0.0
    non_200: int = 0
    size_mib: float = 0.0

    def cold_ms(self, mode: str) -> float:
        return statistics.median(self.cold[mode]) if self.cold[mode] else float("nan")

    def warm(self, share: float) -> float:
        ordered = sorted(self.warm_us)
        return ordered[min(len(ordered) - 1, int(len(ordered) * share))] if ordered else float("nan")


def run(contestants: Sequence[Contestant], rounds: int, warm_rounds: int, events: int, work: str,
        progress: Callable[[str], None] = print) -> dict[str, Figures]:
    figures = {c.name: Figures(size_mib=size_mib(c.folder)) for c in contestants}
    flag_sets = sorted({c.flags for c in contestants})
    for number in range(1, rounds + 1):
        headers, body = slash_command()
        baseline = {flags: child.run(flags, "pass", {"PATH": "/usr/bin:/bin"}, work)[0] for flags in flag_sets}
        for contestant in contestants:
            for mode in COLD_MODES:
                code = child.code(contestant.path, contestant.load, contestant.call, mode, headers, body)
                wall, _ = _run(contestant, code, work)
                figures[contestant.name].cold[mode].append(wall - baseline[contestant.flags])
        progress(f"cold round {number}/{rounds}")
    for number in range(1, warm_rounds + 1):
        headers, body = slash_command()
        for contestant in contestants:
            code = child.code(contestant.path, contestant.load, contestant.call, "warm", headers, body, events)
            report = child.report(_run(contestant, code, work)[1])
            found = figures[contestant.name]
            found.warm_us.extend(report["times_us"])
            found.peak_rss_mib = max(found.peak_rss_mib, report["peak_rss_mib"])
            found.non_200 += report["non_200"]
        progress(f"warm round {number}/{warm_rounds}")
    return figures


def _run(contestant: Contestant, code: str, work: str) -> tuple[float, str]:
    try:
        return child.run(contestant.flags, code, contestant.env, work)
    except RuntimeError as error:
        raise RuntimeError(f"{contestant.name}: {error}") from None
