"""Log lines keep no secret: each token or capability URL a client may log is replaced by ***."""

from __future__ import annotations

import logging

import pytest

from core.chat.redaction import redact, redacted_logger

SECRETS = [
    ("POST https://api.telegram.org/bot123456:AAH-secret_token/sendMessage", "AAH-secret_token"),
    ("POST https://discord.com/api/v10/webhooks/1172043219474677811/tok-en.secret", "tok-en.secret"),
    ("POST https://hooks.slack.com/commands/T111/222/abcSECRET", "abcSECRET"),
    ("Authorization: Bearer xoxb-1111-2222-TestToken", "xoxb-1111-2222-TestToken"),
    ("apps.connections.open with xapp-1-A111-222-abcdef0123", "xapp-1-A111-222-abcdef0123"),
]


@pytest.mark.parametrize(("line", "secret"), SECRETS)
def test_each_secret_is_replaced(line: str, secret: str) -> None:
    cleaned = redact(line)
    assert secret not in cleaned and "***" in cleaned


def test_a_redacted_logger_cleans_its_records(caplog: pytest.LogCaptureFixture) -> None:
    logger = redacted_logger("botless.test-redaction")
    with caplog.at_level(logging.INFO, logger="botless.test-redaction"):
        logger.info("token %s", "xapp-1-A111-222-abcdef0123")
    assert "abcdef0123" not in caplog.text and "xapp-***" in caplog.text


def test_text_without_secrets_is_left_alone() -> None:
    assert redact("chat.postMessage ok in C111") == "chat.postMessage ok in C111"
