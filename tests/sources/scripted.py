"""A chat source whose "server" is a queue of texts: for testing what runs sources, not a source."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping

from cloudevents.http import CloudEvent

from core.dedupe import DedupeStore
from core.events import BotResponse, ChatMessage, ChatUser, chat_message_event
from core.settings import Settings
from core.sources.base import Emit, SourceRefused
from core.sources.definition import Option, SourceDefinition


class ScriptedSource:
    """A source whose "server" is a queue of texts; replies are collected in `sent`."""

    platform = "scripted"

    def __init__(self, texts: list[str], refuse: str = "") -> None:
        self.inbox: asyncio.Queue[str] = asyncio.Queue()
        for text in texts:
            self.inbox.put_nowait(text)
        self.sent: list[BotResponse] = []
        self.closed = False
        self.refuse = refuse
        self.read = 0

    def describe(self) -> str:
        return "scripted: connected"

    async def run(self, emit: Emit) -> None:
        if self.refuse:
            raise SourceRefused(self.refuse)
        try:
            while True:
                text = await self.inbox.get()
                self.read += 1
                message = ChatMessage(platform=self.platform, text=text, user=ChatUser(id="u1"),
                                      channel="c1", message_id=f"m{self.read}")
                await emit(chat_message_event(message, source="test/scripted"))
        finally:
            self.closed = True

    async def send(self, response: BotResponse, event: CloudEvent) -> None:
        self.sent.append(response)


def _build(env: Mapping[str, str], dedupe: DedupeStore, settings: Settings) -> ScriptedSource:
    texts = [text for text in env.get("SCRIPTED_TEXTS", "").split(",") if text]
    return ScriptedSource(texts)


SOURCE = SourceDefinition(name="scripted", summary="texts from SCRIPTED_TEXTS, for tests",
                          options=(Option("SCRIPTED_TEXTS", "the texts, comma-separated", flag="--text",
                                          repeatable=True),
                                   Option("SCRIPTED_TOKEN", "a secret it does not use", secret=True)),
                          build=_build)
