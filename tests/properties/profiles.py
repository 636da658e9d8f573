"""How many examples each property runs: the profile HYPOTHESIS_PROFILE names (default `ci`).

| profile | examples per `test_full_*` property | for |
|---|---|---|
| `ci` (default) | 10,000 | CI, and `python -m pytest` as the README says |
| `dev` | 300 | the inner loop: `HYPOTHESIS_PROFILE=dev python -m pytest tests/properties` |

Every property also has a `test_fast_*` twin of FAST_EXAMPLES examples whatever the profile,
unmarked, so `python -m pytest -m "not slow"` still runs each decoder; the `test_full_*` ones
are marked slow. Both profiles are derandomized and keep no example database, so a CI failure
is the same failure on any machine, and there is no deadline: the work per input is bounded
by counting it (tests/properties/budget.py), never with a clock.

The profiles are applied per test (`@fast`, `@full`), not loaded globally, so other
Hypothesis tests of the suite keep their own settings.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any, TypeVar

import pytest
from hypothesis import HealthCheck, Phase, settings

F = TypeVar("F", bound=Callable[..., Any])

# The inner loop's share (`-m "not slow"`, < 30 s in all): each decoder still meets 40 inputs;
# the `test_full_*` twins run the profile's count in the full suite.
FAST_EXAMPLES = 40
# No explain phase: it reruns failing examples under a tracer (slow on 1000-deep inputs),
# and its report imports a deprecated mypy_extensions name, an error under -W error.
_COMMON: dict[str, Any] = {"derandomize": True, "database": None, "deadline": None, "print_blob": True,
                           "phases": [Phase.explicit, Phase.reuse, Phase.generate, Phase.target, Phase.shrink]}
settings.register_profile("ci", max_examples=10_000, **_COMMON)
settings.register_profile("dev", max_examples=300, **_COMMON)
PROFILE_NAME = os.environ.get("HYPOTHESIS_PROFILE", "ci")
try:
    PROFILE = settings.get_profile(PROFILE_NAME)
except Exception:  # noqa: BLE001 (Hypothesis raises InvalidArgument, say which names exist)
    raise RuntimeError(f"HYPOTHESIS_PROFILE={PROFILE_NAME!r}: choose ci or dev") from None


def fast(test: F) -> F:
    """FAST_EXAMPLES examples, unmarked."""
    return settings(PROFILE, max_examples=FAST_EXAMPLES)(test)


def full(test: F) -> F:
    """The profile's examples (10,000 on CI), marked slow."""
    return pytest.mark.slow(settings(PROFILE)(test))


def fast_big(test: F) -> F:
    """`fast`, for strategies that make huge or 1000-deep inputs on purpose."""
    return settings(PROFILE, max_examples=FAST_EXAMPLES, suppress_health_check=BIG_INPUTS)(test)


def full_big(test: F) -> F:
    """`full`, for strategies that make huge or 1000-deep inputs on purpose."""
    return pytest.mark.slow(settings(PROFILE, suppress_health_check=BIG_INPUTS)(test))


# Suppressed only where a strategy makes the hostile inputs of issue 9 on purpose (900,000
# characters, 1000-deep documents): generating those is what Hypothesis calls too slow.
BIG_INPUTS = [HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.large_base_example]
