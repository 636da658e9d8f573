"""What every chat webhook shares: rejecting bad input, replay windows, secrets, claims.

Adapters raise `Rejection(status, reason)` or `Ignored(reason)` anywhere in their
receive path; `answer` turns them into the HTTP answer and one log line with the
reason, never the body or a secret. Neither emits an event.
"""

from __future__ import annotations

import hmac
import json
import logging
import re
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from core.chat.base import Received
from core.dedupe import DedupeStore, claim
from core.http import HttpResponse
from core.json_input import JsonInputError, decode_json
from core.settings import SettingsError

logger = logging.getLogger("botless")

# Slack's documented window; Botless applies it to every signed timestamp.
REPLAY_WINDOW_SECONDS = 300


class Rejection(Exception):
    """A request that is answered with an error and emits no event."""

    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason


class Ignored(Exception):
    """A well-formed request the bot does not act on: 200 (so it is not retried), no event."""

    def __init__(self, reason: str, payload: Any = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.payload = payload


async def answer(platform: str, handle: Callable[[], Awaitable[Received]]) -> Received:
    """Run `handle`; Ignored becomes a 200, a Rejection its error, each one log line."""
    try:
        return await handle()
    except Ignored as skipped:
        logger.info(json.dumps({"platform": platform, "role": "receive", "outcome": "ignored",
                                "reason": skipped.reason}))
        return ignored(skipped.reason, skipped.payload)
    except Rejection as rejection:
        logger.warning(json.dumps({"platform": platform, "role": "receive", "outcome": "rejected",
                                   "status": rejection.status, "reason": rejection.reason}))
        return Received(HttpResponse.error(rejection.status, rejection.reason))


def ignored(reason: str, payload: Any = None) -> Received:
    """A 200 for something the bot does not handle (so the platform does not retry it).

    `payload` is the JSON to answer (default `{"ignored": reason}`), or an HttpResponse
    to answer as it is (a Slack slash command's empty 200, which shows the user nothing).
    """
    if isinstance(payload, HttpResponse):
        return Received(payload)
    return Received(HttpResponse.json(200, payload if payload is not None else {"ignored": reason}))


def parse_json_object(body: bytes) -> dict[str, Any]:
    """The JSON object in `body`, else Rejection(400) saying what is wrong."""
    try:
        payload = decode_json(body)  # bounded: depth, UTF-8, no NaN (core/json_input.py)
    except JsonInputError as error:
        raise Rejection(400, str(error)) from None
    if not isinstance(payload, dict):
        raise Rejection(400, f"body must be a JSON object, got {type(payload).__name__}")
    return payload


def check_timestamp(raw: str, now: float, header: str,
                    window: float = REPLAY_WINDOW_SECONDS) -> None:
    """Rejection(401) unless `raw` is a Unix time within `window` seconds of `now`."""
    if not raw:
        raise Rejection(401, f"missing {header} header")
    try:
        stamp = int(raw)
    except ValueError:
        raise Rejection(401, f"{header} is not a Unix timestamp") from None
    skew = now - stamp
    if abs(skew) > window:
        direction = "old" if skew > 0 else "in the future"
        raise Rejection(401, f"{header} is {abs(int(skew))} s {direction} (more than {int(window)} s: "
                             "a replay, or this machine's clock is wrong)")


def api_url_from_env(env: Mapping[str, str], name: str, default: str) -> str:
    """An API base URL from `name`, without a trailing slash; SettingsError if not http(s)."""
    url = (env.get(name, "") or default).strip().rstrip("/")
    if not url.startswith(("https://", "http://")):
        raise SettingsError(f"{name}={url!r} must be an http(s) URL like {default}")
    return url


def secret_equals(given: str, expected: str) -> bool:
    """Constant-time comparison of two secrets (any characters, compared as UTF-8)."""
    return hmac.compare_digest(given.encode("utf-8", "replace"), expected.encode("utf-8"))


async def first_delivery(store: DedupeStore, key: str, ttl_seconds: float) -> bool:
    """True for the first delivery of `key` (now claimed), False for any later copy.

    `key` names the message, not the delivery: every copy of one message (a platform's
    retry, a replay, Slack's `message` + `app_mention` twins of one post) must map to the
    same key, which is claimed with one conditional put. One put is atomic on every
    store, so of copies racing in any order exactly one is fresh; claiming two keys one
    after the other is not (each racer can take one and find the other taken).
    Only the store decides: an unsigned header (a retry reason) never overrides it. A
    delivery Botless answers with an error releases its claim
    (`Received.on_publish_failure`), which is how its retry is taken.
    """
    # Claimed for the full time at once, not as a lease like a bus event's claim
    # (providers.runtime.run_role). What follows this claim is short: a publish, a
    # deferral, or in mono the chain under its slow-command budget, and a failed
    # hand-off releases the claim. A lease would cost every webhook a second store
    # write inside Slack's 3 s, and would rarely help: it must outlast the function's
    # timeout, while Slack retries at once, after 1 and after 5 minutes.
    return await claim(store, key, ttl_seconds)


def truncate(text: str, limit: int) -> str:
    """`text` cut to `limit` characters, with an ellipsis when something was cut."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


# Credentials that end up in URLs or log lines of HTTP clients: Telegram's bot token is
# part of every API path, Discord's interaction token of every webhook path, Slack's
# response_url is a capability, Slack tokens start with xox.
_SECRET_PATTERNS = (
    (re.compile(r"/bot\d+:[A-Za-z0-9_-]+"), "/bot***"),
    (re.compile(r"(/webhooks/\d+/)[^/?\s\"']+"), r"\1***"),
    (re.compile(r"(hooks\.slack\.com/)[^\s\"']+"), r"\1***"),
    (re.compile(r"xox[a-z]-[A-Za-z0-9-]+"), "xox*-***"),
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


def public_endpoint(url: str, path: str) -> str:
    """The public URL of endpoint `path`: `url` itself if it already ends in `path`, else `url + path`.

    Raises ValueError unless `url` is https: Slack and Telegram only call HTTPS webhooks.
    """
    url = url.strip().rstrip("/")
    if not url.startswith("https://") or len(url) <= len("https://"):
        raise ValueError(f"{url!r} is not an https:// URL; chat platforms only call webhooks over HTTPS "
                         "(expose `botless serve` through a tunnel or deploy it first)")
    return url if url.endswith(path) else url + path
