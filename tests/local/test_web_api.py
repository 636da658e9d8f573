"""The web chat's API and files, in-process: the page at GET /, /api/commands, and /api/chat's trace."""

import asyncio
import re
from importlib.resources import files

import httpx
import pytest
from cloudevents.conversion import to_structured

from core import events as ev
from core.bot import Bot
from core.settings import Settings
from functions.local.runtime import local_adapters
from functions.local.serve_cli import serve_app
from providers.asgi.access import LOOPBACK, LocalAccess
from providers.asgi.app import create_app
from providers.asgi.web.page import PAGE_FILES

TOKEN = "web-chat-token-0123456789abcdef"
THREE_STEPS = ["botless.chat.message", "botless.bot.command.define", "botless.bot.response"]


def client_for(topology: str = "mono", access: LocalAccess = LOOPBACK, ingress: bool = False,
               env: dict[str, str] | None = None) -> tuple[httpx.AsyncClient, Bot]:
    settings = Settings.from_env({"BOTLESS_ENTRY_POINTS": "0", "BOTLESS_TOPOLOGY": topology, **(env or {})})
    bot = Bot(settings, adapters=local_adapters(settings))
    app = serve_app(bot, bot.broker(), access, ingress)
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://127.0.0.1:8080"), bot


@pytest.mark.parametrize("topology, functions", [("mono", ["mono"] * 3), ("pipeline", ["parse", "command", "respond"])])
async def test_api_chat_answers_with_the_trace_of_each_event_in_order(topology, functions):
    client, _ = client_for(topology)
    async with client:
        answer = (await client.post("/api/chat", json={"text": "/define crd"})).json()
    assert "Custom Resource Definition" in answer["replies"][0]
    trace = answer["trace"]
    assert [step["type"] for step in trace] == THREE_STEPS
    assert [step["role"] for step in trace] == ["parse", "command", "respond"]
    assert [step["function"] for step in trace] == functions
    assert [step["emitted"] for step in trace] == [[THREE_STEPS[1]], [THREE_STEPS[2]], []]
    assert all(step["outcome"] == "ok" and step["ms"] >= 0 for step in trace)
    assert trace[0]["source"] == "/botless/api" and trace[1]["source"] == "/botless"
    assert len({step["id"] for step in trace}) == 3
    # The routing extensions travel on every event of the flow.
    assert all(step["extensions"]["botplatform"] == "api" for step in trace)
    assert all(set(step) >= {"type", "source", "id", "role", "ms", "extensions"} for step in trace)


async def test_a_typo_is_answered_with_did_you_mean_and_two_events():
    client, _ = client_for("pipeline")
    async with client:
        answer = (await client.post("/api/chat", json={"text": "/defin crd"})).json()
    assert "Did you mean `define`" in answer["replies"][0]
    assert [step["type"] for step in answer["trace"]] == ["botless.chat.message", "botless.bot.response"]


async def test_plain_text_has_one_event_and_no_reply():
    client, _ = client_for()
    async with client:
        answer = (await client.post("/api/chat", json={"text": "just chatting"})).json()
    assert answer["replies"] == []
    assert [(step["type"], step["emitted"]) for step in answer["trace"]] == [("botless.chat.message", [])]


@pytest.mark.parametrize("topology", ["mono", "pipeline"])
async def test_concurrent_messages_each_get_only_their_own_trace(topology):
    client, _ = client_for(topology)
    async with client:
        answers = await asyncio.gather(*(client.post("/api/chat", json={"text": f"/echo {n}"}) for n in range(5)))
    for n, answer in enumerate(answers):
        body = answer.json()
        assert body["replies"] == [str(n)]
        assert [step["type"] for step in body["trace"]] == [
            "botless.chat.message", "botless.bot.command.echo", "botless.bot.response"]
    assert len({step["id"] for answer in answers for step in answer.json()["trace"]}) == 15


async def test_without_a_tracer_api_chat_keeps_its_old_answer_and_serves_no_page():
    bot = Bot(Settings(load_entry_points=False))
    app = create_app(bot, bot.broker().publish)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://127.0.0.1") as client:
        assert (await client.post("/api/chat", json={"text": "/echo hi"})).json() == {"replies": ["hi"]}
        assert (await client.get("/")).status_code == 404
        assert (await client.get("/api/commands")).status_code == 404


async def test_the_command_list_has_name_usage_and_help_of_every_command():
    client, bot = client_for()
    async with client:
        commands = (await client.get("/api/commands")).json()["commands"]
    assert [command["name"] for command in commands] == [spec.name for spec in bot.registry.specs]
    define = next(command for command in commands if command["name"] == "define")
    assert define == {"name": "define", "usage": "/define <term>", "help": "Define a cloud-native term",
                      "aliases": ["whatis"]}


async def test_the_page_and_its_files_are_served_from_the_package():
    client, _ = client_for()
    async with client:
        page = await client.get("/")
        assert page.status_code == 200 and page.headers["content-type"] == "text/html; charset=utf-8"
        assert "script-src 'self'" in page.headers["content-security-policy"]
        for path, name, media_type in PAGE_FILES:
            answer = await client.get(path)
            assert answer.status_code == 200 and answer.headers["content-type"] == media_type
            assert answer.content == files("providers.asgi.web").joinpath(name).read_bytes()
    # Every file the page loads is one of this server's: no CDN, nothing from elsewhere.
    assert set(re.findall(r'(?:src|href)="([^"#]+)"', page.text)) == {"/web/chat.js", "/web/chat.css", "/web/icon.svg"}
    for _, name, _ in PAGE_FILES:
        text = files("providers.asgi.web").joinpath(name).read_text().replace('xmlns="http://www.w3.org/2000/svg"', "")
        assert not re.search(r"https?://|//cdn|@import", text)


async def test_the_page_is_labelled_for_screen_readers():
    client, _ = client_for()
    async with client:
        page = (await client.get("/")).text
    assert '<html lang="en">' in page and 'name="viewport"' in page
    assert 'role="log"' in page and 'role="combobox"' in page and 'role="listbox"' in page
    assert '<label for="message">' in page and 'aria-controls="suggestions"' in page


async def test_get_page_and_post_ingress_share_the_root_path():
    client, bot = client_for(ingress=True)
    message = ev.ChatMessage(platform="local", text="/echo via ingress", user=ev.ChatUser("u1"), message_id="m-web")
    headers, body = to_structured(ev.chat_message_event(message, source="/test"))
    async with client:
        assert (await client.get("/")).status_code == 200
        assert (await client.post("/", headers=headers, content=body)).status_code == 202
    assert [reply.text for reply in bot.outbox.recent()] == ["via ingress"]


async def test_without_ingress_post_root_stays_closed():
    client, _ = client_for(ingress=False)
    async with client:
        assert (await client.post("/", content=b"{}")).status_code == 405


@pytest.mark.parametrize("host", ["127.0.0.1", "0.0.0.0"])
async def test_the_page_api_passes_the_same_access_check_as_api_chat(host):
    client, bot = client_for(access=LocalAccess.for_host(host, TOKEN))
    bearer = {"authorization": f"Bearer {TOKEN}"}
    async with client:
        # The page holds no bot data; what it shows comes through the guarded API.
        assert (await client.get("/")).status_code == 200
        wrong = {"authorization": "Bearer no"}
        for answer in (await client.get("/api/commands"), await client.post("/api/chat", json={"text": "/echo x"}),
                       await client.post("/api/chat", json={"text": "/echo x"}, headers=wrong)):
            assert answer.status_code == 401 and "BOTLESS_INGRESS_TOKEN" in answer.json()["error"]
        assert bot.outbox.recent() == []
        assert (await client.get("/api/commands", headers=bearer)).status_code == 200
        answer = await client.post("/api/chat", json={"text": "/echo x"}, headers=bearer)
        assert answer.json()["replies"] == ["x"] and len(answer.json()["trace"]) == 3


async def test_off_loopback_without_a_token_the_page_api_is_refused():
    client, _ = client_for(access=LocalAccess.for_host("0.0.0.0", ""))
    async with client:
        assert (await client.get("/api/commands")).status_code == 401
        assert (await client.post("/api/chat", json={"text": "/echo x"})).status_code == 401


@pytest.mark.parametrize("env, platforms", [
    ({}, []),
    ({"SLACK_SIGNING_SECRET": "s", "SLACK_BOT_TOKEN": "xoxb-1"}, ["slack"]),
    ({"TELEGRAM_BOT_TOKEN": "1:a", "TELEGRAM_SECRET_TOKEN": "t", "SLACK_SIGNING_SECRET": "s"}, ["slack", "telegram"]),
])
async def test_healthz_lists_only_the_configured_platforms(env, platforms):
    client, bot = client_for(env=env)
    async with client:
        health = (await client.get("/healthz")).json()
        # An unconfigured platform is not served: its webhook answers 503.
        assert (await client.post("/discord/interactions", content=b"{}")).status_code == 503
    assert health["platforms"] == platforms
    assert set(bot.adapters) >= {"slack", "discord", "telegram"}


@pytest.mark.parametrize("topology", ["mono", "pipeline"])
async def test_a_page_on_another_site_cannot_post_through_the_visitors_browser(topology):
    client, bot = client_for(topology, ingress=True)
    async with client:
        # A browser posts text/plain across sites without asking first; its Origin gives it away.
        for origin in ("https://evil.example", "http://127.0.0.1:9999", "null"):
            answer = await client.post("/api/chat", content=b'{"text": "/echo x"}',
                                       headers={"origin": origin, "content-type": "text/plain"})
            assert answer.status_code == 401 and "cross-origin" in answer.json()["error"]
            assert (await client.post("/", content=b"{}", headers={"origin": origin})).status_code == 401
        assert bot.outbox.recent() == []
        same = await client.post("/api/chat", json={"text": "/echo x"}, headers={"origin": "http://127.0.0.1:8080"})
        assert same.json()["replies"] == ["x"]
