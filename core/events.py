"""The one module roles import for CloudEvents: Botless event types, how events are made, validation.

Every role speaks CloudEvents 1.0 through the official `cloudevents` SDK (1.x, the
major version functions-framework accepts). Routing state travels in extensions, so
a derived event carries everything the responder needs and no role keeps state.
Events are made here (new_event, derive_event, chat_message_event); the checked event
and its typed data are core/valid_event.py's, re-exported here with the data classes.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from cloudevents.http import CloudEvent

from core.event_attributes import EXTENSION_NAME, REQUIRED_ATTRIBUTES, validate_attributes
from core.event_data import (
    BOT_RESPONSE,
    CHAT_MESSAGE,
    COMMAND_PREFIX,
    BotResponse,
    ChatMessage,
    ChatUser,
    CommandInvocation,
    to_data,
)
from core.event_fields import EventValidationError
from core.valid_event import (
    EventData,
    ValidEvent,
    checked_payload,
    command_type,
    data_of,
    is_botless_type,
    validate_event,
    validated,
)

SOURCE = "/botless"

# Extensions that routing depends on; kept on every derived event. CloudEvents
# extension names are lower-case alphanumerics, so these are flat, prefixed names.
EXT_PLATFORM = "botplatform"
EXT_CHANNEL = "botchannel"
EXT_THREAD = "botthread"
EXT_REPLY_TO = "botreplyto"
EXT_HOPS = "bothops"
ROUTING_EXTENSIONS = (EXT_PLATFORM, EXT_CHANNEL, EXT_THREAD, EXT_REPLY_TO)

# Derived ids are names in this namespace (uuid5), so deriving twice gives the same id.
_DERIVED_IDS = uuid.UUID("6b0f3d4e-9a51-4c0e-8d8e-3b5f0f6a2c71")


def derived_id(name: str) -> str:
    """The id of an event derived under `name`: a uuid5 in Botless's namespace."""
    return str(uuid.uuid5(_DERIVED_IDS, name))


def new_event(
    event_type: str,
    data: ChatMessage | CommandInvocation | BotResponse,
    *,
    source: str = SOURCE,
    extensions: Mapping[str, str] | None = None,
    event_id: str | None = None,
) -> ValidEvent:
    """A new event with JSON data, the current time and `event_id` (default: a fresh one).

    It is born a ValidEvent, checked here, once (a message too long for the parser is
    refused where it was made): the roles after it, in this process or past a bus door
    that decoded it again, trust it and read its typed `payload`.
    """
    _check_identity(source, event_type, event_id or "-")
    for name in extensions or {}:
        if not EXTENSION_NAME.match(name):
            raise EventValidationError(f"extension name {name!r} must be 1-20 lower-case letters or digits")
    return _born(event_type, data, source, event_id or str(uuid.uuid4()), extensions or {})


def _check_identity(source: str, event_type: str, event_id: str) -> None:
    for name, value in (("source", source), ("type", event_type), ("id", event_id)):
        if not isinstance(value, str) or not value:
            raise EventValidationError(f"attribute {name!r} must be a non-empty string, got {value!r}")


def _born(event_type: str, data: EventData, source: str, event_id: str,
          extensions: Mapping[str, Any]) -> ValidEvent:
    """The event of checked attributes; only the data is checked here (every limit a door applies)."""
    attributes: dict[str, Any] = {
        "specversion": "1.0",
        "id": event_id,
        "source": source,
        "type": event_type,
        "time": datetime.now(UTC).isoformat(),
        "datacontenttype": "application/json",
    }
    for name, value in extensions.items():
        if value not in (None, ""):
            attributes[name] = str(value)
    # The attributes were made right here, so validate_attributes would only re-read them;
    # the data is held to a door's rules on the object itself, with no JSON round trip.
    return ValidEvent.made(attributes, to_data(data), checked_payload(event_type, data))


def derive_event(
    parent: CloudEvent,
    event_type: str,
    data: ChatMessage | CommandInvocation | BotResponse,
    *,
    source: str = SOURCE,
) -> ValidEvent:
    """A new event caused by `parent`: every extension of the parent is kept.

    Its id is a function of the parent's source and id and of `event_type`: a role that
    runs again on a redelivered event emits the same ids, so the next role's dedupe
    claim recognises the copies (CloudEvents: a re-sent event keeps its source and id).
    """
    attributes = parent.get_attributes()
    extensions = {name: value for name, value in attributes.items() if name not in _CORE_ATTRIBUTES}
    event_id = derived_id(f"{attributes['source']}\n{attributes['id']}\n{event_type}")
    if not isinstance(parent, ValidEvent):
        return new_event(event_type, data, source=source, extensions=extensions, event_id=event_id)
    # A ValidEvent's extension names were checked at its door: they are not checked again.
    _check_identity(source, event_type, event_id)
    return _born(event_type, data, source, event_id, extensions)


def chat_message_event(message: ChatMessage, *, source: str, reply_to: str = "") -> ValidEvent:
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


_CORE_ATTRIBUTES = frozenset(
    {"id", "source", "type", "specversion", "time", "datacontenttype", "dataschema", "subject"}
)


__all__ = [
    "BOT_RESPONSE", "CHAT_MESSAGE", "COMMAND_PREFIX", "EXT_CHANNEL", "EXT_HOPS", "EXT_PLATFORM", "EXT_REPLY_TO",
    "EXT_THREAD", "ROUTING_EXTENSIONS", "SOURCE", "BotResponse", "ChatMessage", "ChatUser", "CommandInvocation",
    "EventData", "EventValidationError", "ValidEvent", "chat_message_event", "command_type", "data_of", "derive_event",
    "is_botless_type", "new_event", "REQUIRED_ATTRIBUTES", "to_data", "validate_attributes", "validate_event",
    "validated",
]
