"""bench/load.py at 300 messages: two `botless serve` processes sharing one store (SQLite, Redis).

Counts only, never time: every message answered exactly once, whatever the interleaving
of originals, Slack retries (some at once with the original, to the other server) and
`message` + `app_mention` twins; and no 5xx.
"""

from __future__ import annotations

import shutil

import pytest

from bench.load import run_load

pytestmark = pytest.mark.slow


@pytest.mark.parametrize("store", ["sqlite", "redis"])
def test_300_messages_with_retries_and_twins_get_one_reply_each_across_two_servers(store: str) -> None:
    if store == "redis" and not shutil.which("redis-server"):
        pytest.skip("redis-server is not installed (bash .ci/install installs it)")
    result = run_load(messages=300, clients=50, retries=0.2, twins=0.05, store=store)
    assert result.server_errors == 0, f"5xx or no answer: {dict(result.statuses)}"
    assert result.replies[0] == 0, f"{result.replies[0]} of 300 messages got no reply"
    assert result.replies[2] == 0, f"{result.replies[2]} of 300 messages got two or more replies"
    assert result.replies[1] == 300


def test_a_burst_past_slacks_rate_limit_is_slowed_down_never_dropped_or_doubled() -> None:
    # One post per second per channel at the stand-in: 40 messages queue four deep on ten channels.
    result = run_load(messages=40, clients=20, retries=0.2, twins=0.05, store="sqlite", rate_limit=True)
    assert result.refused > 0, "the stand-in never answered 429: the burst did not reach the limit"
    assert result.server_errors == 0, f"5xx or no answer: {dict(result.statuses)}"
    assert result.replies[0] == 0, f"{result.replies[0]} of 40 messages got no reply"
    assert result.replies[2] == 0, f"{result.replies[2]} of 40 messages got two or more replies"
