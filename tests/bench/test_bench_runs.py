"""`python -m bench` runs end to end on a cheap contestant: it prints the table and writes its report.

Only the structure is checked (the columns, the rows, the goals' lines, the machine):
a benchmark's times are this machine's, never a test's.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
COLUMNS = ("cold import ms", "cold import, os._exit ms", "import + first answer ms", "warm p50 µs", "warm p99 µs",
           "reply posted p50 µs", "reply posted p99 µs", "peak RSS MiB", "artifact MiB")

pytestmark = pytest.mark.slow  # fresh interpreters, in subprocesses


def test_a_quick_run_of_the_floor_prints_the_table_and_writes_the_report(tmp_path: Path) -> None:
    out = tmp_path / "BENCHMARKS.md"
    done = subprocess.run([sys.executable, "-m", "bench", "--quick", "--only", "floor", "--out", str(out)],
                          cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    header = next(line for line in done.stdout.splitlines() if line.startswith("| contestant |"))
    assert [cell.strip() for cell in header.strip("|").split("|")][1:] == list(COLUMNS)
    row = next(line for line in done.stdout.splitlines() if line.startswith("| floor |"))  # the figures' table
    cells = [cell.strip() for cell in row.strip("|").split("|")][1:]
    assert len(cells) == len(COLUMNS) and all(cell != "—" for cell in cells), row
    float(cells[0].replace(",", ""))  # a number: no bolt-python in the run, so no ratio beside it
    assert "- warm p50 ≤ 0.75× bolt (Lambda): not measured in this run" in done.stdout
    report = out.read_text()
    assert row in report and "Machine: " in report and "CPUs" in report and "load average at start" in report
    assert "python -m bench" in report and "## How it is measured" in report
    assert "## Knative HTTP" not in report  # no Knative app chosen, none served
    # The floor posts its reply to a mention with urllib: one post per event, all seen by the stand-in.
    [posts] = [line for line in done.stdout.splitlines() if line.startswith("| floor | 201 |")]
    assert posts == "| floor | 201 | 201 | 0 |" and posts in report and "## Reply posted" in report


def test_a_quick_run_of_mangum_alone_beside_bolt_writes_the_floor_beside_the_two_lambda_goals(tmp_path: Path) -> None:
    out = tmp_path / "BENCHMARKS.md"
    done = subprocess.run([sys.executable, "-m", "bench", "--quick", "--only", "mangum-bare", "--only", "bolt-lambda",
                           "--out", str(out)], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    row = next(line for line in done.stdout.splitlines() if line.startswith("| mangum-bare |"))
    cells = [cell.strip() for cell in row.strip("|").split("|")][1:]
    assert len(cells) == len(COLUMNS) and all(cell.endswith("×)") for cell in cells[:5]), row  # ratios to bolt
    assert cells[5] == cells[6] == "—"  # it posts no reply
    floor = " — mangum alone, with no bot (the floor under the adapter the design mandates): "
    report = out.read_text()
    for goal in ("warm p50 ≤ 0.75× bolt (Lambda)", "Lambda mono cold import ≤ 0.25× bolt, as shipped"):
        [line] = [line for line in done.stdout.splitlines() if line.startswith(f"- {goal}:")]
        # No Botless in this run: its goal is not measured, the adapter's floor is.
        assert line.startswith(f"- {goal}: not measured in this run{floor}") and line.endswith("×"), line
        float(line.removeprefix(f"- {goal}: not measured in this run{floor}").removesuffix("×"))
        assert line in report
    assert sum(floor in line for line in done.stdout.splitlines()) == 2
    assert "`mangum-bare` is the floor under the Lambda HTTP adapter" in report


def test_an_unknown_contestant_is_refused_with_the_names() -> None:
    done = subprocess.run([sys.executable, "-m", "bench", "--only", "nobody"], cwd=ROOT, capture_output=True,
                          text=True, timeout=60)
    assert done.returncode == 2
    assert "botless-lambda" in done.stderr and "floor" in done.stderr
