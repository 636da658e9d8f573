"""Reconnect delays: exponential with full jitter, reset after a connection that held."""

from __future__ import annotations

import random
from collections.abc import Callable


class Backoff:
    """The delay before each reconnect: up to `initial` * 2**attempt, capped at `maximum`.

    Full jitter (a uniform draw below the cap) keeps many sources that lost one server from
    reconnecting in step. `reset()` after a connection that worked starts over.
    """

    def __init__(self, initial: float = 1.0, maximum: float = 60.0,
                 draw: Callable[[float, float], float] = random.uniform) -> None:
        if initial <= 0 or maximum < initial:
            raise ValueError("backoff needs 0 < initial <= maximum")
        self.initial = initial
        self.maximum = maximum
        self._draw = draw
        self.attempt = 0

    def next_delay(self) -> float:
        """The delay before the next attempt; each call doubles the cap until `maximum`."""
        cap = min(self.maximum, self.initial * (2 ** min(self.attempt, 32)))
        self.attempt += 1
        return self._draw(0.0, cap)

    def reset(self) -> None:
        self.attempt = 0
