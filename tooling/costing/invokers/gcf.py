"""Cloud Functions: functions/gcf/main.py served by functions-framework, called as Google calls it."""

from __future__ import annotations

import asyncio
import base64
import json
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

from cloudevents.http import CloudEvent

from tooling.costing.invokers.asgi import asgi_post
from tooling.costing.samples import WebhookSample

MAIN = Path(__file__).resolve().parents[3] / "functions" / "gcf" / "main.py"
HTTP_ROLES = ("receive", "mono")


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
    app = create_app(role, str(MAIN), signature)
    # The async HTTP functions (functions_framework.aio) make an ASGI app, the others Flask.
    client = app.test_client() if hasattr(app, "test_client") else None
    loop = asyncio.new_event_loop()

    def post(path: str, headers: dict[str, str], body: bytes) -> int:
        if client is None:
            return loop.run_until_complete(asgi_post(app, path, headers, body))
        return client.post(path, data=body, headers=headers).status_code

    def call(sample: WebhookSample | CloudEvent) -> None:
        if isinstance(sample, WebhookSample):
            status = post(sample.path, sample.headers, sample.body)
        else:
            status = post("/", *pubsub_delivery(sample))
        if status >= 400:
            raise RuntimeError(f"gcf {role} answered {status}")

    return call
