"""Telegram long polling end to end: a real Bot on the embedded bus, the stand-in Bot API on 127.0.0.1.

Each test runs `run_source` as `botless connect telegram` does and reads what reached
the stand-in: the getUpdates offsets, the deleteWebhook call, every sendMessage.
"""

from __future__ import annotations

import asyncio
import json
import socket
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from dataclasses import replace
from pathlib import Path
from typing import Any

import httpx
import pytest

from core.backoff import Backoff
from core.bot import Bot
from core.chat.telegram import TelegramAdapter, TelegramConfig
from core.commands import BUILTIN_COMMAND_SETS
from core.dedupe import DedupeStore, MemoryDedupeStore, SqliteDedupeStore
from core.http import HttpRequest
from core.registry import Command, CommandSet
from core.settings import Settings, SettingsError
from core.sources.base import ChatSource, SourceRefused
from core.sources.session import run_source
from core.sources.telegram_polling import SOURCE, TelegramPollingSource
from functions.local.cli import main
from tests.sources.telegram_api import TOKEN, USERNAME, TelegramApi, _error
from tooling.loopback import Answer

pytestmark = pytest.mark.slow  # a server thread per test, and long polls on it

HELP_LINE = "/help: List every command"
SETTINGS = Settings(load_entry_points=False)


@pytest.fixture
def api() -> Iterator[TelegramApi]:
    server = TelegramApi().start()
    yield server
    server.stop()


def polling(api: TelegramApi, dedupe: DedupeStore, *, token: str = TOKEN, **options: Any) -> TelegramPollingSource:
    config = TelegramConfig(bot_token=token, api_url=api.url)
    options.setdefault("backoff", Backoff(initial=0.01, maximum=0.05))
    return TelegramPollingSource(config, SETTINGS, dedupe, poll_seconds=5, **options)


def bot_for(source: TelegramPollingSource, dedupe: DedupeStore, *extra: CommandSet) -> Bot:
    return Bot(SETTINGS, command_sets=[*BUILTIN_COMMAND_SETS, *extra], responders=[source], dedupe=dedupe)


@asynccontextmanager
async def connected(source: TelegramPollingSource, bot: Bot, topology: str = "mono") -> AsyncIterator[None]:
    """`source` polling into `bot`'s broker; leaving stops it and waits for the replies in flight."""
    stop = asyncio.Event()
    session = asyncio.create_task(run_source(source, bot.broker(topology).publish, stop=stop, grace_seconds=5))
    try:
        yield
    finally:
        stop.set()
        await session


async def refused(source: TelegramPollingSource, bot: Bot) -> SourceRefused:
    """What ends a session that Telegram refuses (the test fails if it goes on polling instead)."""
    with pytest.raises(SourceRefused) as refusal:
        await asyncio.wait_for(run_source(source, bot.broker("mono").publish, grace_seconds=5), 10)
    return refusal.value


def offsets(api: TelegramApi) -> list[Any]:
    return [call.json.get("offset") for call in api.called("getUpdates")]


@pytest.mark.parametrize("topology", ["mono", "pipeline"])
async def test_help_is_answered_once_by_send_message_replying_to_it(api: TelegramApi, topology: str) -> None:
    store = MemoryDedupeStore()
    source = polling(api, store)
    update_id = api.push_text("/help")
    async with connected(source, bot_for(source, store), topology):
        [reply] = await api.wait_for("sendMessage", 1)
        await api.wait_for("getUpdates", 2)  # the poll after the update, which confirms it
    assert reply.json["chat_id"] == 1111111 and HELP_LINE in reply.json["text"]
    assert reply.json["reply_parameters"] == {"message_id": update_id - 499_000, "allow_sending_without_reply": True}
    assert len(api.called("sendMessage")) == 1
    first = api.called("getUpdates")[0].json
    assert first == {"timeout": 5, "allowed_updates": ["message"]}  # no offset: Telegram's first unconfirmed
    assert offsets(api)[1] == update_id + 1
    assert source.describe() == (f"Telegram: long polling as @{USERNAME} (no webhook, no public URL); "
                                 "message the bot /help")


async def test_a_restart_on_the_same_sqlite_store_answers_nothing_twice(api: TelegramApi, tmp_path: Path) -> None:
    path = tmp_path / "dedupe.db"
    first = polling(api, SqliteDedupeStore(path))
    help_id = api.push_text("/help")
    async with connected(first, bot_for(first, first.dedupe)):
        await api.wait_for("sendMessage", 1)
    api.forget_confirmations()  # as if the offset past /help never reached Telegram
    polls_before = len(api.called("getUpdates"))

    restarted = polling(api, SqliteDedupeStore(path))
    assert restarted.describe().startswith("Telegram: long polling as bot 123456789 ")  # before getMe
    async with connected(restarted, bot_for(restarted, restarted.dedupe)):
        await api.wait_for("getUpdates", polls_before + 2)  # served /help again, then polled past it
        echo_id = api.push_text("/echo after the restart")
        await api.wait_for("sendMessage", 2)
    assert offsets(api)[polls_before:polls_before + 2] == [None, help_id + 1]
    texts = api.sent_texts()
    assert len(texts) == 2 and HELP_LINE in texts[0] and texts[1] == "after the restart"
    assert offsets(api)[-1] == echo_id + 1


async def test_an_update_the_webhook_took_is_not_answered_again_when_polled(api: TelegramApi) -> None:
    store = MemoryDedupeStore()
    config = TelegramConfig(bot_token=TOKEN, secret_token="webhook-secret", api_url=api.url)
    taken_id = api.push_text("/help")
    webhook = TelegramAdapter(config, SETTINGS, store)
    body = json.dumps(api.update(taken_id)).encode()
    received = await webhook.receive(HttpRequest.build("POST", "/telegram/webhook", {
        "content-type": "application/json", "x-telegram-bot-api-secret-token": "webhook-secret"}, body))
    assert len(received.events) == 1  # the webhook claimed it (and would have answered it)

    source = polling(api, store)  # the bot moved to polling before Telegram saw the webhook's 200
    async with connected(source, bot_for(source, store)):
        await api.wait_for("getUpdates", 2)
        api.push_text("/echo polled")
        await api.wait_for("sendMessage", 1)
    assert api.sent_texts() == ["polled"]


async def test_a_webhook_set_is_refused_with_what_to_do(api: TelegramApi) -> None:
    api.webhook_url = "https://bot.example.com/telegram/webhook"
    store = MemoryDedupeStore()
    source = polling(api, store)
    message = str(await refused(source, bot_for(source, store)))
    assert "getUpdates does not work while a webhook is set" in message
    assert "--delete-webhook" in message and "bot.example.com" in message
    assert api.called("getUpdates") == [] and api.called("deleteWebhook") == []


async def test_delete_webhook_removes_it_keeping_pending_updates_then_polls(api: TelegramApi) -> None:
    api.webhook_url = "https://bot.example.com/telegram/webhook"
    api.push_text("/help")  # pending while the webhook was set
    store = MemoryDedupeStore()
    source = polling(api, store, delete_webhook=True)
    async with connected(source, bot_for(source, store)):
        [reply] = await api.wait_for("sendMessage", 1)
    assert HELP_LINE in reply.json["text"]
    [deleted] = api.called("deleteWebhook")
    assert deleted.json == {"drop_pending_updates": False}
    assert api.calls.index(deleted) < api.calls.index(api.called("getUpdates")[0])


async def test_a_bad_token_is_refused(api: TelegramApi) -> None:
    store = MemoryDedupeStore()
    source = polling(api, store, token="123456789:not-this-bots-token")
    message = str(await refused(source, bot_for(source, store)))
    assert "Telegram refused TELEGRAM_BOT_TOKEN (Telegram getMe failed (401): Unauthorized)" in message
    assert api.called("getUpdates") == []


async def test_a_second_poller_is_a_conflict_for_the_first(api: TelegramApi) -> None:
    store = MemoryDedupeStore()
    first, second = polling(api, store), polling(api, store)
    refusal = asyncio.create_task(refused(first, bot_for(first, store)))
    await api.wait_for("getUpdates", 1)
    async with connected(second, bot_for(second, store)):
        assert "only one process can poll" in str(await refusal)


async def test_server_errors_reconnect_with_backoff_then_recover(api: TelegramApi) -> None:
    draws: list[float] = []

    def draw(low: float, high: float) -> float:
        draws.append(high)
        return 0.0

    api.fail_next("getUpdates", Answer(502, b"<html>502 Bad Gateway</html>", "text/html"), times=2)
    api.push_text("/help")
    store = MemoryDedupeStore()
    source = polling(api, store, backoff=Backoff(initial=0.01, maximum=0.05, draw=draw))
    async with connected(source, bot_for(source, store)):
        await api.wait_for("sendMessage", 1)
    assert draws == [0.01, 0.02]  # two reconnects, the cap doubling
    assert source.backoff.attempt == 0  # reset by the poll that worked
    assert len(api.called("getMe")) == 1 and len(api.sent_texts()) == 1


async def test_network_errors_reconnect_with_backoff_then_recover(api: TelegramApi) -> None:
    with socket.socket() as closed:  # a port nothing listens on once the socket is closed
        closed.bind(("127.0.0.1", 0))
        nowhere = f"http://127.0.0.1:{closed.getsockname()[1]}"
    draws: list[float] = []

    def draw(low: float, high: float) -> float:
        draws.append(high)
        if len(draws) == 2:  # the network is back: the next attempt reaches the API
            source.config = replace(source.config, api_url=api.url)
        return 0.0

    store = MemoryDedupeStore()
    source = polling(api, store, backoff=Backoff(initial=0.01, maximum=0.05, draw=draw))
    source.config = replace(source.config, api_url=nowhere)
    api.push_text("/help")
    async with connected(source, bot_for(source, store)):
        await api.wait_for("sendMessage", 1)
    assert draws == [0.01, 0.02] and len(api.sent_texts()) == 1


async def test_too_many_requests_waits_retry_after_not_backoff(api: TelegramApi) -> None:
    api.fail_next("getUpdates", _error(429, "Too Many Requests: retry after 0", retry_after=0))
    api.push_text("/help")
    store = MemoryDedupeStore()
    source = polling(api, store)
    async with connected(source, bot_for(source, store)):
        await api.wait_for("sendMessage", 1)
    assert source.backoff.attempt == 0 and len(api.sent_texts()) == 1


async def test_a_slow_command_does_not_delay_help_sent_after_it(api: TelegramApi) -> None:
    release, entered = asyncio.Event(), asyncio.Event()
    waiting = CommandSet()

    @waiting.command(help="Answer once the test releases it")
    async def wait(command: Command) -> str:
        entered.set()
        await release.wait()
        return "released"

    api.push_text("/wait")
    store = MemoryDedupeStore()
    source = polling(api, store)
    async with connected(source, bot_for(source, store, waiting)):
        await asyncio.wait_for(entered.wait(), 10)
        api.push_text("/help")
        [reply] = await api.wait_for("sendMessage", 1)
        assert HELP_LINE in reply.json["text"]  # answered while /wait still waits
        release.set()
        await api.wait_for("sendMessage", 2)
    assert api.sent_texts()[1] == "released"


async def test_cancel_ends_the_poll_and_closes_the_client(api: TelegramApi, monkeypatch: pytest.MonkeyPatch) -> None:
    clients: list[httpx.AsyncClient] = []

    class Recorded(httpx.AsyncClient):
        def __init__(self, **kwargs: Any) -> None:
            super().__init__(**kwargs)
            clients.append(self)

    monkeypatch.setattr(httpx, "AsyncClient", Recorded)
    emitted: list[Any] = []

    async def emit(event: Any) -> None:
        emitted.append(event)

    task = asyncio.create_task(polling(api, MemoryDedupeStore()).run(emit))
    await api.wait_for("getUpdates", 1)  # held in a long poll now
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    [client] = clients
    assert client.is_closed and emitted == []


def test_build_reads_the_token_and_the_switch() -> None:
    source = SOURCE.build({"TELEGRAM_BOT_TOKEN": TOKEN, "TELEGRAM_DELETE_WEBHOOK": "1"}, MemoryDedupeStore(), SETTINGS)
    assert isinstance(source, TelegramPollingSource) and isinstance(source, ChatSource) and source.delete_webhook
    with pytest.raises(SettingsError, match="TELEGRAM_BOT_TOKEN is not set"):
        SOURCE.build({}, MemoryDedupeStore(), SETTINGS)
    with pytest.raises(SettingsError, match="not shaped like a bot token"):
        SOURCE.build({"TELEGRAM_BOT_TOKEN": "nonsense"}, MemoryDedupeStore(), SETTINGS)
    with pytest.raises(SettingsError, match="TELEGRAM_DELETE_WEBHOOK"):
        SOURCE.build({"TELEGRAM_BOT_TOKEN": TOKEN, "TELEGRAM_DELETE_WEBHOOK": "maybe"}, MemoryDedupeStore(), SETTINGS)


def test_connect_telegram_help_shows_delete_webhook(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["connect", "telegram", "--help"])
    assert exited.value.code == 0
    shown = capsys.readouterr().out
    assert "--delete-webhook" in shown and "TELEGRAM_DELETE_WEBHOOK" in shown and "TELEGRAM_BOT_TOKEN" in shown
