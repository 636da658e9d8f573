"""Fixtures: the stand-in platform API, a Discord key pair, the bot under test, log capture."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from nacl.signing import SigningKey

from tests.chat.helpers import GATE, BotUnderTest, bot_env, build_bot
from tests.chat.platform_api import PlatformApi


@pytest.fixture
def platform_api() -> Iterator[PlatformApi]:
    api = PlatformApi().start()
    yield api
    api.stop()


@pytest.fixture(scope="session")
def discord_key() -> SigningKey:
    """A real Ed25519 key pair; the bot is given its public half as DISCORD_PUBLIC_KEY."""
    return SigningKey.generate()


@pytest.fixture
async def make_bot(platform_api: PlatformApi, discord_key: SigningKey) -> Any:
    """Build a bot against the stand-in API: `make_bot(NAME="value", OTHER=None)`."""
    built: list[BotUnderTest] = []
    public_key = discord_key.verify_key.encode().hex()

    def make(dedupe: Any = None, topology: str = "mono", **env: str | None) -> BotUnderTest:
        under_test = build_bot(bot_env(platform_api.url, public_key, **env), dedupe, topology)
        built.append(under_test)
        return under_test

    yield make
    for under_test in built:
        assert under_test.client is not None
        await under_test.client.aclose()


@pytest.fixture
async def bot(make_bot: Callable[..., BotUnderTest]) -> BotUnderTest:
    """The default bot: every platform configured."""
    return make_bot()


@pytest.fixture
def gate() -> Iterator[Any]:
    """Arm the `slow` test command's gate for this test (and open and disarm it afterwards)."""
    GATE.arm()
    yield GATE
    GATE.opened.set()
    GATE.armed = False


@pytest.fixture
def botless_logs(caplog: pytest.LogCaptureFixture) -> Iterator[pytest.LogCaptureFixture]:
    """Every record of the `botless` and `httpx` loggers, whatever another test configured."""
    loggers = [logging.getLogger(name) for name in ("botless", "httpx")]
    levels = [logger.level for logger in loggers]
    for logger in loggers:
        logger.addHandler(caplog.handler)
        logger.setLevel(logging.DEBUG)
    yield caplog
    for logger, level in zip(loggers, levels, strict=True):
        logger.removeHandler(caplog.handler)
        logger.setLevel(level)
