"""A stand-in Slack Web API on 127.0.0.1 that counts the bot's replies (for bench/load.py).

It answers `chat.postMessage` as Slack documents it and records each reply's channel and
text. With `per_channel_interval`, it enforces Slack's limit of about one message per second
per channel the way Slack answers past it: 429 with `Retry-After` (whole seconds) and
`{"ok": false, "error": "ratelimited"}`. Its server is tooling/loopback.py's (standard library only), so bench/ never
imports tests/.
"""

from __future__ import annotations

import json
import math
import threading
import time
from collections import Counter
from typing import Any

from tooling.loopback import Answer, LoopbackServer, Request


class SlackApi:
    """The server: `url` is its base (SLACK_API_URL), `texts` counts the replies by text."""

    def __init__(self, per_channel_interval: float = 0.0) -> None:
        self.texts: Counter[str] = Counter()
        self.other_calls = 0
        self.per_channel_interval = per_channel_interval
        self.refused = 0  # 429s answered
        self.first_accepted: dict[str, float] = {}  # text -> monotonic time of its first accepted post
        self._last_post: dict[str, float] = {}  # channel -> monotonic time of its last accepted post
        self._lock = threading.Lock()
        self._server = LoopbackServer(self._answer)
        self.url = self._server.url

    def __enter__(self) -> SlackApi:
        self._server.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.stop()

    @property
    def replies(self) -> int:
        with self._lock:
            return sum(self.texts.values())

    def record(self, path: str, body: bytes) -> bytes:
        """Count one call; the answer Slack would give."""
        if not path.endswith("/chat.postMessage"):
            with self._lock:
                self.other_calls += 1
            return json.dumps({"ok": False, "error": "unknown_method"}).encode()
        request = _form_or_json(body)
        text, channel, now = str(request.get("text", "")), str(request.get("channel", "")), time.monotonic()
        with self._lock:
            wait = self._last_post.get(channel, -math.inf) + self.per_channel_interval - now
            if self.per_channel_interval and wait > 0:
                self.refused += 1
                raise RateLimitedCall(max(1, math.ceil(wait)))
            self._last_post[channel] = now
            self.texts[text] += 1
            self.first_accepted.setdefault(text, now)
        return json.dumps({"ok": True, "channel": request.get("channel"), "ts": "1700000000.000200",
                           "message": {"type": "message", "text": request.get("text"), "bot_id": "BBENCH"}}).encode()

    def _answer(self, request: Request) -> Answer:
        try:
            return Answer(200, self.record(request.path, request.body), "application/json; charset=utf-8")
        except RateLimitedCall as limited:
            return Answer.json({"ok": False, "error": "ratelimited"}, 429,
                               headers=(("Retry-After", str(limited.seconds)),))


class RateLimitedCall(Exception):
    """A post past the channel's limit: answered 429 with Retry-After `seconds`."""

    def __init__(self, seconds: int) -> None:
        super().__init__(f"retry after {seconds} s")
        self.seconds = seconds


def _form_or_json(body: bytes) -> dict[str, Any]:
    # slack_sdk posts JSON for chat.postMessage; a form is accepted too.
    try:
        value = json.loads(body)
        return value if isinstance(value, dict) else {}
    except ValueError:
        from urllib.parse import parse_qsl

        return dict(parse_qsl(body.decode("utf-8", "replace")))
