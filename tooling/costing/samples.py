"""The inputs each role sees for a mix of chat messages: signed Slack webhooks and the events they cause.

Built before the clock starts: the receive and mono roles get Slack Events API
requests signed like Slack signs them; parse, command and respond get the CloudEvents
that the previous roles really emit for those messages.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import itertools
import json
import time
import uuid
from dataclasses import dataclass

from cloudevents.http import CloudEvent

from core.bot import Bot
from core.chat.base import Received
from core.http import HttpRequest
from core.role_table import HTTP_ROLES
from tooling.costing.figures import MessageMix

SLACK_PATH = "/slack/events"


@dataclass(frozen=True)
class WebhookSample:
    """An HTTP request a chat platform sends."""

    path: str
    headers: dict[str, str]
    body: bytes


_sequence = itertools.count(1)


def slack_message_request(text: str, signing_secret: str, now: float | None = None) -> WebhookSample:
    """A Slack Events API `message` callback with `text`, signed with `signing_secret`.

    Each has its own event id and message ts, so no sample is taken for a retry.
    """
    sequence = next(_sequence)
    payload = {
        "token": "verification-token", "team_id": "T111", "api_app_id": "A111", "type": "event_callback",
        "event_id": "Ev" + uuid.uuid4().hex[:12].upper(), "event_time": int(now or time.time()),
        "authorizations": [{"team_id": "T111", "user_id": "UBOT", "is_bot": True}],
        "event": {"type": "message", "channel": "C111", "user": "U222", "text": text,
                  "ts": f"{int(time.time())}.{sequence:06d}", "channel_type": "channel", "team": "T111"},
    }
    body = json.dumps(payload).encode()
    timestamp = str(int(now or time.time()))
    digest = hmac.new(signing_secret.encode(), b"v0:" + timestamp.encode() + b":" + body, hashlib.sha256)
    headers = {"content-type": "application/json", "x-slack-request-timestamp": timestamp,
               "x-slack-signature": "v0=" + digest.hexdigest()}
    return WebhookSample(SLACK_PATH, headers, body)


def webhook_samples(mix: MessageMix, count: int, signing_secret: str) -> list[WebhookSample]:
    """`count` signed requests cycling through the mix (each with its own event id)."""
    return [slack_message_request(mix.texts[i % len(mix.texts)], signing_secret) for i in range(count)]


def event_samples(bot: Bot, role: str, mix: MessageMix, signing_secret: str) -> list[CloudEvent]:
    """The events `role` receives for one pass through the mix, as the earlier roles emit them."""
    async def chain() -> list[CloudEvent]:
        adapter = bot.adapters["slack"]
        messages: list[CloudEvent] = []
        for sample in webhook_samples(mix, len(mix.texts), signing_secret):
            request = HttpRequest.build("POST", sample.path, sample.headers, sample.body)
            received: Received = await adapter.receive(request)
            messages.extend(received.events)
        if role == "parse":
            return messages
        commands = [e for m in messages for e in await bot.roles.handle("parse", m)]
        if role == "command":
            return [e for e in commands if e["type"].startswith("botless.bot.command.")]
        responses = [e for e in commands if e["type"] == "botless.bot.response"]
        for event in commands:
            if event["type"].startswith("botless.bot.command."):
                responses.extend(await bot.roles.handle("command", event))
        return responses

    events = asyncio.run(chain())
    if not events:
        raise RuntimeError(f"the message mix gives the {role} role nothing to do")
    return events


MIX_VARIABLE = "BOTLESS_COST_MIX"  # the parent hands the workers its message texts (a JSON list)


def inputs_for(role: str, count: int) -> list[WebhookSample] | list[CloudEvent]:
    """`count` inputs for `role`: webhooks for receive and mono, chain events for the others."""
    import os

    from core.settings import Settings
    from providers.app_factory import build_bot
    from tooling.costing.figures import DEFAULT_TEXTS

    texts = json.loads(os.environ[MIX_VARIABLE]) if os.environ.get(MIX_VARIABLE) else DEFAULT_TEXTS
    mix = MessageMix(tuple(texts), 0.0, 0.0)  # the workers need the texts only
    secret = os.environ["SLACK_SIGNING_SECRET"]
    if role in HTTP_ROLES:
        return webhook_samples(mix, count, secret)
    events = event_samples(build_bot(Settings.from_env(os.environ)), role, mix, secret)
    # A fresh CloudEvent id for every invocation: a bus redelivery (same id) is skipped.
    return [_fresh_copy(events[i % len(events)]) for i in range(count)]


def _fresh_copy(event: CloudEvent) -> CloudEvent:
    return CloudEvent({**event.get_attributes(), "id": str(uuid.uuid4())}, event.data)
