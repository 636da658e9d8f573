"""Knative's bus route `POST /` with the OIDC layer on: only a token the cluster issuer signed
for this subscriber's audience runs anything; the keys come over HTTP from a JWKS on 127.0.0.1."""

from pathlib import Path

import httpx
import pytest
from cloudevents.conversion import to_structured

from core import events as ev
from core.bot import Bot
from core.settings import Settings
from providers.knative.app import app_from_env, build_app
from providers.knative.oidc import OidcSettings, SenderVerifier, verifier_from_env
from providers.runtime import ConfigurationError
from tests.services import service_fixture
from tests.targets.tokens import SigningKey, claims, issuer

ISSUER = "https://kubernetes.default.svc.cluster.local"
AUDIENCE = "botless-mono-bus.bots"
FORGED = (Path(__file__).parents[1] / "events" / "forged" / "slack_message.json").read_bytes()


@pytest.fixture(scope="module")
def keys():
    return SigningKey("cluster-key-1"), SigningKey("someone-else")


@service_fixture(scope="module")  # uvicorn
def jwks_url(keys):
    with issuer(keys[0]) as url:  # the cluster publishes its own key only
        yield url + "/jwks"


def local_message(text: str, message_id: str):
    message = ev.ChatMessage(platform="local", text=text, user=ev.ChatUser("u1"), message_id=message_id)
    return ev.chat_message_event(message, source="/test")


async def deliver(app, headers, body):
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://bus") as client:
        return await client.post("/", headers=headers, content=body)


def bus_app(jwks_url: str, role: str = "mono"):
    bot = Bot(Settings(load_entry_points=False, topology="mono" if role == "mono" else "pipeline"))
    verifier = SenderVerifier(OidcSettings(AUDIENCE, ISSUER, jwks_url), headers={})
    return bot, build_app(bot, role, None, routes="bus", verifier=verifier)


async def test_a_token_the_cluster_signed_for_this_audience_runs_the_event(keys, jwks_url):
    bot, app = bus_app(jwks_url)
    headers, body = to_structured(local_message("/echo signed", "m-good"))
    token = keys[0].sign(claims(ISSUER, AUDIENCE))
    answer = await deliver(app, {**headers, "authorization": f"Bearer {token}"}, body)
    assert answer.status_code == 202
    assert [reply.text for reply in bot.outbox.recent()] == ["signed"]


@pytest.mark.parametrize("case", ["no token", "wrong audience", "wrong issuer", "expired", "wrong key",
                                  "known kid, wrong key", "not a bearer", "unsigned"])
@pytest.mark.parametrize("role", ["mono", "respond"])
async def test_without_a_valid_sender_token_nothing_runs(keys, jwks_url, case, role):
    cluster, stranger = keys
    tokens = {
        "no token": None,
        "wrong audience": cluster.sign(claims(ISSUER, "botless-mono.bots")),
        "wrong issuer": cluster.sign(claims("https://issuer.example", AUDIENCE)),
        "expired": cluster.sign(claims(ISSUER, AUDIENCE, lifetime=-600)),
        "wrong key": stranger.sign(claims(ISSUER, AUDIENCE)),
        "known kid, wrong key": stranger.sign(claims(ISSUER, AUDIENCE), kid=cluster.kid),
        "not a bearer": "Basic " + cluster.sign(claims(ISSUER, AUDIENCE)),
        "unsigned": __import__("jwt").encode(claims(ISSUER, AUDIENCE), None, algorithm="none",
                                             headers={"kid": cluster.kid}),
    }
    token = tokens[case]
    authorization = {} if token is None else {"authorization": token if " " in token else f"Bearer {token}"}
    bot, app = bus_app(jwks_url, role)
    for headers, body in (to_structured(local_message("/echo forged", f"m-{case}")),
                          ({"content-type": "application/cloudevents+json"}, FORGED)):
        answer = await deliver(app, {**headers, **authorization}, body)
        assert answer.status_code == 401, answer.text
        assert "error" in answer.json()
    assert bot.outbox.recent() == []


async def test_unreachable_keys_are_a_retryable_503_and_run_nothing(keys):
    bot, app = bus_app("http://127.0.0.1:9/jwks")  # port 9 (discard): nothing listens
    headers, body = to_structured(local_message("/echo hi", "m-503"))
    answer = await deliver(app, {**headers, "authorization": f"Bearer {keys[0].sign(claims(ISSUER, AUDIENCE))}"},
                           body)
    assert answer.status_code == 503 and bot.outbox.recent() == []


def test_the_settings_turn_the_check_on_and_say_what_is_missing():
    assert verifier_from_env({}) is None
    with pytest.raises(ConfigurationError, match="BOTLESS_KNATIVE_OIDC_ISSUER"):
        verifier_from_env({"BOTLESS_KNATIVE_OIDC_AUDIENCE": AUDIENCE})
    verifier = verifier_from_env({"BOTLESS_KNATIVE_OIDC_AUDIENCE": AUDIENCE, "BOTLESS_KNATIVE_OIDC_ISSUER": ISSUER})
    assert verifier is not None
    assert verifier.settings.jwks_url == "https://kubernetes.default.svc/openid/v1/jwks"


async def test_app_from_env_guards_the_bus_face_and_the_public_face_has_no_bus_route(keys, jwks_url):
    env = {"BOTLESS_ROLE": "mono", "BOTLESS_ENTRY_POINTS": "0", "BOTLESS_KNATIVE_OIDC_AUDIENCE": AUDIENCE,
           "BOTLESS_KNATIVE_OIDC_ISSUER": ISSUER, "BOTLESS_KNATIVE_OIDC_JWKS_URL": jwks_url}
    headers = {"content-type": "application/cloudevents+json"}
    bus = app_from_env({**env, "BOTLESS_KNATIVE_ROUTES": "bus"})
    assert (await deliver(bus, headers, FORGED)).status_code == 401
    public = app_from_env({**env, "K_SINK": "http://127.0.0.1:9/"})  # the default face: webhooks
    assert (await deliver(public, headers, FORGED)).status_code in (404, 405)
    with pytest.raises(ConfigurationError, match="BOTLESS_KNATIVE_ROUTES"):
        app_from_env({**env, "BOTLESS_KNATIVE_ROUTES": "everything"})


@pytest.mark.slow  # uvicorn
async def test_publishes_to_the_broker_carry_the_sinkbindings_token_when_it_is_mounted(tmp_path):
    from starlette.applications import Starlette
    from starlette.responses import Response
    from starlette.routing import Route

    from providers.knative.sink import KnativeSink
    from tests.servers import uvicorn_server

    seen: list[str | None] = []

    async def ingress(request):
        seen.append(request.headers.get("authorization"))
        return Response(status_code=202)

    with uvicorn_server(Starlette(routes=[Route("/", ingress, methods=["POST"])])) as url:
        sink = KnativeSink(url + "/")
        sink.oidc_token_path = tmp_path / "token"
        await sink.publish(local_message("/echo a", "m-a"))  # the feature off: no token mounted
        sink.oidc_token_path.write_text("header.payload.signature\n")
        await sink.publish(local_message("/echo b", "m-b"))
        sink.oidc_token_path.unlink()
        sink.oidc_token_path.mkdir()  # mounted as a folder holding `token`
        (sink.oidc_token_path / "token").write_text("refreshed.token.value")
        await sink.publish(local_message("/echo c", "m-c"))
        await sink.aclose()
    assert seen == [None, "Bearer header.payload.signature", "Bearer refreshed.token.value"]
