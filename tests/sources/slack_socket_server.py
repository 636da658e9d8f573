"""A stand-in for Slack's Socket Mode on 127.0.0.1: apps.connections.open, its WebSocket, replies.

As https://api.slack.com/apis/socket-mode documents it: `apps.connections.open`, called
with the app-level token, answers `{"ok": true, "url": "wss://..."}` (a one-time URL) or
`{"ok": false, "error": "invalid_auth"}`; a socket opened at that URL gets `hello` first,
then envelopes (`events_api`, `slash_commands`, `disconnect`), and the app answers each
envelope with `{"envelope_id": ..., "payload": ...}`. The replies' endpoints are here too:
`chat.postMessage` and a slash command's response_url (hooks.slack.com's `/commands/...`).
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable
from typing import Any

from aiohttp import WSMsgType, web


class SlackSocketServer:
    """The server: `api_url` for SLACK_API_URL; `opened`, `acks`, `posts`, `responses` what it saw."""

    def __init__(self, app_token: str) -> None:
        self.app_token = app_token
        self.opened = 0  # successful apps.connections.open calls
        self.acks: list[dict[str, Any]] = []
        self.posts: list[dict[str, Any]] = []  # chat.postMessage arguments
        self.responses: list[dict[str, Any]] = []  # bodies posted to response_urls
        self.sockets: list[web.WebSocketResponse] = []  # open sockets, newest last
        self.unavailable = 0  # how many of the next apps.connections.open calls fail as if Slack were down
        self._tickets: set[str] = set()
        self._changed = asyncio.Event()
        app = web.Application()
        app.router.add_post("/api/apps.connections.open", self._connections_open)
        app.router.add_post("/api/chat.postMessage", self._post_message)
        app.router.add_post("/commands/{team}/{id}/{secret}", self._response_url)
        app.router.add_get("/link/", self._socket)
        self._runner = web.AppRunner(app)
        self.url = ""

    async def start(self) -> SlackSocketServer:
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = self._runner.addresses[0][1]
        self.url = f"http://127.0.0.1:{port}"
        return self

    async def stop(self) -> None:
        await self._runner.cleanup()

    @property
    def api_url(self) -> str:
        return self.url + "/api"

    def response_url(self, name: str) -> str:
        """A response_url on this server (the source accepts SLACK_API_URL's host besides hooks.slack.com)."""
        return f"{self.url}/commands/T111/{name}/capability-{name}"

    async def send(self, envelope: dict[str, Any]) -> None:
        """Send `envelope` on the newest socket, as Slack sends on one of an app's connections."""
        await self.sockets[-1].send_json(envelope)

    async def drop(self) -> None:
        """Close the newest socket from the server's side, as a lost connection does."""
        await self.sockets[-1].close()

    async def wait_for(self, ready: Callable[[], bool], timeout: float = 15.0) -> None:
        """Return once `ready()` holds; AssertionError after `timeout` seconds."""
        async def until() -> None:
            while not ready():
                self._changed.clear()
                await self._changed.wait()

        try:
            await asyncio.wait_for(until(), timeout)
        except TimeoutError:
            raise AssertionError("the stand-in never saw what the test waited for") from None

    async def ack_of(self, envelope_id: str) -> dict[str, Any]:
        """The first ack of `envelope_id`, once it came."""
        await self.wait_for(lambda: any(ack.get("envelope_id") == envelope_id for ack in self.acks))
        return next(ack for ack in self.acks if ack.get("envelope_id") == envelope_id)

    def _saw(self) -> None:
        self._changed.set()

    async def _connections_open(self, request: web.Request) -> web.Response:
        # Slack answers 200 with ok=false for a bad token; the app token comes as a Bearer token.
        if request.headers.get("Authorization") != f"Bearer {self.app_token}":
            return web.json_response({"ok": False, "error": "invalid_auth"})
        if self.unavailable:
            self.unavailable -= 1
            return web.json_response({"ok": False, "error": "service_unavailable"})
        ticket = uuid.uuid4().hex
        self._tickets.add(ticket)
        self.opened += 1
        self._saw()
        host = request.host
        return web.json_response({"ok": True, "url": f"ws://{host}/link/?ticket={ticket}&app_id=A111"})

    async def _socket(self, request: web.Request) -> web.StreamResponse:
        ticket = request.query.get("ticket", "")
        if ticket not in self._tickets:
            return web.Response(status=401, text="invalid ticket")
        self._tickets.discard(ticket)  # each URL opens one socket
        socket = web.WebSocketResponse()  # answers the client's pings itself
        await socket.prepare(request)
        await socket.send_json(hello(len(self.sockets) + 1))
        self.sockets.append(socket)
        self._saw()
        try:
            async for frame in socket:
                if frame.type == WSMsgType.TEXT:
                    self.acks.append(frame.json())
                    self._saw()
        finally:
            self.sockets.remove(socket)
            self._saw()
        return socket

    async def _post_message(self, request: web.Request) -> web.Response:
        if request.headers.get("Authorization", "") != "Bearer " + BOT_TOKEN:
            return web.json_response({"ok": False, "error": "invalid_auth"})
        arguments = await request.json()
        self.posts.append(arguments)
        self._saw()
        return web.json_response({"ok": True, "channel": arguments.get("channel"), "ts": "1700000000.000200",
                                  "message": {"type": "message", "text": arguments.get("text"), "bot_id": "B111"}})

    async def _response_url(self, request: web.Request) -> web.Response:
        self.responses.append(await request.json())
        self._saw()
        return web.Response(text="ok", content_type="text/html")  # what hooks.slack.com answers


# Test credentials: shaped like the real ones, valid nowhere.
APP_TOKEN = "xapp-1-A111-2222-TestAppTokenValidNowhere"
BOT_TOKEN = "xoxb-1111-2222-TestTokenValidNowhere"
BOT_USER = "U0BOT"


def hello(connections: int = 1) -> dict[str, Any]:
    return {"type": "hello", "num_connections": connections,
            "debug_info": {"host": "applink-stand-in", "build_number": 1, "approximate_connection_time": 18060},
            "connection_info": {"app_id": "A111"}}


def disconnect(reason: str = "refresh_requested") -> dict[str, Any]:
    return {"type": "disconnect", "reason": reason, "debug_info": {"host": "applink-stand-in"}}


def events_api(callback: dict[str, Any], envelope_id: str, *, retry_attempt: int = 0,
               retry_reason: str = "") -> dict[str, Any]:
    return {"envelope_id": envelope_id, "payload": callback, "type": "events_api",
            "accepts_response_payload": False, "retry_attempt": retry_attempt, "retry_reason": retry_reason}


def slash_commands(form: dict[str, str], envelope_id: str) -> dict[str, Any]:
    return {"envelope_id": envelope_id, "payload": form, "type": "slash_commands", "accepts_response_payload": True}


def event_callback(event_type: str, text: str, ts: str, *, channel: str = "C111", user: str = "W222",
                   event_id: str = "Ev111") -> dict[str, Any]:
    """An `event_callback` as the Events API sends it over the socket (`app_mention` or `message`)."""
    event = {"type": event_type, "text": text, "user": user, "ts": ts, "team": "T111", "channel": channel,
             "event_ts": ts}
    if event_type == "message":
        event["channel_type"] = "channel"
    return {"token": "verification_token", "team_id": "T111", "api_app_id": "A111", "event": event,
            "type": "event_callback", "event_id": event_id, "event_time": int(float(ts)),
            "authorizations": [{"enterprise_id": None, "team_id": "T111", "user_id": BOT_USER, "is_bot": True,
                                "is_enterprise_install": False}],
            "is_ext_shared_channel": False, "event_context": "4-stand-in"}


def slash_command_form(command: str, text: str, trigger_id: str, response_url: str) -> dict[str, str]:
    """A slash command's payload as Socket Mode sends it: the form's fields as JSON strings."""
    return {"token": "verification_token", "team_id": "T111", "team_domain": "botless", "channel_id": "C111",
            "channel_name": "general", "user_id": "W222", "user_name": "alice", "command": command,
            "text": text, "api_app_id": "A111", "is_enterprise_install": "false", "response_url": response_url,
            "trigger_id": trigger_id}


def new_envelope_id() -> str:
    return str(uuid.uuid4())
