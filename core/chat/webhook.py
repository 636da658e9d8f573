"""What the built-in webhook adapters share: how they are built, how receive ends, one claimed delivery.

A platform module subclasses `WebhookAdapter`, sets `platform` and `path`, says when it
is `enabled` (the secret it verifies requests with is set) and writes `_receive` and
`send`. `_receive` raises Rejection or Ignored to end without an event, and hands a
chat message on through `_publish_once`, which claims the delivery first.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Generic, TypeVar

from core.chat.answer import AckAnswer, RenderReply
from core.chat.base import Received
from core.chat.claims import first_delivery
from core.chat.outcomes import Ignored, answer
from core.dedupe import DedupeStore, release
from core.events import ChatMessage, chat_message_event
from core.http import HttpRequest, HttpResponse
from core.settings import Settings

Config = TypeVar("Config")


class WebhookAdapter(Generic[Config]):
    """A platform's adapter, built from its config, the bot's settings and the dedupe store; no I/O.

    `clock` is what signed timestamps are checked against (tests fix it).
    """

    platform: str
    path: str

    def __init__(self, config: Config, settings: Settings, dedupe: DedupeStore, *,
                 clock: Callable[[], float] = time.time) -> None:
        self.config = config
        self.settings = settings
        self.dedupe = dedupe
        self._clock = clock

    async def receive(self, request: HttpRequest) -> Received:
        """The request's events and answer; a Rejection or Ignored becomes its answer and one log line."""
        return await answer(self.platform, lambda: self._receive(request))

    async def _receive(self, request: HttpRequest) -> Received:
        raise NotImplementedError

    async def _publish_once(self, message: ChatMessage, key: str, ttl_seconds: float, *, duplicate: Ignored,
                            acknowledgement: HttpResponse, reply_to: str = "", deferred: bool = False,
                            answer_with: RenderReply | None = None) -> Received:
        """The event of `message` answered `acknowledgement`, for the first delivery of `key` only.

        A later copy raises `duplicate` (the answer the platform gets for it). The claim is
        released when the webhook ends in an error after all (the events were refused), so
        the platform's retry is taken instead of dropped. With `answer_with`, the reply on
        `reply_to` may come in the HTTP answer instead (core/chat/answer.py).
        """
        if not await first_delivery(self.dedupe, key, ttl_seconds):
            raise duplicate
        event = chat_message_event(message, source=f"{self.settings.source}/{self.platform}", reply_to=reply_to)
        answer = AckAnswer(reply_to, acknowledgement, answer_with) if answer_with and reply_to else None
        return Received(acknowledgement, [event], deferred=deferred,
                        on_publish_failure=lambda: release(self.dedupe, key), answer=answer)
