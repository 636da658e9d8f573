"""The local platforms: `console` (botless chat) and `api` (POST /api/chat).

Their responder keeps replies in a bounded in-memory outbox keyed by the message
they answer, which is how `botless chat` and `/api/chat` collect what the bot said.
"""

from __future__ import annotations

from collections import OrderedDict

from cloudevents.http import CloudEvent

from core.events import BotResponse

LOCAL_PLATFORMS = ("console", "api", "local")


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
