"""The log volume a message writes: the "botless" logger's lines and bytes, counted on the real
handlers (tooling/costing/counting.py), per message over the roles it invokes, not priced.
"""

from __future__ import annotations

import json
import logging
import os
import secrets
import subprocess
import sys
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path

import pytest
from cloudevents.http import CloudEvent

from core.logs import log_event
from tooling.costing.counting import Tally, counting_log_lines
from tooling.costing.estimate import estimate
from tooling.costing.figures import DEFAULT_MIX, DEFAULT_TEXTS, Caused, RoleFigures
from tooling.costing.measure import Plan, _environment, _services, measure
from tooling.costing.report import as_json, caused_table

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]


@pytest.fixture
def botless_logger() -> Iterator[logging.Logger]:
    logger = logging.getLogger("botless")
    level, handlers = logger.level, list(logger.handlers)
    yield logger
    logger.setLevel(level)
    assert logger.handlers == handlers  # the counter is gone once the measurement is done


def _event(number: int) -> CloudEvent:
    return CloudEvent({"id": f"ev-{number}", "type": "botless.chat.message", "source": "/test"}, None)


def test_each_kept_line_counts_with_its_utf8_bytes_and_newline(botless_logger: logging.Logger) -> None:
    botless_logger.setLevel(logging.INFO)
    tally = Tally()
    with counting_log_lines(tally):
        log_event(_event(1), "parse", 1.5)
        botless_logger.warning("café")  # 2 bytes for é
        botless_logger.debug("not kept")
    first = '{"id": "ev-1", "type": "botless.chat.message", "role": "parse", "ms": 1.5, "outcome": "ok"}\n'
    second = '{"level": "warning", "logger": "botless", "message": "café"}\n'
    assert (tally.log_lines, tally.log_bytes) == (2, len(first.encode()) + len(second.encode()))
    assert len(second.encode()) == len(second) + 1


def test_below_the_kept_level_nothing_counts_even_a_record_handed_in_directly(botless_logger: logging.Logger) -> None:
    botless_logger.setLevel(logging.WARNING)
    tally = Tally()
    with counting_log_lines(tally):
        log_event(_event(1), "parse", 1.0)  # an INFO line
        botless_logger.handle(botless_logger.makeRecord("botless", logging.INFO, __file__, 0, "{}", (), None))
        log_event(_event(2), "parse", 1.0, outcome="failed")  # a WARNING line
    assert tally.log_lines == 1


def _figures(caused: dict[str, Caused]) -> dict[str, RoleFigures]:
    return {role: RoleFigures("x", role, 10, 5.0, 5.0, 5.0, 100.0, 50.0, 40.0, 400.0, caused=caused[role])
            for role in caused}


def test_a_message_writes_the_lines_of_every_role_it_invokes_and_none_is_priced() -> None:
    lines = {"receive": (1, 150), "parse": (1, 160), "command": (1, 170), "respond": (1, 180), "mono": (3, 483)}
    figures = _figures({role: Caused(log_lines=n, log_bytes=size) for role, (n, size) in lines.items()})
    pipeline = estimate("aws-lambda x86_64", "pipeline", figures, DEFAULT_MIX, 1_000_000)
    # receive and parse run for every message, command and respond for their shares of the mix.
    assert pipeline.log_lines_per_message == pytest.approx(1 + DEFAULT_MIX.events_per_message())
    assert pipeline.log_bytes_per_message == pytest.approx(
        150 + 160 + DEFAULT_MIX.command_share * 170 + DEFAULT_MIX.reply_share * 180)
    mono = estimate("aws-lambda x86_64", "mono", figures, DEFAULT_MIX, 1_000_000)
    assert (mono.log_lines_per_message, mono.log_bytes_per_message) == (3, 483)
    silent = estimate("aws-lambda x86_64", "mono", _figures({"mono": Caused()}), DEFAULT_MIX, 1_000_000)
    assert silent.monthly_no_free_tier_usd == mono.monthly_no_free_tier_usd  # counted, not priced
    report = as_json({"x": figures}, [mono, pipeline], {}, mono, "2026-11-28", 1_000_000)
    assert report["estimates"][1]["log_bytes_per_message"] == pytest.approx(pipeline.log_bytes_per_message)
    assert report["measured"]["x"]["mono"]["caused"]["log_bytes"] == 483
    assert "not in the totals" in report["log_bytes_not_priced"]
    table = caused_table([mono])
    assert "log bytes / message" in [column.header for column in table.columns]
    assert "BOTLESS_LOG_LEVEL=WARNING" in str(table.caption)


def _logged_worker(role: str, invocations: int) -> dict:
    """The Lambda worker for `role`, with the test's own capture of the records its calls log."""
    with ExitStack() as stack:
        services = _services(stack, ["aws-lambda"])
        env = _environment("aws-lambda", role, services, secrets.token_hex(16), DEFAULT_TEXTS)
        env["PYTHONPATH"] = os.pathsep.join([str(HERE), str(REPO)])
        spec = json.dumps({"entrypoint": "aws-lambda", "role": role, "invocations": invocations})
        done = subprocess.run([sys.executable, "-m", "logged_worker", spec], env=env, cwd=REPO,
                              capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    result: dict = json.loads(done.stdout.strip().splitlines()[-1])
    return result


@pytest.mark.slow  # the real Lambda handlers in a fresh process, against moto
@pytest.mark.parametrize("role, lines_per_invocation", [("parse", 1.0), ("mono", DEFAULT_MIX.events_per_message())])
def test_the_worker_counts_the_lines_the_role_writes(role: str, lines_per_invocation: float) -> None:
    """parse handles one event an invocation; mono a message and, in-process, its command and reply."""
    result = _logged_worker(role, len(DEFAULT_TEXTS) - 1)  # with the cold call: one pass through the mix
    invocations = result["counted_invocations"]
    kept = [record for record in result["records"] if record["kept"]]
    assert kept and all(not record["exc_info"] for record in kept)  # a successful message: event lines only
    lines = [json.loads(record["message"]) for record in kept]
    assert {line["outcome"] for line in lines} == {"ok"}
    assert len({line["id"] for line in lines}) == len(lines)  # one line per event handled
    caused = Caused.from_counts(result["counted"], invocations, result["secrets"])
    assert caused.log_lines == pytest.approx(lines_per_invocation) == len(lines) / invocations
    shipped = sum(len((record["message"] + "\n").encode("utf-8")) for record in kept)
    assert result["counted"]["log_bytes"] == shipped


@pytest.mark.slow  # the real Lambda handler in fresh processes, against moto
def test_warning_level_writes_no_line_for_a_successful_message(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BOTLESS_LOG_LEVEL", "WARNING")
    mono = measure(["aws-lambda"], ["mono"], Plan(invocations=3, cold_runs=1))["aws-lambda"]["mono"]
    assert (mono.caused.log_lines, mono.caused.log_bytes) == (0, 0)
    assert mono.caused.claims == 1  # the messages were handled: only their lines are gone
