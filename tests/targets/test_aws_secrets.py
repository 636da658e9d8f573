"""Lambda reads the chat secrets from SSM at run time (BOTLESS_SSM_PREFIX), against moto in
server mode: decrypted, only where the environment has none, never logged, passed to the app
factory (never written to os.environ); a refusal or an empty path fails the init phase with a
message naming the path. The names are the platform registry's: a platform an installed
package publishes (`botless.platforms`) gets its secret from SSM too."""

from __future__ import annotations

import hmac
import json
import logging
import os
import subprocess
import sys
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

import pytest

import core.loader
from core.chat.base import Received
from core.chat.platform import Platform
from core.chat.platforms import CHAT_SECRETS
from core.http import HttpRequest, HttpResponse
from core.settings import Settings
from providers.app_factory import with_secrets
from providers.aws.lambda_app import app_from_env
from providers.aws.secrets import load_chat_secrets
from providers.runtime import ConfigurationError
from tests import aws_clients
from tests.servers import free_port
from tests.targets.drivers.aws_lambda import LambdaContext, create_pipeline_bus, http_event
from tests.targets.scenarios import slack_slash_command

CONTEXT = LambdaContext("botless-secrets")
REPO = Path(__file__).resolve().parents[2]


def put(name: str, value: str, kind: str = "SecureString") -> None:
    aws_clients.client("ssm").put_parameter(Name=name, Value=value, Type=kind)


@pytest.fixture
def prefix(aws_env: dict[str, str], unique: str) -> str:
    """A path of its own in the session's moto, holding nothing yet."""
    return f"/botless-{unique}/"


@pytest.fixture
def environ() -> Iterator[None]:
    """A check that os.environ is left as it was: the secrets go to the app factory, not there."""
    def chat_secrets() -> dict[str, str]:
        return {name: value for name, value in os.environ.items() if name in CHAT_SECRETS}

    saved = chat_secrets()
    yield
    assert chat_secrets() == saved


def test_the_chat_secrets_under_the_prefix_are_loaded_decrypted_where_the_environment_has_none(prefix, caplog):
    put(f"{prefix}SLACK_SIGNING_SECRET", "ssm-signing-secret")
    put(f"{prefix}TELEGRAM_BOT_TOKEN", "ssm-telegram-token", kind="String")
    put(f"{prefix}SLACK_BOT_TOKEN", "ssm-bot-token")
    put(f"{prefix}nested/DISCORD_BOT_TOKEN", "too-deep")  # one level only: the name is the variable
    for n in range(12):  # more than one page (10 a page)
        put(f"{prefix}OTHER_{n:02d}", f"other-{n}")
    env = {"BOTLESS_SSM_PREFIX": prefix, "SLACK_BOT_TOKEN": "set-by-the-operator", "DISCORD_BOT_TOKEN": " "}
    given = dict(env)
    with caplog.at_level(logging.DEBUG):  # botocore's DEBUG lines included
        loaded = load_chat_secrets(env)
    assert list(loaded) == ["SLACK_SIGNING_SECRET", "TELEGRAM_BOT_TOKEN"] and env == given
    assert loaded["SLACK_SIGNING_SECRET"] == "ssm-signing-secret"  # moto returns kms:alias/aws/ssm:... undecrypted
    assert loaded["TELEGRAM_BOT_TOKEN"] == "ssm-telegram-token"
    settings = with_secrets(Settings.from_env(env), loaded).extra
    assert settings["SLACK_BOT_TOKEN"] == "set-by-the-operator" and settings["DISCORD_BOT_TOKEN"] == " "
    assert settings["SLACK_SIGNING_SECRET"] == "ssm-signing-secret"
    [line] = [json.loads(r.getMessage()) for r in caplog.records if "secrets-loaded" in r.getMessage()]
    assert line["prefix"] == prefix and line["kept"] == ["SLACK_BOT_TOKEN"]
    assert line["ignored"] == [f"OTHER_{n:02d}" for n in range(12)]
    assert "DISCORD_PUBLIC_KEY" in line["absent"]
    for value in ("ssm-signing-secret", "ssm-telegram-token", "ssm-bot-token", "other-"):
        assert value not in caplog.text


@dataclass(frozen=True)
class EchoConfig:
    token: str = ""

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> EchoConfig:
        return cls(token=env.get("ECHO_TOKEN", ""))


class EchoAdapter:
    """An installed platform's webhook: it answers 200 only to a request carrying its token."""

    platform = "echo"
    path = "/echo/webhook"

    def __init__(self, config: EchoConfig, settings: Settings, dedupe: object) -> None:
        self.config = config

    @property
    def enabled(self) -> bool:
        return bool(self.config.token)

    async def receive(self, request: HttpRequest) -> Received:
        signed = hmac.compare_digest(request.header("x-echo-token").encode(), self.config.token.encode())
        return Received(HttpResponse.json(200 if signed else 401, {}))

    async def send(self, response: object, event: object) -> None:
        return None


class EchoPoint:
    """The `botless.platforms` entry point an installed package publishes."""

    name = "echo"

    @staticmethod
    def load() -> Platform[EchoConfig]:
        return Platform("echo", secrets=("ECHO_TOKEN",), config_from_env=EchoConfig.from_env, adapter=EchoAdapter)


@pytest.fixture
def echo_installed(monkeypatch: pytest.MonkeyPatch) -> None:
    """Pretend an installed package publishes the echo platform (as tests/chat/test_platform_registry.py)."""
    monkeypatch.setattr(core.loader, "installed",
                        lambda group: [EchoPoint] if group == core.loader.PLATFORM_ENTRY_POINT_GROUP else [])


def test_an_installed_platforms_secret_is_read_from_ssm_too(prefix, echo_installed, caplog):
    put(f"{prefix}ECHO_TOKEN", "ssm-echo-token")
    put(f"{prefix}OTHER", "other")
    with caplog.at_level(logging.DEBUG):
        loaded = load_chat_secrets({"BOTLESS_SSM_PREFIX": prefix})
    assert loaded == {"ECHO_TOKEN": "ssm-echo-token"}  # a path with only its secret is no empty path
    [line] = [json.loads(r.getMessage()) for r in caplog.records if "secrets-loaded" in r.getMessage()]
    assert line["ignored"] == ["OTHER"] and line["absent"] == list(CHAT_SECRETS)
    assert "ssm-echo-token" not in caplog.text
    # Installed platforms off: their secrets are nobody's, so the path holds no chat secret.
    with pytest.raises(ConfigurationError, match=r"found only ECHO_TOKEN, OTHER\): put at least one of SLACK_"):
        load_chat_secrets({"BOTLESS_SSM_PREFIX": prefix, "BOTLESS_ENTRY_POINTS": "0"})
    # The settings passed in decide, not the environment the names would otherwise come from.
    off = Settings.from_env({"BOTLESS_ENTRY_POINTS": "0"})
    with pytest.raises(ConfigurationError, match="found only ECHO_TOKEN"):
        load_chat_secrets({"BOTLESS_SSM_PREFIX": prefix}, off)


def test_an_installed_platforms_webhook_verifies_with_its_secret_read_from_ssm(prefix, echo_installed, environ,
                                                                              unique):
    put(f"{prefix}ECHO_TOKEN", f"echo-{unique}")
    env = {**{k: v for k, v in os.environ.items() if k not in CHAT_SECRETS and k != "ECHO_TOKEN"},
           "BOTLESS_SSM_PREFIX": prefix, "BOTLESS_EVENT_BUS": f"botless-secrets-{unique}"}
    app = app_from_env("receive", env)
    try:
        def post(token: str) -> int:
            event = http_event("function-url", "/echo/webhook", {"content-type": "application/json",
                                                                 "x-echo-token": token}, b"{}")
            return int(app(event, CONTEXT)["statusCode"])

        assert (post(f"echo-{unique}"), post("forged")) == (200, 401)
    finally:
        app.close()
    assert "ECHO_TOKEN" not in os.environ


def test_without_a_prefix_nothing_is_read():
    env = {"SLACK_SIGNING_SECRET": "local"}
    assert load_chat_secrets(env) == {} and env == {"SLACK_SIGNING_SECRET": "local"}


def test_a_slack_webhook_to_receive_verifies_with_the_secret_read_from_ssm(stand_in, prefix, environ, unique,
                                                                          caplog):
    queues = create_pipeline_bus(f"botless-secrets-{unique}")
    put(f"{prefix}SLACK_SIGNING_SECRET", f"from-ssm-{unique}")
    platform = {k: v for k, v in stand_in.env().items() if k not in CHAT_SECRETS}
    env = {**{k: v for k, v in os.environ.items() if k not in CHAT_SECRETS}, **platform,
           "BOTLESS_SSM_PREFIX": prefix, "BOTLESS_EVENT_BUS": f"botless-secrets-{unique}"}
    with caplog.at_level(logging.DEBUG):
        app = app_from_env("receive", env)
        try:
            headers, body = slack_slash_command(stand_in.url, "/uptime", "", trigger=unique,
                                                secret=f"from-ssm-{unique}")
            signed = app(http_event("function-url", "/slack/events", headers, body), CONTEXT)
            headers, body = slack_slash_command(stand_in.url, "/uptime", "", trigger=f"x{unique}")
            forged = app(http_event("function-url", "/slack/events", headers, body), CONTEXT)
        finally:
            app.close()
    assert signed["statusCode"] == 200 and forged["statusCode"] == 401
    messages = aws_clients.client("sqs").receive_message(QueueUrl=queues["parse"][0]).get("Messages", [])
    assert [json.loads(m["Body"])["detail"]["data"]["command"] for m in messages] == ["uptime"]
    assert "secrets-loaded" in caplog.text and f"from-ssm-{unique}" not in caplog.text


@pytest.mark.parametrize("case", ["no such path", "only other names", "another region"])
def test_a_path_without_any_chat_secret_fails_at_init_naming_the_path(prefix, case, monkeypatch):
    if case == "only other names":
        put(f"{prefix}SLACK_SIGNING", "a typo")
    if case == "another region":
        put(f"{prefix}SLACK_SIGNING_SECRET", "value-in-virginia")
        monkeypatch.setenv("AWS_REGION", "eu-west-1")
        monkeypatch.setenv("AWS_DEFAULT_REGION", "eu-west-1")
    aws_clients.client.cache_clear()
    try:
        with pytest.raises(ConfigurationError) as raised:
            load_chat_secrets({"BOTLESS_SSM_PREFIX": prefix})
    finally:
        aws_clients.client.cache_clear()
    message = str(raised.value)
    assert f"no chat secret under {prefix} (BOTLESS_SSM_PREFIX)" in message
    assert ("eu-west-1" if case == "another region" else "us-east-1") in message
    assert ("found only SLACK_SIGNING" in message) == (case == "only other names")
    assert "a typo" not in message and "value-in-virginia" not in message


def test_a_role_allowed_to_read_gets_the_secrets_through_a_signature_moto_verifies(prefix, iam_user):
    put(f"{prefix}SLACK_SIGNING_SECRET", "signed-for")
    with iam_user(allowed=True):
        assert load_chat_secrets({"BOTLESS_SSM_PREFIX": prefix}) == {"SLACK_SIGNING_SECRET": "signed-for"}


def test_ssm_refusing_fails_at_init_with_the_path_and_the_aws_error_code(prefix, iam_user):
    put(f"{prefix}SLACK_SIGNING_SECRET", "not-for-this-role")
    with iam_user(allowed=False), pytest.raises(
            ConfigurationError, match=rf"SSM refused to read the chat secrets under {prefix} "
                                      r"\(BOTLESS_SSM_PREFIX\) in us-east-1: AccessDenied(Exception)?: .*"
                                      r"ssm:GetParametersByPath") as raised:
        load_chat_secrets({"BOTLESS_SSM_PREFIX": prefix})
    assert "not-for-this-role" not in str(raised.value)


def test_a_wrong_secret_key_is_a_signature_ssm_refuses(prefix, iam_user):
    put(f"{prefix}SLACK_SIGNING_SECRET", "unreadable")
    with iam_user(allowed=True, secret="not-the-secret-key"), pytest.raises(
            ConfigurationError, match=r"SSM refused .*: SignatureDoesNotMatch"):
        load_chat_secrets({"BOTLESS_SSM_PREFIX": prefix})


def test_an_unreachable_ssm_or_a_bad_path_fails_at_init(prefix, monkeypatch):
    monkeypatch.setenv("AWS_ENDPOINT_URL", f"http://127.0.0.1:{free_port()}")
    aws_clients.client.cache_clear()
    try:
        with pytest.raises(ConfigurationError, match=rf"under {prefix} .*: ConnectionRefusedError"):
            load_chat_secrets({"BOTLESS_SSM_PREFIX": prefix})
    finally:
        aws_clients.client.cache_clear()
    with pytest.raises(ConfigurationError, match="is not an SSM path"):
        load_chat_secrets({"BOTLESS_SSM_PREFIX": "botless"})


PROBE = """
import json, os, sys
import functions.aws_lambda.handler as h
print(json.dumps({"boto3": "boto3" in sys.modules,
                  "slack": h.app.bot.settings.extra.get("SLACK_SIGNING_SECRET") == "init-secret",
                  "environ": "SLACK_SIGNING_SECRET" in os.environ}))
"""


def run_handler_module(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    full = {k: v for k, v in os.environ.items() if not k.startswith(("BOTLESS_", "AWS_", *CHAT_SECRETS))}
    full.update(BOTLESS_ENTRY_POINTS="0", BOTLESS_ROLE="receive", BOTLESS_EVENT_BUS="bus", **env)
    return subprocess.run([sys.executable, "-c", PROBE], env=full, capture_output=True, text=True, timeout=60,
                          cwd=REPO)


def test_the_handler_module_reads_the_secrets_in_the_init_phase_or_fails_there(prefix, aws_env):
    put(f"{prefix}SLACK_SIGNING_SECRET", "init-secret")
    done = run_handler_module({**aws_env, "BOTLESS_SSM_PREFIX": prefix})
    assert done.returncode == 0, done.stderr
    # The secrets are read by a signed call with the standard library: boto3 stays out of the init phase.
    assert json.loads(done.stdout) == {"boto3": False, "slack": True, "environ": False}
    assert "init-secret" not in done.stderr
    refused = run_handler_module({**aws_env, "BOTLESS_SSM_PREFIX": prefix,
                                  "AWS_ENDPOINT_URL": f"http://127.0.0.1:{free_port()}"})
    assert refused.returncode != 0 and refused.stdout == ""
    assert f"ConfigurationError: could not read the chat secrets under {prefix}" in refused.stderr
