"""Knative: the ASGI app of functions/knative/app.py, called as uvicorn would call it."""

from __future__ import annotations

import asyncio
import importlib
from collections.abc import Callable, Mapping
from typing import Any

from cloudevents.http import CloudEvent

from core.wire import event_to_http
from tooling.costing.invokers.asgi import asgi_post
from tooling.costing.samples import WebhookSample


def environment(role: str, services: Mapping[str, str]) -> dict[str, str]:
    """The SinkBinding's K_SINK, pointed at the loopback Broker ingress."""
    return {"K_SINK": services["platform"] + "/sink"}


def load(role: str) -> Callable[[Any], None]:
    """The invocation of `role` (BOTLESS_ROLE is set by the parent) on the real app."""
    app = importlib.import_module("functions.knative.app").app
    loop = asyncio.new_event_loop()

    def call(sample: WebhookSample | CloudEvent) -> None:
        if isinstance(sample, WebhookSample):
            status = loop.run_until_complete(asgi_post(app, sample.path, sample.headers, sample.body))
        else:
            headers, body = event_to_http(sample, "binary")
            status = loop.run_until_complete(asgi_post(app, "/", headers, body))
        if status >= 400:
            raise RuntimeError(f"knative {role} answered {status}")

    return call
