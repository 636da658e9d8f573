"""bench/report.py's verdicts on issue 11's goals and its tables, from made-up figures (no process is timed)."""

from __future__ import annotations

from pathlib import Path

from bench.contestants import Contestant
from bench.http_load import Served
from bench.posted import Posted
from bench.report import COLUMNS, goals, posts_table, table
from bench.rounds import Figures


def figures(cold: float, warm: float, rss: float, posted: list[float] | None = None) -> Figures:
    made = Figures(warm_us=[warm] * 10, peak_rss_mib=rss,
                   replies=Posted(posted, posts_seen=len(posted), posts_expected=len(posted)) if posted else None)
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


def lambda_contestant(name: str) -> Contestant:
    return Contestant(name, "lambda", Path("/nowhere"), ("-I", "-S"), [], "", "")


def test_the_table_shows_reply_posted_p50_and_p99_beside_the_warm_ones_with_their_ratio_to_bolt() -> None:
    found = {"botless-lambda": figures(20, 70, 31, posted=[100.0] * 50 + [300.0] * 49 + [900.0]),
             "bolt-lambda": figures(100, 100, 40, posted=[200.0] * 99 + [1800.0]),
             "mangum-starlette": figures(50, 60, 30)}  # posts nothing: no reply-posted figure
    headings = [heading for heading, _, _ in COLUMNS]
    assert headings.index("reply posted p50 µs") == headings.index("warm p99 µs") + 1
    assert headings.index("reply posted p99 µs") == headings.index("reply posted p50 µs") + 1
    lines = table([lambda_contestant(name) for name in found], found).splitlines()
    assert [cell.strip() for cell in lines[0].strip("|").split("|")][1:] == headings
    rows = {line.split("|")[1].strip(): [cell.strip() for cell in line.strip("|").split("|")][1:]
            for line in lines[2:]}
    p50, p99 = headings.index("reply posted p50 µs"), headings.index("reply posted p99 µs")
    assert rows["botless-lambda"][p50] == "300.0 (1.50×)" and rows["botless-lambda"][p99] == "900.0 (0.50×)"
    assert rows["bolt-lambda"][p50] == "200.0" and rows["bolt-lambda"][p99] == "1,800.0"
    assert rows["mangum-starlette"][p50] == rows["mangum-starlette"][p99] == "—"


def test_the_posts_table_counts_a_missing_post_or_a_refusal_as_a_failed_answer_once() -> None:
    found = {"botless-lambda": Figures(replies=Posted([1.0] * 10, non_200=0, posts_seen=9, posts_expected=11)),
             "bolt-lambda": Figures(replies=Posted([1.0] * 10, non_200=2, posts_seen=9, posts_expected=11)),
             "floor": Figures(replies=Posted([1.0] * 10, posts_seen=11, posts_expected=11)),
             "starlette": Figures()}
    lines = posts_table(found).splitlines()
    assert lines[0] == "| reply posted | events | posts seen | failed answers |"
    assert lines[2:] == ["| botless-lambda | 11 | 9 | 2 |", "| bolt-lambda | 11 | 9 | 2 |", "| floor | 11 | 11 | 0 |"]
    assert posts_table({"starlette": Figures()}) == ""  # nobody posted: no table


def test_the_two_lambda_goals_against_bolt_show_mangum_alone_as_the_floor_under_the_mandated_adapter() -> None:
    found = {"botless-lambda": figures(cold=40, warm=200, rss=25), "bolt-lambda": figures(200, 100, 40),
             "mangum-bare": figures(cold=44, warm=26, rss=20)}
    verdicts = {line.split(":")[0][2:]: line for line in goals(found, {})}
    floor = " — mangum alone, with no bot (the floor under the adapter the design mandates): "
    assert verdicts["warm p50 ≤ 0.75× bolt (Lambda)"] == (
        "- warm p50 ≤ 0.75× bolt (Lambda): 2.00× — **not met**" + floor + "0.26×")
    assert verdicts["Lambda mono cold import ≤ 0.25× bolt, as shipped"] == (
        "- Lambda mono cold import ≤ 0.25× bolt, as shipped: 0.20× — **met**" + floor + "0.22×")
    # The other goals are not measured against bolt's Lambda adapter on import and warm p50: no floor beside them.
    assert sum("mangum alone" in line for line in verdicts.values()) == 2
    # Without bolt-python in the run there is nothing to take the floor's ratio to; without mangum-bare, no floor.
    for missing in ("bolt-lambda", "mangum-bare"):
        lines = goals({name: f for name, f in found.items() if name != missing}, {})
        assert not any("mangum alone" in line for line in lines), missing


def test_mangum_bare_rows_are_taken_against_bolt_lambda() -> None:
    found = {"bolt-lambda": figures(200, 100, 40), "mangum-bare": figures(44, 26, 20)}
    [_, _, _, row] = table([lambda_contestant(name) for name in found], found).splitlines()
    assert row.startswith("| mangum-bare | 44.0 (0.22×) | 44.0 (0.22×) | 44.0 (0.22×) | 26.0 (0.26×) |")


def test_the_gcf_goal_shows_botless_against_a_bare_aio_function_beside_the_flask_one() -> None:
    found = {"botless-gcf": figures(cold=110, warm=50, rss=40), "functions-framework": figures(100, 60, 32),
             "functions-framework-aio": figures(cold=125, warm=34, rss=35)}
    label = "GCF mono cold import ≤ 1.0× a bare functions-framework function"
    [line] = [line for line in goals(found, {}) if line.startswith(f"- {label}:")]
    # The verdict stays the (against the Flask-mode function); the aio floor's ratio is written beside it.
    assert line == f"- {label}: 1.10× — **not met** — to a bare functions-framework `aio` function: 0.88×"
    assert sum("`aio` function" in line for line in goals(found, {})) == 1
    # Botless or the aio peer missing: no ratio to the aio floor; the goal line is as before.
    for missing in ("botless-gcf", "functions-framework-aio"):
        lines = goals({name: f for name, f in found.items() if name != missing}, {})
        assert not any("`aio` function" in line for line in lines), missing
    [alone] = [line for line in goals({n: found[n] for n in ("botless-gcf", "functions-framework")}, {})
               if line.startswith(f"- {label}:")]
    assert alone == f"- {label}: 1.10× — **not met**"
