"""What a chat platform adapter is: receive a webhook, send a reply."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Protocol, runtime_checkable

from cloudevents.http import CloudEvent

from core.chat.answer import AckAnswer
from core.events import BotResponse
from core.http import HttpRequest, HttpResponse


class DeliveryError(RuntimeError):
    """A reply could not be delivered to the platform, for now (a 5xx, a timeout): the bus retries it later."""


class RateLimited(DeliveryError):
    """The platform asked to wait `retry_after` seconds (a 429): retried after that, never at once.

    respond waits itself when the wait fits its budget (core/chat/rate_limits.py); otherwise
    this reaches the target, which hands the reply back to its bus with that delay.
    """

    def __init__(self, message: str, retry_after: float) -> None:
        super().__init__(message)
        self.retry_after = max(0.0, retry_after)
        # The event to deliver again: the response, when the refusal came from a step inside
        # mono's chain (set by Roles.mono), so the chain's earlier steps are not run twice.
        self.pending: CloudEvent | None = None


class PermanentDeliveryError(DeliveryError):
    """The platform refused the reply for good (a 4xx other than 429): dead-lettered, never retried.

    `code` is the platform's own error code (Slack's `channel_not_found`, Telegram's
    `error_code`, Discord's `code`), logged with the dead letter.
    """

    def __init__(self, message: str, code: str = "") -> None:
        super().__init__(message)
        self.code = code


class UnknownPlatformError(PermanentDeliveryError):
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
    # The platform wants its answer within its deadline (a Slack slash command, a Discord
    # interaction: 3 s), so the events must not hold the answer past the ack budget: they
    # run under it when `answer` is set, else they are handed on or published after it.
    deferred: bool = False
    # Called when the webhook is answered with an error after the claim (the bus or the
    # deferrer refused the events, the mono chain failed): undoes the adapter's dedupe
    # claim, so the platform's retry is processed instead of dropped as a duplicate.
    on_publish_failure: Callable[[], Awaitable[None]] | None = None
    # The answer the delivery's own reply may still fill (core/chat/answer.py), if the
    # platform takes a reply in the ack.
    answer: AckAnswer | None = None

    def http_answer(self) -> HttpResponse:
        """The HTTP answer to send now: a reply that came in time, else `response`.

        It closes the answer: a reply after this goes through the platform's API.
        """
        return self.answer.close() if self.answer is not None else self.response


@runtime_checkable
class ChatAdapter(Responder, Protocol):
    """A platform: its webhook path, its receive conversion and its responder."""

    path: str

    @property
    def enabled(self) -> bool: ...

    async def receive(self, request: HttpRequest) -> Received: ...
