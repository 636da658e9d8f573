"""The EventBridge publisher: PutEvents on the bus named by `BOTLESS_EVENT_BUS`.

One request of EventBridge's JSON API (`AWSEvents.PutEvents`) through providers/aws/json_api.py,
not boto3: the receive role's first message would otherwise import boto3 and build a client.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping

from cloudevents.http import CloudEvent

from providers.aws.eventbridge import DEFAULT_SOURCE, entry_for
from providers.aws.json_api import AwsApiError, AwsJsonApi, AwsUnreachableError
from providers.runtime import ConfigurationError, PublishError


class EventBridgePublisher:
    """Publishes each event as one PutEvents entry; PublishError when it is refused."""

    def __init__(self, bus: str, source: str = DEFAULT_SOURCE) -> None:
        self.bus = bus
        self.source = source
        self._api = AwsJsonApi("events", "AWSEvents", "application/x-amz-json-1.1")

    @classmethod
    def from_env(cls, env: Mapping[str, str], role: str) -> EventBridgePublisher:
        """The publisher for `role`; ConfigurationError when `BOTLESS_EVENT_BUS` is missing."""
        bus = env.get("BOTLESS_EVENT_BUS", "")
        if not bus:
            raise ConfigurationError(f"the {role} role on Lambda publishes to EventBridge, but "
                                     "BOTLESS_EVENT_BUS (the bus name or ARN) is not set")
        return cls(bus, env.get("BOTLESS_EVENT_SOURCE", "") or DEFAULT_SOURCE)

    async def publish(self, event: CloudEvent) -> None:
        """PutEvents with one entry; a failed entry or a refused call raises PublishError."""
        entry = entry_for(event, self.bus, self.source)
        try:
            # The call blocks; a thread keeps the event loop free for the rest of the request.
            answer = await asyncio.to_thread(self._api.call, "PutEvents", {"Entries": [entry]})
        except (AwsApiError, AwsUnreachableError) as error:
            raise PublishError(f"EventBridge refused event {event['id']} on bus {self.bus}: "
                               f"{type(error).__name__}: {error}") from None
        if answer.get("FailedEntryCount", 0):
            failed = (answer.get("Entries") or [{}])[0]
            raise PublishError(f"EventBridge refused event {event['id']} on bus {self.bus}: "
                               f"{failed.get('ErrorCode', '?')}: {failed.get('ErrorMessage', '')}")
