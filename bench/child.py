"""One fresh interpreter per measurement: it loads a contestant the way its platform does, then maybe answers.

Modes: `import` (load, exit normally: the interpreter's teardown counted), `import-exit`
(load, then os._exit: no teardown), `first` (load and answer the fixture once, report
both times), `warm` (then answer `events` more, each with its own trigger_id and signature;
per-event µs and peak RSS).
The parent times the whole process for the import modes and subtracts `python -c pass`
run with the same flags. The first answer must be a 200 whose body carries a `text`;
warm counts any other answer. EVENT is the fixture as a Function URL event's JSON (the
Lambda contestants').
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
import time
from collections.abc import Mapping, Sequence
from typing import Any

from bench.fixture import RESIGN, function_url_event

TEMPLATE = '''
import os, sys, time
_t0 = time.perf_counter()
sys.path[:0] = {path!r}
{load}
_t1 = time.perf_counter()
if {mode!r} == "import-exit":
    os._exit(0)
if {mode!r} == "import":
    raise SystemExit(0)
HEADERS, BODY, EVENT = {headers!r}, {body!r}, {event!r}
{call}
import json
status, said = answer(HEADERS, BODY, EVENT)
_t2 = time.perf_counter()
if status != 200 or b'"text"' not in said:
    print("BENCH " + json.dumps({{"error": f"answered {{status}}: {{said[:300]!r}}"}}), flush=True)
    os._exit(1)
report = {{"import_ms": (_t1 - _t0) * 1000, "first_ms": (_t2 - _t0) * 1000}}
if {mode!r} == "warm":
{resign}
    def variant(number):
        # Each event its own trigger_id, signed afresh: a repeat would be a duplicate, cheaper to answer.
        return resigned(BODY.replace(b"trigger_id=", b"trigger_id=%d." % number, 1))
    clock, times, refused = time.perf_counter, [], 0
    for number in range({events}):
        event = variant(number)  # made untimed, one at a time: a list of them would swell the peak RSS
        started = clock()
        status, said = answer(*event)
        times.append((clock() - started) * 1e6)
        refused += status != 200 or b'"text"' not in said  # a duplicate's empty ack would be cheaper
    with open("/proc/self/status") as status_file:
        hwm = next(line for line in status_file if line.startswith("VmHWM:"))
    report.update(times_us=times, non_200=refused, peak_rss_mib=int(hwm.split()[1]) / 1024)
print("BENCH " + json.dumps(report), flush=True)
os._exit(0)
'''


def run(flags: Sequence[str], code: str, env: Mapping[str, str], cwd: str) -> tuple[float, str]:
    """Run `python <flags> -c code`; its wall time in ms and its last stdout line. RuntimeError if it failed."""
    started = time.perf_counter()
    done = subprocess.run([sys.executable, *flags, "-c", code], env=dict(env), cwd=cwd, capture_output=True,
                          text=True, timeout=300)
    wall = (time.perf_counter() - started) * 1000
    # The contestant's own logs may share stdout: the report is the line marked BENCH.
    lines = [line[6:] for line in done.stdout.splitlines() if line.startswith("BENCH ")]
    if done.returncode != 0:
        said = lines[-1] if lines else done.stderr.strip()[-1500:]
        raise RuntimeError(f"exit {done.returncode}: {said}")
    return wall, lines[-1] if lines else ""


def code(path: Sequence[str], load: str, call: str, mode: str, headers: Mapping[str, str], body: bytes,
         events: int = 0) -> str:
    """The child's program for one mode."""
    event = json.dumps(function_url_event(dict(headers), body))
    return TEMPLATE.format(path=list(path), load=load, call=call, mode=mode, headers=dict(headers), body=body,
                           event=event, events=events,
                           resign=textwrap.indent(RESIGN, "    "))  # inside the warm block


def report(line: str) -> dict[str, Any]:
    value: dict[str, Any] = json.loads(line)
    return value
