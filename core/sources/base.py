"""What a connection-mode chat source is: it holds the chat server's connection, no public URL.

The seed's ChatSource: a long-running process connects to the chat server (Slack Socket
Mode, Telegram long polling, IRC), turns each message into a `botless.chat.message`
CloudEvent for a sink, and takes `botless.bot.response` events back to post them. A
source is also the Responder of its platform, so the same object receives and replies.

A source claims each message in the shared dedupe store before it emits it (the key
names the message, as a webhook's does), so a reconnect or a restart that sees a message
again answers it once. `emit` hands the event on without waiting for the command: a
slow command never holds the connection (core/sources/session.py).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Protocol, runtime_checkable

from cloudevents.http import CloudEvent

from core.events import BotResponse

# Hands one chat message event to the sink (the embedded broker, a Knative K_SINK).
Emit = Callable[[CloudEvent], Awaitable[None]]


class SourceRefused(RuntimeError):
    """The chat server refused the source for a reason the user must fix (a bad token, a webhook set).

    `run` raises it instead of reconnecting: retrying would only be refused again. The
    message says what to change.
    """


@runtime_checkable
class ChatSource(Protocol):
    """A chat connection: `run` holds it until cancelled, `send` posts a reply through it."""

    platform: str

    def describe(self) -> str:
        """One line for the log: where it is connected and how to talk to the bot there."""
        ...

    async def run(self, emit: Emit) -> None:
        """Connect, emit every new message, reconnect with backoff; end only when cancelled or refused.

        A lost connection is retried (core/backoff.py); a refusal that retrying
        cannot fix raises SourceRefused.
        """
        ...

    async def send(self, response: BotResponse, event: CloudEvent) -> None:
        """Post `response` (the reply to `event`'s message) on the connection."""
        ...
