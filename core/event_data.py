"""The typed `data` of Botless events: a chat message, a command invocation, a response.

Each class reads its JSON with `from_data`, which raises EventValidationError naming the
field that is wrong; `to_data` writes it back. The event types themselves and the
CloudEvent handling are in core/events.py, which re-exports everything here.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from core.limits import ARGS_LIMIT, COMMAND_NAME_LIMIT, TEXT_LIMIT

CHAT_MESSAGE = "botless.chat.message"
COMMAND_PREFIX = "botless.bot.command."
BOT_RESPONSE = "botless.bot.response"


class EventValidationError(ValueError):
    """An event is malformed; the message says which attribute or field and why."""


@dataclass(frozen=True)
class ChatUser:
    """Who wrote a message, as the platform names them."""

    id: str
    name: str = ""

    def to_data(self) -> dict[str, Any]:
        return {"id": self.id, "name": self.name}


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
    def from_data(cls, data: Any) -> ChatMessage:
        fields = _require_mapping(data, CHAT_MESSAGE)
        return cls(
            platform=_require_str(fields, "platform", CHAT_MESSAGE, required=True),
            text=_require_text(fields, "text", CHAT_MESSAGE, required=True),
            user=_require_user(fields, CHAT_MESSAGE),
            channel=_require_str(fields, "channel", CHAT_MESSAGE),
            thread=_require_str(fields, "thread", CHAT_MESSAGE),
            message_id=_require_str(fields, "message_id", CHAT_MESSAGE),
            command=_require_command(fields),
        )

    def to_data(self) -> dict[str, Any]:
        return {"platform": self.platform, "text": self.text, "user": self.user.to_data(), "channel": self.channel,
                "thread": self.thread, "message_id": self.message_id, "command": self.command}


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
    def from_data(cls, data: Any, event_type: str = COMMAND_PREFIX) -> CommandInvocation:
        fields = _require_mapping(data, event_type)
        args = fields.get("args", [])
        if not isinstance(args, list) or not all(isinstance(a, str) for a in args):
            raise EventValidationError(f"{event_type}: data.args must be a list of strings")
        if len(args) > ARGS_LIMIT or sum(map(len, args)) > TEXT_LIMIT:
            raise EventValidationError(f"{event_type}: data.args holds more than {TEXT_LIMIT} characters")
        return cls(
            name=_require_str(fields, "name", event_type, required=True),
            raw_args=_require_text(fields, "raw_args", event_type),
            args=tuple(args),
            text=_require_text(fields, "text", event_type),
            platform=_require_str(fields, "platform", event_type, required=True),
            user=_require_user(fields, event_type),
            channel=_require_str(fields, "channel", event_type),
            thread=_require_str(fields, "thread", event_type),
            message_id=_require_str(fields, "message_id", event_type),
        )

    def to_data(self) -> dict[str, Any]:
        return {"name": self.name, "raw_args": self.raw_args, "args": list(self.args), "text": self.text,
                "platform": self.platform, "user": self.user.to_data(), "channel": self.channel,
                "thread": self.thread, "message_id": self.message_id}


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
    def from_data(cls, data: Any) -> BotResponse:
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

    def to_data(self) -> dict[str, Any]:
        return {"text": self.text, "platform": self.platform, "channel": self.channel, "thread": self.thread,
                "message_id": self.message_id, "command": self.command, "is_error": self.is_error,
                "ephemeral": self.ephemeral, "extra": _copied(self.extra)}


def to_data(value: ChatMessage | CommandInvocation | BotResponse) -> dict[str, Any]:
    """The JSON `data` of an event built from one of the typed data classes.

    Each class writes its own fields, in their order (what dataclasses.asdict gives, which
    tests/core/test_event_data_shape.py holds them to): asdict deep-copies every leaf
    generically, and this runs for each event made.
    """
    return value.to_data()


def _copied(value: Any) -> Any:
    # `extra` holds JSON: a copy, so the event's data never aliases the caller's object.
    if isinstance(value, dict):
        return {key: _copied(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_copied(item) for item in value]
    return value


def _require_mapping(data: Any, event_type: str) -> Mapping[str, Any]:
    if not isinstance(data, Mapping):
        raise EventValidationError(f"{event_type}: data must be a JSON object, got {type(data).__name__}")
    return data


def _require_text(fields: Mapping[str, Any], name: str, event_type: str, *, required: bool = False) -> str:
    # Text is what the parser splits: never more than the largest platform sends.
    value = _require_str(fields, name, event_type, required=required, allow_empty=True)
    if len(value) > TEXT_LIMIT:
        raise EventValidationError(f"{event_type}: data.{name} is {len(value)} characters; "
                                   f"at most {TEXT_LIMIT} are accepted")
    return value


def _require_command(fields: Mapping[str, Any]) -> str:
    # Longer is no name a platform sends, and the parse role would look it up and suggest.
    value = _require_str(fields, "command", CHAT_MESSAGE)
    if len(value) > COMMAND_NAME_LIMIT:
        raise EventValidationError(f"{CHAT_MESSAGE}: data.command is {len(value)} characters; "
                                   f"at most {COMMAND_NAME_LIMIT}")
    return value


def _require_user(fields: Mapping[str, Any], event_type: str) -> ChatUser:
    user = fields.get("user") or {}
    if not isinstance(user, Mapping):
        raise EventValidationError(f"{event_type}: data.user must be an object")
    for name in ("id", "name"):
        if not isinstance(user.get(name, ""), str):
            raise EventValidationError(f"{event_type}: data.user.{name} must be a string")
    return ChatUser(id=user.get("id", ""), name=user.get("name", ""))


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
