"""Fixtures for every test folder: the stores' real servers (tests/services.py), started once
per session, and the local stores under a hand-moved clock (tests/local_stores.py).

A test that uses a service fixture (tests/services.py `service_fixture`), directly or through
another fixture, is marked slow here: `pytest -m "not slow"` runs without processes or servers.
"""

import logging
from collections.abc import Iterator

import pytest

from tests.local_stores import store_and_clock  # noqa: F401
from tests.services import SERVICE_FIXTURES, azurite, firestore_emulator, redis_url  # noqa: F401


@pytest.hookimpl(tryfirst=True)  # before `-m` deselects by marker
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark slow every test whose fixtures (their whole closure) start a service."""
    for item in items:
        if SERVICE_FIXTURES.intersection(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.slow)


@pytest.fixture(autouse=True)
def botless_logger_restored() -> Iterator[None]:
    """Give each test the "botless" logger as it found it.

    Entrypoints called in-process (build_local_bot, `botless connect`, the GCF target) configure
    that logger: JSON to the stderr of the moment, no propagation. Left so, a later test's caplog
    sees none of its lines and its handler writes to a closed capture.
    """
    logger = logging.getLogger("botless")
    saved = (list(logger.handlers), logger.level, logger.propagate)
    yield
    logger.handlers[:], logger.level, logger.propagate = saved[0], saved[1], saved[2]
