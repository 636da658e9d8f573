"""Knative mono with a connection-mode source (issue 12.3), and mono's rate-limited replies (issue 14).

A source's reply is relayed through the Broker to the source; a reply the platform
rate-limited past the webhook's budget is deferred to the Broker and comes back on the
mono-response Trigger. Each app runs in-process (httpx's ASGI transport) with the settings
`botless manifests` gives its Service; K_SINK is a server on 127.0.0.1 recording what is
published, and the test plays the Broker: it delivers each recorded event to every
Trigger of the manifests whose filter matches it (Knative's exact match on each attribute),
and a 200 answer's event goes back into the Broker.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator, Mapping
from contextlib import AsyncExitStack, asynccontextmanager
from typing import Any

import httpx
import pytest
from cloudevents.http import CloudEvent, from_http

from core import events as ev
from core.bot import Bot
from core.chat.platforms import PLATFORMS
from core.events import BotResponse
from core.settings import Settings
from core.sources.registry import source_definition
from core.wire import event_to_http
from providers.knative.app import app_from_env
from providers.knative.relay import SOURCES_SETTING
from providers.knative.source_app import build_source_app
from providers.runtime import ConfigurationError
from tests.chat.helpers import bot_env, slack_headers
from tests.chat.platform_api import PlatformApi
from tests.targets.sink_recorder import SinkRecorder
from tooling.packaging.commands import command_names
from tooling.packaging.knative import KnativeOptions, manifests

pytestmark = pytest.mark.slow  # servers on 127.0.0.1

SLACK_429 = {"ok": False, "error": "ratelimited"}
DISCORD_KEY = "00" * 32  # unused here; the bot wants one to enable Discord




class PostedOnConnection:
    """The source's side of the connection: what the source's receiver posts (as IRC would)."""

    platform = "irc"

    def __init__(self) -> None:
        self.sent: list[BotResponse] = []

    async def send(self, response: BotResponse, event: CloudEvent) -> None:
        self.sent.append(response)


def deployed(sources: tuple[str, ...]) -> list[dict[str, Any]]:
    options = KnativeOptions(image="i", commands=tuple(command_names()), topology="mono",
                             sources=tuple(source_definition(name) for name in sources), platforms=PLATFORMS)
    return manifests(options)


def service_env(objects: list[dict[str, Any]], name: str, sink: str, **extra: str) -> dict[str, str]:
    """The settings the manifests give Service `name`, with its SinkBinding's K_SINK (if it has one)."""
    [service] = [o for o in objects if o["kind"] == "Service" and o["metadata"]["name"] == name]
    env = {e["name"]: e["value"] for e in service["spec"]["template"]["spec"]["containers"][0]["env"]}
    if any(o["kind"] == "SinkBinding" and o["spec"]["subject"]["name"] == name for o in objects):
        env["K_SINK"] = sink
    return {**env, "BOTLESS_ENTRY_POINTS": "0", **extra}


class Broker:
    """Delivers what the ingress recorded per the manifests' Triggers; `deliveries` is (Trigger, type, status)."""

    def __init__(self, objects: list[dict[str, Any]], ingress: SinkRecorder, apps: Mapping[str, Any]) -> None:
        self.triggers = [(o["metadata"]["name"], o["spec"]["filter"]["attributes"], o["spec"]["subscriber"]["ref"])
                         for o in objects if o["kind"] == "Trigger"]
        self.ingress = ingress
        self.apps = apps
        self.deliveries: list[tuple[str, str, int]] = []

    async def settle(self, max_hops: int = 10) -> None:
        for _ in range(max_hops):
            if not self.ingress.events:
                return
            event = self.ingress.events.pop(0)
            for name, attributes, subscriber in self.triggers:
                if all(event.get_attributes().get(key) == value for key, value in attributes.items()):
                    await self._deliver(name, event, self.apps[subscriber["name"]])
        raise AssertionError(f"still delivering after {max_hops} hops: {self.deliveries}")

    async def _deliver(self, trigger: str, event: CloudEvent, app: Any) -> None:
        headers, body = event_to_http(event, "binary")
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://svc") as client:
            answer = await client.post("/", headers=headers, content=body)
        self.deliveries.append((trigger, event["type"], answer.status_code))
        if answer.status_code == 200 and answer.content:
            self.ingress.events.append(from_http(dict(answer.headers), answer.content))


@asynccontextmanager
async def running(*apps: Any) -> AsyncIterator[None]:
    """The apps' lifespans: at the end each closes its sink's HTTP client, as the server's shutdown does."""
    async with AsyncExitStack() as stack:
        for app in apps:
            await stack.enter_async_context(app.router.lifespan_context(app))
        yield


@pytest.fixture
def ingress() -> Iterator[SinkRecorder]:
    broker_ingress = SinkRecorder()
    with broker_ingress.server:
        yield broker_ingress


def irc_message(text: str, unique: str) -> CloudEvent:
    """A chat message as the IRC source publishes it to K_SINK."""
    message = ev.ChatMessage(platform="irc", text=text, user=ev.ChatUser(id="ada", name="ada"),
                             channel="#team", message_id=f"m{unique}")
    return ev.chat_message_event(message, source="botless/irc", reply_to="#team")


async def test_an_irc_message_through_mono_is_relayed_once_to_the_source_which_posts_it(ingress, unique):
    objects = deployed(("irc",))
    bus_env = service_env(objects, "botless-mono-bus", ingress.server.url)
    assert bus_env[SOURCES_SETTING] == "irc"
    connection = PostedOnConnection()
    source_bot = Bot(Settings(load_entry_points=False), responders=[connection])
    apps = {"botless-mono-bus": app_from_env(bus_env),
            "botless-irc-source": build_source_app(source_bot, connection)}  # type: ignore[arg-type]
    broker = Broker(objects, ingress, apps)
    message = irc_message("/echo hi", unique)
    ingress.events.append(message)  # the source published it
    async with running(apps["botless-mono-bus"]):
        await broker.settle()
        # The Broker redelivers the message: mono's claim drops it, nothing is relayed twice.
        ingress.events.append(message)
        await broker.settle()
    # mono ran the chain and relayed the reply (202, not 422: no UnknownPlatformError); the
    # source's Trigger, and it alone, brought it to the source.
    assert broker.deliveries[:2] == [("botless-mono-message", ev.CHAT_MESSAGE, 202),
                                     ("botless-irc-source", ev.BOT_RESPONSE, 202)]
    assert broker.deliveries[2:] == [("botless-mono-message", ev.CHAT_MESSAGE, 202)]
    assert [response.text for response in connection.sent] == ["hi"]


async def test_the_relayed_reply_is_the_one_event_published_with_the_sources_platform(ingress, unique):
    objects = deployed(("irc",))
    app = app_from_env(service_env(objects, "botless-mono-bus", ingress.server.url))
    headers, body = event_to_http(irc_message("/echo hi", unique), "binary")
    async with running(app), httpx.AsyncClient(transport=httpx.ASGITransport(app=app),
                                               base_url="http://svc") as client:
        answer = await client.post("/", headers=headers, content=body)
    assert answer.status_code == 202
    [published] = ingress.events
    assert published["type"] == ev.BOT_RESPONSE and published[ev.EXT_PLATFORM] == "irc"
    assert ev.data_of(published, BotResponse).channel == "#team"


def slack_message(text: str, unique: str) -> tuple[dict[str, str], bytes]:
    body = (f'{{"token": "t", "team_id": "T111", "api_app_id": "A111", "type": "event_callback", '
            f'"event_id": "Ev{unique}", "event_time": 1700000000, "event": {{"type": "message", '
            f'"channel": "C222", "user": "W222", "text": "{text}", "ts": "{unique}.5", '
            f'"channel_type": "channel", "event_ts": "{unique}.5"}}, '
            f'"authorizations": [{{"team_id": "T111", "user_id": "W999", "is_bot": true}}]}}').encode()
    return slack_headers(body), body


@pytest.fixture
def slack_api() -> Iterator[PlatformApi]:
    api = PlatformApi().start()
    yield api
    api.stop()


@pytest.mark.parametrize("sources, route", [((), "botless-mono-response"),
                                            (("irc",), "botless-mono-response-slack")])
async def test_a_rate_limited_slack_reply_comes_back_on_mono_response_and_is_posted_once(
        ingress, slack_api, unique, sources, route):
    slack_api.fail("/chat.postMessage", 429, SLACK_429, times=1, headers=(("Retry-After", "1"),))
    objects = deployed(sources)
    chat = bot_env(slack_api.url, DISCORD_KEY, BOTLESS_RATE_LIMIT_WAIT_SECONDS="0")
    webhooks = app_from_env(service_env(objects, "botless-mono", ingress.server.url, **chat))
    apps = {"botless-mono-bus": app_from_env(service_env(objects, "botless-mono-bus", ingress.server.url, **chat))}
    broker = Broker(objects, ingress, apps)
    headers, body = slack_message("/echo hi", unique)
    async with running(webhooks, *apps.values()):
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=webhooks), base_url="http://svc") as client:
            assert (await client.post("/slack/events", headers=headers, content=body)).status_code == 200
        # Only the refused reply went to the Broker, not the message or the command.
        [deferred] = ingress.events
        assert deferred["type"] == ev.BOT_RESPONSE and deferred[ev.EXT_PLATFORM] == "slack"
        await broker.settle()
        assert broker.deliveries == [(route, ev.BOT_RESPONSE, 202)]
        posts = [call for call in slack_api.calls if call.path.endswith("/chat.postMessage")]
        assert [call.json["text"] for call in posts] == ["hi", "hi"]  # refused once, then posted once
        # A redelivery of the reply is mono's duplicate: not posted again.
        ingress.events.append(deferred)
        await broker.settle()
    assert broker.deliveries[1:] == [(route, ev.BOT_RESPONSE, 202)]
    assert len([call for call in slack_api.calls if call.path.endswith("/chat.postMessage")]) == 2


def test_mono_with_sources_and_no_k_sink_says_to_bind_it():
    env = {"BOTLESS_ROLE": "mono", "BOTLESS_KNATIVE_ROUTES": "bus", SOURCES_SETTING: "irc, irc,",
           "BOTLESS_ENTRY_POINTS": "0"}
    with pytest.raises(ConfigurationError, match=f"{SOURCES_SETTING}=irc: .*SinkBinding"):
        app_from_env(env)
