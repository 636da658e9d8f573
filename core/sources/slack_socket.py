"""Slack Socket Mode: events and slash commands over a WebSocket the bot opens, so no public URL.

slack_sdk's asyncio Socket Mode client (aiohttp) asks `apps.connections.open` for a
socket URL with the app-level token (SLACK_APP_TOKEN, xapp-), holds the socket, and
reconnects by itself on a `disconnect` envelope or a lost socket. What arrives there
is Slack's own traffic on a connection Botless authenticated, so there is no signature
to check; everything else is the webhook's (core/chat/slack.py): the same conversion of
an event or a slash command into a chat message, the same claim under the same key
before it is emitted (a redelivered envelope, a reconnect or a restart on the same
store answers a message once, and a bot moved between webhook and socket too), and the
same replies (chat.postMessage, a command's response_url).

Every envelope is acknowledged. An event's ack is sent once it is claimed and handed on.
A slash command runs with its answer open (core/chat/answer.py): a reply ready within
the ack budget (BOTLESS_SLOW_COMMAND_SECONDS) is the ack's payload, else the ack is
empty and the reply goes to the response_url when it is ready. slack_sdk runs each
envelope's listener as its own task, so waiting for one command never holds the socket.
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib.util
import json
import logging
from collections.abc import Mapping
from typing import Any

from cloudevents.http import CloudEvent

from core.backoff import Backoff
from core.chat.answer import answering
from core.chat.base import Received
from core.chat.outcomes import Ignored, answer
from core.chat.redaction import redacted_logger
from core.chat.slack import (
    RETRY_TTL_SECONDS,
    SlackAdapter,
    SlackConfig,
    message_key,
    slash_command_answer,
    slash_command_key,
)
from core.chat.slack_events import PLATFORM, message_from_callback, message_from_slash_command
from core.dedupe import DedupeStore
from core.events import BotResponse, EventValidationError
from core.http import HttpResponse
from core.settings import Settings, SettingsError
from core.sources.base import Emit, SourceRefused
from core.sources.definition import Option, SourceDefinition

logger = logging.getLogger("botless")

# apps.connections.open's errors that another attempt with the same token meets again.
_REFUSALS = frozenset({"invalid_auth", "not_authed", "account_inactive", "token_revoked", "token_expired",
                       "not_allowed_token_type", "missing_scope", "no_permission"})


class SlackSocketSource:
    """The Slack Socket Mode connection, and the responder of the `slack` platform."""

    platform = PLATFORM

    def __init__(self, app_token: str, config: SlackConfig, dedupe: DedupeStore, settings: Settings, *,
                 backoff: Backoff | None = None, ping_interval: float = 5.0) -> None:
        self._app_token = app_token
        self.config = config
        self.settings = settings
        # The webhook adapter claims and converts exactly as the webhook does, and sends the replies.
        self._slack = SlackAdapter(config, settings, dedupe)
        self._backoff = backoff or Backoff()
        self._ping_interval = ping_interval  # slack_sdk's keep-alive, and its wait before it retries a socket

    def describe(self) -> str:
        return (f"Slack: Socket Mode connection through {self.config.api_url} (no public URL); "
                "mention the bot or use its slash commands in your workspace")

    async def send(self, response: BotResponse, event: CloudEvent) -> None:
        await self._slack.send(response, event)

    async def run(self, emit: Emit) -> None:
        refused: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        client = self._client(refused)

        async def on_message(_client: Any, message: dict[str, Any], _raw: str | None) -> None:
            if message.get("type") == "hello":  # the socket works: the next failure starts the backoff over
                self._backoff.reset()
                logger.info(json.dumps({"platform": PLATFORM, "role": "source", "outcome": "connected",
                                        "connections": message.get("num_connections")}))

        async def on_request(_client: Any, request: Any) -> None:
            await self._handle(client, request, emit)

        client.message_listeners.append(on_message)
        client.socket_mode_request_listeners.append(on_request)
        try:
            # The first URL is asked for here, so a refused token ends `run` (slack_sdk's
            # connect would retry it forever); later ones when slack_sdk reconnects.
            client.wss_uri = await client.issue_new_wss_url()
            await client.connect()
            await refused  # until cancelled, or a reconnect is refused
        finally:
            await client.close()
            if refused.done() and not refused.cancelled():
                refused.exception()  # retrieved: raised already, by the first URL's request or just above
            refused.cancel()

    def _client(self, refused: asyncio.Future[None]) -> Any:
        from slack_sdk.errors import SlackApiError
        from slack_sdk.socket_mode.aiohttp import SocketModeClient
        from slack_sdk.web.async_client import AsyncWebClient

        backoff = self._backoff
        sdk_logger = redacted_logger("botless.slack_sdk")

        class Client(SocketModeClient):
            async def issue_new_wss_url(self) -> str:
                """A socket URL, retried with backoff; SourceRefused for a token Slack refuses."""
                while True:
                    try:
                        return str((await self.web_client.apps_connections_open(app_token=self.app_token))["url"])
                    except SlackApiError as error:
                        code = str(error.response.get("error", "")) if error.response is not None else ""
                        if code in _REFUSALS:
                            refusal = SourceRefused(
                                f"Slack refused SLACK_APP_TOKEN ({code}): use the app-level token (xapp-) of an "
                                "app with Socket Mode on, made with the connections:write scope")
                            if not refused.done():
                                refused.set_exception(refusal)
                            raise refusal from None
                        delay = float(error.response.headers.get("Retry-After", 0) or 0) if code == "ratelimited" \
                            else 0.0
                        reason = code or "no error code"
                    except Exception as error:  # noqa: BLE001 (aiohttp's and the network's errors: retried)
                        delay, reason = 0.0, type(error).__name__
                    delay = max(delay, backoff.next_delay())
                    logger.warning(json.dumps({"platform": PLATFORM, "role": "source", "outcome": "retrying",
                                               "reason": f"apps.connections.open: {reason}",
                                               "delay_seconds": round(delay, 2)}))
                    await asyncio.sleep(delay)

        web_client = AsyncWebClient(token=self.config.bot_token, base_url=self.config.api_url + "/", timeout=10,
                                    logger=sdk_logger)
        return Client(app_token=self._app_token, web_client=web_client, logger=sdk_logger,
                      ping_interval=self._ping_interval, auto_reconnect_enabled=True)

    async def _handle(self, client: Any, request: Any, emit: Emit) -> None:
        """Claim, emit and acknowledge one envelope; a reply that came in time rides in the ack."""
        taken = asyncio.Event()

        def answer_with(response: BotResponse) -> HttpResponse:
            taken.set()  # called when the respond step hands the reply to the open answer
            return slash_command_answer(response)

        retry = f" (retry {request.retry_attempt})" if request.retry_attempt else ""
        try:
            received = await answer(PLATFORM, lambda: self._receive(request, retry, answer_with))
        except Exception as error:  # noqa: BLE001 (the dedupe store failed): unacked, so Slack redelivers it
            logger.error(json.dumps({"platform": PLATFORM, "role": "receive", "outcome": "not-acknowledged",
                                     "envelope_id": request.envelope_id, "reason": type(error).__name__}))
            return
        if received.events:
            try:
                # The sink's task copies this context, so its respond step sees the answer.
                with answering(received.answer):
                    for event in received.events:
                        await emit(event)
            except Exception:  # not acknowledged, so Slack redelivers it; the claim is given back for that
                logger.exception("could not hand on Slack envelope %s", request.envelope_id)
                if received.on_publish_failure is not None:
                    await received.on_publish_failure()
                return
            if received.answer is not None:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(taken.wait(), self.settings.slow_command_seconds)
        await client.send_socket_mode_response(_acknowledgement(request.envelope_id, received))

    async def _receive(self, request: Any, retry: str, answer_with: Any) -> Received:
        payload = request.payload
        try:
            if request.type == "events_api":
                if payload.get("type") != "event_callback":
                    raise Ignored(f"Slack payload type {payload.get('type')!r} is not handled")
                message = message_from_callback(payload, self.settings)
                return await self._slack._publish_once(
                    message, message_key(message), RETRY_TTL_SECONDS, duplicate=Ignored(f"duplicate delivery{retry}"),
                    acknowledgement=HttpResponse(200))
            if request.type == "slash_commands":
                # Socket Mode sends the slash command's form fields as a JSON object of strings.
                form = {name: value for name, value in payload.items() if isinstance(value, str)}
                message, response_url = message_from_slash_command(form)
                # No signed timestamp and body here: without a trigger_id, the form itself is digested.
                key = slash_command_key(form, "", json.dumps(form, sort_keys=True).encode("utf-8"))
                return await self._slack._publish_once(
                    message, key, RETRY_TTL_SECONDS, duplicate=Ignored(f"duplicate slash command{retry}"),
                    acknowledgement=HttpResponse(200), reply_to=response_url, deferred=True, answer_with=answer_with)
        except EventValidationError as error:
            raise Ignored(f"not a valid chat message: {error}") from None
        raise Ignored(f"Socket Mode envelope type {request.type!r} is not handled")


def _acknowledgement(envelope_id: str, received: Received) -> Any:
    """The ack of an envelope: its reply's payload when one came in time, else empty."""
    from slack_sdk.socket_mode.response import SocketModeResponse

    reply = received.http_answer()  # closes the answer: a later reply goes through the API
    payload = json.loads(reply.body) if received.answer is not None and reply.body else None
    return SocketModeResponse(envelope_id=envelope_id, payload=payload)


def build(env: Mapping[str, str], dedupe: DedupeStore, settings: Settings) -> SlackSocketSource:
    """The source from SLACK_APP_TOKEN, SLACK_BOT_TOKEN and SLACK_API_URL; SettingsError naming what is wrong."""
    app_token = env.get("SLACK_APP_TOKEN", "").strip()
    if not app_token:
        raise SettingsError("SLACK_APP_TOKEN is not set: Socket Mode needs the app-level token (xapp-...)")
    if not app_token.startswith("xapp-"):
        raise SettingsError("SLACK_APP_TOKEN must be an app-level token (it starts with xapp-), "
                            "made under Basic Information > App-Level Tokens with the connections:write scope")
    config = SlackConfig.from_env(env)
    if not config.bot_token:
        raise SettingsError("SLACK_BOT_TOKEN is not set: the bot token (xoxb-...) posts the replies")
    if importlib.util.find_spec("aiohttp") is None or importlib.util.find_spec("slack_sdk") is None:
        # Said at start, not at the first connect: Socket Mode's asyncio client runs on aiohttp.
        raise SettingsError("Slack Socket Mode needs slack_sdk and aiohttp: pip install 'botless[sources]'")
    return SlackSocketSource(app_token, config, dedupe, settings)


SOURCE = SourceDefinition(
    name="slack",
    summary="Slack through Socket Mode: a WebSocket the bot opens, no public URL",
    options=(
        Option("SLACK_APP_TOKEN", "the app-level token (xapp-..., scope connections:write) that opens the socket",
               secret=True),
        Option("SLACK_BOT_TOKEN", "the bot token (xoxb-...) that posts replies", secret=True),
        Option("SLACK_API_URL", "Slack's Web API base URL (default https://slack.com/api)", flag="--api-url"),
    ),
    build=build,
)
