"""The Pub/Sub publisher: one topic per event family, and the mono deferral topic.

The client (and `google.cloud.pubsub_v1` itself, a heavy import) is created on the
first publish; it honours PUBSUB_EMULATOR_HOST. A refused or timed-out publish raises
PublishError, so the invocation fails and its own trigger retries it.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Callable
from typing import Any

from cloudevents.http import CloudEvent

from providers.gcp.config import GcpConfig
from providers.gcp.message import message_from_event
from providers.lazy_client import LazyClient
from providers.runtime import PublishError

logger = logging.getLogger("botless")


def _default_client() -> Any:
    from google.cloud import pubsub_v1  # type: ignore[attr-defined]  # re-exported lazily, unseen by mypy

    # A function publishes one event and waits for it: the default batching would hold
    # each message up to 10 ms for companions that never come.
    return pubsub_v1.PublisherClient(batch_settings=pubsub_v1.types.BatchSettings(max_messages=1))


class PubSubPublisher:
    """Publishes Botless events to Pub/Sub (implements Publisher and Deferrer)."""

    def __init__(self, config: GcpConfig, client_factory: Callable[[], Any] = _default_client) -> None:
        self.config = config
        self._client: LazyClient[Any] = LazyClient(client_factory)

    @property
    def client(self) -> Any:
        """The PublisherClient, created on first use."""
        return self._client.get()

    async def publish(self, event: CloudEvent) -> None:
        """Publish `event` to its family's topic."""
        await self._send(self.config.topic_for(event["type"]), event)

    async def defer(self, event: CloudEvent) -> None:
        """Publish `event` to the deferral topic, which pushes back to this mono function."""
        await self._send(self.config.deferred_topic, event)

    async def _send(self, topic: str, event: CloudEvent) -> None:
        message = message_from_event(event)
        path = f"projects/{self.config.project}/topics/{topic}"
        try:
            future = self.client.publish(path, message.data, timeout=self.config.publish_timeout,
                                         **message.attributes)
            message_id = await asyncio.wait_for(asyncio.wrap_future(future), self.config.publish_timeout)
        except Exception as error:  # google.api_core errors, timeouts, a closed client
            reason = f"Pub/Sub refused event {event['id']} ({event['type']}) on {path}: {type(error).__name__}: {error}"
            logger.error(json.dumps({"id": event["id"], "type": event["type"], "topic": topic,
                                     "outcome": "publish-refused", "reason": reason}))
            raise PublishError(reason) from error
        logger.debug("published %s to %s as message %s", event["id"], path, message_id)
