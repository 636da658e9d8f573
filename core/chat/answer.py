"""Answer in the ack: a webhook's HTTP answer that the delivery's own reply may still fill.

A Slack slash command and a Discord interaction can carry the bot's reply in the HTTP
answer itself (Slack's `{"response_type", "text"}` body, Discord's type-4 response), so a
command that finishes while the platform waits costs one invocation and no API call.
The adapter attaches an `AckAnswer` to such a delivery's `Received`, under the delivery's
reply route (its signed response_url, its interaction token). The webhook endpoint runs
the delivery's events inside `answering(answer)`; the respond step offers each reply to
the open answer first (`offered`), and only a reply on that same route is taken. The
answer closes the moment it is sent: a reply after that (a deferred command, a second
reply, another process) goes through the platform's API as before.

A context variable, not a registry: only the code that runs for this request (the mono
chain, the embedded broker's tasks it starts) can see the answer, and no forged event
on a bus can reach it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from core.events import BotResponse
from core.http import HttpResponse

# What a platform answers in the ack for a reply (Slack's response body, Discord's type 4).
RenderReply = Callable[[BotResponse], HttpResponse]


class AckAnswer:
    """One delivery's HTTP answer: its acknowledgement, or its first reply if offered before it is sent."""

    def __init__(self, route: str, acknowledgement: HttpResponse, render: RenderReply) -> None:
        self.route = route
        self.acknowledgement = acknowledgement
        self._render = render
        self._reply: HttpResponse | None = None
        self.closed = False

    def offer(self, route: str, response: BotResponse) -> bool:
        """Take `response` as the answer when it replies on this delivery's route and the answer is still open."""
        if self.closed or self._reply is not None or not route or route != self.route:
            return False
        self._reply = self._render(response)
        return True

    def close(self) -> HttpResponse:
        """The answer to send now (the reply, else the acknowledgement); later offers are refused."""
        self.closed = True
        return self._reply if self._reply is not None else self.acknowledgement


_OPEN: ContextVar[AckAnswer | None] = ContextVar("botless_ack_answer", default=None)


@contextmanager
def answering(answer: AckAnswer | None) -> Iterator[AckAnswer | None]:
    """Run the delivery's events with `answer` open to their replies (a no-op for None)."""
    token = _OPEN.set(answer)
    try:
        yield answer
    finally:
        _OPEN.reset(token)


def offered(route: str, response: BotResponse) -> bool:
    """True when `response` went into the open answer of the request replying on `route`."""
    answer = _OPEN.get()
    return answer is not None and answer.offer(route, response)
