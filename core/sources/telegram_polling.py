"""Telegram long polling: `getUpdates` with offsets, so a bot needs no webhook and no public URL.

Telegram serves a bot's updates one way at a time: while a webhook is set, getUpdates is
refused (409), so the source checks getWebhookInfo first and refuses with what to do, or
deletes the webhook when asked (TELEGRAM_DELETE_WEBHOOK). Each long poll asks for the
updates from `offset` on; asking with `offset` = last update_id + 1 confirms the earlier
ones, and Telegram serves unconfirmed updates again to the next poller (a restart).
So every update is claimed in the dedupe store under the key the webhook claims
(core/chat/telegram.update_key) before it is emitted: a restart on the same store, or a
bot moved between webhook and polling, answers each message once. Replies go out by
sendMessage exactly as the webhook adapter's do. httpx is imported on first use.
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from cloudevents.http import CloudEvent

from core.backoff import Backoff
from core.chat.base import DeliveryError, PermanentDeliveryError, RateLimited
from core.chat.claims import first_delivery
from core.chat.outcomes import Ignored, Rejection
from core.chat.redaction import redacted_logger
from core.chat.telegram import (
    PLATFORM,
    SEEN_TTL_SECONDS,
    TelegramConfig,
    message_from_update,
    refusal,
    send_reply,
    update_key,
)
from core.dedupe import DedupeStore
from core.events import BotResponse, chat_message_event
from core.settings import Settings, SettingsError
from core.sources.base import Emit, SourceRefused
from core.sources.definition import Option, SourceDefinition

if TYPE_CHECKING:
    import httpx

logger = logging.getLogger("botless")

# Telegram holds a long poll up to this long when no update comes; the HTTP read timeout
# outlasts it, so a quiet chat is never taken for a lost connection.
POLL_SECONDS = 25
_HTTP_MARGIN_SECONDS = 10
_TOKEN_SHAPE = re.compile(r"^\d+:[A-Za-z0-9_-]+$")
_SWITCH_VALUES = {"": False, "0": False, "false": False, "no": False, "1": True, "true": True, "yes": True}


class _Reconnect(Exception):
    """A failure a later attempt may not meet: a 5xx, a network error, an answer that is no JSON."""


class _RetryAfter(Exception):
    """Telegram's 429: ask again after `seconds` (its `parameters.retry_after`)."""

    def __init__(self, seconds: float) -> None:
        super().__init__(f"retry after {seconds} s")
        self.seconds = seconds


class TelegramPollingSource:
    """The bot's updates by getUpdates, its replies by sendMessage; `run` polls until cancelled."""

    platform = PLATFORM

    def __init__(self, config: TelegramConfig, settings: Settings, dedupe: DedupeStore, *,
                 delete_webhook: bool = False, backoff: Backoff | None = None,
                 poll_seconds: int = POLL_SECONDS) -> None:
        self.config = config
        self.settings = settings
        self.dedupe = dedupe
        self.delete_webhook = delete_webhook
        self.backoff = backoff or Backoff()
        self.poll_seconds = poll_seconds
        self.username = ""  # from getMe, once connected
        self.offset: int | None = None  # the next update_id to ask for; None: Telegram's first unconfirmed

    def describe(self) -> str:
        # Before getMe answers, the bot is named by its id (the public half of the token).
        who = f"@{self.username}" if self.username else f"bot {self.config.bot_id}"
        return f"Telegram: long polling as {who} (no webhook, no public URL); message the bot /help"

    async def run(self, emit: Emit) -> None:
        """Check the bot and its webhook, then poll; reconnect with backoff; close the client when cancelled."""
        import httpx

        redacted_logger("httpx")  # httpx logs request URLs, and Bot API URLs hold the token
        client = httpx.AsyncClient(timeout=self.poll_seconds + _HTTP_MARGIN_SECONDS)
        ready = False
        try:
            while True:
                try:
                    if not ready:
                        await self._prepare(client)
                        ready = True
                    await self._poll_once(client, emit)
                except _RetryAfter as wait:
                    logger.warning("Telegram asked to slow down (429): polling again in %.0f s", wait.seconds)
                    await asyncio.sleep(wait.seconds)
                except _Reconnect as lost:
                    delay = self.backoff.next_delay()
                    logger.warning("Telegram %s; reconnecting in %.1f s", lost, delay)
                    await asyncio.sleep(delay)
        finally:
            await client.aclose()

    async def send(self, response: BotResponse, event: CloudEvent) -> None:
        """`sendMessage` to the chat, as a reply to the message that asked (as the webhook adapter posts)."""
        await send_reply(self.config, response, event)

    async def _prepare(self, client: httpx.AsyncClient) -> None:
        """getMe (is the token good, what is the bot called), then make sure no webhook is set."""
        me = await self._call(client, "getMe", {})
        if isinstance(me, Mapping) and isinstance(me.get("username"), str):
            self.username = me["username"]
            logger.info(self.describe())
        info = await self._call(client, "getWebhookInfo", {})
        url = info.get("url", "") if isinstance(info, Mapping) else ""
        if not url:
            return
        host = urlsplit(str(url)).netloc or "a URL"  # the rest of the URL may be a capability
        if not self.delete_webhook:
            raise SourceRefused(
                f"this bot has a webhook set (to {host}), and Telegram's getUpdates does not work while a "
                "webhook is set: pass --delete-webhook (TELEGRAM_DELETE_WEBHOOK=1) to remove it and poll, "
                "or keep the webhook and run `botless serve` behind it instead")
        # Pending updates are kept: they are this bot's next messages, now polled.
        await self._call(client, "deleteWebhook", {"drop_pending_updates": False})
        logger.info("Telegram: deleted the webhook to %s, so getUpdates can poll", host)

    async def _poll_once(self, client: httpx.AsyncClient, emit: Emit) -> None:
        """One long poll; each update is claimed, emitted if fresh, and the offset moved past it."""
        body: dict[str, Any] = {"timeout": self.poll_seconds, "allowed_updates": ["message"]}
        if self.offset is not None:
            body["offset"] = self.offset  # also confirms every update before it
        updates = await self._call(client, "getUpdates", body)
        self.backoff.reset()
        for update in updates if isinstance(updates, list) else []:
            update_id = update.get("update_id") if isinstance(update, Mapping) else None
            if not isinstance(update_id, int) or isinstance(update_id, bool):
                logger.warning("Telegram getUpdates returned an update without an integer update_id; skipped")
                continue
            await self._take(update, update_id, emit)
            self.offset = update_id + 1

    async def _take(self, update: Mapping[str, Any], update_id: int, emit: Emit) -> None:
        try:
            message = message_from_update(update)
        except (Ignored, Rejection) as skipped:
            logger.info("Telegram update %s skipped: %s", update_id, skipped)
            return
        if not await first_delivery(self.dedupe, update_key(self.config, update_id), SEEN_TTL_SECONDS):
            logger.info("Telegram update %s was answered before; skipped", update_id)
            return
        # reply_to as the webhook sets it: what send_reply reads the chat and message from.
        await emit(chat_message_event(message, source=f"{self.settings.source}/{PLATFORM}",
                                      reply_to=f"{message.channel}:{message.message_id}"))

    async def _call(self, client: httpx.AsyncClient, method: str, body: Mapping[str, Any]) -> Any:
        """Bot API `method`'s result; SourceRefused, _RetryAfter or _Reconnect by what Telegram answered."""
        import httpx

        try:
            reply = await client.post(f"{self.config.api_url}/bot{self.config.bot_token}/{method}", json=dict(body))
        except httpx.HTTPError as error:  # never str(error): it may hold the URL, and so the token
            raise _Reconnect(f"{method} failed: {type(error).__name__}") from None
        try:
            payload = reply.json()
        except ValueError:
            payload = None
        if reply.status_code == 200 and isinstance(payload, dict) and payload.get("ok") is True:
            return payload.get("result")
        raise self._refused(method, refusal(method, reply.status_code, payload))

    def _refused(self, method: str, error: DeliveryError) -> Exception:
        """What a Bot API refusal (core/chat/telegram.py's reading of it) means to a poller."""
        if isinstance(error, RateLimited):
            return _RetryAfter(error.retry_after)
        if not isinstance(error, PermanentDeliveryError):
            return _Reconnect(str(error))  # a 5xx or an answer without JSON: try again later
        if error.code in ("401", "404"):
            return SourceRefused(f"Telegram refused TELEGRAM_BOT_TOKEN ({error}); "
                                 "copy the bot's token from @BotFather again (/token)")
        if error.code == "409":
            return SourceRefused(
                f"{error}: only one process can poll a bot's updates, so stop the other one using this "
                "token (another `botless connect telegram`, or a webhook set since: pass --delete-webhook "
                "to remove it)")
        return SourceRefused(str(error))


def _switch(env: Mapping[str, str], name: str) -> bool:
    raw = env.get(name, "").strip().lower()
    if raw not in _SWITCH_VALUES:
        raise SettingsError(f"{name}={raw!r}: use 1 or 0")
    return _SWITCH_VALUES[raw]


def build(env: Mapping[str, str], dedupe: DedupeStore, settings: Settings) -> TelegramPollingSource:
    """The source from TELEGRAM_* settings; no I/O."""
    config = TelegramConfig.from_env(env)
    if not config.bot_token:
        raise SettingsError("TELEGRAM_BOT_TOKEN is not set: create a bot with @BotFather and export its token")
    if not _TOKEN_SHAPE.match(config.bot_token):
        raise SettingsError("TELEGRAM_BOT_TOKEN is not shaped like a bot token (digits, a colon, then the secret); "
                            "copy it from @BotFather again")
    return TelegramPollingSource(config, settings, dedupe, delete_webhook=_switch(env, "TELEGRAM_DELETE_WEBHOOK"))


SOURCE = SourceDefinition(
    name="telegram",
    summary="Telegram long polling (getUpdates): no webhook, no public URL",
    options=(
        Option("TELEGRAM_BOT_TOKEN", "the bot's token from @BotFather", secret=True),
        Option("TELEGRAM_DELETE_WEBHOOK", "delete the bot's webhook first (getUpdates does not work while one is set)",
               flag="--delete-webhook", flag_value="1"),
        Option("TELEGRAM_API_URL", "Bot API base URL (default https://api.telegram.org)", flag="--api-url"),
    ),
    build=build,
)
