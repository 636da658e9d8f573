"""The one signed Slack slash command every contestant answers, and the HMAC check the bare peers use.

A `/uptime` slash command, form-encoded and signed with SECRET the way Slack signs
(v0:timestamp:body, HMAC-SHA256). It is signed once per run: every contestant gets the
same bytes, and the timestamp stays inside Slack's five-minute window for a run's
length (a run longer than that re-signs: `fresh()`).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from urllib.parse import urlencode

SECRET = "bench-signing-secret-valid-nowhere"
TOKEN = "xoxb-bench-valid-nowhere"
PATH = "/slack/events"
ANSWER_TEXT = "I have been up for 1 minute."  # what the peers answer; Botless answers its own uptime
UPTIME_REPLY = "I have been up for"  # how every contestant's answer to `uptime` begins

# The bare peers' whole work: check Slack's signature with the standard library, answer in the ack.
# Each peer embeds this text, so they all check exactly alike.
VERIFY = '''
import hashlib as _hashlib, hmac as _hmac, json as _json, time as _time
_SECRET = SECRET_BYTES
def verified(headers, body):
    stamp = headers.get("x-slack-request-timestamp", "")
    if not stamp.isdigit() or abs(_time.time() - int(stamp)) > 300:
        return False
    expected = "v0=" + _hmac.new(_SECRET, b"v0:" + stamp.encode() + b":" + body, _hashlib.sha256).hexdigest()
    return _hmac.compare_digest(expected, headers.get("x-slack-signature", ""))
ANSWER = _json.dumps({"response_type": "ephemeral", "text": TEXT}).encode()
'''.replace("SECRET_BYTES", repr(SECRET.encode())).replace("TEXT", repr(ANSWER_TEXT))


# The warm loops' re-signing (bench/child.py, bench/posted.py): the fixture's request with
# another body, signed afresh as Slack would, as the headers, the body and the event's JSON.
RESIGN = '''
import hashlib as _hashlib, hmac as _hmac, json as _json
def resigned(body):
    stamp = HEADERS["x-slack-request-timestamp"].encode()
    digest = _hmac.new(SECRET_BYTES, b"v0:" + stamp + b":" + body, _hashlib.sha256).hexdigest()
    headers = dict(HEADERS, **{"x-slack-signature": "v0=" + digest})
    event = _json.loads(EVENT)
    event["body"], event["headers"]["x-slack-signature"] = body.decode(), headers["x-slack-signature"]
    return headers, body, _json.dumps(event)
'''.replace("SECRET_BYTES", repr(SECRET.encode()))

def signed(body: bytes, stamp: int | None = None) -> dict[str, str]:
    """Slack's headers for `body`: content type, timestamp and v0 signature."""
    when = str(int(time.time()) if stamp is None else stamp)
    digest = hmac.new(SECRET.encode(), b"v0:" + when.encode() + b":" + body, hashlib.sha256).hexdigest()
    return {"content-type": "application/x-www-form-urlencoded", "x-slack-request-timestamp": when,
            "x-slack-signature": f"v0={digest}"}


def slash_command() -> tuple[dict[str, str], bytes]:
    """The fixture: `/uptime`, its response_url on a port nothing listens on (a fast command never posts there)."""
    body = urlencode({
        "token": "verification_token", "team_id": "T111", "team_domain": "bench", "channel_id": "C111",
        "channel_name": "random", "user_id": "W111", "user_name": "bench", "command": "/uptime", "text": "",
        "api_app_id": "A111", "trigger_id": "13345224609.738474920.8088930838d88f008e0",
        "response_url": "http://127.0.0.1:9/slack/response/T111/1/xxxxx",
    }).encode()
    return signed(body), body


def function_url_event(headers: dict[str, str], body: bytes) -> dict[str, object]:
    """A Lambda Function URL event (payload format 2.0) carrying the request."""
    return {
        "version": "2.0", "routeKey": "$default", "rawPath": PATH, "rawQueryString": "",
        "headers": {**headers, "host": "bench.lambda-url.eu-west-1.on.aws", "user-agent": "Slackbot"},
        "requestContext": {
            "accountId": "123456789012", "apiId": "bench", "domainName": "bench.lambda-url.eu-west-1.on.aws",
            "domainPrefix": "bench", "requestId": "bench-request", "routeKey": "$default", "stage": "$default",
            "time": "03/Dec/2026:12:00:00 +0000", "timeEpoch": 1796299200000,
            "http": {"method": "POST", "path": PATH, "protocol": "HTTP/1.1", "sourceIp": "127.0.0.1",
                     "userAgent": "Slackbot"},
        },
        "body": body.decode(), "isBase64Encoded": False,
    }


MENTION_NUMBER = "BENCHN"  # in the mention's ids and ts: each warm event puts its own number there (bench/posted.py)


def app_mention() -> tuple[dict[str, str], bytes]:
    """An Events API `app_mention` callback, `<@U111> uptime` (the bot's id in `authorizations`), signed as JSON.

    Its event_id, client_msg_id and ts carry MENTION_NUMBER, for each event to replace:
    a repeat would be a duplicate (Botless dedupes on channel + ts), cheaper to answer.
    """
    number = MENTION_NUMBER
    event = {"type": "app_mention", "user": "W111", "text": "<@U111> uptime", "ts": f"1796299200.{number}",
             "client_msg_id": f"bench-{number}", "team": "T111", "channel": "C111", "event_ts": f"1796299200.{number}"}
    body = json.dumps({
        "token": "verification_token", "team_id": "T111", "api_app_id": "A111", "event": event,
        "type": "event_callback", "event_id": f"Ev{number}", "event_time": 1796299200,
        "authorizations": [{"enterprise_id": None, "team_id": "T111", "user_id": "U111", "is_bot": True,
                            "is_enterprise_install": False}],
        "is_ext_shared_channel": False, "event_context": f"4-bench-{number}",
    }).encode()
    return {**signed(body), "content-type": "application/json"}, body
