"""The typed `data` of Botless events: a chat message, a command invocation, a response.

Each class reads its JSON with `from_data`, which raises EventValidationError naming the
field that is wrong; `to_data` writes it back; `check` holds an object made in code to
the same rules (core/event_fields.py says each once). The event types themselves and the
CloudEvent handling are in core/events.py, which re-exports everything here.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from core.event_fields import (
    EventValidationError,
    check_args,
    check_command_name,
    check_present,
    check_text,
    require_args,
    require_command,
    require_mapping,
    require_str,
    require_text,
    require_user,
)

CHAT_MESSAGE = "botless.chat.message"
COMMAND_PREFIX = "botless.bot.command."
BOT_RESPONSE = "botless.bot.response"


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
        fields = require_mapping(data, CHAT_MESSAGE)
        return cls(
            platform=require_str(fields, "platform", CHAT_MESSAGE, required=True),
            text=require_text(fields, "text", CHAT_MESSAGE, required=True),
            user=ChatUser(*require_user(fields, CHAT_MESSAGE)),
            channel=require_str(fields, "channel", CHAT_MESSAGE),
            thread=require_str(fields, "thread", CHAT_MESSAGE),
            message_id=require_str(fields, "message_id", CHAT_MESSAGE),
            command=require_command(fields, CHAT_MESSAGE),
        )

    def check(self, event_type: str) -> None:
        """The rules from_data applies, on this object (EventValidationError)."""
        check_present(self.platform, "platform", event_type)
        check_text(self.text, "text", event_type)
        check_command_name(self.command, event_type)

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
        fields = require_mapping(data, event_type)
        args = require_args(fields, event_type)
        return cls(
            name=require_str(fields, "name", event_type, required=True),
            raw_args=require_text(fields, "raw_args", event_type),
            args=args,
            text=require_text(fields, "text", event_type),
            platform=require_str(fields, "platform", event_type, required=True),
            user=ChatUser(*require_user(fields, event_type)),
            channel=require_str(fields, "channel", event_type),
            thread=require_str(fields, "thread", event_type),
            message_id=require_str(fields, "message_id", event_type),
        )

    def check(self, event_type: str) -> None:
        """The rules from_data applies, on this object (EventValidationError)."""
        check_args(self.args, event_type)
        check_present(self.name, "name", event_type)
        check_text(self.raw_args, "raw_args", event_type)
        check_text(self.text, "text", event_type)
        check_present(self.platform, "platform", event_type)

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
        fields = require_mapping(data, BOT_RESPONSE)
        extra = fields.get("extra", {})
        if not isinstance(extra, Mapping):
            raise EventValidationError(f"{BOT_RESPONSE}: data.extra must be an object")
        return cls(
            text=require_str(fields, "text", BOT_RESPONSE, required=True, allow_empty=True),
            platform=require_str(fields, "platform", BOT_RESPONSE, required=True),
            channel=require_str(fields, "channel", BOT_RESPONSE),
            thread=require_str(fields, "thread", BOT_RESPONSE),
            message_id=require_str(fields, "message_id", BOT_RESPONSE),
            command=require_str(fields, "command", BOT_RESPONSE),
            is_error=bool(fields.get("is_error", False)),
            ephemeral=bool(fields.get("ephemeral", False)),
            extra=dict(extra),
        )

    def check(self, event_type: str) -> None:
        """The rules from_data applies, on this object (EventValidationError)."""
        check_present(self.platform, "platform", event_type)

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
