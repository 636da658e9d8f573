"""Bounded work per input, counted rather than timed: Python line events under a tracer.

`within_budget(limit, fn, *args)` runs `fn` with a tracer that counts every line executed
in Python code and raises WorkBudgetExceeded past `limit`, so a superlinear decoder fails
at once and deterministically (the same count on any machine, loaded or not) instead of
stalling the suite. Work done inside C (a regex, `str.split`, `json.loads`) is not counted:
a decoder whose Python work is per token, not per character, stays within a small budget
however long its input.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from types import FrameType
from typing import Any, TypeVar

T = TypeVar("T")


class WorkBudgetExceeded(AssertionError):
    """More Python lines ran for one input than its budget allows."""


def within_budget(limit: int, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """`fn(*args, **kwargs)`, failing with WorkBudgetExceeded past `limit` Python lines."""
    result, _ = counted(fn, *args, limit=limit, **kwargs)
    return result


def counted(fn: Callable[..., T], *args: Any, limit: int = 10**9, **kwargs: Any) -> tuple[T, int]:
    """`fn(*args, **kwargs)` and the number of Python lines it ran (at most `limit`)."""
    lines = 0

    def local(frame: FrameType, event: str, arg: Any) -> Any:
        nonlocal lines
        if event == "line":
            lines += 1
            if lines > limit:
                raise WorkBudgetExceeded(f"{getattr(fn, '__qualname__', fn)} ran more than {limit} Python "
                                         "lines for one input (superlinear, or per-character work in Python)")
        return local

    def global_(frame: FrameType, event: str, arg: Any) -> Any:
        return local

    previous = sys.gettrace()
    sys.settrace(global_)
    try:
        result = fn(*args, **kwargs)
    finally:
        sys.settrace(previous)
    return result, lines
