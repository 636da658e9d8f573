"""The Event Grid publisher: CloudEvents 1.0 to one topic, through the Azure SDK.

Subscriptions route on the event type (an advanced filter `StringBeginsWith type
botless.bot.command.`); the mono app's own subscription brings deferred work back
to it. The SDK client is created, and `azure.eventgrid` imported, on the first send;
it is synchronous, so sends run in a worker thread. A refused send raises PublishError.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Callable
from typing import Any

from cloudevents.http import CloudEvent

from providers.azure.config import AzureConfig
from providers.azure.eventgrid import to_azure_event
from providers.lazy_client import LazyClient
from providers.runtime import PublishError

logger = logging.getLogger("botless")


# Few, quick retries: a receive function is inside a platform's 3 s ack window (the
# SDK's default, 3 retries from 0.8 s, takes about 5 s to give up). The client ignores
# retry settings given to its constructor for Event Grid topics, so they go with each send.
SEND_OPTIONS = {"retry_total": 2, "retry_backoff_factor": 0.2}


class _SendOptionsNoise(logging.Filter):
    """azure-eventgrid also hands send()'s keyword arguments to its CloudEvent model, which
    logs a warning for each; they are the retry options above, so the warning is noise."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not (isinstance(record.args, tuple) and record.args and record.args[0] in (*SEND_OPTIONS, "timeout"))


def _default_client(config: AzureConfig) -> Any:
    from azure.core.credentials import AzureKeyCredential
    from azure.eventgrid import EventGridPublisherClient

    logging.getLogger("azure.eventgrid._legacy._generated._serialization").addFilter(_SendOptionsNoise())
    return EventGridPublisherClient(config.endpoint, AzureKeyCredential(config.key))


class EventGridPublisher:
    """Sends Botless events to the Event Grid topic (implements Publisher and Deferrer)."""

    def __init__(self, config: AzureConfig,
                 client_factory: Callable[[AzureConfig], Any] = _default_client) -> None:
        self.config = config
        self._client: LazyClient[Any] = LazyClient(lambda: client_factory(config))

    @property
    def client(self) -> Any:
        """The EventGridPublisherClient, created on first use."""
        return self._client.get()

    async def publish(self, event: CloudEvent) -> None:
        """Send `event` to the topic; subscriptions filter on its type."""
        await self._send(event)

    async def defer(self, event: CloudEvent) -> None:
        """Send `event` for the mono app's Event Grid trigger to continue."""
        await self._send(event)

    async def _send(self, event: CloudEvent) -> None:
        try:
            outgoing = to_azure_event(event)
            await asyncio.wait_for(
                asyncio.to_thread(self.client.send, [outgoing], timeout=self.config.publish_timeout, **SEND_OPTIONS),
                self.config.publish_timeout + 1,
            )
        except Exception as error:  # azure.core errors, timeouts, a bad endpoint
            reason = (f"Event Grid refused event {event['id']} ({event['type']}): "
                      f"{type(error).__name__}: {str(error).splitlines()[0] if str(error) else ''}")
            logger.error(json.dumps({"id": event["id"], "type": event["type"], "outcome": "publish-refused",
                                     "reason": reason}))
            raise PublishError(reason) from error
