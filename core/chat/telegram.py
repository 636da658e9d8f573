"""Telegram: `POST /telegram/webhook`, checked against the secret token; replies by sendMessage.

Telegram sends the `secret_token` given to `setWebhook` in a header on every update;
anything without it is refused. A text message becomes a chat message; the reply
answers it in the same chat (and forum topic). An `update_id` seen before is
dropped. httpx is imported on first use.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from cloudevents.http import CloudEvent

from core.chat.base import DeliveryError, PermanentDeliveryError, RateLimited, Received
from core.chat.builtin_platforms import TELEGRAM as TELEGRAM  # `core.chat.telegram:TELEGRAM` names it too
from core.chat.outcomes import Ignored, Rejection
from core.chat.rate_limits import with_retries
from core.chat.redaction import redacted_logger
from core.chat.request_checks import parse_json_object, secret_equals
from core.chat.text import truncate
from core.chat.urls import api_url_from_env
from core.chat.webhook import WebhookAdapter
from core.events import (
    EXT_CHANNEL,
    EXT_REPLY_TO,
    BotResponse,
    ChatMessage,
    ChatUser,
)
from core.http import HttpRequest, HttpResponse
from core.limits import TELEGRAM_TEXT_LIMIT
from core.settings import SettingsError, secret_field

PLATFORM = "telegram"
DEFAULT_API_URL = "https://api.telegram.org"
SECRET_HEADER = "x-telegram-bot-api-secret-token"
MESSAGE_LIMIT = TELEGRAM_TEXT_LIMIT
# Telegram keeps retrying an unanswered update (and keeps an unconfirmed one) for up to 24 hours.
SEEN_TTL_SECONDS = 24 * 3600
# What setWebhook accepts as secret_token.
_SECRET_TOKEN = re.compile(r"^[A-Za-z0-9_-]{1,256}$")


@dataclass(frozen=True)
class TelegramConfig:
    """TELEGRAM_* settings."""

    bot_token: str = secret_field()
    secret_token: str = secret_field()
    api_url: str = DEFAULT_API_URL

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> TelegramConfig:
        """Read TELEGRAM_BOT_TOKEN, TELEGRAM_SECRET_TOKEN and TELEGRAM_API_URL."""
        secret = env.get("TELEGRAM_SECRET_TOKEN", "").strip()
        if secret and not _SECRET_TOKEN.match(secret):
            raise SettingsError("TELEGRAM_SECRET_TOKEN must be 1-256 characters of A-Z, a-z, 0-9, _ and - "
                                "(Telegram's rule for setWebhook's secret_token)")
        return cls(bot_token=env.get("TELEGRAM_BOT_TOKEN", "").strip(), secret_token=secret,
                   api_url=api_url_from_env(env, "TELEGRAM_API_URL", DEFAULT_API_URL))

    @property
    def bot_id(self) -> str:
        """The numeric bot id, the public half of the token before the colon."""
        return self.bot_token.partition(":")[0]


def message_from_update(payload: Mapping[str, Any]) -> ChatMessage:
    """The chat message in an update; Ignored for updates that are no new text message."""
    message = payload.get("message")
    if not isinstance(message, Mapping):
        kinds = sorted(key for key in payload if key != "update_id")
        raise Ignored(f"Telegram update {', '.join(kinds) or 'without content'} is not handled")
    text = message.get("text")
    if not isinstance(text, str) or not text.strip():
        raise Ignored("a message without text")
    if len(text) > TELEGRAM_TEXT_LIMIT:
        raise Ignored(f"a message of {len(text)} characters (Telegram sends at most {TELEGRAM_TEXT_LIMIT})")
    user = message_sender(message)
    chat, message_id = message.get("chat"), message.get("message_id")
    if not isinstance(chat, Mapping) or not isinstance(chat.get("id"), (int, str)) or not isinstance(message_id, int):
        raise Rejection(400, "Telegram message needs `chat.id` and an integer `message_id`")
    topic = message.get("message_thread_id")
    return ChatMessage(
        platform=PLATFORM, text=text,
        user=user,
        channel=str(chat["id"]),
        thread=str(topic) if message.get("is_topic_message") and isinstance(topic, int) else "",
        message_id=str(message_id),
    )


def message_sender(message: Mapping[str, Any]) -> ChatUser:
    """Who wrote `message`: its `sender_chat` when sent on behalf of a chat, else `from`.

    An anonymous group admin writes as the group (`sender_chat`), with `from` set to the
    placeholder bot GroupAnonymousBot; a linked channel's post forwarded to its
    discussion group has the channel as `sender_chat`. Telegram fills `from` with a fake
    sender there, so only a message without `sender_chat` from a bot is a bot's.
    """
    sender_chat, sender = message.get("sender_chat"), message.get("from")
    for name, value in (("sender_chat", sender_chat), ("from", sender)):
        if value is not None and not isinstance(value, Mapping):
            raise Rejection(400, f"Telegram message `{name}` must be an object")
    if isinstance(sender_chat, Mapping):
        return ChatUser(id=_id_of(sender_chat, "sender_chat"), name=_name_of(sender_chat, "title", "username"))
    sender = sender or {}
    if sender.get("is_bot") is True:
        raise Ignored("a message from a bot")
    return ChatUser(id=_id_of(sender, "from"), name=_name_of(sender, "username", "first_name"))


def _id_of(party: Mapping[str, Any], where: str) -> str:
    value = party.get("id", "")
    if isinstance(value, bool) or not isinstance(value, (int, str)):
        raise Rejection(400, f"Telegram `{where}.id` must be an integer")
    return str(value)


def _name_of(party: Mapping[str, Any], *fields: str) -> str:
    names = [party.get(name) for name in fields]
    return next((name for name in names if isinstance(name, str) and name), "")


class TelegramAdapter(WebhookAdapter[TelegramConfig]):
    """The Telegram platform: webhook updates in, Bot API sendMessage out."""

    platform = PLATFORM
    path = "/telegram/webhook"

    @property
    def enabled(self) -> bool:
        """Only with a secret token: updates that cannot be checked are never accepted."""
        return bool(self.config.secret_token)

    async def _receive(self, request: HttpRequest) -> Received:
        """Check the secret token, then turn a text message into a chat message."""
        given = request.header(SECRET_HEADER)
        if not given:
            raise Rejection(401, "missing X-Telegram-Bot-Api-Secret-Token header")
        if not secret_equals(given, self.config.secret_token):
            raise Rejection(401, "X-Telegram-Bot-Api-Secret-Token is wrong (is TELEGRAM_SECRET_TOKEN right?)")
        payload = parse_json_object(request.body)
        update_id = payload.get("update_id")
        if not isinstance(update_id, int) or isinstance(update_id, bool):
            raise Rejection(400, "Telegram update without an integer `update_id`")
        message = message_from_update(payload)
        # Not deferred: Telegram has no 3 s deadline and retries an update until it is
        # answered 2xx, so the event is handed on before the answer.
        return await self._publish_once(message, update_key(self.config, update_id), SEEN_TTL_SECONDS,
                                        duplicate=Ignored(f"duplicate update {update_id}"),
                                        acknowledgement=HttpResponse(200),
                                        reply_to=f"{message.channel}:{message.message_id}")

    async def send(self, response: BotResponse, event: CloudEvent) -> None:
        """`sendMessage` to the chat, as a reply to the message that asked."""
        await send_reply(self.config, response, event)


def update_key(config: TelegramConfig, update_id: int) -> str:
    """The dedupe key of an update, whether it came by webhook or by getUpdates (one answer either way)."""
    return f"telegram:{config.bot_id}:{update_id}"


async def send_reply(config: TelegramConfig, response: BotResponse, event: CloudEvent) -> None:
    """`sendMessage` of `response` to the chat of `event`'s message, as a reply to it."""
    attributes = event.get_attributes()
    route_chat, _, route_message = str(attributes.get(EXT_REPLY_TO, "")).rpartition(":")
    chat = response.channel or str(attributes.get(EXT_CHANNEL, "")) or route_chat
    if not chat:
        raise DeliveryError("this Telegram reply has no chat to go to")
    text = truncate(response.text or "(no text)", MESSAGE_LIMIT)
    body: dict[str, Any] = {"chat_id": _chat_id(chat), "text": text}
    replied = response.message_id or route_message
    if replied.isdigit():
        # Still sent when the original message was deleted meanwhile.
        body["reply_parameters"] = {"message_id": int(replied), "allow_sending_without_reply": True}
    if response.thread.isdigit():
        body["message_thread_id"] = int(response.thread)
    # A 429 is waited out and a 5xx tried again while respond's budget lasts (core/chat/rate_limits.py).
    await with_retries(lambda: call_bot_api(config, "sendMessage", body))


def _chat_id(chat: str) -> int | str:
    # Numeric chat ids go as numbers; `@channelname` stays a string.
    return int(chat) if chat.lstrip("-").isdigit() else chat


async def call_bot_api(config: TelegramConfig, method: str, body: Mapping[str, Any]) -> Any:
    """Call Bot API `method` and return its `result`; DeliveryError (without the token) on failure."""
    import httpx

    if not config.bot_token:
        raise DeliveryError(f"TELEGRAM_BOT_TOKEN is not set, so Botless cannot call {method}")
    redacted_logger("httpx")  # httpx logs request URLs, and Bot API URLs hold the token
    try:
        async with httpx.AsyncClient(timeout=10) as client:
            reply = await client.post(f"{config.api_url}/bot{config.bot_token}/{method}", json=dict(body))
    except httpx.HTTPError as error:
        raise DeliveryError(f"Telegram {method} failed: {type(error).__name__}") from None
    try:
        payload = reply.json()
    except ValueError:
        payload = None
    if reply.status_code == 200 and isinstance(payload, dict) and payload.get("ok"):
        return payload.get("result")
    raise refusal(method, reply.status_code, payload)


def refusal(method: str, status: int, payload: Any) -> DeliveryError:
    """What a Bot API refusal means: RateLimited (429, `parameters.retry_after`), DeliveryError
    (5xx, an unreadable answer: try later) or PermanentDeliveryError (any other 4xx)."""
    answer = payload if isinstance(payload, dict) else {}
    description = str(answer.get("description", "")) or "no description"
    code = str(answer.get("error_code", status))
    message = f"Telegram {method} failed ({status}): {description}"
    if status == 429:
        parameters = answer.get("parameters")
        retry_after = parameters.get("retry_after") if isinstance(parameters, dict) else None
        if isinstance(retry_after, int | float) and not isinstance(retry_after, bool):
            return RateLimited(message, float(retry_after))
        return RateLimited(message, 1.0)
    if 400 <= status < 500 and answer:
        return PermanentDeliveryError(message, code)
    return DeliveryError(message)


async def set_webhook(config: TelegramConfig, url: str, *, drop_pending_updates: bool = False) -> Any:
    """Point Telegram at `url` (…/telegram/webhook), with the secret token it must send back."""
    if not config.secret_token:
        raise DeliveryError("TELEGRAM_SECRET_TOKEN is not set; choose one (A-Z, a-z, 0-9, _ and -) first")
    return await call_bot_api(config, "setWebhook", {
        "url": url, "secret_token": config.secret_token,
        # Only what the adapter handles, so Telegram does not call for nothing.
        "allowed_updates": ["message"], "drop_pending_updates": drop_pending_updates,
    })
