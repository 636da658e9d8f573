"""The stand-in Slack Web API on 127.0.0.1: what a contestant's first request may call (bolt's auth.test).

A fast slash command needs no outbound call; bolt-python still asks `auth.test` once to
learn its bot's ids, so every contestant gets this one URL as SLACK_API_URL.
"""

from __future__ import annotations

from tooling.loopback import Answer, LoopbackServer, Request

AUTH_TEST = {"ok": True, "url": "https://bench.slack.com/", "team": "bench", "user": "bench-bot", "team_id": "T111",
             "user_id": "U111", "bot_id": "B111", "is_enterprise_install": False}


def _answer(request: Request) -> Answer:
    return Answer.json(AUTH_TEST)


def slack_api() -> LoopbackServer:
    """The server (a context manager); its `url` is the base to pass on."""
    return LoopbackServer(_answer)
