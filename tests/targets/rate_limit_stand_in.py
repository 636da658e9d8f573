"""What the targets' rate-limit tests share (issue 14): the stand-in Telegram API and its refusals.

The stand-in is tests/chat/platform_api.py's (a real server on 127.0.0.1) answering each
call as the Bot API documents it, or, when told, with Telegram's documented 429
(`parameters.retry_after`) or a 403.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator

import pytest
from nacl.signing import SigningKey

from tests.chat.helpers import bot_env, telegram_headers, to_body
from tests.chat.platform_api import PlatformApi
from tests.services import service_fixture

TELEGRAM_429 = {"ok": False, "error_code": 429, "description": "Too Many Requests: retry after 1",
                "parameters": {"retry_after": 1}}
TELEGRAM_403 = {"ok": False, "error_code": 403, "description": "Forbidden: bot was blocked by the user"}
_DISCORD_KEY = SigningKey(bytes(range(32))).verify_key.encode().hex()  # unused here, required by bot_env


@service_fixture()
def telegram_api() -> Iterator[PlatformApi]:
    """The stand-in Bot API for one test (its programmed failures die with it)."""
    api = PlatformApi().start()
    yield api
    api.stop()


@pytest.fixture
def botless_logs(caplog: pytest.LogCaptureFixture) -> Iterator[pytest.LogCaptureFixture]:
    """Every record of the `botless` logger, whatever another test configured."""
    logger = logging.getLogger("botless")
    level = logger.level
    logger.addHandler(caplog.handler)
    logger.setLevel(logging.DEBUG)
    yield caplog
    logger.removeHandler(caplog.handler)
    logger.setLevel(level)


def telegram_env(api: PlatformApi, **overrides: str) -> dict[str, str]:
    """A bot's settings with every platform pointed at the stand-in (Telegram is the one used)."""
    return bot_env(api.url, _DISCORD_KEY, **overrides)


def telegram_update(update_id: int, text: str = "/echo hi") -> tuple[dict[str, str], bytes]:
    """Headers and body of a Telegram webhook update from chat 42."""
    return telegram_headers(), to_body({"update_id": update_id, "message": {
        "message_id": 7, "date": 1700000000, "text": text,
        "chat": {"id": 42, "type": "private"}, "from": {"id": 99, "is_bot": False, "first_name": "Ada"}}})


def sent(api: PlatformApi) -> list[str]:
    """The text of every sendMessage the stand-in received (refused ones included)."""
    return [json.loads(call.body)["text"] for call in api.calls if call.path.endswith("/sendMessage")]


def outcomes(logs: pytest.LogCaptureFixture, outcome: str) -> list[dict[str, object]]:
    """The JSON log lines with `outcome`."""
    lines = [record.getMessage() for record in {id(r): r for r in logs.records}.values()]
    parsed = [json.loads(line) for line in lines if line.startswith("{")]
    return [line for line in parsed if line.get("outcome") == outcome]
