"""The chat adapters under test, signed requests, and the property every receive path keeps.

The adapters are the real ones (tests/chat/helpers.py's environment), each with a store
that finds every delivery fresh, so that every example goes the whole way: verified,
decoded, claimed, turned into an event, and that event parsed by the bot's parse role.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from typing import Any

from cloudevents.http import CloudEvent
from nacl.signing import SigningKey

from core.bot import Bot
from core.chat.base import ChatAdapter, Received
from core.chat.platforms import adapters_from_env
from core.commands import BUILTIN_COMMAND_SETS
from core.events import validate_event
from core.http import HttpRequest
from core.settings import Settings
from core.wire import event_from_http, event_to_http
from tests.chat.helpers import bot_env, discord_headers, slack_headers, telegram_headers
from tests.properties.budget import within_budget

Run = Callable[[Coroutine[Any, Any, Any]], Any]

# A fixed key, so a failing example is the same bytes on every run.
DISCORD_KEY = SigningKey(bytes(range(32)))
# Nothing listens there: receive paths never call a platform.
NOWHERE = "http://127.0.0.1:9"
# The most text any platform sends in one message (Slack's 40,000 characters; Telegram's
# 4,096 and Discord's 6,000 per option are less): what reaches the argument splitter.
MAX_TEXT = 40_000
# Python lines the parse role may run for one event, plus 10 per word or quote of its text:
# its work is per event and per piece, never per character (budget.py).
PARSE_BUDGET = 20_000


class AlwaysFresh:
    """A dedupe store that has never seen anything: each example reaches the event."""

    blocking = False

    def put_if_absent(self, key: str, ttl_seconds: float) -> bool:
        return True

    def release(self, key: str) -> None:
        pass


@dataclass
class Platforms:
    """The bot and its three adapters, by platform name."""

    bot: Bot
    adapters: dict[str, ChatAdapter]


def build_platforms() -> Platforms:
    """The real adapters and a bot with the built-in commands, configured for every platform."""
    env = bot_env(NOWHERE, DISCORD_KEY.verify_key.encode().hex())
    settings = Settings.from_env(env)
    adapters = adapters_from_env(settings, AlwaysFresh())
    bot = Bot(settings, command_sets=BUILTIN_COMMAND_SETS, adapters=adapters)
    return Platforms(bot, {adapter.platform: adapter for adapter in adapters})


PLATFORMS = build_platforms()


def slack_request(body: bytes, content_type: str = "application/json") -> HttpRequest:
    """A request signed with the test's Slack signing secret, now."""
    return HttpRequest.build("POST", "/slack/events", slack_headers(body, content_type=content_type), body)


def discord_request(body: bytes) -> HttpRequest:
    """A request signed with DISCORD_KEY (Ed25519), now."""
    return HttpRequest.build("POST", "/discord/interactions", discord_headers(DISCORD_KEY, body), body)


def telegram_request(body: bytes) -> HttpRequest:
    """A request with the test's Telegram secret token."""
    return HttpRequest.build("POST", "/telegram/webhook", telegram_headers(), body)


def check_receive(run: Run, platform: str, request: HttpRequest) -> Received:
    """The property of every signed receive path, for one request.

    No exception but the documented ones (which `receive` turns into answers); a 2xx or 4xx,
    never a 5xx; no event with an error; each event valid on the wire, and parsed by the
    parse role within PARSE_BUDGET lines, with at most MAX_TEXT characters of arguments.
    """
    received = run(PLATFORMS.adapters[platform].receive(request))
    status = received.response.status
    assert status < 500, f"{platform} answered {status}: {received.response.body[:300]!r}"
    if status >= 300:
        assert not received.events, f"{platform} answered {status} and still emitted events"
    for event in received.events:
        check_parsed(run, event)
    return received


def check_parsed(run: Run, event: CloudEvent) -> None:
    """`event` survives the wire, and the parse role handles it in bounded work."""
    headers, body = event_to_http(event)
    validate_event(event_from_http(headers, body))
    text = str((event.data or {}).get("text", "")) if isinstance(event.data, dict) else ""
    # The splitter's work is per word or quote (test_parser.budget_for), never per character.
    pieces = len(text.split()) + text.count("'") + text.count('"') + text.count("\\")
    produced = within_budget(PARSE_BUDGET + 10 * pieces, run, PLATFORMS.bot.roles.parse(event))
    for derived in produced or []:
        validate_event(derived)
        data = derived.data if isinstance(derived.data, dict) else json.loads(derived.data)
        raw_args = data.get("raw_args", "")
        assert len(raw_args) <= MAX_TEXT, f"{len(raw_args)} characters of arguments reached the splitter"
