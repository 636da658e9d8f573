"""Fixtures for every test folder: the stores' real servers (tests/services.py), started once per session."""

from tests.services import azurite, firestore_emulator, redis_url  # noqa: F401
