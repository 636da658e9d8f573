"""Fixtures shared by the target suites (keep additive: several targets use this file)."""

from __future__ import annotations

import itertools
from typing import Iterator

import pytest

from tests.targets.scenarios import StandInPlatformApi, stand_in_platform_api

_unique = itertools.count(1)


@pytest.fixture(scope="module")
def stand_in() -> Iterator[StandInPlatformApi]:
    """The stand-in Slack/Discord API on 127.0.0.1, shared by a module's tests."""
    with stand_in_platform_api() as api:
        yield api


@pytest.fixture
def unique() -> str:
    """An id no other test in this session uses (trigger ids, event ids, tokens)."""
    return f"{next(_unique):06d}"


# Cloud Functions: the Pub/Sub emulator, started once per session (tests/targets/drivers/gcf.py).
from tests.targets.drivers.gcf import pubsub_emulator  # noqa: E402,F401
