"""A stand-in Slack Web API on 127.0.0.1 that counts the bot's replies (for bench/load.py).

It answers `chat.postMessage` as Slack documents it and records each reply's channel and
text. Standard library only, so bench/ and tests/ can both use it (bench never imports tests).
"""

from __future__ import annotations

import json
import threading
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


class SlackApi:
    """The server: `url` is its base (SLACK_API_URL), `texts` counts the replies by text."""

    def __init__(self) -> None:
        self.texts: Counter[str] = Counter()
        self.other_calls = 0
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self))
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05},
                                        daemon=True)
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"

    def __enter__(self) -> SlackApi:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

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


def _form_or_json(body: bytes) -> dict[str, Any]:
    # slack_sdk posts JSON for chat.postMessage; a form is accepted too.
    try:
        value = json.loads(body)
        return value if isinstance(value, dict) else {}
    except ValueError:
        from urllib.parse import parse_qsl

        return dict(parse_qsl(body.decode("utf-8", "replace")))


def _handler(api: SlackApi) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_POST(self) -> None:
            length = int(self.headers.get("content-length") or 0)
            payload = api.record(self.path, self.rfile.read(length) if length else b"")
            self.send_response(200)
            self.send_header("content-type", "application/json; charset=utf-8")
            self.send_header("content-length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def log_message(self, format: str, *args: Any) -> None:  # quiet: thousands of calls
            pass

    return Handler
