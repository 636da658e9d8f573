"""The local platforms: `console` (botless chat) and `api` (POST /api/chat).

Their responder keeps replies in a bounded in-memory outbox keyed by the message
they answer, which is how `botless chat` and `/api/chat` collect what the bot said.
"""

from __future__ import annotations

import uuid
from collections import OrderedDict
from typing import Any

from cloudevents.http import CloudEvent

from core.events import BotResponse, ChatMessage, ChatUser, EventValidationError
from core.limits import TEXT_LIMIT

LOCAL_PLATFORMS = ("console", "api", "local")


def api_message(payload: Any) -> ChatMessage:
    """The chat message of a `POST /api/chat` body; EventValidationError (400) saying what is wrong."""
    if not isinstance(payload, dict) or not isinstance(payload.get("text"), str):
        raise EventValidationError('expected a JSON object like {"text": "/uptime"}')
    for name in ("user", "channel"):
        if not isinstance(payload.get(name, ""), str):
            raise EventValidationError(f"`{name}` must be a string")
    if len(payload["text"]) > TEXT_LIMIT:
        raise EventValidationError(f"`text` is {len(payload['text'])} characters; at most {TEXT_LIMIT} are accepted")
    return ChatMessage(platform="api", text=payload["text"], user=ChatUser(id=payload.get("user") or "api-user"),
                       channel=payload.get("channel") or "api", message_id=str(uuid.uuid4()))


class Outbox:
    """Replies by message id, oldest conversations dropped past `capacity`."""

    def __init__(self, capacity: int = 1000) -> None:
        self.capacity = capacity
        self._replies: OrderedDict[str, list[BotResponse]] = OrderedDict()

    def put(self, response: BotResponse) -> None:
        key = response.message_id
        self._replies.setdefault(key, []).append(response)
        self._replies.move_to_end(key)
        while len(self._replies) > self.capacity:
            self._replies.popitem(last=False)

    def take(self, message_id: str) -> list[BotResponse]:
        """The replies to `message_id`, removed from the outbox."""
        return self._replies.pop(message_id, [])

    def recent(self) -> list[BotResponse]:
        """Every reply still held, oldest first."""
        return [reply for replies in self._replies.values() for reply in replies]


class LocalResponder:
    """Responder for one local platform; all of them share one outbox."""

    def __init__(self, platform: str, outbox: Outbox) -> None:
        self.platform = platform
        self.outbox = outbox

    async def send(self, response: BotResponse, event: CloudEvent) -> None:
        self.outbox.put(response)
