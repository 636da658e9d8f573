"""Cloud Functions mono's deferred endpoint: a push counts only with the subscription's OIDC token,
a Google ID token verified by google-auth against certificates served on 127.0.0.1 (Google's
PEM-certificate format), for this audience and the push service account; the URL token stays."""

import base64
import json
from pathlib import Path

import httpx
import jwt
import pytest

from core import events as ev
from core.bot import Bot
from core.settings import Settings
from providers.gcp.config import GcpConfig
from providers.gcp.message import message_from_event
from providers.gcp.push_auth import PushAuthSettings, PushVerifier, verifier_from_env
from providers.gcp.target import GcfTarget
from tests.targets.tokens import SigningKey, claims, issuer

ACCOUNT = "botless-trigger@botless-test.iam.gserviceaccount.com"
AUDIENCE = "botless-mono-deferred.botless-test"
GOOGLE = "https://accounts.google.com"
PATH = "/_botless/deferred?token=s3cret"
FORGED = json.loads((Path(__file__).parents[1] / "events" / "forged" / "slack_message.json").read_text())


class Deferrer:
    async def publish(self, event) -> None:
        raise AssertionError("a resumed chain publishes nothing")

    async def defer(self, event) -> None:
        raise AssertionError("a resumed chain never defers")


@pytest.fixture(scope="module")
def keys():
    return SigningKey("google-key-1"), SigningKey("not-google")


@pytest.fixture(scope="module")
def certs_url(keys):
    with issuer(keys[0]) as url:
        yield url + "/certs"


def google_claims(**changes):
    base = claims(GOOGLE, AUDIENCE, email=ACCOUNT, email_verified=True, azp="1234567890")
    return {**base, **changes}


def push_of(event) -> bytes:
    message = message_from_event(event)
    return json.dumps({"subscription": "projects/botless-test/subscriptions/botless-deferred-push", "message": {
        "data": base64.b64encode(message.data).decode(), "attributes": message.attributes,
        "messageId": "7", "publishTime": "2026-12-02T07:00:00Z"}}).encode()


def local_message(text: str, message_id: str):
    message = ev.ChatMessage(platform="local", text=text, user=ev.ChatUser("u1"), message_id=message_id)
    return ev.chat_message_event(message, source="/test")


def mono(certs_url: str, audience: str = AUDIENCE):
    bot = Bot(Settings(load_entry_points=False))
    verifier = PushVerifier(PushAuthSettings(ACCOUNT, audience, certs_url))
    target = GcfTarget(bot, GcpConfig(project="botless-test", defer_token="s3cret"), Deferrer(),  # type: ignore[arg-type]
                       role="mono", push_verifier=verifier)
    return bot, target.http("mono").app


async def push(app, body: bytes, authorization: str | None, path: str = PATH) -> httpx.Response:
    headers = {"content-type": "application/json", **({"authorization": authorization} if authorization else {})}
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="https://mono.example") as client:
        return await client.post(path, headers=headers, content=body)


async def test_a_push_signed_for_this_audience_by_the_push_account_resumes_the_chain(keys, certs_url):
    bot, app = mono(certs_url)
    answer = await push(app, push_of(local_message("/echo pushed", "m-ok")), f"Bearer {keys[0].sign(google_claims())}")
    assert answer.status_code == 204, answer.text
    assert [reply.text for reply in bot.outbox.recent()] == ["pushed"]


@pytest.mark.parametrize("case, status", [
    ("missing header", 401), ("wrong audience", 401), ("expired", 401), ("wrong key", 401), ("unsigned", 401),
    ("not Google", 401), ("wrong email", 403), ("email not verified", 403), ("not a bearer", 401),
])
async def test_without_the_subscriptions_token_nothing_runs(keys, certs_url, case, status):
    google, stranger = keys
    authorization = {
        "missing header": None,
        "wrong audience": google.sign(google_claims(aud="https://someone-else.example/")),
        "expired": google.sign(claims(GOOGLE, AUDIENCE, lifetime=-600, email=ACCOUNT, email_verified=True)),
        "wrong key": stranger.sign(google_claims(), kid=google.kid),
        "unsigned": jwt.encode(google_claims(), None, algorithm="none", headers={"kid": google.kid}),
        "not Google": google.sign(google_claims(iss="https://issuer.example")),
        "wrong email": google.sign(google_claims(email="attacker@evil.iam.gserviceaccount.com")),
        "email not verified": google.sign(google_claims(email_verified=False)),
        "not a bearer": "Basic " + google.sign(google_claims()),
    }[case]
    if authorization and " " not in authorization:
        authorization = f"Bearer {authorization}"
    bot, app = mono(certs_url)
    for event in (local_message("/echo forged", f"m-{case}"), FORGED_EVENT):
        answer = await push(app, push_of(event), authorization)
        assert answer.status_code == status, answer.text
    assert bot.outbox.recent() == []


async def test_the_url_token_is_still_checked_first(keys, certs_url):
    bot, app = mono(certs_url)
    good = f"Bearer {keys[0].sign(google_claims())}"
    answer = await push(app, push_of(local_message("/echo x", "m-url")), good, path="/_botless/deferred?token=no")
    assert answer.status_code == 403 and bot.outbox.recent() == []


async def test_the_default_audience_is_the_url_pushed_to(keys, certs_url):
    bot, app = mono(certs_url, audience="")
    pushed_to = google_claims(aud="https://mono.example/_botless/deferred")
    answer = await push(app, push_of(local_message("/echo here", "m-aud")), f"Bearer {keys[0].sign(pushed_to)}")
    assert answer.status_code == 204 and [r.text for r in bot.outbox.recent()] == ["here"]
    elsewhere = google_claims(aud="https://other.example/_botless/deferred")
    answer = await push(app, push_of(local_message("/echo no", "m-aud2")), f"Bearer {keys[0].sign(elsewhere)}")
    assert answer.status_code == 401


async def test_unreachable_certificates_are_a_retryable_503(keys):
    bot, app = mono("http://127.0.0.1:9/certs")
    answer = await push(app, push_of(local_message("/echo x", "m-503")), f"Bearer {keys[0].sign(google_claims())}")
    assert answer.status_code == 503 and bot.outbox.recent() == []


def test_the_check_is_on_when_the_push_account_is_set():
    assert verifier_from_env({}) is None
    verifier = verifier_from_env({"BOTLESS_PUSH_SERVICE_ACCOUNT": ACCOUNT, "BOTLESS_PUSH_AUDIENCE": AUDIENCE})
    assert verifier is not None and verifier.settings.audience == AUDIENCE
    assert verifier.settings.certs_url == "https://www.googleapis.com/oauth2/v1/certs"


def _forged_event():
    from cloudevents.http import CloudEvent

    attributes = {k: v for k, v in FORGED.items() if k != "data"}
    return CloudEvent(attributes, FORGED["data"])


FORGED_EVENT = _forged_event()


def test_infra_gcf_signs_the_deferral_push_as_the_account_and_audience_mono_checks():
    infra = Path(__file__).parents[2] / "infra" / "gcf"
    squeezed = " ".join(" ".join((infra / name).read_text() for name in ("pubsub.tf", "functions.tf")).split())
    assert ("oidc_token { service_account_email = google_service_account.trigger.email "
            "audience = local.push_audience }") in squeezed
    assert "BOTLESS_PUSH_SERVICE_ACCOUNT = google_service_account.trigger.email" in squeezed
    assert "BOTLESS_PUSH_AUDIENCE = local.push_audience" in squeezed
    assert 'push_audience = "${var.name}-mono-deferred.${var.project_id}"' in (infra / "main.tf").read_text()
