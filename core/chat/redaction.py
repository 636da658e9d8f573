"""Secrets kept out of log lines: tokens and capability URLs replaced by `***`."""

from __future__ import annotations

import logging
import re

# Credentials that end up in URLs or log lines of HTTP clients: Telegram's bot token is
# part of every API path, Discord's interaction token of every webhook path, Slack's
# response_url is a capability, Slack tokens start with xox (and Socket Mode's app-level
# token with xapp-).
_SECRET_PATTERNS = (
    (re.compile(r"/bot\d+:[A-Za-z0-9_-]+"), "/bot***"),
    (re.compile(r"(/webhooks/\d+/)[^/?\s\"']+"), r"\1***"),
    (re.compile(r"(hooks\.slack\.com/)[^\s\"']+"), r"\1***"),
    (re.compile(r"xox[a-z]-[A-Za-z0-9-]+"), "xox*-***"),
    (re.compile(r"xapp-[A-Za-z0-9-]+"), "xapp-***"),
)


def redact(text: str) -> str:
    """`text` with tokens and capability URLs replaced by `***`."""
    for pattern, replacement in _SECRET_PATTERNS:
        text = pattern.sub(replacement, text)
    return text


class RedactingFilter(logging.Filter):
    """Rewrites each record of the logger it is attached to without its secrets."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = redact(message)
        if cleaned != message:
            record.msg, record.args = cleaned, ()
        return True


def redacted_logger(name: str) -> logging.Logger:
    """The logger `name` with a RedactingFilter attached (once)."""
    target = logging.getLogger(name)
    if not any(isinstance(f, RedactingFilter) for f in target.filters):
        target.addFilter(RedactingFilter())
    return target
