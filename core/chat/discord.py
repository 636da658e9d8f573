"""Discord: `POST /discord/interactions`, verified with Ed25519; replies by interaction webhook.

A PING is answered PONG. An application command becomes a Botless command; when its
reply is ready within the ack budget it is the answer itself (type 4,
CHANNEL_MESSAGE_WITH_SOURCE; core/chat/answer.py), else the interaction is answered with a
deferred response (type 5, "thinking…") and the reply follows as
`POST /webhooks/{application_id}/{token}`, so slow commands and FaaS targets work.
PyNaCl and httpx are imported on first use.
"""

from __future__ import annotations

import json
import shlex
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from cloudevents.http import CloudEvent

from core.chat.base import DeliveryError, PermanentDeliveryError, RateLimited, Received
from core.chat.builtin_platforms import DISCORD as DISCORD  # `core.chat.discord:DISCORD` names it too
from core.chat.discord_limits import RouteBuckets
from core.chat.outcomes import Ignored, Rejection
from core.chat.rate_limits import with_retries
from core.chat.redaction import redacted_logger
from core.chat.request_checks import parse_json_object, signed_headers
from core.chat.text import truncate
from core.chat.urls import api_url_from_env
from core.chat.webhook import WebhookAdapter
from core.events import (
    EXT_REPLY_TO,
    BotResponse,
    ChatMessage,
    ChatUser,
)
from core.http import HttpRequest, HttpResponse
from core.limits import COMMAND_NAME_LIMIT, DISCORD_CONTENT_LIMIT, DISCORD_OPTION_LIMIT, TEXT_LIMIT
from core.settings import SettingsError, secret_field

PLATFORM = "discord"
DEFAULT_API_URL = "https://discord.com/api/v10"
# Interaction types and callback types, from Discord's "Receiving and Responding".
PING, APPLICATION_COMMAND, MESSAGE_COMPONENT, AUTOCOMPLETE, MODAL_SUBMIT = 1, 2, 3, 4, 5
PONG, CHANNEL_MESSAGE_WITH_SOURCE, DEFERRED_CHANNEL_MESSAGE, DEFERRED_UPDATE_MESSAGE, AUTOCOMPLETE_RESULT = \
    1, 4, 5, 6, 8
EPHEMERAL_FLAG = 64
MESSAGE_LIMIT = DISCORD_CONTENT_LIMIT
_SUBCOMMAND_TYPES = (1, 2)
# Interaction tokens live 15 minutes; a replayed interaction is dropped for longer.
_SEEN_TTL_SECONDS = 3600


@dataclass(frozen=True)
class DiscordConfig:
    """DISCORD_* settings."""

    public_key: str = ""
    application_id: str = ""
    bot_token: str = secret_field()
    api_url: str = DEFAULT_API_URL

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> DiscordConfig:
        """Read DISCORD_PUBLIC_KEY, DISCORD_APPLICATION_ID, DISCORD_BOT_TOKEN, DISCORD_API_URL."""
        public_key = env.get("DISCORD_PUBLIC_KEY", "").strip()
        if public_key:
            try:
                valid = len(bytes.fromhex(public_key)) == 32
            except ValueError:
                valid = False
            if not valid:
                raise SettingsError("DISCORD_PUBLIC_KEY must be the 64 hex characters shown as "
                                    "'Public Key' on the application's General Information page")
        return cls(public_key=public_key, application_id=env.get("DISCORD_APPLICATION_ID", "").strip(),
                   bot_token=env.get("DISCORD_BOT_TOKEN", "").strip(),
                   api_url=api_url_from_env(env, "DISCORD_API_URL", DEFAULT_API_URL))


def options_text(options: Any) -> str:
    """A command's options as argument text: one value as is, several shell-quoted."""
    values: list[str] = []

    def collect(items: Any) -> None:
        for option in items if isinstance(items, list) else ():
            if not isinstance(option, Mapping):
                continue
            if option.get("type") in _SUBCOMMAND_TYPES:
                values.append(str(option.get("name", "")))
                collect(option.get("options"))
            elif "value" in option:
                value = option["value"]
                if isinstance(value, str) and len(value) > DISCORD_OPTION_LIMIT:
                    raise Ignored(f"an option of {len(value)} characters (Discord sends at most "
                                  f"{DISCORD_OPTION_LIMIT})", {"type": DEFERRED_UPDATE_MESSAGE})
                values.append(value if isinstance(value, str) else json.dumps(value))

    collect(options)
    if len(values) == 1:
        return values[0]
    return " ".join(shlex.quote(value) for value in values)


def message_from_interaction(payload: Mapping[str, Any], application_id: str) -> tuple[ChatMessage, str]:
    """The chat message of an application command, and its reply route `app_id:token`."""
    data, token, interaction_id = payload.get("data"), payload.get("token"), payload.get("id")
    if not isinstance(data, Mapping) or not isinstance(data.get("name"), str) or not data["name"]:
        raise Rejection(400, "application command without `data.name`")
    if len(data["name"]) > COMMAND_NAME_LIMIT:
        raise Ignored(f"a command name of {len(data['name'])} characters (Discord allows 32)",
                      {"type": DEFERRED_UPDATE_MESSAGE})
    if not isinstance(token, str) or not token or not isinstance(interaction_id, str):
        raise Rejection(400, "interaction without a string `id` and `token`")
    app_id = str(payload.get("application_id") or application_id)
    if not app_id:
        raise Rejection(400, "interaction has no application_id and DISCORD_APPLICATION_ID is not set")
    member = payload.get("member")
    user = (member.get("user") if isinstance(member, Mapping) else None) or payload.get("user") or {}
    if not isinstance(user, Mapping):
        raise Rejection(400, "interaction `user` must be an object")
    if user.get("bot"):
        raise Ignored("an interaction from a bot", {"type": DEFERRED_UPDATE_MESSAGE})
    text = options_text(data.get("options"))
    if len(text) > TEXT_LIMIT:
        raise Ignored(f"options of {len(text)} characters in all (at most {TEXT_LIMIT})",
                      {"type": DEFERRED_UPDATE_MESSAGE})
    message = ChatMessage(
        platform=PLATFORM, text=text,
        user=ChatUser(id=str(user.get("id", "")), name=str(user.get("global_name") or user.get("username") or "")),
        channel=str(payload.get("channel_id") or ""), message_id=interaction_id, command=data["name"].lower(),
    )
    return message, f"{app_id}:{token}"


def message_body(response: BotResponse) -> dict[str, Any]:
    """The message Discord shows for `response`, as a follow-up or inside a type-4 answer."""
    body: dict[str, Any] = {
        "content": truncate(response.text or "(no text)", MESSAGE_LIMIT),
        # Never ping @everyone or a role because a command echoed it.
        "allowed_mentions": {"parse": []},
    }
    if response.ephemeral:
        body["flags"] = EPHEMERAL_FLAG
    return body


def interaction_answer(response: BotResponse) -> HttpResponse:
    """An interaction's reply as the HTTP answer itself (type 4, CHANNEL_MESSAGE_WITH_SOURCE)."""
    return HttpResponse.json(200, {"type": CHANNEL_MESSAGE_WITH_SOURCE, "data": message_body(response)})


class DiscordAdapter(WebhookAdapter[DiscordConfig]):
    """The Discord platform: interactions in, interaction webhooks out."""

    platform = PLATFORM
    path = "/discord/interactions"
    _verify_key: Any = None  # PyNaCl's key, made on first use
    _route_buckets: RouteBuckets | None = None  # what Discord's headers said, per instance

    @property
    def _buckets(self) -> RouteBuckets:
        if self._route_buckets is None:
            self._route_buckets = RouteBuckets()
        return self._route_buckets

    @property
    def enabled(self) -> bool:
        """Only with a public key: unverified interactions are never accepted."""
        return bool(self.config.public_key)

    async def _receive(self, request: HttpRequest) -> Received:
        """Verify, then answer PING, defer a command, or acknowledge what is not handled."""
        self._verify(request)
        payload = parse_json_object(request.body)
        kind = payload.get("type")
        if kind == PING:
            return Received(HttpResponse.json(200, {"type": PONG}))
        if kind == AUTOCOMPLETE:
            raise Ignored("autocomplete", {"type": AUTOCOMPLETE_RESULT, "data": {"choices": []}})
        if kind != APPLICATION_COMMAND:
            # Components, modals and future types: acknowledged without changing anything.
            raise Ignored(f"interaction type {kind!r} is not handled", {"type": DEFERRED_UPDATE_MESSAGE})
        message, reply_to = message_from_interaction(payload, self.config.application_id)
        # The interaction id is signed and unique per interaction: a replay carries it unchanged.
        return await self._publish_once(
            message, f"discord:interaction:{message.message_id}", _SEEN_TTL_SECONDS,
            duplicate=Ignored("duplicate interaction", {"type": DEFERRED_CHANNEL_MESSAGE}),
            acknowledgement=HttpResponse.json(200, {"type": DEFERRED_CHANNEL_MESSAGE}), reply_to=reply_to,
            deferred=True, answer_with=interaction_answer)

    def _verify(self, request: HttpRequest) -> None:
        # Discord signs the timestamp; Botless also refuses old ones, so a captured
        # request cannot be replayed later.
        signature, timestamp = signed_headers(request, "X-Signature-Ed25519", "X-Signature-Timestamp", self._clock())
        from nacl.exceptions import BadSignatureError
        from nacl.signing import VerifyKey

        if self._verify_key is None:
            self._verify_key = VerifyKey(bytes.fromhex(self.config.public_key))
        try:
            self._verify_key.verify(timestamp.encode("utf-8") + request.body, bytes.fromhex(signature))
        except (BadSignatureError, ValueError, TypeError):
            raise Rejection(401, "X-Signature-Ed25519 does not verify (is DISCORD_PUBLIC_KEY right?)") from None

    async def send(self, response: BotResponse, event: CloudEvent) -> None:
        """Post `response` as a follow-up message of its interaction."""
        import httpx

        app_id, _, token = str(event.get_attributes().get(EXT_REPLY_TO, "")).partition(":")
        if not app_id or not token:
            raise DeliveryError("this Discord reply has no interaction to answer (botreplyto is empty)")
        body = message_body(response)
        redacted_logger("httpx")  # httpx logs request URLs, and this one holds the token
        # The webhook id and token are the route's major parameters: one bucket per interaction.
        route = f"POST /webhooks/{app_id}/{token}"

        async def attempt() -> None:
            wait, scope = self._buckets.wait_before(route)
            if wait > 0:
                raise RateLimited(f"Discord's rate limit ({scope}) holds this follow-up for {wait:.3g} s", wait)
            try:
                async with httpx.AsyncClient(timeout=10) as client:
                    answer_ = await client.post(f"{self.config.api_url}/webhooks/{app_id}/{token}", json=body)
            except httpx.HTTPError as error:
                raise DeliveryError(f"Discord follow-up failed: {type(error).__name__}") from None
            self._buckets.update(route, answer_.headers)
            if answer_.status_code < 300:
                return
            if answer_.status_code == 429:
                raise self._buckets.refused(route, answer_.headers, _json_or_none(answer_))
            message = f"Discord answered {answer_.status_code} to the interaction follow-up"
            if 400 <= answer_.status_code < 500:
                error_body = _json_or_none(answer_)
                code = str(error_body.get("code", answer_.status_code)) if isinstance(error_body, dict) else ""
                raise PermanentDeliveryError(message, code or str(answer_.status_code))
            raise DeliveryError(message)

        # A 429 is waited out and a 5xx tried again while respond's budget lasts (core/chat/rate_limits.py).
        await with_retries(attempt)


def _json_or_none(answer: Any) -> Any:
    try:
        return answer.json()
    except ValueError:
        return None
