"""Fixtures of the connection-mode source tests."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator

import pytest

from tests.sources.slack_socket_bot import GATE
from tests.sources.slack_socket_server import APP_TOKEN, SlackSocketServer


@pytest.fixture
def gate() -> Iterator[asyncio.Event]:
    """The gate the `slow` command waits on; open it to let the command answer."""
    GATE["open"] = asyncio.Event()
    yield GATE["open"]
    GATE["open"].set()


@pytest.fixture
async def slack() -> AsyncIterator[SlackSocketServer]:
    """Slack's apps.connections.open and its WebSocket, on 127.0.0.1."""
    server = await SlackSocketServer(APP_TOKEN).start()
    yield server
    await server.stop()
