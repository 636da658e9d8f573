"""Knative: the ASGI app of functions/knative/app.py, called as uvicorn would call it."""

from __future__ import annotations

import asyncio
import importlib
from typing import Any, Callable

from cloudevents.http import CloudEvent

from core.wire import event_to_http
from functions.local.costing.samples import WebhookSample


async def _asgi_post(app: Any, path: str, headers: dict[str, str], body: bytes) -> int:
    scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "POST",
             "scheme": "http", "path": path, "raw_path": path.encode(), "query_string": b"",
             "root_path": "", "server": ("127.0.0.1", 8080), "client": ("127.0.0.1", 50000),
             "headers": [(k.lower().encode(), v.encode()) for k, v in headers.items()]
             + [(b"content-length", str(len(body)).encode())]}
    sent = False
    status = 0

    async def receive() -> dict[str, Any]:
        nonlocal sent
        if sent:
            await asyncio.sleep(3600)  # no disconnect while the app is working
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        nonlocal status
        if message["type"] == "http.response.start":
            status = message["status"]

    await app(scope, receive, send)
    return status


def load(role: str) -> Callable[[Any], None]:
    """The invocation of `role` (BOTLESS_ROLE is set by the parent) on the real app."""
    app = importlib.import_module("functions.knative.app").app
    loop = asyncio.new_event_loop()

    def call(sample: WebhookSample | CloudEvent) -> None:
        if isinstance(sample, WebhookSample):
            status = loop.run_until_complete(_asgi_post(app, sample.path, sample.headers, sample.body))
        else:
            headers, body = event_to_http(sample, "binary")
            status = loop.run_until_complete(_asgi_post(app, "/", headers, body))
        if status >= 400:
            raise RuntimeError(f"knative {role} answered {status}")

    return call
