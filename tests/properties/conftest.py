"""The event loop the properties run coroutines on (profiles: tests/properties/profiles.py)."""

from __future__ import annotations

import asyncio
import contextlib
import warnings
from collections.abc import Callable, Coroutine, Iterator
from typing import Any

import pytest

# Hypothesis writes a patch for each failing example with libcst, which imports a name
# mypy_extensions deprecates; under the suite's -W error that import, made while pytest
# reports the failure, turns a failing property into an INTERNALERROR. Import it now, quietly.
with warnings.catch_warnings():
    warnings.simplefilter("ignore", DeprecationWarning)
    with contextlib.suppress(ImportError):  # no libcst: Hypothesis writes no patches
        import hypothesis.extra._patching  # noqa: F401


@pytest.fixture(scope="session")
def run() -> Iterator[Callable[[Coroutine[Any, Any, Any]], Any]]:
    """Run a coroutine to completion on one event loop kept for the whole session.

    Session-scoped so that `@given` tests may take it (Hypothesis refuses function-scoped
    fixtures, which would be shared across examples), and one loop because a fresh loop per
    example would cost more than most decoders do.
    """
    with asyncio.Runner() as runner:
        yield runner.run
