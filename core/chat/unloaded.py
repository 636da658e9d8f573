"""The adapter of a disabled platform whose module is not imported: a Slack-only bot never loads Discord's.

It is disabled, so its endpoint answers 503 like any adapter without its secret
(providers/asgi/webhook_flow.py). Its platform's own adapter is built the first time
something uses more than `platform`, `path` and `enabled`: a reply sent through it,
a request handed to it directly, its `config`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from cloudevents.http import CloudEvent

from core.chat.base import ChatAdapter, Received
from core.events import BotResponse
from core.http import HttpRequest


class UnloadedAdapter:
    """Stands in for platform `platform`'s adapter at `path` until `load` builds it."""

    def __init__(self, platform: str, path: str, load: Callable[[], ChatAdapter]) -> None:
        self.platform = platform
        self.path = path
        self._load = load
        self._adapter: ChatAdapter | None = None

    @property
    def enabled(self) -> bool:
        """False: only a platform whose enabling secret is not set is left unloaded."""
        return False

    @property
    def loaded(self) -> ChatAdapter:
        """The platform's own adapter, built (its module imported) on first use."""
        if self._adapter is None:
            self._adapter = self._load()
        return self._adapter

    async def receive(self, request: HttpRequest) -> Received:
        """What the platform's own adapter makes of `request`."""
        return await self.loaded.receive(request)

    async def send(self, response: BotResponse, event: CloudEvent) -> None:
        """Sent by the platform's own adapter (a reply needs its API client, not its secret)."""
        await self.loaded.send(response, event)

    def __getattr__(self, name: str) -> Any:
        # The rest of the platform's adapter (its `config`, its `dedupe`) is its own adapter's.
        if name.startswith("_"):
            raise AttributeError(name)
        return getattr(self.loaded, name)
