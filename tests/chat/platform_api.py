"""A stand-in for the Slack, Discord and Telegram APIs: a real HTTP server on 127.0.0.1.

It records every call (method, path, headers, body) and answers the way each platform
documents it: Slack's Web API `{"ok": true, ...}`, a response_url's `ok`, Discord's
webhook `204 No Content` and bulk-overwrite echo, Telegram's `{"ok": true, "result": ...}`.
"""

from __future__ import annotations

import asyncio
import threading
from typing import Any

from tooling.loopback import Answer, LoopbackServer, Request


class PlatformApi:
    """The server; `url` is its base, `calls` what it received, `fail` programs an error."""

    def __init__(self) -> None:
        self.calls: list[Request] = []
        self._failures: dict[str, Answer] = {}
        self._failures_left: dict[str, int] = {}
        self._lock = threading.Lock()
        self._server = LoopbackServer(self.record, poll_interval=0.02)
        self.url = self._server.url

    def start(self) -> PlatformApi:
        self._server.start()
        return self

    def stop(self) -> None:
        self._server.stop()

    def fail(self, path_suffix: str, status: int, payload: Any, *, times: int | None = None,
             headers: tuple[tuple[str, str], ...] = ()) -> None:
        """Answer calls whose path ends with `path_suffix` with `status`, JSON `payload` and `headers`.

        With `times`, only the next `times` such calls fail; the later ones are answered as documented.
        """
        self._failures[path_suffix] = Answer.json(payload, status, headers=headers)
        if times is not None:
            self._failures_left[path_suffix] = times

    async def wait_for_calls(self, count: int, timeout: float = 5.0) -> list[Request]:
        """The calls, once there are at least `count` of them (or when `timeout` is up)."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while len(self.calls) < count and loop.time() < deadline:
            await asyncio.sleep(0.01)
        return list(self.calls)

    def record(self, call: Request) -> Answer:
        with self._lock:
            self.calls.append(call)
            for suffix, failure in self._failures.items():
                if not call.path.endswith(suffix):
                    continue
                left = self._failures_left.get(suffix)
                if left is None:
                    return failure
                if left > 0:
                    self._failures_left[suffix] = left - 1
                    return failure
        return _documented_answer(call)


def _documented_answer(call: Request) -> Answer:
    path = call.path
    if path.endswith("/chat.postMessage"):
        request = call.json
        return Answer.json({"ok": True, "channel": request.get("channel"), "ts": "1700000000.000200",
                            "message": {"type": "message", "text": request.get("text"), "bot_id": "BBOTLESS"}},
                           content_type="application/json; charset=utf-8")
    if path.startswith("/commands/"):
        return Answer(200, b"ok", "text/html")  # what hooks.slack.com answers a response_url call
    if path.startswith("/webhooks/"):
        return Answer(204, b"", "")
    if path.startswith("/applications/") and call.method == "PUT":
        return Answer.json([{**command, "id": str(1000 + index), "version": "1"}
                            for index, command in enumerate(call.json)])
    if path.endswith("/sendMessage"):
        request = call.json
        return Answer.json({"ok": True, "result": {"message_id": 1366, "date": 1441645600,
                                                     "chat": {"id": request.get("chat_id"), "type": "private"},
                                                     "text": request.get("text")}})
    if path.endswith("/setWebhook"):
        return Answer.json({"ok": True, "result": True, "description": "Webhook was set"})
    return Answer.json({"ok": False, "error": "unknown_method"}, 404)
