"""A target's shared dedupe store, or a warning that deliveries are remembered per instance."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Mapping
from typing import TypeVar

from core.dedupe import DedupeStore

logger = logging.getLogger("botless")

_warned: set[str] = set()
Store = TypeVar("Store", bound=DedupeStore)


def shared_dedupe(env: Mapping[str, str], setting: str, target: str,
                  build: Callable[[Mapping[str, str]], Store | None]) -> Store | None:
    """The target's shared store, built by `build` when `setting` is set; else None.

    None leaves the bot on `BOTLESS_DEDUPE` (this instance's memory), which is said once,
    at start-up, as a warning: a retry that reaches another instance is handled again.
    """
    if env.get(setting, "").strip():
        return build(env)
    if target not in _warned:
        _warned.add(target)
        logger.warning(json.dumps({"target": target, "outcome": "dedupe-per-instance", "reason": (
            f"{setting} is not set: deliveries are remembered in this instance's memory only, so a "
            "platform retry or bus redelivery that reaches another instance is handled again "
            "(docs/targets.md, Deduplication)")}))
    return None
