"""Warm-up pings: a scheduled EventBridge rule or a plugin that keeps instances warm.

They are answered with an explicit no-op, never mistaken for a Botless event.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

WARMUP_ANSWER = {"botless": "warm"}


def is_warmup(payload: Any) -> bool:
    """True for an EventBridge Scheduler/cron ping or a serverless-plugin-warmup call."""
    if not isinstance(payload, Mapping):
        return False
    if payload.get("source") == "aws.events" and payload.get("detail-type") == "Scheduled Event":
        return True
    return payload.get("source") == "serverless-plugin-warmup" or payload.get("botless") == "warmup"
