"""The rules for the fields of event data, each said once: read from JSON, or checked on a typed object.

A door reads JSON with the `require_*` functions (type, presence, limit). An event a role
makes from a typed object (core/events.py's new_event) is held to the same presence and
limit rules through the `check_*` functions, without a round trip through JSON: its
field types are the dataclass's own.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from core.limits import ARGS_LIMIT, COMMAND_NAME_LIMIT, TEXT_LIMIT


class EventValidationError(ValueError):
    """An event is malformed; the message says which attribute or field and why."""


def check_present(value: str, name: str, event_type: str) -> str:
    """`value`, which must not be empty."""
    if not value:
        raise EventValidationError(f"{event_type}: data.{name} must not be empty")
    return value


def check_text(value: str, name: str, event_type: str) -> str:
    """`value`, no longer than TEXT_LIMIT: text is what the parser splits, never more than a platform sends."""
    if len(value) > TEXT_LIMIT:
        raise EventValidationError(f"{event_type}: data.{name} is {len(value)} characters; "
                                   f"at most {TEXT_LIMIT} are accepted")
    return value


def check_command_name(value: str, event_type: str) -> str:
    """`value`, at most COMMAND_NAME_LIMIT: longer is no name a platform sends (parse would look it up)."""
    if len(value) > COMMAND_NAME_LIMIT:
        raise EventValidationError(f"{event_type}: data.command is {len(value)} characters; "
                                   f"at most {COMMAND_NAME_LIMIT}")
    return value


def check_args(args: Sequence[str], event_type: str) -> Sequence[str]:
    """`args`, holding no more than TEXT_LIMIT characters in all."""
    if len(args) > ARGS_LIMIT or sum(map(len, args)) > TEXT_LIMIT:
        raise EventValidationError(f"{event_type}: data.args holds more than {TEXT_LIMIT} characters")
    return args


def require_mapping(data: Any, event_type: str) -> Mapping[str, Any]:
    if not isinstance(data, Mapping):
        raise EventValidationError(f"{event_type}: data must be a JSON object, got {type(data).__name__}")
    return data


def require_args(fields: Mapping[str, Any], event_type: str) -> tuple[str, ...]:
    args = fields.get("args", [])
    if not isinstance(args, list) or not all(isinstance(a, str) for a in args):
        raise EventValidationError(f"{event_type}: data.args must be a list of strings")
    return tuple(check_args(args, event_type))


def require_text(fields: Mapping[str, Any], name: str, event_type: str, *, required: bool = False) -> str:
    return check_text(require_str(fields, name, event_type, required=required, allow_empty=True), name, event_type)


def require_command(fields: Mapping[str, Any], event_type: str) -> str:
    return check_command_name(require_str(fields, "command", event_type), event_type)


def require_user(fields: Mapping[str, Any], event_type: str) -> tuple[str, str]:
    """The user's id and name."""
    user = fields.get("user") or {}
    if not isinstance(user, Mapping):
        raise EventValidationError(f"{event_type}: data.user must be an object")
    for name in ("id", "name"):
        if not isinstance(user.get(name, ""), str):
            raise EventValidationError(f"{event_type}: data.user.{name} must be a string")
    return user.get("id", ""), user.get("name", "")


def require_str(fields: Mapping[str, Any], name: str, event_type: str, *, required: bool = False,
                allow_empty: bool = False) -> str:
    value = fields.get(name)
    if value is None:
        if required:
            raise EventValidationError(f"{event_type}: data.{name} is required")
        return ""
    if not isinstance(value, str):
        raise EventValidationError(f"{event_type}: data.{name} must be a string, got {type(value).__name__}")
    if required and not allow_empty:
        check_present(value, name, event_type)
    return value
