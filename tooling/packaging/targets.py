"""What each target deploys, by name: the registry's targets (tooling/targets.py) as packaging reads them."""

from __future__ import annotations

from tooling.targets import CHAT_EXTRAS, CLI_ONLY, Target
from tooling.targets import TARGETS as _REGISTRY

TARGETS: dict[str, Target] = {target.name: target for target in _REGISTRY}

__all__ = ["CHAT_EXTRAS", "CLI_ONLY", "TARGETS", "Target"]

