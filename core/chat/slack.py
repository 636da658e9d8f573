"""Slack: `POST /slack/events` for Events API callbacks and slash commands; replies by slack_sdk.

Every request is verified first (signing secret v0, within 5 minutes). A slash command
is answered with its reply when the command finishes within the ack budget (Slack's 3 s
deadline; core/chat/answer.py), else acknowledged and answered through its response_url. Every
delivery is claimed once in the bot's dedupe store, on a key a replay cannot change: a
post's `channel` + `ts` (shared by Slack's retries and by the `message` + `app_mention`
twins of one post), a slash command's `trigger_id` (else a digest of its signed
timestamp and body). A copy that finds its key taken is acknowledged and dropped,
whatever its unsigned `X-Slack-Retry-*` headers say. Replies go to `chat.postMessage` in the
message's channel and thread, or to a slash command's `response_url`.
slack_sdk is imported on first use, so building the adapter costs nothing.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from cloudevents.http import CloudEvent

from core.chat.base import DeliveryError, Received
from core.chat.builtin_platforms import SLACK as SLACK  # `core.chat.slack:SLACK` names it too
from core.chat.outcomes import Ignored, Rejection
from core.chat.rate_limits import with_retries
from core.chat.redaction import redact, redacted_logger
from core.chat.request_checks import parse_json_object, secret_equals, signed_headers
from core.chat.slack_events import (
    PLATFORM,
    message_from_callback,
    message_from_slash_command,
    parse_form,
)
from core.chat.slack_retries import refusal
from core.chat.urls import api_url_from_env
from core.chat.webhook import WebhookAdapter
from core.events import (
    EXT_CHANNEL,
    EXT_REPLY_TO,
    EXT_THREAD,
    BotResponse,
    ChatMessage,
)
from core.http import HttpRequest, HttpResponse
from core.settings import secret_field

DEFAULT_API_URL = "https://slack.com/api"
# Slack retries an event three times within about an hour.
RETRY_TTL_SECONDS = 2 * 3600
# Where Slack's response_urls live; anything else (other than SLACK_API_URL's own host,
# for tests and gateways) is refused, so a forged response event cannot make Botless
# post to an arbitrary URL.
_RESPONSE_URL_HOSTS = frozenset({"hooks.slack.com", "hooks.slack-gov.com"})


@dataclass(frozen=True)
class SlackConfig:
    """SLACK_* settings."""

    signing_secret: str = secret_field()
    bot_token: str = secret_field()
    api_url: str = DEFAULT_API_URL

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> SlackConfig:
        """Read SLACK_SIGNING_SECRET, SLACK_BOT_TOKEN and SLACK_API_URL."""
        return cls(
            signing_secret=env.get("SLACK_SIGNING_SECRET", "").strip(),
            bot_token=env.get("SLACK_BOT_TOKEN", "").strip(),
            api_url=api_url_from_env(env, "SLACK_API_URL", DEFAULT_API_URL),
        )


def message_key(message: ChatMessage) -> str:
    """The dedupe key of a post: its channel + ts, shared by Slack's retries and the `message` + `app_mention` twins."""
    return f"slack:message:{message.channel}:{message.message_id}"


def slash_command_key(form: Mapping[str, str], timestamp: str, body: bytes) -> str:
    """The dedupe key of a slash command: its `trigger_id`, else a digest of what Slack signed.

    A replay must carry the signed timestamp and body unchanged, so either key is the
    same for every copy of one invocation and differs between two invocations.
    """
    trigger = form.get("trigger_id", "")
    if trigger:
        return f"slack:command:{trigger}"
    signed = hashlib.sha256(timestamp.encode("utf-8") + b":" + body).hexdigest()
    return f"slack:command:sha256-{signed}"


def slack_signature(signing_secret: str, timestamp: str, body: bytes) -> str:
    """Slack's v0 signature of `body` sent at `timestamp` (docs.slack.dev/authentication/verifying-requests-from-slack).

    The HMAC itself, as slack_sdk's SignatureVerifier computes it (tests/chat/test_slack_signature.py
    compares the two): importing slack_sdk for it would cost the first request some 37 modules.
    """
    signed = b"v0:" + timestamp.encode("utf-8") + b":" + body
    return "v0=" + hmac.new(signing_secret.encode("utf-8"), signed, hashlib.sha256).hexdigest()


def slash_command_answer(response: BotResponse) -> HttpResponse:
    """A slash command's reply as the HTTP answer itself (Slack's immediate response body)."""
    return HttpResponse.json(200, {"response_type": "ephemeral" if response.ephemeral else "in_channel",
                                   "text": response.text})


class SlackAdapter(WebhookAdapter[SlackConfig]):
    """The Slack platform: Events API and slash commands in, Web API and response_url out."""

    platform = PLATFORM
    path = "/slack/events"
    # slack_sdk's Web API client, made on first use.
    _client: Any = None

    @property
    def enabled(self) -> bool:
        """Only with a signing secret: unverified Slack traffic is never accepted."""
        return bool(self.config.signing_secret)

    async def _receive(self, request: HttpRequest) -> Received:
        self._verify(request)
        if request.header("content-type").startswith("application/x-www-form-urlencoded"):
            return await self._slash_command(request)
        payload = parse_json_object(request.body)
        kind = payload.get("type")
        if kind == "url_verification":
            challenge = payload.get("challenge")
            if not isinstance(challenge, str):
                raise Rejection(400, "url_verification without a string `challenge`")
            return Received(HttpResponse.json(200, {"challenge": challenge}))
        if kind != "event_callback":
            raise Ignored(f"Slack payload type {kind!r} is not handled")
        message = message_from_callback(payload, self.settings)
        # One key per post: a retry (same event_id) and the `message` + `app_mention`
        # twins (two event_ids) share channel + ts, so one conditional put decides.
        key = message_key(message)
        # Retry headers are unsigned and never decide: a delivery Botless answered with an
        # error released its claim, so its retry is fresh. They only name a duplicate.
        retry = request.header("x-slack-retry-num")
        duplicate = Ignored(f"duplicate delivery (retry {retry})" if retry.isdigit() else "duplicate delivery")
        # Not deferred: the event is handed on before the ack, so a refused hand-off is a
        # 5xx Slack retries. A slow command is the mono chain's to defer (budget < 3 s).
        return await self._publish_once(message, key, RETRY_TTL_SECONDS, duplicate=duplicate,
                                        acknowledgement=HttpResponse(200))

    async def _slash_command(self, request: HttpRequest) -> Received:
        form = parse_form(request.body)
        if "command" not in form:
            # Interactivity payloads and Slack's ssl_check share this URL; neither is a message.
            raise Ignored("a Slack form without a command (ssl_check or interactivity)")
        message, response_url = message_from_slash_command(form)
        key = slash_command_key(form, request.header("x-slack-request-timestamp"), request.body)
        # A reply that is ready within the ack budget is the answer's body; else an empty
        # 200 is Slack's "acknowledged" and the reply follows through response_url.
        # A replay gets the same empty 200 as the first time, and no second reply.
        return await self._publish_once(message, key, RETRY_TTL_SECONDS,
                                        duplicate=Ignored("duplicate slash command", HttpResponse(200)),
                                        acknowledgement=HttpResponse(200), reply_to=response_url, deferred=True,
                                        answer_with=slash_command_answer)

    def _verify(self, request: HttpRequest) -> None:
        # signed_headers refuses a stale or missing timestamp (Slack's 5-minute window) and says why.
        signature, timestamp = signed_headers(request, "X-Slack-Signature", "X-Slack-Request-Timestamp",
                                              self._clock())
        expected = slack_signature(self.config.signing_secret, timestamp, request.body)
        if not secret_equals(signature, expected):
            raise Rejection(401, "X-Slack-Signature does not match the body (is SLACK_SIGNING_SECRET right?)")

    async def send(self, response: BotResponse, event: CloudEvent) -> None:
        """Post `response` to its response_url, else to its channel and thread."""
        attributes = event.get_attributes()
        response_url = str(attributes.get(EXT_REPLY_TO, ""))
        # A 429 is waited out and a 5xx tried again while respond's budget lasts (core/chat/rate_limits.py).
        if response_url:
            await with_retries(lambda: asyncio.to_thread(self._send_to_response_url, response_url, response))
            return
        channel = response.channel or str(attributes.get(EXT_CHANNEL, ""))
        thread = response.thread or str(attributes.get(EXT_THREAD, ""))
        if not channel:
            raise DeliveryError("this Slack reply has neither a response_url nor a channel")
        await with_retries(lambda: asyncio.to_thread(self._post_message, channel, thread, response.text))

    def _send_to_response_url(self, url: str, response: BotResponse) -> None:
        from slack_sdk.webhook import WebhookClient

        self._check_response_url(url)
        # No retry handlers: a 429 or a 5xx is with_retries' to wait out, off this thread.
        client = WebhookClient(url, timeout=10, logger=redacted_logger("botless.slack_sdk"), retry_handlers=[])
        try:
            result = client.send(text=response.text,
                                 response_type="ephemeral" if response.ephemeral else "in_channel")
        except Exception as error:  # noqa: BLE001 (urllib's and http.client's errors, which may name the URL)
            raise DeliveryError(f"Slack response_url call failed: {type(error).__name__}") from None
        if result.status_code != 200:
            # A response_url answers 404 `expired_url` or `used_url` once it is spent: permanent.
            raise refusal("response_url call", result.status_code, result.headers, redact(result.body)[:200])

    def _check_response_url(self, url: str) -> None:
        target, api = urlsplit(url), urlsplit(self.config.api_url)
        if target.scheme == "https" and target.hostname in _RESPONSE_URL_HOSTS:
            return
        if (target.scheme, target.netloc) == (api.scheme, api.netloc):
            return
        raise DeliveryError("refusing a response_url outside hooks.slack.com (and SLACK_API_URL's host)")

    def _post_message(self, channel: str, thread: str, text: str) -> None:
        from slack_sdk.errors import SlackApiError

        if not self.config.bot_token:
            raise DeliveryError("SLACK_BOT_TOKEN is not set, so Botless cannot post to Slack channels")
        arguments = {"channel": channel, "text": text}
        if thread:
            arguments["thread_ts"] = thread
        try:
            self._web_client().chat_postMessage(**arguments)
        except SlackApiError as error:
            answer = error.response
            if answer is None:
                raise DeliveryError("Slack chat.postMessage failed: no response") from None
            raise refusal("chat.postMessage", answer.status_code, answer.headers,
                          str(answer.get("error", "unknown_error"))) from None
        except Exception as error:  # noqa: BLE001 (urllib's and http.client's errors)
            raise DeliveryError(f"Slack chat.postMessage failed: {type(error).__name__}") from None

    def _web_client(self) -> Any:
        if self._client is None:
            from slack_sdk import WebClient

            self._client = WebClient(token=self.config.bot_token, base_url=self.config.api_url + "/",
                                     timeout=10, logger=redacted_logger("botless.slack_sdk"),
                                     retry_handlers=[])
        return self._client
