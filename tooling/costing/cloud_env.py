"""The loopback services and settings for measuring the Google and Azure entrypoints."""

from __future__ import annotations

import tempfile
from collections.abc import Iterable, Iterator, Mapping
from contextlib import ExitStack, contextmanager
from pathlib import Path

PROJECT = "botless-measure"
EVENTGRID_KEY = "measure-key"


@contextmanager
def _pubsub(topics: Iterable[str]) -> Iterator[str]:
    from tooling.pubsub_emulator import PubSubEmulator

    with tempfile.TemporaryDirectory(prefix="botless-cost-") as workdir:
        emulator = PubSubEmulator(Path(workdir) / "pubsub.log", PROJECT)
        try:
            emulator.create_topics(topics)
            yield emulator.host_port
        finally:
            emulator.stop()


def start_services(stack: ExitStack, entrypoints: Iterable[str], services: Mapping[str, str]) -> dict[str, str]:
    """The Pub/Sub emulator with Botless's topics when Cloud Functions are measured."""
    if "gcf" not in entrypoints:
        return {}
    from providers.gcp.config import GcpConfig

    config = GcpConfig()
    topics = (config.chat_message_topic, config.bot_command_topic, config.bot_response_topic, config.deferred_topic)
    return {"pubsub": stack.enter_context(_pubsub(topics))}


def environment(entrypoint: str, role: str, services: Mapping[str, str]) -> dict[str, str]:
    """Settings of a Cloud Functions or Azure Functions instance pointed at loopback."""
    if entrypoint == "gcf":
        return {"PUBSUB_EMULATOR_HOST": services["pubsub"], "GOOGLE_CLOUD_PROJECT": PROJECT,
                "BOTLESS_GCP_PROJECT": PROJECT, "BOTLESS_DEFER_TOKEN": "measure-defer-token"}
    if entrypoint == "azure":
        return {"BOTLESS_EVENTGRID_ENDPOINT": services["platform"] + "/eventgrid/api/events",
                "BOTLESS_EVENTGRID_KEY": EVENTGRID_KEY}
    raise ValueError(f"no cloud settings for entrypoint {entrypoint!r}")
