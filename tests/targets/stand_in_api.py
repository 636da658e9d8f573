"""The stand-in platform API: a real HTTP server on 127.0.0.1 that records every reply a target sends.

It serves Slack's `chat.postMessage`, a Slack `response_url` and Discord's interaction
follow-up webhook (uvicorn in a thread), and answers a call with a platform's documented
429 when a test asks it to (`rate_limit_next`).
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from tests.servers import uvicorn_server
from tests.targets.signed_requests import DISCORD_APPLICATION_ID, DISCORD_KEY, SLACK_SIGNING_SECRET


@dataclass(frozen=True)
class RateLimit:
    """A platform's 429 as it documents it: the stand-in answers the next call under `prefix` so."""

    prefix: str
    body: Any
    headers: tuple[tuple[str, str], ...] = ()



@dataclass(frozen=True)
class Call:
    """One request the stand-in platform API received."""

    method: str
    path: str
    body: Any


class StandInPlatformApi:
    """Records every call; answers like Slack's Web API, a response_url and Discord's webhooks."""

    def __init__(self) -> None:
        self.calls: list[Call] = []
        self._changed = threading.Condition()
        self.url = ""
        self._limited: dict[str, RateLimit] = {}  # path prefix -> the 429 its next call gets

    def app(self) -> Starlette:
        async def record(request: Request) -> Response:
            raw = await request.body()
            if request.headers.get("content-type", "").startswith("application/json"):
                body: Any = json.loads(raw or b"null")
            else:
                body = dict(pair.split("=", 1) for pair in raw.decode().split("&") if "=" in pair)
            with self._changed:
                self.calls.append(Call(request.method, request.url.path, body))
                self._changed.notify_all()
                limited = next((self._limited.pop(prefix) for prefix in list(self._limited)
                                if request.url.path.startswith(prefix)), None)
            if limited is not None:
                return JSONResponse(limited.body, status_code=429, headers=dict(limited.headers))
            if request.url.path.startswith("/slack/api/"):
                return JSONResponse({"ok": True, "channel": "C1", "ts": "1.1"})
            if request.url.path.startswith("/slack/response/"):
                return Response("ok")
            return JSONResponse({"id": "1"})

        return Starlette(routes=[Route("/{path:path}", record, methods=["POST"])])

    def reset(self) -> None:
        with self._changed:
            self.calls.clear()
            self._limited.clear()

    def rate_limit_next(self, limit: RateLimit) -> None:
        """Answer the next call under `limit.prefix` with the platform's documented 429."""
        with self._changed:
            self._limited[limit.prefix] = limit

    def wait_for(self, count: int, timeout: float = 10.0) -> list[Call]:
        """The calls so far, once there are at least `count` (or when `timeout` is up)."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while len(self.calls) < count and time.monotonic() < deadline:
                self._changed.wait(deadline - time.monotonic())
            return list(self.calls)

    def env(self) -> dict[str, str]:
        """The platform settings of a bot whose replies go to this stand-in."""
        return {
            "SLACK_SIGNING_SECRET": SLACK_SIGNING_SECRET,
            "SLACK_BOT_TOKEN": "xoxb-test",
            "SLACK_API_URL": f"{self.url}/slack/api",
            "DISCORD_PUBLIC_KEY": DISCORD_KEY.verify_key.encode().hex(),
            "DISCORD_APPLICATION_ID": DISCORD_APPLICATION_ID,
            "DISCORD_BOT_TOKEN": "discord-test",
            "DISCORD_API_URL": f"{self.url}/discord/api",
            "BOTLESS_ENTRY_POINTS": "0",
        }


@contextmanager
def stand_in_platform_api() -> Iterator[StandInPlatformApi]:
    """Serve a StandInPlatformApi on 127.0.0.1 for the length of the block."""
    stand_in = StandInPlatformApi()
    with uvicorn_server(stand_in.app()) as url:
        stand_in.url = url
        yield stand_in
