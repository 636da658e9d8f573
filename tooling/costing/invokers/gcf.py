"""Cloud Functions: functions/gcf/main.py served by functions-framework, called as Google calls it."""

from __future__ import annotations

import asyncio
import base64
import json
import tempfile
import time
import uuid
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any

from cloudevents.http import CloudEvent

from core.role_table import HTTP_ROLES
from tooling.costing.invokers.asgi import asgi_post
from tooling.costing.samples import WebhookSample

MAIN = Path(__file__).resolve().parents[3] / "functions" / "gcf" / "main.py"
PROJECT = "botless-measure"


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


def start_services(stack: ExitStack) -> dict[str, str]:
    """The Pub/Sub emulator with Botless's topics."""
    from providers.gcp.config import GcpConfig

    config = GcpConfig()
    topics = (config.chat_message_topic, config.bot_command_topic, config.bot_response_topic, config.deferred_topic)
    return {"pubsub": stack.enter_context(_pubsub(topics))}


def environment(role: str, services: Mapping[str, str]) -> dict[str, str]:
    """A Cloud Functions instance's settings, pointed at the emulator."""
    return {"PUBSUB_EMULATOR_HOST": services["pubsub"], "GOOGLE_CLOUD_PROJECT": PROJECT,
            "BOTLESS_GCP_PROJECT": PROJECT, "BOTLESS_DEFER_TOKEN": "measure-defer-token"}


# infra/gcf/main.tf `secret_readers`: the roles given the chat secrets as secret environment variables.
SECRET_READERS = ("mono", "receive", "respond")


def count_secret_reads() -> Callable[[], dict[str, float]]:
    """Secret Manager accesses per instance start: one per secret environment variable infra/gcf gives the role.

    Cloud Run functions resolve them at instance start (STORES.md section 4, CR-SEC): the
    chat secrets the bot has, for the roles that read them, and mono's BOTLESS_DEFER_TOKEN.
    """
    import os

    from tooling.costing.counting import chat_secrets_set

    role = os.environ["BOTLESS_ROLE"]
    accesses = (len(chat_secrets_set(os.environ)) if role in SECRET_READERS else 0) + (role == "mono")
    return lambda: {"calls_per_cold_start": float(accesses), "secure_strings_per_cold_start": 0.0,
                    "references": 0.0}


def pubsub_delivery(event: CloudEvent) -> tuple[dict[str, str], bytes]:
    """The binary-mode `messagePublished` CloudEvent Eventarc delivers for a Pub/Sub message."""
    from providers.gcp.message import message_from_event

    message = message_from_event(event)
    message_id = str(uuid.uuid4().int)[:16]
    published = time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime())
    data = {"message": {"data": base64.b64encode(message.data).decode(), "attributes": dict(message.attributes),
                        "messageId": message_id, "publishTime": published},
            "subscription": "projects/botless-measure/subscriptions/eventarc-botless"}
    headers = {"ce-specversion": "1.0", "ce-id": message_id, "ce-type": "google.cloud.pubsub.topic.v1.messagePublished",
               "ce-source": "//pubsub.googleapis.com/projects/botless-measure/topics/botless", "ce-time": published,
               "content-type": "application/json"}
    return headers, json.dumps(data).encode()


def load(role: str) -> Callable[[Any], None]:
    from functions_framework import create_app

    signature = "http" if role in HTTP_ROLES else "cloudevent"
    app = create_app(role, str(MAIN), signature)  # type: ignore[no-untyped-call]
    # The async HTTP functions (functions_framework.aio) make an ASGI app, the others Flask.
    client = app.test_client() if hasattr(app, "test_client") else None
    loop = asyncio.new_event_loop()

    def post(path: str, headers: dict[str, str], body: bytes) -> int:
        if client is None:
            return loop.run_until_complete(asgi_post(app, path, headers, body))
        return int(client.post(path, data=body, headers=headers).status_code)

    def call(sample: WebhookSample | CloudEvent) -> None:
        if isinstance(sample, WebhookSample):
            status = post(sample.path, sample.headers, sample.body)
        else:
            status = post("/", *pubsub_delivery(sample))
        if status >= 400:
            raise RuntimeError(f"gcf {role} answered {status}")

    return call
