"""Botless against the peers a user would pick instead, in one interleaved run: `python -m bench`.

Peers come from the `bench` extra: pip install -e '.[bench]'. Prints the table and writes
BENCHMARKS.md at the repository root (--out elsewhere). Measures this machine; asserts
nothing about time. The method is in the file it writes.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench import contestants as roster  # noqa: E402
from bench import http_load, report, rounds, standin  # noqa: E402
from bench.document import document  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=15, help="cold-start rounds (default 15)")
    parser.add_argument("--events", type=int, default=2000, help="warm events per process (default 2000)")
    parser.add_argument("--quick", action="store_true", help="a smoke run: 2 cold rounds, 1 warm, 200 events")
    parser.add_argument("--only", action="append", choices=roster.NAMES, metavar="NAME",
                        help=f"repeatable; one of {', '.join(roster.NAMES)} (default: all)")
    parser.add_argument("--out", type=Path, default=ROOT / "BENCHMARKS.md", help="where the report goes")
    args = parser.parse_args(argv)
    cold_rounds, warm_rounds, events, seconds = (2, 1, 200, 1.0) if args.quick else (args.rounds, 3, args.events, 5.0)
    machine = report.Machine.now()
    print(machine.line(), flush=True)
    with tempfile.TemporaryDirectory(prefix="botless-bench-") as work, standin.slack_api() as api:
        chosen = roster.prepare(args.only or roster.NAMES, Path(work), api.url)
        print("built: " + ", ".join(c.name for c in chosen), flush=True)
        figures = rounds.run(chosen, cold_rounds, warm_rounds, events, work, api,
                             progress=lambda line: print(line, file=sys.stderr, flush=True))
        knative = [c for c in chosen if c.family == "knative"]
        loader, served = (http_load.measure(knative, Path(work), 1 if args.quick else 3, seconds)
                          if knative else ("", {}))
    table = report.table(chosen, figures)
    posts = report.posts_table(figures)
    http = report.http_table(loader, served) if served else ""
    goals = report.goals(figures, served)
    print(*(part for part in (table, posts, http) if part), "\n".join(goals), sep="\n\n")
    options = dict(rounds=cold_rounds, warm_rounds=warm_rounds, events=events, quick=args.quick)
    args.out.write_text(document(machine, table, posts, http, goals, figures, **options))
    print(f"\nwrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
