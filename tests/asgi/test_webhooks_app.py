"""The raw webhooks app of the cloud targets answers as the Starlette app did, without Starlette."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from typing import Any

import pytest

from providers.asgi.app import create_app
from providers.asgi.webhooks import WebhooksApp, route_path
from tests.targets.scenarios import SLACK_SIGNING_SECRET, bot_for, slack_message, slack_slash_command

ENV = {"SLACK_SIGNING_SECRET": SLACK_SIGNING_SECRET, "SLACK_BOT_TOKEN": "xoxb-test", "BOTLESS_MAX_BODY_BYTES": "2000"}


class Recorded:
    """An ASGI call: what the app sent, and how many body chunks it took."""

    def __init__(self) -> None:
        self.status = 0
        self.headers: dict[str, str] = {}
        self.body = b""
        self.taken = 0


async def call(app: Any, method: str, path: str, headers: dict[str, str] | None = None,
               chunks: tuple[bytes, ...] = (b"",), root_path: str = "", query: bytes = b"") -> Recorded:
    scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": method,
             "scheme": "http", "path": path, "raw_path": path.encode(), "root_path": root_path,
             "query_string": query, "server": ("test", 80), "client": ("127.0.0.1", 1),
             "headers": [(k.lower().encode(), v.encode()) for k, v in (headers or {}).items()]}
    recorded = Recorded()

    async def receive() -> dict[str, Any]:
        if recorded.taken < len(chunks):
            recorded.taken += 1
            return {"type": "http.request", "body": chunks[recorded.taken - 1],
                    "more_body": recorded.taken < len(chunks)}
        return {"type": "http.disconnect"}

    async def send(message: dict[str, Any]) -> None:
        if message["type"] == "http.response.start":
            recorded.status = message["status"]
            recorded.headers = {k.decode(): v.decode() for k, v in message["headers"]}
        else:
            recorded.body += message.get("body", b"")

    await app(scope, receive, send)
    return recorded


def both(published: list[Any]) -> tuple[Any, Any]:
    """The old (Starlette) and the new app of a cloud target, each with its own bot (and dedupe)."""
    async def publish(event: Any) -> None:
        published.append(event["type"])

    old = create_app(bot_for(ENV), publish, defer=publish, ingress=False, api_chat=False)
    return old, WebhooksApp(bot_for(ENV), publish, defer=publish)


def same(old: Recorded, new: Recorded) -> Recorded:
    assert (new.status, new.body, _allowing(new.headers)) == (old.status, old.body, _allowing(old.headers))
    return new


def _allowing(headers: dict[str, str]) -> dict[str, object]:
    # Starlette lists `allow` from a set: its order follows the string hash seed (xdist sets one).
    if "allow" not in headers:
        return dict(headers)
    return {**headers, "allow": {method.strip() for method in headers["allow"].split(",")}}


@pytest.mark.parametrize(("method", "path", "status"), [
    ("GET", "/healthz", 200), ("GET", "/nowhere", 404), ("GET", "/slack/events", 405),
    ("POST", "/healthz", 405), ("POST", "/discord/interactions", 503)])
async def test_routes_answer_as_the_starlette_app(method: str, path: str, status: int) -> None:
    old, new = both([])
    answer = same(await call(old, method, path), await call(new, method, path))
    assert answer.status == status
    if status == 405:
        assert answer.headers["allow"] == ("POST" if path != "/healthz" else "GET, HEAD")


async def test_healthz_lists_the_configured_platforms() -> None:
    answer = await call(WebhooksApp(bot_for(ENV), _nothing), "GET", "/healthz")
    assert json.loads(answer.body)["platforms"] == ["slack"]


async def _nothing(event: Any) -> None:
    raise AssertionError("nothing should be published")


async def test_413_from_the_declared_length_reads_no_body() -> None:
    old, new = both([])
    headers = {"content-length": "5000"}
    answer = same(await call(old, "POST", "/slack/events", headers), await call(new, "POST", "/slack/events", headers))
    assert answer.status == 413 and answer.headers["content-type"] == "application/json"


async def test_413_from_the_streamed_size_stops_reading_at_the_limit() -> None:
    old, new = both([])
    chunks = (b"x" * 1500, b"x" * 1500, b"x" * 1500)
    before, after = await call(old, "POST", "/slack/events", chunks=chunks), \
        await call(new, "POST", "/slack/events", chunks=chunks)
    assert same(before, after).status == 413
    assert after.taken == 2  # the third chunk is never read


async def test_a_signed_slash_command_and_an_event_in_several_chunks() -> None:
    published: list[Any] = []
    old, new = both(published)
    for app in (old, new):
        headers, body = slack_slash_command("http://127.0.0.1:9", "/echo", "hi", trigger="t1")
        command = await call(app, "POST", "/slack/events", headers, chunks=(body[:10], body[10:40], body[40:]))
        headers, body = slack_message("hello", event_id="Ev1", ts="1.000001")
        event = await call(app, "POST", "/slack/events", headers, chunks=(body[:7], body[7:]))
        if app is old:
            expected = (command, event)
    same(expected[0], command), same(expected[1], event)
    assert command.status == 200 and event.status == 200
    assert published[:len(published) // 2] == published[len(published) // 2:] and published


async def test_adapters_see_the_full_path_and_the_query_under_a_root_path(monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[tuple[str, dict[str, str]]] = []

    async def receive(request: Any) -> Any:
        seen.append((request.path, dict(request.query)))
        raise RuntimeError("stop")

    old_bot, new_bot = bot_for(ENV), bot_for(ENV)
    for bot in (old_bot, new_bot):
        monkeypatch.setattr(bot.adapters["slack"], "receive", receive)
    old = create_app(old_bot, _nothing, defer=_nothing, ingress=False, api_chat=False)
    for app in (old, WebhooksApp(new_bot, _nothing, defer=_nothing)):
        with pytest.raises(RuntimeError):
            await call(app, "POST", "/fn/slack/events", root_path="/fn", query=b"a=1&a=2&b=&c=%C3%A9")
    assert seen == [("/fn/slack/events", {"a": "2", "b": "", "c": "\u00e9"})] * 2
    assert route_path({"path": "/fn", "root_path": "/fn"}) == ""
    assert route_path({"path": "/fnx", "root_path": "/fn"}) == "/fnx"


async def test_lifespan_is_answered() -> None:
    sent: list[str] = []
    queue = [{"type": "lifespan.startup"}, {"type": "lifespan.shutdown"}]

    async def receive() -> Any:
        return queue.pop(0)

    async def send(message: Any) -> None:
        sent.append(message["type"])

    await asyncio.wait_for(WebhooksApp(bot_for(ENV), _nothing)({"type": "lifespan"}, receive, send), 5)
    assert sent == ["lifespan.startup.complete", "lifespan.shutdown.complete"]


def test_the_lambda_handler_chain_imports_no_starlette() -> None:
    env = {**os.environ, "BOTLESS_ROLE": "mono", "SLACK_SIGNING_SECRET": "x", "SLACK_BOT_TOKEN": "xoxb-y",
           "AWS_DEFAULT_REGION": "us-east-1", "AWS_LAMBDA_FUNCTION_NAME": "f",
           "AWS_ACCESS_KEY_ID": "x", "AWS_SECRET_ACCESS_KEY": "x"}
    code = ("import sys, functions.aws_lambda.handler as h; h.app.http_handler(); "
            "print(sorted(m for m in sys.modules if m.split('.')[0] == 'starlette'))")
    done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=60, check=True)
    assert done.stdout.strip() == "[]"
