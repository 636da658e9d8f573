"""The webhooks of a cloud target as a plain ASGI app: no web framework on the hot path.

Every function target's HTTP role (Lambda under mangum, GCF, Azure's AsgiMiddleware, and
Knative's) serves `GET /healthz` and `POST <adapter.path>` per chat adapter, as the local
Starlette app does (providers/asgi/app.py) with the ingress and /api/chat off: the same
answers, bytes included, from the same decision (providers/asgi/webhook_flow.py). The ASGI
scope becomes a core.http.HttpRequest in one conversion, and Starlette is never imported,
which a cold start would pay for at every instance.
"""

from __future__ import annotations

import logging
import re
from collections.abc import AsyncIterator, Awaitable, Callable, MutableMapping
from typing import Any
from urllib.parse import parse_qsl, quote

from core.bot import Bot
from core.http import HttpRequest, HttpResponse
from providers.asgi.body import read_limited
from providers.asgi.webhook_flow import Answer, Publish, Webhook, health, json_response

logger = logging.getLogger("botless")

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]

# Starlette's plain-text answers, so a caller sees no difference between the two apps.
_TEXT = "text/plain; charset=utf-8"
NOT_FOUND = HttpResponse(404, b"Not Found", {"content-type": _TEXT})
SERVER_ERROR = HttpResponse(500, b"Internal Server Error", {"content-type": _TEXT})


class ClientDisconnectedError(Exception):
    """The client went away before its body was read: there is no one to answer."""


class WebhooksApp:
    """`GET /healthz` and each adapter's `POST` webhook of `bot`; events go to `publish`.

    `defer` is the target's quick hand-off (its bus, or mono's deferral): see Webhook.
    """

    def __init__(self, bot: Bot, publish: Publish, *, defer: Publish | None = None) -> None:
        self.bot = bot
        limit, budget = bot.settings.max_body_bytes, bot.settings.slow_command_seconds
        self.webhooks = {adapter.path: Webhook(adapter, publish, limit=limit, defer=defer, budget=budget)
                         for adapter in bot.adapters.values()}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await _lifespan(receive, send)
        elif scope["type"] == "http":
            await self._http(scope, receive, send)
        elif scope["type"] == "websocket":
            await send({"type": "websocket.close", "code": 1000})  # Starlette's answer to an unrouted socket

    async def _http(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            answer = await self._answer(scope, receive)
        except ClientDisconnectedError:
            return
        except Exception:
            # As Starlette's ServerErrorMiddleware: a 500 for the client, the error for the server's log.
            await _send(send, SERVER_ERROR)
            raise
        await _send(send, answer.response)
        if answer.after is not None:
            await answer.after()  # as a Starlette background task: after the answer, in this call

    async def _answer(self, scope: Scope, receive: Receive) -> Answer:
        path, method = route_path(scope), scope["method"].upper()
        if path == "/healthz":
            if method not in ("GET", "HEAD"):
                return Answer(_not_allowed("GET, HEAD"))
            return Answer(json_response(200, health(self.bot)))
        webhook = self.webhooks.get(path)
        if webhook is None:
            return Answer(self._not_found(scope, path))
        if method != "POST":
            return Answer(_not_allowed("POST"))
        return await webhook.answer(_AsgiDelivery(scope, receive))

    def _not_found(self, scope: Scope, path: str) -> HttpResponse:
        """404, or Starlette's redirect_slashes: a 307 to the spelling with(out) the trailing slash that is routed.

        Only an unrouted request gets here, so the webhooks' POSTs never pay for it.
        """
        if path == "/":
            return NOT_FOUND
        other = scope["path"].rstrip("/") if path.endswith("/") else scope["path"] + "/"
        routed = route_path({"path": other, "root_path": scope.get("root_path", "")})
        if routed != "/healthz" and routed not in self.webhooks:
            return NOT_FOUND
        return HttpResponse(307, b"", {"location": quote(_url(scope, other), safe=":/%#?=@[]!$&'()*+,;")})


class _AsgiDelivery:
    """An ASGI request as the webhook flow reads it: its body from `receive`, its request from the scope."""

    def __init__(self, scope: Scope, receive: Receive) -> None:
        self._scope = scope
        self._receive = receive
        # Header names arrive lower-cased (ASGI); a repeated one keeps its last value, as Starlette's do.
        self._headers = {key.decode("latin-1").lower(): value.decode("latin-1") for key, value in scope["headers"]}

    async def body(self, limit: int) -> bytes:
        return await read_limited(self._headers.get("content-length"), self._chunks(), limit)

    async def _chunks(self) -> AsyncIterator[bytes]:
        while True:
            message = await self._receive()
            if message["type"] == "http.disconnect":
                raise ClientDisconnectedError
            yield message.get("body", b"")
            if not message.get("more_body", False):
                return

    def request(self, body: bytes) -> HttpRequest:
        scope = self._scope
        raw_query = scope.get("query_string", b"")  # the platforms send webhooks without one
        query = dict(parse_qsl(raw_query.decode("latin-1"), keep_blank_values=True)) if raw_query else {}
        # The full path, root_path included, as Starlette's request.url.path gives the adapters.
        return HttpRequest(scope["method"].upper(), scope["path"], self._headers, body, query)


def route_path(scope: Scope) -> str:
    """The path the app routes on: scope["path"] without the root_path it is mounted under (Starlette's rule)."""
    path: str = scope["path"]
    root = scope.get("root_path", "")
    if root and path.startswith(root) and (path == root or path[len(root)] == "/"):
        return path[len(root):]
    return path


# Starlette's Host check (starlette._utils): a header that could change the URL's path or authority is not used.
_HOST = (r"(?P<host>[a-z0-9._~%!$&'()*+,;=-]+|\[(?:(?P<ipv6>[a-f0-9]*:[a-f0-9.:]+)|"
         r"(?-i:v)[a-f0-9]+\.[a-z0-9._~!$&'()*+,;=:-]+)\])(?::(?P<port>[0-9]+))?")


def _url(scope: Scope, path: str) -> str:
    """The request's URL with `path`, built as Starlette's URL(scope=...) builds it."""
    scheme, server = scope.get("scheme", "http"), scope.get("server")
    path = path.replace("?", "%3F").replace("#", "%23").replace("\\", "%5C")
    query = scope.get("query_string", b"").decode()
    host = next((value.decode("latin-1") for key, value in scope["headers"] if key == b"host"), None)
    netloc = _authority(host) if host is not None else None
    if netloc is None and server is not None:
        name, port = server
        name = f"[{name}]" if ":" in name and not name.startswith("[") else name
        netloc = name if port == {"http": 80, "https": 443}.get(scheme) else f"{name}:{port}"
    if netloc is None:
        path = "/%2F" + path[2:] if path.startswith("//") else path  # or `//` would read as an authority
        return f"{path}?{query}" if query else path
    return f"{scheme}://{netloc}{path}" + (f"?{query}" if query else "")


def _authority(host: str) -> str | None:
    """`host` when it is a valid Host header (Starlette's parse_host_header), else None."""
    match = re.fullmatch(_HOST, host, re.IGNORECASE)  # re caches the compiled pattern: no cost at import
    if match is None:
        return None
    if match["ipv6"] is not None:
        from ipaddress import AddressValueError, IPv6Address  # rare: only a bracketed IPv6 Host pays for it
        try:
            IPv6Address(match["ipv6"])
        except AddressValueError:
            return None
    port = (match["port"] or "").lstrip("0")
    if len(port) > 5 or int(port or "0") > 65535:
        return None
    return match.group(0)


def _not_allowed(allow: str) -> HttpResponse:
    return HttpResponse(405, b"Method Not Allowed", {"content-type": _TEXT, "allow": allow})


async def _send(send: Send, response: HttpResponse) -> None:
    headers = [(name.lower().encode("latin-1"), value.encode("latin-1")) for name, value in response.headers.items()]
    if "content-length" not in {name.lower() for name in response.headers} and not (
            response.status < 200 or response.status in (204, 304)):
        headers.append((b"content-length", str(len(response.body)).encode()))
    await send({"type": "http.response.start", "status": response.status, "headers": headers})
    await send({"type": "http.response.body", "body": response.body})


async def _lifespan(receive: Receive, send: Send) -> None:
    # Nothing to start or stop (mangum turns lifespan off; uvicorn or Azure may still ask).
    while True:
        message = await receive()
        if message["type"] == "lifespan.startup":
            await send({"type": "lifespan.startup.complete"})
        elif message["type"] == "lifespan.shutdown":
            await send({"type": "lifespan.shutdown.complete"})
            return
