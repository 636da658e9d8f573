"""Signing with the platforms' real algorithms, the sample payloads, and a bot under test."""

from __future__ import annotations

import asyncio
import copy
import hashlib
import hmac
import json
import threading
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from cloudevents.http import CloudEvent
from nacl.signing import SigningKey

from core.bot import Bot
from core.bus import Broker
from core.chat.platforms import adapters_from_env
from core.commands import BUILTIN_COMMAND_SETS
from core.dedupe import DedupeStore, MemoryDedupeStore
from core.registry import Command, CommandSet
from core.settings import Settings
from providers.asgi.app import create_app
from providers.runtime import PublishError

EVENTS = Path(__file__).resolve().parents[1] / "events"

# Test credentials: shaped like the real ones, valid nowhere.
SLACK_SECRET = "e3b0c44298fc1c149afbf4c8996fb924"
SLACK_TOKEN = "xoxb-1111-2222-TestTokenValidNowhere"
DISCORD_APP_ID = "1172043219474677811"
DISCORD_BOT_TOKEN = "MTE3MjA0MzIxOTQ3NDY3NzgxMQ.Gtest.valid-nowhere"
TELEGRAM_TOKEN = "123456789:AAHtest-token_valid-nowhere"
TELEGRAM_SECRET = "botless-telegram-secret_123"
SECRETS = (SLACK_SECRET, SLACK_TOKEN, DISCORD_BOT_TOKEN, TELEGRAM_TOKEN, TELEGRAM_SECRET)


def event_bytes(platform: str, name: str) -> bytes:
    """A sample payload from tests/events/<platform>/, byte for byte."""
    return (EVENTS / platform / name).read_bytes()


def event_json(platform: str, name: str) -> dict[str, Any]:
    """A sample payload, parsed (a fresh copy each time, safe to modify)."""
    return copy.deepcopy(json.loads(event_bytes(platform, name)))


def slack_headers(body: bytes, *, timestamp: int | None = None, secret: str = SLACK_SECRET,
                  content_type: str = "application/json") -> dict[str, str]:
    """Headers of a request signed the way Slack signs (v0, HMAC-SHA256)."""
    stamp = str(int(time.time()) if timestamp is None else timestamp)
    digest = hmac.new(secret.encode(), b"v0:" + stamp.encode() + b":" + body, hashlib.sha256).hexdigest()
    return {"content-type": content_type, "x-slack-request-timestamp": stamp, "x-slack-signature": f"v0={digest}"}


def discord_headers(key: SigningKey, body: bytes, *, timestamp: int | None = None) -> dict[str, str]:
    """Headers of a request signed the way Discord signs (Ed25519 over timestamp + body)."""
    stamp = str(int(time.time()) if timestamp is None else timestamp)
    signature = key.sign(stamp.encode() + body).signature.hex()
    return {"content-type": "application/json", "x-signature-ed25519": signature, "x-signature-timestamp": stamp}


def telegram_headers(secret: str = TELEGRAM_SECRET) -> dict[str, str]:
    """Headers Telegram sends with each update of a webhook set with `secret`."""
    return {"content-type": "application/json", "x-telegram-bot-api-secret-token": secret}


def to_body(payload: Mapping[str, Any]) -> bytes:
    return json.dumps(payload).encode()


class Gate:
    """Holds the `slow` test command until the test opens it (across threads and loops)."""

    def __init__(self) -> None:
        self.armed = False
        self.entered = threading.Event()
        self.opened = threading.Event()

    def arm(self) -> None:
        self.armed = True
        self.entered.clear()
        self.opened.clear()


class RefusedOnce:
    """A hand-off (publish or defer) the bus refuses the first time; then each event is kept and passed on."""

    def __init__(self, then: Callable[[CloudEvent], Awaitable[None]] | None = None) -> None:
        self.events: list[CloudEvent] = []
        self._then = then
        self._refused = False

    async def __call__(self, event: CloudEvent) -> None:
        if not self._refused:
            self._refused = True
            raise PublishError("bus is down")
        self.events.append(event)
        if self._then is not None:
            await self._then(event)


GATE = Gate()
extra_commands = CommandSet()


@extra_commands.command(help="Wait until the test opens the gate, then answer", slow=True)
async def slow(command: Command) -> str:
    if GATE.armed:
        GATE.entered.set()
        # In a worker thread, so the server's event loop keeps serving meanwhile.
        await asyncio.to_thread(GATE.opened.wait, 10)
    return f"done slowly: {command.raw_args}"


# A bot with no ack budget: every reply goes through the platform's API, never in the
# webhook's HTTP answer (what a command past the budget, or a deferred one, does).
ACK_FIRST = {"BOTLESS_SLOW_COMMAND_SECONDS": "0"}


def bot_env(api_url: str, discord_public_key: str, **overrides: str | None) -> dict[str, str]:
    """Every platform configured against the stand-in API; `NAME=None` leaves NAME out."""
    env: dict[str, str | None] = {
        "BOTLESS_ENTRY_POINTS": "0",
        "SLACK_SIGNING_SECRET": SLACK_SECRET, "SLACK_BOT_TOKEN": SLACK_TOKEN, "SLACK_API_URL": api_url,
        "DISCORD_PUBLIC_KEY": discord_public_key, "DISCORD_APPLICATION_ID": DISCORD_APP_ID,
        "DISCORD_BOT_TOKEN": DISCORD_BOT_TOKEN, "DISCORD_API_URL": api_url,
        "TELEGRAM_BOT_TOKEN": TELEGRAM_TOKEN, "TELEGRAM_SECRET_TOKEN": TELEGRAM_SECRET, "TELEGRAM_API_URL": api_url,
        **overrides,
    }
    return {name: value for name, value in env.items() if value is not None}


@dataclass
class BotUnderTest:
    """The real ASGI app on the embedded broker, and every event it published."""

    bot: Bot
    broker: Broker
    app: Any
    published: list[CloudEvent] = field(default_factory=list)
    client: httpx.AsyncClient | None = None

    async def post(self, path: str, body: bytes, headers: Mapping[str, str]) -> httpx.Response:
        assert self.client is not None
        return await self.client.post(path, content=body, headers=dict(headers))


def build_bot(env: Mapping[str, str], dedupe: DedupeStore | None = None, topology: str = "mono") -> BotUnderTest:
    """A bot with the built-in and test commands and all three platforms, served in-process."""
    settings = Settings.from_env(env)
    adapters = adapters_from_env(settings, dedupe if dedupe is not None else MemoryDedupeStore())
    bot = Bot(settings, command_sets=[*BUILTIN_COMMAND_SETS, extra_commands], adapters=adapters)
    broker = bot.broker(topology)
    under_test = BotUnderTest(bot, broker, None)

    async def publish(event: CloudEvent) -> None:
        under_test.published.append(event)
        await broker.publish(event)

    under_test.app = create_app(bot, publish)
    under_test.client = httpx.AsyncClient(transport=httpx.ASGITransport(app=under_test.app),
                                          base_url="http://botless.test")
    return under_test
