"""What a chat platform adapter is: receive a webhook, send a reply."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Protocol, runtime_checkable

from cloudevents.http import CloudEvent

from core.events import BotResponse
from core.http import HttpRequest, HttpResponse


class DeliveryError(RuntimeError):
    """A reply could not be delivered to the platform (the bus may retry or dead-letter it)."""


class UnknownPlatformError(DeliveryError):
    """A reply for a platform this bot has no responder for: permanent, so it is never retried."""


@runtime_checkable
class Responder(Protocol):
    """Sends a `botless.bot.response` to the platform it names."""

    platform: str

    async def send(self, response: BotResponse, event: CloudEvent) -> None: ...


@dataclass
class Received:
    """What a webhook turned into: the HTTP answer and the events to publish."""

    response: HttpResponse
    events: list[CloudEvent] = field(default_factory=list)
    # Publish only after the HTTP answer is sent: the platform wants its ack first
    # (a Slack slash command within 3 s, a Discord interaction within 3 s).
    deferred: bool = False
    # Called when the webhook is answered with an error after the claim (the bus or the
    # deferrer refused the events, the mono chain failed): undoes the adapter's dedupe
    # claim, so the platform's retry is processed instead of dropped as a duplicate.
    on_publish_failure: Callable[[], Awaitable[None]] | None = None


@runtime_checkable
class ChatAdapter(Responder, Protocol):
    """A platform: its webhook path, its receive conversion and its responder."""

    path: str

    @property
    def enabled(self) -> bool: ...

    async def receive(self, request: HttpRequest) -> Received: ...
