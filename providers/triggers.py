"""Trigger sources, mangum-style: each is a pure "is this mine?" check and the handler it picks.

A target lists its sources in order; `dispatch` hands a payload to the first whose `infer`
accepts it, and an unknown shape gets UnknownTriggerError naming what was expected.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

# Covariant: a source answering an event fits a list whose sources may answer None (a no-op).
Answer = TypeVar("Answer", covariant=True)


class UnknownTriggerError(ValueError):
    """An invocation payload is no shape this function handles; the message names what was expected."""


@dataclass(frozen=True)
class Trigger(Generic[Answer]):
    """One source: `infer(payload)` says whether the payload is its shape; `handle` answers it."""

    name: str
    infer: Callable[[Any], bool]
    handle: Callable[..., Answer]


def dispatch(triggers: Sequence[Trigger[Answer]], payload: Any, *args: Any, expected: str) -> Answer:
    """The answer of the first trigger that infers `payload`; UnknownTriggerError when none does."""
    for trigger in triggers:
        if trigger.infer(payload):
            return trigger.handle(payload, *args)
    keys = sorted(payload)[:8] if isinstance(payload, Mapping) else type(payload).__name__
    raise UnknownTriggerError(f"{expected} (keys: {keys})")
