"""`botless serve`'s routes for the person at the machine: the ingress is off unless asked for,
and off loopback (or with BOTLESS_INGRESS_TOKEN set) every call carries the bearer token."""

import os
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from core.bot import Bot
from core.settings import Settings
from functions.local.serve_cli import ingress_problem, startup_line
from providers.asgi.access import LocalAccess, is_loopback
from providers.asgi.app import create_app
from tests.servers import free_port

FORGED = (Path(__file__).parents[1] / "events" / "forged" / "slack_message.json").read_bytes()
STRUCTURED = {"content-type": "application/cloudevents+json"}
TOKEN = "s3cr3t-ingress-token-0123456789"


def client_for(access: LocalAccess, ingress: bool = True) -> tuple[httpx.AsyncClient, list]:
    published: list = []

    async def publish(event) -> None:
        published.append(event)

    app = create_app(Bot(Settings(load_entry_points=False)), publish, ingress=ingress, access=access)
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://bot"), published


@pytest.mark.parametrize("host, loopback", [
    ("127.0.0.1", True), ("127.9.9.9", True), ("::1", True), ("[::1]", True), ("localhost", True),
    ("0.0.0.0", False), ("::", False), ("192.168.1.10", False), ("example.com", False), ("", False),
])
def test_loopback_is_decided_from_the_bound_address(host, loopback):
    assert is_loopback(host) is loopback


async def test_the_ingress_is_off_unless_asked_for():
    client, published = client_for(LocalAccess.for_host("127.0.0.1", ""), ingress=False)
    async with client:
        answer = await client.post("/", content=FORGED, headers=STRUCTURED)
    assert answer.status_code in (404, 405) and published == []


async def test_on_loopback_without_a_token_the_ingress_takes_events():
    client, published = client_for(LocalAccess.for_host("127.0.0.1", ""))
    async with client:
        assert (await client.post("/", content=FORGED, headers=STRUCTURED)).status_code == 202
    assert [event["botchannel"] for event in published] == ["C-ANY"]


@pytest.mark.parametrize("host", ["127.0.0.1", "0.0.0.0"])
@pytest.mark.parametrize("authorization, reason", [
    (None, "missing Authorization: Bearer"),
    ("Bearer wrong-token", "wrong bearer token"),
    (f"Basic {TOKEN}", "missing Authorization: Bearer"),
    (f"Bearer {TOKEN}x", "wrong bearer token"),
])
async def test_a_missing_or_wrong_token_gets_401_and_no_event(host, authorization, reason):
    client, published = client_for(LocalAccess.for_host(host, TOKEN))
    headers = {**STRUCTURED, **({"authorization": authorization} if authorization else {})}
    async with client:
        answers = [await client.post("/", content=FORGED, headers=headers),
                   await client.post("/api/chat", json={"text": "/echo hi"}, headers=headers),
                   await client.get("/api/replies", headers=headers)]
    for answer in answers:
        assert answer.status_code == 401 and reason in answer.json()["error"]
        assert TOKEN not in answer.text
    assert published == []


@pytest.mark.parametrize("host", ["127.0.0.1", "0.0.0.0"])
async def test_the_right_token_passes(host):
    client, published = client_for(LocalAccess.for_host(host, TOKEN))
    headers = {**STRUCTURED, "authorization": f"Bearer {TOKEN}"}
    async with client:
        assert (await client.post("/", content=FORGED, headers=headers)).status_code == 202
        assert (await client.post("/api/chat", json={"text": "/echo hi"}, headers=headers)).status_code == 200
    assert [event["type"] for event in published] == ["botless.chat.message"] * 2


async def test_off_loopback_without_a_token_api_chat_is_refused_with_the_setting_to_set():
    client, published = client_for(LocalAccess.for_host("0.0.0.0", ""), ingress=False)
    async with client:
        answer = await client.post("/api/chat", json={"text": "/echo hi"})
        health = await client.get("/healthz")
    assert answer.status_code == 401 and "set BOTLESS_INGRESS_TOKEN" in answer.json()["error"]
    assert health.status_code == 200 and published == []


def test_the_ingress_off_loopback_without_a_token_cannot_start():
    problem = ingress_problem("0.0.0.0", True, "")
    assert problem is not None and "set BOTLESS_INGRESS_TOKEN" in problem and "\n" not in problem
    assert ingress_problem("0.0.0.0", True, TOKEN) is None
    assert ingress_problem("127.0.0.1", True, "") is None
    assert ingress_problem("0.0.0.0", False, "") is None


def test_the_startup_line_says_whether_the_ingress_is_on():
    off = startup_line(LocalAccess.for_host("127.0.0.1", ""), 8080, "mono", 6, False)
    on = startup_line(LocalAccess.for_host("0.0.0.0", TOKEN), 8080, "mono", 6, True)
    assert "ingress POST / off" in off and "Authorization" not in off
    assert "ingress POST / on" in on and "bearer token required" in on and TOKEN not in on


def test_the_token_is_read_once_into_the_settings_and_never_shown():
    settings = Settings.from_env({"BOTLESS_INGRESS_TOKEN": f" {TOKEN} "})
    assert settings.ingress_token == TOKEN
    assert TOKEN not in repr(LocalAccess.for_host("0.0.0.0", TOKEN))


@pytest.mark.slow
def test_botless_serve_refuses_an_open_ingress_off_loopback_in_one_line():
    env = {**os.environ, "BOTLESS_INGRESS_TOKEN": ""}
    result = subprocess.run([sys.executable, "-m", "functions.local.cli", "serve", "--host", "0.0.0.0", "--ingress",
                             "--port", str(free_port())], capture_output=True, text=True, env=env, timeout=60,
                            cwd=Path(__file__).parents[2])
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1 and "set BOTLESS_INGRESS_TOKEN" in result.stderr
