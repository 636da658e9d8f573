"""The table `python -m bench` prints and BENCHMARKS.md: figures, ratios to bolt-python, the goals, the machine."""

from __future__ import annotations

import math
import os
import platform
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from bench.contestants import BOLT, Contestant
from bench.http_load import Served, median
from bench.rounds import Figures

# (heading, value of a contestant's figures, digits)
COLUMNS: list[tuple[str, Callable[[Figures], float], int]] = [
    ("cold import ms", lambda f: f.cold_ms("import"), 1),
    ("cold import, os._exit ms", lambda f: f.cold_ms("import-exit"), 1),
    ("import + first answer ms", lambda f: f.cold_ms("first"), 1),
    ("warm p50 µs", lambda f: f.warm(0.5), 1),
    ("warm p99 µs", lambda f: f.warm(0.99), 1),
    ("reply posted p50 µs", lambda f: f.posted_us(0.5), 1),
    ("reply posted p99 µs", lambda f: f.posted_us(0.99), 1),
    ("peak RSS MiB", lambda f: f.peak_rss_mib, 1),
    ("artifact MiB", lambda f: f.size_mib, 2),
]


@dataclass
class Machine:
    cpus: int
    python: str
    load: tuple[float, float, float]
    when: str

    @classmethod
    def now(cls) -> Machine:
        return cls(os.cpu_count() or 0, f"{platform.python_implementation()} {sys.version.split()[0]}",
                   os.getloadavg(), time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()))

    def line(self) -> str:
        return (f"{self.cpus} CPUs, {self.python} on {platform.system()} {platform.machine()}, "
                f"load average at start {self.load[0]:.2f} / {self.load[1]:.2f} / {self.load[2]:.2f}, {self.when}")


def reference(contestant: Contestant, names: Sequence[str]) -> str | None:
    """The bolt-python contestant a figure is compared with: the same platform's adapter, else Lambda's."""
    name = BOLT.get(contestant.family, "bolt-lambda")
    return name if name in names and name != contestant.name else None


def _cell(value: float, base: float | None, digits: int) -> str:
    if math.isnan(value):
        return "—"
    text = f"{value:,.{digits}f}"
    # A ratio to a near-zero base (a peer's one-file folder) says nothing.
    return text if base is None or math.isnan(base) or base < 0.05 else f"{text} ({value / base:.2f}×)"


def table(contestants: Sequence[Contestant], figures: dict[str, Figures]) -> str:
    names = [c.name for c in contestants]
    rows = ["| contestant | " + " | ".join(h for h, _, _ in COLUMNS) + " |",
            "|---|" + "---:|" * len(COLUMNS)]
    for contestant in contestants:
        ref = reference(contestant, names)
        cells = [_cell(value(figures[contestant.name]), value(figures[ref]) if ref else None, digits)
                 for _, value, digits in COLUMNS]
        rows.append(f"| {contestant.name} | " + " | ".join(cells) + " |")
    return "\n".join(rows)


def posts_table(figures: dict[str, Figures]) -> str:
    """The reply-posted scenario's count: mentions sent, posts the stand-in saw, failed answers ("" if none posted)."""
    rows = ["| reply posted | events | posts seen | failed answers |", "|---|---:|---:|---:|"]
    for name, found in figures.items():
        if found.replies is not None:
            replies = found.replies
            rows.append(f"| {name} | {replies.posts_expected:,} | {replies.posts_seen:,} | "
                        f"{replies.failed:,} |")
    return "\n".join(rows) if len(rows) > 2 else ""


def http_table(loader: str, served: dict[str, Served]) -> str:
    ff = median(served["functions-framework"].requests_per_s) if "functions-framework" in served else None
    rows = [f"| served app ({loader}) | req/s | p99 ms | failed answers |", "|---|---:|---:|---:|"]
    for name, found in served.items():
        rate = median(found.requests_per_s)
        ratio = f" ({rate / ff:.2f}× functions-framework)" if ff and name != "functions-framework" else ""
        rows.append(f"| {name} | {rate:,.0f}{ratio} | {median(found.p99_ms):.1f} | {found.failed} |")
    return "\n".join(rows)


def goals(figures: dict[str, Figures], served: dict[str, Served]) -> list[str]:
    """Issue 11's goals, each met / not met, or not measured in this run.

    Beside the Lambda warm p50 and cold import goals, mangum-bare's ratio to bolt in the same
    run when both were measured: the floor the design's mandated adapter sets before any bot code.
    Beside the GCF goal, Botless's ratio to a bare `aio` function, when both were measured: the
    fair floor for an async function, whose mode imports Starlette on top of Flask.
    """
    def ratio(name: str, ref: str, value: Callable[[Figures], float]) -> float | None:
        if name not in figures or ref not in figures:
            return None
        return value(figures[name]) / value(figures[ref])

    def warm_p50(found: Figures) -> float:
        return found.warm(0.5)

    def cold_import(found: Figures) -> float:
        return found.cold_ms("import")

    lines = []
    # (label, Botless's ratio, its bound, what is written beside it: a floor's ratio, or "")
    for label, got, bound, beside in [
        ("warm p50 ≤ 0.75× bolt (Lambda)", ratio("botless-lambda", "bolt-lambda", warm_p50), 0.75,
         _floor(MANGUM_FLOOR, ratio("mangum-bare", "bolt-lambda", warm_p50))),
        ("Lambda mono cold import ≤ 0.25× bolt, as shipped", ratio("botless-lambda", "bolt-lambda", cold_import),
         0.25, _floor(MANGUM_FLOOR, ratio("mangum-bare", "bolt-lambda", cold_import))),
        ("import + first answer ≤ 0.5× bolt (Lambda)",
         ratio("botless-lambda", "bolt-lambda", lambda f: f.cold_ms("first")), 0.5, ""),
        ("GCF mono cold import ≤ 1.0× a bare functions-framework function",
         ratio("botless-gcf", "functions-framework", cold_import), 1.0,
         _floor(AIO_FLOOR, ratio("botless-gcf", "functions-framework-aio", cold_import))),
        ("Azure mono cold import ≤ 1.0× a bare v2 function",
         ratio("botless-azure", "azure-v2", cold_import), 1.0, ""),
    ]:
        line = _goal(label, got, f"{got:.2f}×" if got is not None else "", got is not None and got <= bound)
        lines.append(line + beside)
    rss = figures["botless-lambda"].peak_rss_mib if "botless-lambda" in figures else None
    lines.append(_goal("peak RSS ≤ 30 MiB (Lambda mono)", rss, f"{rss:.1f} MiB" if rss else "",
                       rss is not None and rss <= 30))
    if "botless-knative" in served and "functions-framework" in served:
        got = median(served["botless-knative"].requests_per_s) / median(served["functions-framework"].requests_per_s)
        lines.append(_goal("Knative HTTP ≥ 1.3× functions-framework req/s", got, f"{got:.2f}×", got >= 1.3))
    if "botless-knative" in served and "starlette" in served:
        mine, theirs = median(served["botless-knative"].p99_ms), median(served["starlette"].p99_ms)
        lines.append(_goal("Knative p99 ≤ the plain Starlette service's", mine,
                           f"{mine:.1f} vs {theirs:.1f} ms", mine <= theirs))
    return lines


# mangum alone beside a Lambda goal (its ratio to bolt): DESIGN.md mandates it, so no bot code can remove this part.
MANGUM_FLOOR = "mangum alone, with no bot (the floor under the adapter the design mandates)"
# Botless's ratio to a bare `aio` function beside the GCF goal: the mode's own imports are no bot's.
AIO_FLOOR = "to a bare functions-framework `aio` function"


def _floor(words: str, ratio: float | None) -> str:
    """A floor's ratio beside a goal ("" when one of its two contestants was not measured)."""
    return f" — {words}: {ratio:.2f}×" if ratio is not None else ""


def _goal(label: str, got: float | None, shown: str, met: bool) -> str:
    if got is None:
        return f"- {label}: not measured in this run"
    return f"- {label}: {shown} — **{'met' if met else 'not met'}**"
