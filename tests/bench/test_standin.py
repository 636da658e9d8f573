"""bench/standin.py answers chat.postMessage in Slack's documented shape and counts the posts it answered."""

from __future__ import annotations

import json
import urllib.request
from typing import Any
from urllib.parse import urlencode

import pytest

from bench.standin import AUTH_TEST, slack_api

pytestmark = pytest.mark.slow  # a server thread on 127.0.0.1


def call(url: str, body: bytes, content_type: str) -> Any:
    request = urllib.request.Request(url, data=body, headers={"content-type": content_type})
    with urllib.request.urlopen(request, timeout=10) as answer:
        assert answer.status == 200
        return json.loads(answer.read())


def test_chat_post_message_is_answered_like_slack_and_each_post_counted() -> None:
    with slack_api() as api:
        post = f"{api.url}/api/chat.postMessage"
        first = call(post, json.dumps({"channel": "C111", "text": "up 1 minute", "thread_ts": "1.2"}).encode(),
                     "application/json; charset=utf-8")
        second = call(post, urlencode({"channel": "C222", "text": "again"}).encode(),
                      "application/x-www-form-urlencoded")
        assert first["ok"] is True and first["channel"] == "C111"
        assert first["message"]["text"] == "up 1 minute" and first["message"]["thread_ts"] == "1.2"
        assert first["message"]["ts"] == first["ts"] and first["message"]["bot_id"] == AUTH_TEST["bot_id"]
        assert second["channel"] == "C222" and second["ts"] != first["ts"]  # a ts per post, as Slack gives
        assert api.posts == 2 and api.texts == ["up 1 minute", "again"]


def test_a_post_without_a_channel_is_refused_and_not_counted_while_auth_test_still_answers() -> None:
    with slack_api() as api:
        refused = call(f"{api.url}/api/chat.postMessage", json.dumps({"text": "lost"}).encode(), "application/json")
        assert refused == {"ok": False, "error": "channel_not_found"}
        assert call(f"{api.url}/api/auth.test", b"", "application/x-www-form-urlencoded") == AUTH_TEST
        assert api.posts == 0
