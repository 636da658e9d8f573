"""bench/report.py's verdicts on issue 11's goals, from made-up figures (no process is timed)."""

from __future__ import annotations

from bench.http_load import Served
from bench.report import goals
from bench.rounds import Figures


def figures(cold: float, warm: float, rss: float) -> Figures:
    made = Figures(warm_us=[warm] * 10, peak_rss_mib=rss)
    for mode in ("import", "import-exit", "first"):
        made.cold[mode].append(cold)
    return made


def test_a_goal_is_met_only_within_its_bound_and_unmeasured_ones_say_so() -> None:
    lines = goals({"botless-lambda": figures(cold=20, warm=70, rss=31), "bolt-lambda": figures(100, 100, 40)},
                  {"botless-knative": Served([1400.0], [5.0]), "functions-framework": Served([1000.0], [9.0])})
    verdicts = {line.split(":")[0][2:]: line for line in lines}
    assert verdicts["warm p50 ≤ 0.75× bolt (Lambda)"].endswith("0.70× — **met**")
    assert verdicts["Lambda mono cold import ≤ 0.25× bolt, as shipped"].endswith("0.20× — **met**")
    assert verdicts["import + first answer ≤ 0.5× bolt (Lambda)"].endswith("**met**")
    assert verdicts["peak RSS ≤ 30 MiB (Lambda mono)"].endswith("31.0 MiB — **not met**")
    assert verdicts["Knative HTTP ≥ 1.3× functions-framework req/s"].endswith("1.40× — **met**")
    gcf = verdicts["GCF mono cold import ≤ 1.0× a bare functions-framework function"]
    assert gcf.endswith("not measured in this run")
    assert not any(line.startswith("- Knative p99") for line in lines)  # no Starlette service served
