"""The platform registry: each platform declared once, installed ones from `botless.platforms`."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import pytest

import core.loader
from core.chat.base import ChatAdapter, Received
from core.chat.platform import Platform, PlatformDefinitionError
from core.chat.platforms import (
    BUILTIN_PLATFORMS,
    CHAT_SECRETS,
    PLATFORMS,
    adapters_from_env,
    chat_secrets,
    platforms_of,
)
from core.dedupe import MemoryDedupeStore
from core.http import HttpRequest, HttpResponse
from core.settings import Settings


@dataclass(frozen=True)
class EchoConfig:
    token: str = ""

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> EchoConfig:
        return cls(token=env.get("ECHO_TOKEN", ""))


class EchoAdapter:
    platform = "echo"
    path = "/echo/webhook"

    def __init__(self, config: EchoConfig, settings: Settings, dedupe: object) -> None:
        self.config = config

    @property
    def enabled(self) -> bool:
        return bool(self.config.token)

    async def receive(self, request: HttpRequest) -> Received:
        return Received(HttpResponse.json(200, {}))

    async def send(self, response: object, event: object) -> None:
        return None


ECHO = Platform("echo", secrets=("ECHO_TOKEN",), config_from_env=EchoConfig.from_env, adapter=EchoAdapter)


class FakeEntryPoint:
    def __init__(self, name: str, loaded: object) -> None:
        self.name, self._loaded = name, loaded

    def load(self) -> object:
        return self._loaded


@pytest.fixture
def installed(monkeypatch):
    """Pretend installed packages publish `points` under botless.platforms."""
    def install(*points: FakeEntryPoint) -> None:
        def installed(group: str):
            return list(points) if group == core.loader.PLATFORM_ENTRY_POINT_GROUP else []
        monkeypatch.setattr(core.loader, "installed", installed)
    return install


def test_the_names_and_secrets_derive_from_the_built_in_declarations():
    assert PLATFORMS == ("slack", "discord", "telegram")
    assert CHAT_SECRETS == (
        "SLACK_SIGNING_SECRET", "SLACK_BOT_TOKEN", "DISCORD_PUBLIC_KEY", "DISCORD_APPLICATION_ID",
        "DISCORD_BOT_TOKEN", "TELEGRAM_BOT_TOKEN", "TELEGRAM_SECRET_TOKEN")


@pytest.mark.parametrize("platform", BUILTIN_PLATFORMS, ids=lambda p: p.name)
def test_each_declared_secret_is_read_by_its_platforms_config(platform):
    # 64 hex characters: a valid Discord public key and a valid Telegram secret token alike.
    value = "ab" * 32
    empty = platform.config_from_env({})
    for name in platform.secrets:
        assert platform.config_from_env({name: value}) != empty, f"{name} is declared but not read"


@pytest.mark.parametrize("platform", BUILTIN_PLATFORMS, ids=lambda p: p.name)
def test_a_platform_is_configured_exactly_when_its_adapter_is_enabled(platform):
    everything = Settings.from_env(dict.fromkeys(platform.secrets, "ab" * 32))
    assert platform.configured(everything) and not platform.configured(Settings())
    assert platform.build(everything, MemoryDedupeStore()).enabled


@pytest.mark.parametrize("platform", BUILTIN_PLATFORMS, ids=lambda p: p.name)
def test_each_built_in_adapter_is_what_its_deferred_declaration_says(platform):
    # What is declared for the stand-in must be what the adapter itself would do.
    deferred, store = platform.deferred, MemoryDedupeStore()

    def own(env):
        return platform.adapter(platform.config_from_env(env), Settings.from_env(env), store)

    others = {name: "ab" * 32 for name in platform.secrets if name != deferred.enabled_by}
    assert own({}).path == deferred.path
    assert own({deferred.enabled_by: "ab" * 32}).enabled and not own(others).enabled
    # Its other secrets are never refused, so a stand-in need not read them at startup.
    assert not own({name: " not ü a value " for name in others}).enabled


def test_an_installed_platform_is_served_after_the_built_in_ones(installed):
    installed(FakeEntryPoint("echo", ECHO))
    adapters = adapters_from_env(Settings.from_env({"ECHO_TOKEN": "t"}), MemoryDedupeStore())
    assert [(a.platform, a.enabled) for a in adapters][-1] == ("echo", True)
    assert all(isinstance(adapter, ChatAdapter) for adapter in adapters)


def test_an_installed_platforms_secrets_follow_the_built_in_ones(installed):
    installed(FakeEntryPoint("echo", ECHO))
    assert chat_secrets(Settings()) == (*CHAT_SECRETS, "ECHO_TOKEN")
    assert chat_secrets(Settings.from_env({"BOTLESS_ENTRY_POINTS": "0"})) == CHAT_SECRETS


def test_botless_entry_points_0_leaves_installed_platforms_out(installed):
    installed(FakeEntryPoint("echo", ECHO))
    assert platforms_of(Settings.from_env({"BOTLESS_ENTRY_POINTS": "0"})) == BUILTIN_PLATFORMS


@pytest.mark.parametrize("loaded, phrase", [
    (EchoAdapter, "must name a core.chat.platform.Platform"),
    (Platform("slack", (), EchoConfig.from_env, EchoAdapter), "two platforms are named 'slack'"),
    (Platform("console", (), EchoConfig.from_env, EchoAdapter), "taken by the local chat"),
])
def test_a_bad_installed_platform_is_refused_with_what_to_do(installed, loaded, phrase):
    installed(FakeEntryPoint("bad", loaded))
    with pytest.raises(PlatformDefinitionError, match=phrase):
        platforms_of(Settings())


def test_a_platform_whose_adapter_has_another_name_is_refused():
    misnamed = Platform("other", (), EchoConfig.from_env, EchoAdapter)
    with pytest.raises(PlatformDefinitionError, match="built an adapter for 'echo'"):
        misnamed.build(Settings(), MemoryDedupeStore())
