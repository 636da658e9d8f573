"""What every bare peer must do on the shared fixture, run in fresh interpreters as the bench runs it."""

from __future__ import annotations

from pathlib import Path

import pytest

from bench import child, contestants
from bench.fixture import slash_command


def built(work: Path, name: str) -> contestants.Contestant:
    """The contestant `name`, prepared under `work` (no platform API behind it)."""
    [made] = contestants.prepare([name], work, "http://127.0.0.1:9")
    return made


def answers_signed_and_refuses_forged(made: contestants.Contestant, work: Path, answer_check: str) -> None:
    """Five warm events answered 200 with a text; the first answer passes `answer_check`
    (Python run after the contestant's call, `said` its body); a forged signature answered 401."""
    headers, body = slash_command()
    signed = child.code(made.path, made.load, made.call, "warm", headers, body, events=5)
    report = child.report(child.run(made.flags, signed, made.env, str(work))[1])
    assert report["non_200"] == 0 and len(report["times_us"]) == 5
    # The child checks only for a "text": this call also asserts the answer itself.
    checked = "import json\n" + made.call + "\nstatus, said = answer(HEADERS, BODY, EVENT)\n" + answer_check
    child.run(made.flags, child.code(made.path, made.load, checked, "first", headers, body), made.env, str(work))
    forged = {**headers, "x-slack-signature": "v0=" + "0" * 64}
    with pytest.raises(RuntimeError, match="answered 401"):
        child.run(made.flags, child.code(made.path, made.load, made.call, "first", forged, body), made.env,
                  str(work))
