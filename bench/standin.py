"""The stand-in Slack Web API on 127.0.0.1: bolt's `auth.test`, and `chat.postMessage` for the reply-posted scenario.

A fast slash command needs no outbound call; bolt-python still asks `auth.test` once to
learn its bot's ids, so every contestant gets this one URL as SLACK_API_URL. An Events API
mention is answered with a `chat.postMessage`: the stand-in answers it in Slack's documented
shape and counts the posts, so the bench can hold each contestant to one post per event.
"""

from __future__ import annotations

import threading
from urllib.parse import parse_qs

from tooling.loopback import Answer, LoopbackServer, Request

AUTH_TEST = {"ok": True, "url": "https://bench.slack.com/", "team": "bench", "user": "bench-bot", "team_id": "T111",
             "user_id": "U111", "bot_id": "B111", "is_enterprise_install": False}


def _arguments(request: Request) -> dict[str, str]:
    """A Web API call's arguments: slack_sdk posts JSON for chat.postMessage; a form is accepted too."""
    if request.headers.get("content-type", "").startswith("application/json"):
        value = request.json
        return {str(k): str(v) for k, v in value.items()} if isinstance(value, dict) else {}
    return {k: v[0] for k, v in parse_qs(request.body.decode(errors="replace")).items()}


class SlackStandIn:
    """The server (a context manager): `url` is the base to pass on, `texts` the text of each post so far."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.texts: list[str] = []
        self._server = LoopbackServer(self._answer)
        self.url = self._server.url

    def _answer(self, request: Request) -> Answer:
        if not request.path.endswith("/chat.postMessage"):
            return Answer.json(AUTH_TEST)
        arguments = _arguments(request)
        channel, text = arguments.get("channel", ""), arguments.get("text", "")
        if not channel or not text:
            return Answer.json({"ok": False, "error": "channel_not_found" if not channel else "no_text"})
        with self._lock:
            self.texts.append(text)
            ts = f"1796299200.{len(self.texts):06d}"
        return Answer.json({"ok": True, "channel": channel, "ts": ts,
                            "message": {"type": "message", "subtype": "bot_message", "text": text, "ts": ts,
                                        "user": AUTH_TEST["user_id"], "bot_id": AUTH_TEST["bot_id"],
                                        **({"thread_ts": arguments["thread_ts"]} if "thread_ts" in arguments
                                           else {})}})

    @property
    def posts(self) -> int:
        """How many chat.postMessage calls were answered `ok`."""
        return len(self.texts)

    def __enter__(self) -> SlackStandIn:
        self._server.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.stop()


def slack_api() -> SlackStandIn:
    """The stand-in, not yet started (use it with `with`)."""
    return SlackStandIn()


__all__ = ["AUTH_TEST", "SlackStandIn", "slack_api"]
