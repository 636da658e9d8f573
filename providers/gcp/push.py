"""Source: a Pub/Sub push delivery, the JSON envelope a push subscription POSTs.

`{"message": {"data": base64, "attributes": {...}, "messageId": ...}, "subscription": ...}`
is what the Pub/Sub emulator and plain push subscriptions send (no CloudEvent around it).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from providers.gcp.message import PubSubMessage, message_from_json


def is_push_envelope(payload: Any) -> bool:
    """True when `payload` (parsed JSON) is a push envelope."""
    return isinstance(payload, Mapping) and isinstance(payload.get("message"), Mapping) \
        and "subscription" in payload


def message_from_push(payload: Mapping[str, Any]) -> PubSubMessage:
    """The Pub/Sub message inside a push envelope."""
    return message_from_json(payload["message"], f"push delivery from {payload.get('subscription', '?')}")
