"""A stand-in Telegram Bot API on 127.0.0.1: getMe, getWebhookInfo, deleteWebhook, getUpdates, sendMessage.

It answers as https://core.telegram.org/bots/api documents: `{"ok": true, "result": ...}`,
or `{"ok": false, "error_code": N, "description": ...}` with that HTTP status. getUpdates
is a real long poll: it holds the request up to `timeout` seconds until an update comes.
An update stays until a getUpdates call with a higher `offset` confirms it; until then
every call without that offset (a restarted bot) is served it again. A webhook set makes
getUpdates a 409, as does a newer getUpdates for a call still waiting. Methods are
case-insensitive, parameters come as JSON or in the query string, as Telegram takes them.
"""

from __future__ import annotations

import asyncio
import json
import threading
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from tooling.loopback import Answer, LoopbackServer, Request

BOT_ID = 123456789
TOKEN = f"{BOT_ID}:AAHtest-token_valid-nowhere"
USERNAME = "BotlessTestBot"
_WEBHOOK_CONFLICT = ("Conflict: can't use getUpdates method while webhook is active; "
                     "use deleteWebhook to delete the webhook first")
_POLL_CONFLICT = "Conflict: terminated by other getUpdates request; make sure that only one bot instance is running"


def _error(status: int, description: str, **parameters: Any) -> Answer:
    body: dict[str, Any] = {"ok": False, "error_code": status, "description": description}
    if parameters:
        body["parameters"] = parameters
    return Answer.json(body, status)


def _ok(result: Any, **extra: Any) -> Answer:
    return Answer.json({"ok": True, "result": result, **extra})


class TelegramApi:
    """The server: `push_text` queues a user's message, `calls` is every request, `fail_next` programs errors."""

    def __init__(self, *, webhook_url: str = "") -> None:
        self.webhook_url = webhook_url
        self.calls: list[Request] = []
        self._updates: list[dict[str, Any]] = []
        self._confirmed_below = 0  # update ids below this were confirmed by an offset
        self._next_update_id = 500_000
        self._polls = 0  # every getUpdates call counts, so a newer one ends an older one's wait
        self._failures: dict[str, list[Answer]] = {}
        self._closing = False
        self._changed = threading.Condition()
        self._server = LoopbackServer(self._answer, poll_interval=0.02)
        self.url = self._server.url

    def start(self) -> TelegramApi:
        self._server.start()
        return self

    def stop(self) -> None:
        with self._changed:
            self._closing = True
            self._changed.notify_all()
        self._server.stop()

    def push_text(self, text: str, *, chat_id: int = 1111111, message_id: int | None = None) -> int:
        """A private message from a user, as an update; its update_id."""
        with self._changed:
            update_id = self._next_update_id
            self._next_update_id += 1
            self._updates.append({"update_id": update_id, "message": {
                "message_id": message_id or update_id - 499_000, "date": 1441645532, "text": text,
                "from": {"id": chat_id, "is_bot": False, "first_name": "Test", "username": "Testusername"},
                "chat": {"id": chat_id, "first_name": "Test", "username": "Testusername", "type": "private"},
                "entities": [{"type": "bot_command", "offset": 0, "length": len(text.split()[0])}]
                if text.startswith("/") else [],
            }})
            self._changed.notify_all()
        return update_id

    def update(self, update_id: int) -> dict[str, Any]:
        """The update pushed as `update_id`, as getUpdates serves it (and a webhook would be sent it)."""
        with self._changed:
            return next(update for update in self._updates if update["update_id"] == update_id)

    def forget_confirmations(self) -> None:
        """Serve every update again, as Telegram does to a bot whose last offset never reached it."""
        with self._changed:
            self._confirmed_below = 0

    def fail_next(self, method: str, answer: Answer, times: int = 1) -> None:
        """Answer the next `times` calls of `method` with `answer`."""
        with self._changed:
            self._failures.setdefault(method.lower(), []).extend([answer] * times)

    def called(self, method: str) -> list[Request]:
        with self._changed:
            return [call for call in self.calls if _method(call) == method.lower()]

    async def wait_for(self, method: str, count: int, timeout: float = 10.0) -> list[Request]:
        """The calls of `method`, once there are at least `count` (or when `timeout` is up)."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while len(self.called(method)) < count and loop.time() < deadline:
            await asyncio.sleep(0.01)
        return self.called(method)

    def sent_texts(self) -> list[str]:
        return [call.json["text"] for call in self.called("sendMessage")]

    def _answer(self, call: Request) -> Answer:
        with self._changed:
            self.calls.append(call)
            token, _, _ = urlsplit(call.path).path.removeprefix("/bot").partition("/")
            if not call.path.startswith("/bot") or ":" not in token:
                return _error(404, "Not Found")
            if token != TOKEN:
                return _error(401, "Unauthorized")
            method = _method(call)
            failures = self._failures.get(method)
            if failures:
                return failures.pop(0)
            params = _params(call)
            if method == "getupdates":
                return self._get_updates(params)
            if method == "getme":
                return _ok({"id": BOT_ID, "is_bot": True, "first_name": "Botless", "username": USERNAME,
                            "can_join_groups": True, "can_read_all_group_messages": False,
                            "supports_inline_queries": False})
            if method == "getwebhookinfo":
                info: dict[str, Any] = {"url": self.webhook_url, "has_custom_certificate": False,
                                        "pending_update_count": self._pending()}
                if self.webhook_url:
                    info.update(max_connections=40, ip_address="203.0.113.7")
                return _ok(info)
            if method == "deletewebhook":
                was_set, self.webhook_url = bool(self.webhook_url), ""
                if params.get("drop_pending_updates"):
                    self._confirmed_below = self._next_update_id
                return _ok(True, description="Webhook was deleted" if was_set else "Webhook is already deleted")
            if method == "sendmessage":
                return _ok({"message_id": 1366, "date": 1441645600, "text": params.get("text"),
                            "chat": {"id": params.get("chat_id"), "type": "private"}})
            return _error(404, "Not Found")

    def _pending(self) -> int:
        return sum(1 for update in self._updates if update["update_id"] >= self._confirmed_below)

    def _get_updates(self, params: dict[str, Any]) -> Answer:
        # Called holding self._changed.
        if self.webhook_url:
            return _error(409, _WEBHOOK_CONFLICT)
        offset = int(params.get("offset") or 0)
        # Confirmed updates are kept (not served) so that forget_confirmations can serve them again.
        self._confirmed_below = max(self._confirmed_below, offset)
        limit = int(params.get("limit") or 100)
        allowed = params.get("allowed_updates") or []
        self._polls += 1
        poll = self._polls
        self._changed.notify_all()  # an older poll still waiting ends with a conflict
        ready = self._changed.wait_for(
            lambda: self._closing or self._polls != poll or bool(self._serve(allowed, limit)),
            timeout=float(params.get("timeout") or 0))
        if ready and self._polls != poll:
            return _error(409, _POLL_CONFLICT)
        return _ok(self._serve(allowed, limit))

    def _serve(self, allowed: list[str], limit: int) -> list[dict[str, Any]]:
        return [update for update in self._updates
                if update["update_id"] >= self._confirmed_below
                and (not allowed or any(kind in update for kind in allowed))][:limit]


def _method(call: Request) -> str:
    return urlsplit(call.path).path.rpartition("/")[2].lower()


def _params(call: Request) -> dict[str, Any]:
    """The call's parameters: a JSON body, or the query string (where lists come JSON-encoded)."""
    if call.body and call.headers.get("content-type", "").startswith("application/json"):
        body = call.json
        return body if isinstance(body, dict) else {}
    params: dict[str, Any] = dict(parse_qsl(urlsplit(call.path).query))
    if "allowed_updates" in params:
        params["allowed_updates"] = json.loads(params["allowed_updates"])
    return params
