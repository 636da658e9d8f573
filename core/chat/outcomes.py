"""How an adapter's receive path ends without an event: a Rejection or an Ignored.

Adapters raise `Rejection(status, reason)` or `Ignored(reason)` anywhere in their
receive path; `answer` turns them into the HTTP answer and one log line with the
reason, never the body or a secret. Neither emits an event.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from core.chat.base import Received
from core.http import HttpResponse

logger = logging.getLogger("botless")


class Rejection(Exception):
    """A request that is answered with an error and emits no event."""

    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason


class Ignored(Exception):
    """A well-formed request the bot does not act on: 200 (so it is not retried), no event."""

    def __init__(self, reason: str, payload: Any = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.payload = payload


async def answer(platform: str, handle: Callable[[], Awaitable[Received]]) -> Received:
    """Run `handle`; Ignored becomes a 200, a Rejection its error, each one log line."""
    try:
        return await handle()
    except Ignored as skipped:
        logger.info(json.dumps({"platform": platform, "role": "receive", "outcome": "ignored",
                                "reason": skipped.reason}))
        return ignored(skipped.reason, skipped.payload)
    except Rejection as rejection:
        logger.warning(json.dumps({"platform": platform, "role": "receive", "outcome": "rejected",
                                   "status": rejection.status, "reason": rejection.reason}))
        return Received(HttpResponse.error(rejection.status, rejection.reason))


def ignored(reason: str, payload: Any = None) -> Received:
    """A 200 for something the bot does not handle (so the platform does not retry it).

    `payload` is the JSON to answer (default `{"ignored": reason}`), or an HttpResponse
    to answer as it is (a Slack slash command's empty 200, which shows the user nothing).
    """
    if isinstance(payload, HttpResponse):
        return Received(payload)
    return Received(HttpResponse.json(200, payload if payload is not None else {"ignored": reason}))
