"""The event checked once: ValidEvent, the typed data it carries, and how data is read and checked.

A door (core/wire.py's decoders, a trigger's converter) builds a ValidEvent, which
validates the attributes and reads the data by its event type (core/event_data.py);
an event a role makes (core/events.py) is born one, its typed data checked on the object.
Later stages trust it and read `payload`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any, TypeVar

from cloudevents.http import CloudEvent

from core.event_attributes import validate_attributes
from core.event_data import BOT_RESPONSE, CHAT_MESSAGE, COMMAND_PREFIX, BotResponse, ChatMessage, CommandInvocation
from core.event_fields import EventValidationError

_COMMAND_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]{0,62}$")


def command_type(name: str) -> str:
    """The CloudEvent type for command `name`, e.g. `botless.bot.command.uptime`."""
    if not _COMMAND_NAME.match(name):
        raise EventValidationError(
            f"command name {name!r} must be lower-case letters, digits, '-' or '_' (at most 63)"
        )
    return COMMAND_PREFIX + name


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


def checked_payload(event_type: str, data: EventData) -> EventData | None:
    """`data` as the payload of an `event_type` event made here, held to a door's rules; None for a foreign type."""
    kind = _kind_of(event_type)
    if kind is None:
        return None  # not a Botless type: nothing reads its payload
    if not isinstance(data, kind):
        raise EventValidationError(f"{event_type}: the data is no {kind.__name__}")
    data.check(event_type)
    _check_command_name(event_type, data)
    return data
