"""One JSON line per event handled: id, type, role, duration; never a secret or a body."""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from typing import Any

from cloudevents.http import CloudEvent

logger = logging.getLogger("botless")


def log_event(event: CloudEvent, role: str, duration_ms: float, outcome: str = "ok", **fields: Any) -> None:
    """Log one line for `event` handled by `role`."""
    # A duplicate is a bus or platform doing what it promises (at least once), not a problem.
    level = logging.INFO if outcome in ("ok", "ignored", "duplicate") else logging.WARNING
    if not logger.isEnabledFor(level):
        return  # nothing is built for a line nobody keeps
    attributes = event.get_attributes()
    record = {"id": attributes["id"], "type": attributes["type"], "role": role, "ms": round(duration_ms, 3),
              "outcome": outcome}
    if fields:
        record.update(fields)
    # One record made directly: logger.log would first walk the stack for the caller's file
    # and line (findCaller), which is always this function, on every event of every role.
    line = logger.makeRecord(logger.name, level, __file__, 0, _encode(record), (), None, func="log_event")
    logger.handle(line)


# json.dumps with an option builds a new encoder on every call; this line is written per event.
_encode = json.JSONEncoder(ensure_ascii=False).encode


class JsonLineFormatter(logging.Formatter):
    """Lines that already are JSON pass through; others become {"level", "message"}."""

    def format(self, record: logging.LogRecord) -> str:
        message = record.getMessage()
        if message.startswith("{") and not record.exc_info:
            return message
        payload = {"level": record.levelname.lower(), "logger": record.name, "message": message}
        if record.exc_info:
            payload["traceback"] = self.formatException(record.exc_info)
        return json.dumps(payload, ensure_ascii=False)


LOG_LEVEL_SETTING = "BOTLESS_LOG_LEVEL"


def log_level_of(env: Mapping[str, str]) -> str | None:
    """The level BOTLESS_LOG_LEVEL names in `env` (None when unset: each entrypoint's default applies)."""
    return env.get(LOG_LEVEL_SETTING) or None


def let_event_lines_through(level: str | None = None) -> None:
    """Keep the one-line-per-event INFO records on a runtime whose root handler ships logs.

    Lambda's and Azure's workers put their own handler on the root logger (CloudWatch,
    Application Insights) and leave the root at WARNING, which would drop every INFO line.
    Records keep propagating to that handler; "botless" takes `level` (BOTLESS_LOG_LEVEL)
    when given, else INFO unless someone already chose a level.
    """
    if level:
        logger.setLevel(level.upper())
    elif logger.level == logging.NOTSET:
        logger.setLevel(logging.INFO)


def configure_logging(level: str = "INFO") -> None:
    """Send Botless logs to stderr as JSON lines (idempotent)."""
    root = logging.getLogger("botless")
    if any(getattr(h, "_botless", False) for h in root.handlers):
        return
    handler = logging.StreamHandler()
    handler.setFormatter(JsonLineFormatter())
    handler._botless = True  # type: ignore[attr-defined]
    root.addHandler(handler)
    root.setLevel(level.upper())
    root.propagate = False
