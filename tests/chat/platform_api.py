"""A stand-in for the Slack, Discord and Telegram APIs: a real HTTP server on 127.0.0.1.

It records every call (method, path, headers, body) and answers the way each platform
documents it: Slack's Web API `{"ok": true, ...}`, a response_url's `ok`, Discord's
webhook `204 No Content` and bulk-overwrite echo, Telegram's `{"ok": true, "result": ...}`.
"""

from __future__ import annotations

import asyncio
import json
import threading
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import unquote


@dataclass(frozen=True)
class Call:
    """One request the bot made to a platform API."""

    method: str
    path: str
    headers: dict[str, str]
    body: bytes

    @property
    def json(self) -> Any:
        return json.loads(self.body)


class PlatformApi:
    """The server; `url` is its base, `calls` what it received, `fail` programs an error."""

    def __init__(self) -> None:
        self.calls: list[Call] = []
        self._failures: dict[str, tuple[int, bytes]] = {}
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self))
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.02},
                                        daemon=True)
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"

    def start(self) -> PlatformApi:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def fail(self, path_suffix: str, status: int, payload: Any) -> None:
        """Answer calls whose path ends with `path_suffix` with `status` and JSON `payload`."""
        self._failures[path_suffix] = (status, json.dumps(payload).encode())

    async def wait_for_calls(self, count: int, timeout: float = 5.0) -> list[Call]:
        """The calls, once there are at least `count` of them (or when `timeout` is up)."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while len(self.calls) < count and loop.time() < deadline:
            await asyncio.sleep(0.01)
        return list(self.calls)

    def record(self, call: Call) -> tuple[int, bytes, str]:
        with self._lock:
            self.calls.append(call)
        for suffix, (status, body) in self._failures.items():
            if call.path.endswith(suffix):
                return status, body, "application/json"
        return _documented_answer(call)


def _documented_answer(call: Call) -> tuple[int, bytes, str]:
    path = call.path
    if path.endswith("/chat.postMessage"):
        request = call.json
        return 200, _json({"ok": True, "channel": request.get("channel"), "ts": "1700000000.000200",
                           "message": {"type": "message", "text": request.get("text"), "bot_id": "BBOTLESS"}}), \
            "application/json; charset=utf-8"
    if path.startswith("/commands/"):
        return 200, b"ok", "text/html"  # what hooks.slack.com answers a response_url call
    if path.startswith("/webhooks/"):
        return 204, b"", ""
    if path.startswith("/applications/") and call.method == "PUT":
        commands = [{**command, "id": str(1000 + index), "version": "1"} for index, command in enumerate(call.json)]
        return 200, _json(commands), "application/json"
    if path.endswith("/sendMessage"):
        request = call.json
        return 200, _json({"ok": True, "result": {"message_id": 1366, "date": 1441645600,
                                                    "chat": {"id": request.get("chat_id"), "type": "private"},
                                                    "text": request.get("text")}}), "application/json"
    if path.endswith("/setWebhook"):
        return 200, _json({"ok": True, "result": True, "description": "Webhook was set"}), "application/json"
    return 404, _json({"ok": False, "error": "unknown_method"}), "application/json"


def _json(value: Any) -> bytes:
    return json.dumps(value).encode()


def _handler(api: PlatformApi) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def _handle(self) -> None:
            length = int(self.headers.get("content-length") or 0)
            body = self.rfile.read(length) if length else b""
            call = Call(self.command, unquote(self.path), {k.lower(): v for k, v in self.headers.items()}, body)
            status, payload, content_type = api.record(call)
            self.send_response(status)
            if content_type:
                self.send_header("content-type", content_type)
            if status != 204:  # a 204 carries no body and no Content-Length
                self.send_header("content-length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        do_POST = do_PUT = do_PATCH = _handle

        def log_message(self, format: str, *args: Any) -> None:  # keep test output quiet
            pass

    return Handler
