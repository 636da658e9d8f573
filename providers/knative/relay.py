"""mono with connection-mode chat sources: a source's replies go back through the Broker.

mono posts every reply itself, in-process, but it holds no connection for a source's
platform (IRC, Slack Socket Mode, Telegram long polling): the source's Deployment does.
So for each platform `BOTLESS_SOURCES` names, mono's respond step gets a `BusRelay`
instead of a platform client: its `send` publishes the response event, unchanged, to
K_SINK (the Broker), where the source's Trigger (`botplatform=<source>`) brings it to the
source's receiver (providers/knative/source_app.py), which posts it on its connection.

Nothing loops: mono's own response Triggers filter on the platforms no source serves
(tooling/packaging/knative.py's platform_routes), and a relay exists only for a source's
platform. Should a relayed response still reach mono's bus face, its id is the one mono
already claimed there, so it is dropped as a duplicate rather than published again.
"""

from __future__ import annotations

from collections.abc import Mapping

from cloudevents.http import CloudEvent

from core import events as ev
from core.events import BotResponse
from providers.runtime import ConfigurationError, Publisher

# The comma list of the platforms whose replies a source posts (the manifests set it on mono).
SOURCES_SETTING = "BOTLESS_SOURCES"


class BusRelay:
    """The Responder of a source's platform under mono: it hands the reply to the source via `sink`."""

    def __init__(self, platform: str, sink: Publisher) -> None:
        self.platform = platform
        self.sink = sink

    async def send(self, response: BotResponse, event: CloudEvent) -> None:
        """Publish `event` (PublishError when the sink refuses it: the bus or webhook retries)."""
        # The id is kept: the source claims it once, so a republished reply is posted once.
        # The Trigger filters on the extension, which the event carries from the message.
        if event.get_attributes().get(ev.EXT_PLATFORM) != self.platform:
            attributes = {**event.get_attributes(), ev.EXT_PLATFORM: self.platform}
            event = CloudEvent(attributes, event.data)
        await self.sink.publish(event)


def source_platforms(env: Mapping[str, str]) -> tuple[str, ...]:
    """The platforms `BOTLESS_SOURCES` names, in order, each once."""
    names = (name.strip() for name in env.get(SOURCES_SETTING, "").split(","))
    return tuple(dict.fromkeys(name for name in names if name))


def relays_from_env(env: Mapping[str, str], sink: Publisher | None) -> list[BusRelay]:
    """A BusRelay per source platform of `env`; ConfigurationError when there are some and no sink."""
    platforms = source_platforms(env)
    if not platforms:
        return []
    if sink is None:
        raise ConfigurationError(f"{SOURCES_SETTING}={','.join(platforms)}: mono hands those replies to "
                                 "their sources through the Broker, but K_SINK is not set: bind the "
                                 "Service to the Broker with a SinkBinding (botless manifests --source)")
    return [BusRelay(platform, sink) for platform in platforms]
