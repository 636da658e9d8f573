"""Google Cloud Functions (2nd gen) entrypoints; deploy each with `--entry-point <name>`.

HTTP: `receive` (pipeline) and `mono`. CloudEvent, triggered from Pub/Sub: `parse`,
`command`, `respond`. The wiring lives in providers/gcp/target.py; docs/targets.md
lists the settings and topics.
"""

import os

import functions_framework
from functions_framework import aio

from providers.gcp.target import target_from_env

target = target_from_env(os.environ)  # the bot, built once per instance; a missing setting fails start-up here


@aio.http
async def receive(request):  # type: ignore[no-untyped-def]
    """Chat webhooks -> Pub/Sub (pipeline)."""
    return target.http("receive")


@aio.http
async def mono(request):  # type: ignore[no-untyped-def]
    """Chat webhooks -> all four roles here; slow work deferred through Pub/Sub to this function."""
    return target.http("mono")


@functions_framework.cloud_event
def parse(cloud_event):  # type: ignore[no-untyped-def]
    """botless.chat.message -> botless.bot.command.<name>."""
    target.handle("parse", cloud_event)


@functions_framework.cloud_event
def command(cloud_event):  # type: ignore[no-untyped-def]
    """botless.bot.command.<name> -> botless.bot.response."""
    target.handle("command", cloud_event)


@functions_framework.cloud_event
def respond(cloud_event):  # type: ignore[no-untyped-def]
    """botless.bot.response -> the platform's API."""
    target.handle("respond", cloud_event)
