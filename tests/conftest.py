"""Fixtures for every test folder: the stores' real servers (tests/services.py), started once
per session, and the local stores under a hand-moved clock (tests/local_stores.py)."""

from tests.local_stores import store_and_clock  # noqa: F401
from tests.services import azurite, firestore_emulator, redis_url  # noqa: F401
