"""The one module that owns CloudEvents: Botless event types, typed data, validation.

Every role speaks CloudEvents 1.0 through the official `cloudevents` SDK (1.x, the
major version functions-framework accepts). Routing state travels in extensions, so
a derived event carries everything the responder needs and no role keeps state.
"""

from __future__ import annotations

import hashlib
import re
import uuid
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any, TypeVar

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

SOURCE = "/botless"

# Extensions that routing depends on; kept on every derived event. CloudEvents
# extension names are lower-case alphanumerics, so these are flat, prefixed names.
EXT_PLATFORM = "botplatform"
EXT_CHANNEL = "botchannel"
EXT_THREAD = "botthread"
EXT_REPLY_TO = "botreplyto"
EXT_HOPS = "bothops"
ROUTING_EXTENSIONS = (EXT_PLATFORM, EXT_CHANNEL, EXT_THREAD, EXT_REPLY_TO)

_COMMAND_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]{0,62}$")
# Derived ids are names in this namespace (uuid5), so deriving twice gives the same id.
_DERIVED_IDS = uuid.UUID("6b0f3d4e-9a51-4c0e-8d8e-3b5f0f6a2c71")
_DERIVED_IDS_BYTES = _DERIVED_IDS.bytes


def derived_id(name: str) -> str:
    """`str(uuid.uuid5(_DERIVED_IDS, name))`, made from the digest without UUID objects (a third of the time).

    Two are made per message; tests/core/test_derived_ids.py holds the two equal.
    """
    digest = bytearray(hashlib.sha1(_DERIVED_IDS_BYTES + name.encode(), usedforsecurity=False).digest()[:16])
    digest[6] = (digest[6] & 0x0F) | 0x50  # version 5
    digest[8] = (digest[8] & 0x3F) | 0x80  # the RFC 4122 variant
    hexed = digest.hex()
    return f"{hexed[:8]}-{hexed[8:12]}-{hexed[12:16]}-{hexed[16:20]}-{hexed[20:]}"


def command_type(name: str) -> str:
    """The CloudEvent type for command `name`, e.g. `botless.bot.command.uptime`."""
    if not _COMMAND_NAME.match(name):
        raise EventValidationError(
            f"command name {name!r} must be lower-case letters, digits, '-' or '_' (at most 63)"
        )
    return COMMAND_PREFIX + name


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
    return ValidEvent.made(attributes, to_data(data), _checked_payload(event_type, data))


def _checked_payload(event_type: str, data: EventData) -> EventData | None:
    kind = _kind_of(event_type)
    if kind is None:
        return None  # not a Botless type: nothing reads its payload
    if not isinstance(data, kind):
        raise EventValidationError(f"{event_type}: the data is no {kind.__name__}")
    data.check(event_type)
    _check_command_name(event_type, data)
    return data


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


EventData = ChatMessage | CommandInvocation | BotResponse
Data = TypeVar("Data", ChatMessage, CommandInvocation, BotResponse)


def validate_event(event: CloudEvent) -> None:
    """Raise EventValidationError unless `event` is a well-formed Botless event.

    Its attributes follow CloudEvents 1.0 (core/event_attributes.py), and the data of a
    Botless type is what that type carries (core/event_data.py).
    """
    _checked_data(event)


class ValidEvent(CloudEvent):
    """A CloudEvent checked once, where it entered (core/wire.py's decoders, a trigger's converter).

    Building one validates it (EventValidationError), so holding one is the proof: later
    stages (run_role, a trigger's delivery) trust it, and the roles read `payload`, its
    data typed once by its event type (None for a type that is not Botless's). Setting or
    deleting an attribute checks again; the data is not to be changed after the door.
    """

    def __init__(self, attributes: Mapping[str, Any], data: Any = None) -> None:
        super().__init__(attributes, data)
        self.payload: EventData | None = _checked_data(self)

    @classmethod
    def made(cls, attributes: Mapping[str, Any], data: Any, payload: EventData | None) -> ValidEvent:
        """An event whose attributes new_event wrote and whose `payload` it checked: not checked again."""
        event = cls.__new__(cls)
        CloudEvent.__init__(event, attributes, data)
        event.payload = payload
        return event

    def __setitem__(self, key: str, value: Any) -> None:
        before = dict(self._get_attributes())
        super().__setitem__(key, value)
        self._recheck(before)

    def __delitem__(self, key: str) -> None:
        before = dict(self._get_attributes())
        super().__delitem__(key)
        self._recheck(before)

    def _recheck(self, before: dict[str, Any]) -> None:
        try:
            self.payload = _checked_data(self)
        except EventValidationError:
            attributes = self._get_attributes()
            attributes.clear()
            attributes.update(before)  # a refused change leaves the event as it was
            raise


def validated(event: CloudEvent) -> ValidEvent:
    """`event` as a ValidEvent: one checked at its door is returned as it is, any other is checked now."""
    if isinstance(event, ValidEvent):
        return event
    return ValidEvent(event.get_attributes(), event.data)


def data_of(event: CloudEvent, kind: type[Data]) -> Data:
    """The typed data of `event`, a `kind`: read at the door for a ValidEvent, else read now.

    Raises EventValidationError when the data is no `kind` (or not what its type carries).
    """
    payload = event.payload if isinstance(event, ValidEvent) else _data(event["type"], event.data)
    if not isinstance(payload, kind):
        raise EventValidationError(f"{event['type']}: the data is no {kind.__name__}")
    return payload


def _checked_data(event: CloudEvent) -> EventData | None:
    attributes = event.get_attributes()
    validate_attributes(attributes)
    return _payload(attributes["type"], event.data)


def _payload(event_type: str, data: Any) -> EventData | None:
    payload = _data(event_type, data)
    _check_command_name(event_type, payload)
    return payload


def _check_command_name(event_type: str, payload: EventData | None) -> None:
    if isinstance(payload, CommandInvocation) and command_type(payload.name) != event_type:
        raise EventValidationError(f"{event_type}: data.name {payload.name!r} does not match the event type")


def _kind_of(event_type: str) -> type[EventData] | None:
    if event_type == CHAT_MESSAGE:
        return ChatMessage
    if event_type == BOT_RESPONSE:
        return BotResponse
    if event_type.startswith(COMMAND_PREFIX):
        return CommandInvocation
    return None


def _data(event_type: str, data: Any) -> EventData | None:
    kind = _kind_of(event_type)
    if kind is CommandInvocation:
        return CommandInvocation.from_data(data, event_type)
    return None if kind is None else kind.from_data(data)


def is_botless_type(event_type: str) -> bool:
    """True for the three families of Botless events (False for a type that is no string)."""
    if not isinstance(event_type, str):
        return False
    return event_type in (CHAT_MESSAGE, BOT_RESPONSE) or event_type.startswith(COMMAND_PREFIX)


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
