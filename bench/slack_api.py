"""A stand-in Slack Web API on 127.0.0.1 that counts the bot's replies (for bench/load.py).

It answers `chat.postMessage` as Slack documents it and records each reply's channel and
text. Its server is tooling/loopback.py's (standard library only), so bench/ never
imports tests/.
"""

from __future__ import annotations

import json
import threading
from collections import Counter
from typing import Any

from tooling.loopback import Answer, LoopbackServer, Request


class SlackApi:
    """The server: `url` is its base (SLACK_API_URL), `texts` counts the replies by text."""

    def __init__(self) -> None:
        self.texts: Counter[str] = Counter()
        self.other_calls = 0
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
        with self._lock:
            self.texts[str(request.get("text", ""))] += 1
        return json.dumps({"ok": True, "channel": request.get("channel"), "ts": "1700000000.000200",
                           "message": {"type": "message", "text": request.get("text"), "bot_id": "BBENCH"}}).encode()

    def _answer(self, request: Request) -> Answer:
        return Answer(200, self.record(request.path, request.body), "application/json; charset=utf-8")


def _form_or_json(body: bytes) -> dict[str, Any]:
    # slack_sdk posts JSON for chat.postMessage; a form is accepted too.
    try:
        value = json.loads(body)
        return value if isinstance(value, dict) else {}
    except ValueError:
        from urllib.parse import parse_qsl

        return dict(parse_qsl(body.decode("utf-8", "replace")))
