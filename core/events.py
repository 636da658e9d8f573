"""The one module that owns CloudEvents: Botless event types, typed data, validation.

Every role speaks CloudEvents 1.0 through the official `cloudevents` SDK (1.x, the
major version functions-framework accepts). Routing state travels in extensions, so
a derived event carries everything the responder needs and no role keeps state.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from typing import Any, Mapping

from cloudevents.http import CloudEvent

CHAT_MESSAGE = "botless.chat.message"
COMMAND_PREFIX = "botless.bot.command."
BOT_RESPONSE = "botless.bot.response"
SOURCE = "/botless"

# Extensions that routing depends on; kept on every derived event. CloudEvents
# extension names are lower-case alphanumerics, so these are flat, prefixed names.
EXT_PLATFORM = "botplatform"
EXT_CHANNEL = "botchannel"
EXT_THREAD = "botthread"
EXT_REPLY_TO = "botreplyto"
EXT_HOPS = "bothops"
ROUTING_EXTENSIONS = (EXT_PLATFORM, EXT_CHANNEL, EXT_THREAD, EXT_REPLY_TO)

_REQUIRED_ATTRIBUTES = ("id", "source", "type", "specversion")
_COMMAND_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]{0,62}$")
_EXTENSION_NAME = re.compile(r"^[a-z0-9]{1,20}$")
# Derived ids are names in this namespace (uuid5), so deriving twice gives the same id.
_DERIVED_IDS = uuid.UUID("6b0f3d4e-9a51-4c0e-8d8e-3b5f0f6a2c71")


class EventValidationError(ValueError):
    """An event is malformed; the message says which attribute or field and why."""


def command_type(name: str) -> str:
    """The CloudEvent type for command `name`, e.g. `botless.bot.command.uptime`."""
    if not _COMMAND_NAME.match(name):
        raise EventValidationError(
            f"command name {name!r} must be lower-case letters, digits, '-' or '_' (at most 63)"
        )
    return COMMAND_PREFIX + name


@dataclass(frozen=True)
class ChatUser:
    """Who wrote a message, as the platform names them."""

    id: str
    name: str = ""


@dataclass(frozen=True)
class ChatMessage:
    """Data of `botless.chat.message`: one message a person wrote on a platform."""

    platform: str
    text: str
    user: ChatUser
    channel: str = ""
    thread: str = ""
    message_id: str = ""
    # A command named by the platform itself (a Slack slash command, a Discord
    # interaction): the parser then takes `text` as its arguments.
    command: str = ""

    @classmethod
    def from_data(cls, data: Any) -> "ChatMessage":
        fields = _require_mapping(data, CHAT_MESSAGE)
        user = fields.get("user") or {}
        if not isinstance(user, Mapping) or not isinstance(user.get("id", ""), str):
            raise EventValidationError(f"{CHAT_MESSAGE}: data.user must be an object with a string id")
        return cls(
            platform=_require_str(fields, "platform", CHAT_MESSAGE, required=True),
            text=_require_str(fields, "text", CHAT_MESSAGE, required=True, allow_empty=True),
            user=ChatUser(id=str(user.get("id", "")), name=str(user.get("name", ""))),
            channel=_require_str(fields, "channel", CHAT_MESSAGE),
            thread=_require_str(fields, "thread", CHAT_MESSAGE),
            message_id=_require_str(fields, "message_id", CHAT_MESSAGE),
            command=_require_str(fields, "command", CHAT_MESSAGE),
        )


@dataclass(frozen=True)
class CommandInvocation:
    """Data of `botless.bot.command.<name>`: a parsed command and who asked for it."""

    name: str
    raw_args: str
    args: tuple[str, ...]
    text: str
    platform: str
    user: ChatUser
    channel: str = ""
    thread: str = ""
    message_id: str = ""

    @classmethod
    def from_data(cls, data: Any, event_type: str = COMMAND_PREFIX) -> "CommandInvocation":
        fields = _require_mapping(data, event_type)
        args = fields.get("args", [])
        if not isinstance(args, list) or not all(isinstance(a, str) for a in args):
            raise EventValidationError(f"{event_type}: data.args must be a list of strings")
        user = fields.get("user") or {}
        if not isinstance(user, Mapping):
            raise EventValidationError(f"{event_type}: data.user must be an object")
        return cls(
            name=_require_str(fields, "name", event_type, required=True),
            raw_args=_require_str(fields, "raw_args", event_type, allow_empty=True),
            args=tuple(args),
            text=_require_str(fields, "text", event_type, allow_empty=True),
            platform=_require_str(fields, "platform", event_type, required=True),
            user=ChatUser(id=str(user.get("id", "")), name=str(user.get("name", ""))),
            channel=_require_str(fields, "channel", event_type),
            thread=_require_str(fields, "thread", event_type),
            message_id=_require_str(fields, "message_id", event_type),
        )


@dataclass(frozen=True)
class BotResponse:
    """Data of `botless.bot.response`: what the bot says back."""

    text: str
    platform: str
    channel: str = ""
    thread: str = ""
    message_id: str = ""
    command: str = ""
    is_error: bool = False
    ephemeral: bool = False
    extra: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def from_data(cls, data: Any) -> "BotResponse":
        fields = _require_mapping(data, BOT_RESPONSE)
        extra = fields.get("extra", {})
        if not isinstance(extra, Mapping):
            raise EventValidationError(f"{BOT_RESPONSE}: data.extra must be an object")
        return cls(
            text=_require_str(fields, "text", BOT_RESPONSE, required=True, allow_empty=True),
            platform=_require_str(fields, "platform", BOT_RESPONSE, required=True),
            channel=_require_str(fields, "channel", BOT_RESPONSE),
            thread=_require_str(fields, "thread", BOT_RESPONSE),
            message_id=_require_str(fields, "message_id", BOT_RESPONSE),
            command=_require_str(fields, "command", BOT_RESPONSE),
            is_error=bool(fields.get("is_error", False)),
            ephemeral=bool(fields.get("ephemeral", False)),
            extra=dict(extra),
        )


def to_data(value: ChatMessage | CommandInvocation | BotResponse) -> dict[str, Any]:
    """The JSON `data` of an event built from one of the typed data classes."""
    data = asdict(value)
    if "args" in data:
        data["args"] = list(data["args"])
    return data


def new_event(
    event_type: str,
    data: ChatMessage | CommandInvocation | BotResponse,
    *,
    source: str = SOURCE,
    extensions: Mapping[str, str] | None = None,
    event_id: str | None = None,
) -> CloudEvent:
    """A new CloudEvent with JSON data, the current time and `event_id` (default: a fresh one)."""
    attributes: dict[str, Any] = {
        "id": event_id or str(uuid.uuid4()),
        "source": source,
        "type": event_type,
        "time": datetime.now(timezone.utc).isoformat(),
        "datacontenttype": "application/json",
    }
    for name, value in (extensions or {}).items():
        if not _EXTENSION_NAME.match(name):
            raise EventValidationError(f"extension name {name!r} must be 1-20 lower-case letters or digits")
        if value not in (None, ""):
            attributes[name] = str(value)
    return CloudEvent(attributes, to_data(data))


def derive_event(
    parent: CloudEvent,
    event_type: str,
    data: ChatMessage | CommandInvocation | BotResponse,
    *,
    source: str = SOURCE,
) -> CloudEvent:
    """A new event caused by `parent`: every extension of the parent is kept.

    Its id is a function of the parent's source and id and of `event_type`: a role that
    runs again on a redelivered event emits the same ids, so the next role's dedupe
    claim recognises the copies (CloudEvents: a re-sent event keeps its source and id).
    """
    extensions = {
        name: value
        for name, value in parent.get_attributes().items()
        if name not in _CORE_ATTRIBUTES
    }
    event_id = str(uuid.uuid5(_DERIVED_IDS, f"{parent['source']}\n{parent['id']}\n{event_type}"))
    return new_event(event_type, data, source=source, extensions=extensions, event_id=event_id)


def chat_message_event(message: ChatMessage, *, source: str, reply_to: str = "") -> CloudEvent:
    """The `botless.chat.message` event for a message received from a platform."""
    return new_event(
        CHAT_MESSAGE,
        message,
        source=source,
        extensions={
            EXT_PLATFORM: message.platform,
            EXT_CHANNEL: message.channel,
            EXT_THREAD: message.thread,
            EXT_REPLY_TO: reply_to,
        },
    )


def validate_event(event: CloudEvent) -> None:
    """Raise EventValidationError unless `event` is a well-formed Botless event."""
    attributes = event.get_attributes()
    for name in _REQUIRED_ATTRIBUTES:
        if not attributes.get(name):
            raise EventValidationError(f"CloudEvent attribute {name!r} is missing or empty")
    if attributes["specversion"] != "1.0":
        raise EventValidationError(f"specversion {attributes['specversion']!r} is not 1.0")
    event_type = attributes["type"]
    if event_type == CHAT_MESSAGE:
        ChatMessage.from_data(event.data)
    elif event_type == BOT_RESPONSE:
        BotResponse.from_data(event.data)
    elif event_type.startswith(COMMAND_PREFIX):
        invocation = CommandInvocation.from_data(event.data, event_type)
        if command_type(invocation.name) != event_type:
            raise EventValidationError(
                f"{event_type}: data.name {invocation.name!r} does not match the event type"
            )


def is_botless_type(event_type: str) -> bool:
    """True for the three families of Botless events."""
    return event_type in (CHAT_MESSAGE, BOT_RESPONSE) or event_type.startswith(COMMAND_PREFIX)


_CORE_ATTRIBUTES = frozenset(
    {"id", "source", "type", "specversion", "time", "datacontenttype", "dataschema", "subject"}
)


def _require_mapping(data: Any, event_type: str) -> Mapping[str, Any]:
    if not isinstance(data, Mapping):
        raise EventValidationError(f"{event_type}: data must be a JSON object, got {type(data).__name__}")
    return data


def _require_str(
    fields: Mapping[str, Any],
    name: str,
    event_type: str,
    *,
    required: bool = False,
    allow_empty: bool = False,
) -> str:
    value = fields.get(name)
    if value is None:
        if required:
            raise EventValidationError(f"{event_type}: data.{name} is required")
        return ""
    if not isinstance(value, str):
        raise EventValidationError(f"{event_type}: data.{name} must be a string, got {type(value).__name__}")
    if required and not allow_empty and not value:
        raise EventValidationError(f"{event_type}: data.{name} must not be empty")
    return value
