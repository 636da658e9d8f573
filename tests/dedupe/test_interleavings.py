"""Copies of one message racing at the store: exactly one is fresh, in every interleaving.

Each scenario's deliveries (an original and its retry, Slack's `message` + `app_mention`
twins, a replayed slash command or interaction) go through the adapters' real receive
path to a store whose calls complete in an order the test picks; `explore` tries every
order (tests/dedupe/interleavings.py). A claim on two keys taken one after the other
fails here: one copy takes the first key, the other the second, and both are dropped.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from nacl.signing import SigningKey

from core.chat.platforms import adapters_from_env
from core.dedupe import DedupeStore, MemoryDedupeStore, SqliteDedupeStore
from core.http import HttpRequest
from core.settings import Settings
from tests.chat.helpers import (
    bot_env,
    discord_headers,
    event_json,
    slack_headers,
    telegram_headers,
    to_body,
)
from tests.dedupe.interleavings import explore

KEY = SigningKey.generate()
FORM = "application/x-www-form-urlencoded"
RETRY = {"x-slack-retry-num": "1", "x-slack-retry-reason": "http_timeout"}
PATHS = {"slack": "/slack/events", "discord": "/discord/interactions", "telegram": "/telegram/webhook"}


def slack_message(event_id: str = "Ev111", kind: str = "message") -> bytes:
    payload = event_json("slack", "event_callback_message.json")
    payload["event_id"] = event_id
    payload["event"].update(type=kind, text="/echo racing", channel="C111", ts="1700000000.000100")
    return to_body(payload)


def slack_slash() -> bytes:
    return (b"command=%2Fecho&text=racing&user_id=W111&channel_id=C111&trigger_id=111.222.abc"
            b"&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT111%2F1%2Fx")


def discord_interaction() -> bytes:
    payload = event_json("discord", "interaction_application_command_guild.json")
    payload["data"]["name"] = "echo"
    return to_body(payload)


def telegram_update(update_id: int = 777) -> bytes:
    payload = event_json("telegram", "update_message_private_start.json")
    payload.update(update_id=update_id)
    payload["message"]["text"] = "/echo racing"
    return to_body(payload)


# Each scenario: (platform, body, headers) per delivery, and how many of them are fresh.
Delivery = tuple[str, bytes, dict[str, str]]


def scenarios() -> dict[str, tuple[list[Delivery], int]]:
    message, mention = slack_message(), slack_message("Ev222", "app_mention")
    slash, interaction = slack_slash(), discord_interaction()
    return {
        "slack original + retry": ([("slack", message, slack_headers(message)),
                                    ("slack", message, {**slack_headers(message), **RETRY})], 1),
        "slack message + app_mention twins": ([("slack", message, slack_headers(message)),
                                               ("slack", mention, slack_headers(mention))], 1),
        "slack twins + a retry": ([("slack", message, slack_headers(message)),
                                   ("slack", mention, slack_headers(mention)),
                                   ("slack", message, {**slack_headers(message), **RETRY})], 1),
        "slack slash command + replay": ([("slack", slash, slack_headers(slash, content_type=FORM))] * 2, 1),
        "discord interaction + replay": ([("discord", interaction, discord_headers(KEY, interaction))] * 2, 1),
        "telegram update + retry": ([("telegram", telegram_update(), telegram_headers())] * 2, 1),
        "two different telegram updates": ([("telegram", telegram_update(1), telegram_headers()),
                                            ("telegram", telegram_update(2), telegram_headers())], 2),
    }


def deliveries_on(spec: list[Delivery]) -> Callable[[DedupeStore], list[Callable[[], Awaitable[Any]]]]:
    settings = Settings.from_env(bot_env("http://127.0.0.1:9", KEY.verify_key.encode().hex()))

    def make(store: DedupeStore) -> list[Callable[[], Awaitable[Any]]]:
        adapters = {adapter.platform: adapter for adapter in adapters_from_env(settings, store)}

        def deliver(platform: str, body: bytes, headers: dict[str, str]) -> Callable[[], Awaitable[Any]]:
            async def run() -> tuple[int, bool]:
                received = await adapters[platform].receive(
                    HttpRequest.build("POST", PATHS[platform], headers, body))
                return received.response.status, bool(received.events)
            return run

        return [deliver(*delivery) for delivery in spec]

    return make


STORES: dict[str, Callable[[Any], Callable[[], DedupeStore]]] = {
    "memory": lambda tmp_path: MemoryDedupeStore,
    "sqlite": lambda tmp_path: lambda: SqliteDedupeStore(tmp_path / f"d{next(_counter)}.db"),
}
_counter = iter(range(10**6))


@pytest.mark.parametrize("store_kind", sorted(STORES))
@pytest.mark.parametrize("name", sorted(scenarios()))
async def test_every_interleaving_answers_each_message_exactly_once(name, store_kind, tmp_path):
    spec, fresh = scenarios()[name]
    outcomes = await explore(deliveries_on(spec), STORES[store_kind](tmp_path))
    # Each delivery makes at least one store call, so a pair has at least two orders.
    assert len(outcomes) >= 2
    for results in outcomes:
        assert [status for status, _ in results] == [200] * len(spec)
        assert sum(is_fresh for _, is_fresh in results) == fresh, results


async def test_the_explorer_tries_every_order_of_a_pair():
    """Two deliveries of two store calls each: (4 choose 2) = 6 orders, each run once."""
    from tests.dedupe.interleavings import _delivery

    seen: list[tuple[int, ...]] = []

    def make(store: DedupeStore) -> list[Callable[[], Awaitable[Any]]]:
        from core.dedupe import claim

        order: list[int] = []
        seen.append(())

        def delivery(index: int) -> Callable[[], Awaitable[Any]]:
            async def run() -> None:
                for step in range(2):
                    await claim(store, f"{index}:{step}", 60)
                    order.append(_delivery.get())
                seen[-1] = tuple(order)
            return run

        return [delivery(0), delivery(1)]

    outcomes = await explore(make, MemoryDedupeStore)
    assert len(outcomes) == 6 and len(set(seen)) == 6
