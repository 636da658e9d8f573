"""Call an ASGI app once, in-process, the way a server would for one request (bench helper)."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from typing import Any


def call(app: Any, path: str, headers: Mapping[str, str], body: bytes) -> int:
    """POST `body` to `path` of `app`; the status of its answer (background work included)."""
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": body, "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "POST",
             "scheme": "http", "path": path, "raw_path": path.encode(), "query_string": b"", "root_path": "",
             "headers": [(k.lower().encode(), v.encode()) for k, v in headers.items()],
             "client": ("127.0.0.1", 40000), "server": ("127.0.0.1", 8080)}
    asyncio.run(app(scope, receive, send))
    return int(sent[0]["status"])
