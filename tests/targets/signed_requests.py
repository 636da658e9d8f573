"""Signed chat platform requests, as each platform signs them: Slack's v0 HMAC, Discord's Ed25519.

Shapes follow each platform's documented examples; the secrets are fixed test values the
stand-in's `env()` hands the bot.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from typing import Any
from urllib.parse import urlencode

from nacl.signing import SigningKey

SLACK_SIGNING_SECRET = "8f742231b10e8888abcd99yyyzzz85a5"  # Slack's published example secret
DISCORD_KEY = SigningKey(bytes(range(32)))  # a fixed test key; the bot gets its public half
DISCORD_APPLICATION_ID = "771825006014889984"


def slack_signed(body: bytes, content_type: str, *, secret: str = SLACK_SIGNING_SECRET) -> dict[str, str]:
    """Headers of a Slack request signed now (v0 HMAC-SHA256 of `v0:{ts}:{body}`)."""
    timestamp = str(int(time.time()))
    digest = hmac.new(secret.encode(), f"v0:{timestamp}:".encode() + body, hashlib.sha256).hexdigest()
    return {"content-type": content_type, "x-slack-request-timestamp": timestamp,
            "x-slack-signature": f"v0={digest}"}


def slack_slash_command(stand_in_url: str, command: str, text: str, *, trigger: str,
                        secret: str = SLACK_SIGNING_SECRET) -> tuple[dict[str, str], bytes]:
    """A signed slash command whose response_url points at the stand-in."""
    body = urlencode({
        "token": "verification_token", "team_id": "T111", "team_domain": "test-domain",
        "channel_id": "C111", "channel_name": "random", "user_id": "W111", "user_name": "primary-owner",
        "command": command, "text": text, "trigger_id": trigger,
        "response_url": f"{stand_in_url}/slack/response/T111/{trigger}/xxxxx",
    }).encode()
    return slack_signed(body, "application/x-www-form-urlencoded", secret=secret), body


def slack_message(text: str, *, event_id: str, ts: str) -> tuple[dict[str, str], bytes]:
    """A signed Events API `message` callback (shape of Slack's documented example)."""
    body = json.dumps({
        "token": "verification_token", "team_id": "T111", "api_app_id": "A111", "type": "event_callback",
        "event_id": event_id, "event_time": int(time.time()),
        "event": {"type": "message", "channel": "C222", "user": "W222", "text": text, "ts": ts,
                  "channel_type": "channel", "event_ts": ts},
        "authorizations": [{"team_id": "T111", "user_id": "W999", "is_bot": True}],
    }).encode()
    return slack_signed(body, "application/json"), body


def discord_interaction(name: str, options: list[dict[str, Any]], *, interaction_id: str,
                        token: str) -> tuple[dict[str, str], bytes]:
    """A signed APPLICATION_COMMAND interaction (shape of Discord's documented guild example)."""
    body = json.dumps({
        "type": 2, "id": interaction_id, "token": token, "application_id": DISCORD_APPLICATION_ID,
        "guild_id": "290926798626357999", "channel_id": "645027906669510667",
        "member": {"user": {"id": "53908232506183680", "username": "Mason"}},
        "data": {"id": "771825006014889984", "name": name, "type": 1, "options": options},
    }).encode()
    timestamp = str(int(time.time()))
    signature = DISCORD_KEY.sign(timestamp.encode() + body).signature.hex()
    return {"content-type": "application/json", "x-signature-ed25519": signature,
            "x-signature-timestamp": timestamp}, body

