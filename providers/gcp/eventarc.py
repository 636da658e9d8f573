"""Source: `google.cloud.pubsub.topic.v1.messagePublished`, the CloudEvent around a message.

This is what a CloudEvent function receives: Eventarc delivers it in binary mode, and
functions-framework converts a raw push envelope into the same event, so both land here.
"""

from __future__ import annotations

from collections.abc import Mapping

from cloudevents.http import CloudEvent

from core.events import EventValidationError
from providers.gcp.message import PubSubMessage, message_from_json

MESSAGE_PUBLISHED = "google.cloud.pubsub.topic.v1.messagePublished"


def is_message_published(event: CloudEvent) -> bool:
    """True when `event` wraps a Pub/Sub message."""
    return bool(event["type"] == MESSAGE_PUBLISHED)


def message_from_cloud_event(event: CloudEvent) -> PubSubMessage:
    """The Pub/Sub message inside a messagePublished event (EventValidationError if absent)."""
    data = event.data
    if not isinstance(data, Mapping) or "message" not in data:
        raise EventValidationError(f"{MESSAGE_PUBLISHED} {event['id']}: data has no `message`")
    return message_from_json(data["message"], f"{MESSAGE_PUBLISHED} {event['id']}")
