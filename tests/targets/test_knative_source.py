"""A chat source on Knative: messages POSTed to K_SINK, replies taken back on POST / and posted once."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest

from core.bot import Bot
from core.events import BOT_RESPONSE, CHAT_MESSAGE
from core.settings import Settings
from core.sources import registry
from core.wire import event_to_http
from functions.knative import source as entrypoint
from providers.runtime import ConfigurationError
from tests.servers import free_port
from tests.sources.scripted import ScriptedSource
from tests.targets.sink_recorder import SinkRecorder


@pytest.fixture
def scripted(monkeypatch: pytest.MonkeyPatch) -> list[ScriptedSource]:
    """Register the scripted source and keep every one built, to look at what it sent."""
    built: list[ScriptedSource] = []
    from tests.sources import scripted as module

    original = module.SOURCE.build

    def keeping(*args: Any) -> ScriptedSource:
        source = original(*args)
        built.append(source)
        return source

    monkeypatch.setitem(registry.SOURCE_MODULES, "scripted", "tests.sources.scripted")
    monkeypatch.setattr(module, "SOURCE", module.SourceDefinition(
        name="scripted", summary=module.SOURCE.summary, options=module.SOURCE.options, build=keeping))
    return built




async def _until(condition: Any, timeout: float = 10.0) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not condition() and loop.time() < deadline:
        await asyncio.sleep(0.02)
    assert condition()


async def test_messages_go_to_the_sink_and_replies_come_back_once(scripted: list[ScriptedSource]) -> None:
    broker = SinkRecorder()
    port = free_port()
    env = {"K_SINK": broker.server.url, "PORT": str(port), "SCRIPTED_TEXTS": "/help",
           "BOTLESS_ENTRY_POINTS": "0"}
    stop = asyncio.Event()
    with broker.server:
        serving = asyncio.create_task(entrypoint.serve_source("scripted", env, host="127.0.0.1", stop=stop))
        await _until(lambda: len(broker.events) == 1)
        message = broker.events[0]
        assert message["type"] == CHAT_MESSAGE
        # What the Broker's Triggers would do: parse and command, then the response back here.
        roles = Bot(Settings(load_entry_points=False)).roles
        [command] = await roles.handle("parse", message)
        [response] = await roles.handle("command", command)
        assert response["type"] == BOT_RESPONSE
        headers, body = event_to_http(response, "binary")
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as client:
            await _until_serving(client)
            first = await client.post("/", headers=headers, content=body)
            again = await client.post("/", headers=headers, content=body)  # the Broker redelivers
            broken = await client.post("/", headers={"content-type": "application/json"}, content=b"{")
        stop.set()
        await asyncio.wait_for(serving, 10.0)
    [source] = scripted
    assert first.status_code == 202 and again.status_code == 202
    assert broken.status_code == 400
    assert len(source.sent) == 1 and "help" in source.sent[0].text.lower()
    assert source.closed


async def _until_serving(client: httpx.AsyncClient) -> None:
    for _ in range(200):
        try:
            if (await client.get("/healthz")).status_code == 200:
                return
        except httpx.TransportError:
            pass
        await asyncio.sleep(0.02)
    raise AssertionError("the source's server did not start")


async def test_without_k_sink_the_source_says_to_bind_it(scripted: list[ScriptedSource]) -> None:
    with pytest.raises(ConfigurationError, match="SinkBinding"):
        await entrypoint.serve_source("scripted", {"PORT": str(free_port())})


def test_an_unknown_source_is_refused_with_the_choices(capsys: pytest.CaptureFixture[str]) -> None:
    assert entrypoint.main(["gopher"]) == 2
    assert "unknown chat source 'gopher'" in capsys.readouterr().err
