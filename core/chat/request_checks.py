"""The checks every webhook makes before it trusts a request: its body, its timestamp, its secret."""

from __future__ import annotations

import hmac
from typing import Any

from core.chat.outcomes import Rejection
from core.http import HttpRequest
from core.json_input import JsonInputError, decode_json

# Slack's documented window; Botless applies it to every signed timestamp.
REPLAY_WINDOW_SECONDS = 300


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


def signed_headers(request: HttpRequest, signature_header: str, timestamp_header: str,
                   now: float) -> tuple[str, str]:
    """A signed request's signature and timestamp; Rejection(401) without a signature or a fresh timestamp.

    The caller still verifies the signature: this only refuses what cannot be genuine.
    """
    signature = request.header(signature_header)
    if not signature:
        raise Rejection(401, f"missing {signature_header} header")
    timestamp = request.header(timestamp_header)
    check_timestamp(timestamp, now, timestamp_header)
    return signature, timestamp


def secret_equals(given: str, expected: str) -> bool:
    """Constant-time comparison of two secrets (any characters, compared as UTF-8)."""
    return hmac.compare_digest(given.encode("utf-8", "replace"), expected.encode("utf-8"))
