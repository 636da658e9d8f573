"""Each target builds its bot with its own shared store when the setting is present, and
imports the store's SDK only on first use, never at a cold start."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from core.dedupe import MemoryDedupeStore
from providers.runtime import ConfigurationError
from tests.targets.scenarios import bot_for

REPO = Path(__file__).resolve().parents[2]
AZURITE_URL = "http://127.0.0.1:10002/devstoreaccount1"


class BotRecorder:
    """Stands in for the app factory's build_bot: records the store each target passes."""

    def __init__(self) -> None:
        self.stores: list[Any] = []

    def __call__(self, settings: Any, secrets: Any = None, dedupe: Any = None, responders: Any = ()) -> Any:
        self.stores.append(dedupe)
        return bot_for({"BOTLESS_ENTRY_POINTS": "0"}, dedupe)


def test_knative_uses_redis_when_botless_redis_url_is_set(monkeypatch):
    from providers.knative import app as knative
    from providers.knative.dedupe import RedisDedupeStore

    recorder = BotRecorder()
    monkeypatch.setattr(knative, "build_bot", recorder)
    knative.app_from_env({"BOTLESS_ROLE": "respond", "BOTLESS_REDIS_URL": "redis://10.0.0.5:6379/1"})
    knative.app_from_env({"BOTLESS_ROLE": "respond"})
    [redis_store, default] = recorder.stores
    assert isinstance(redis_store, RedisDedupeStore) and redis_store.url == "redis://10.0.0.5:6379/1"
    assert default is None  # build_bot then takes BOTLESS_DEDUPE (memory)


def test_cloud_functions_uses_firestore_when_the_collection_is_set(monkeypatch):
    from providers.gcp import target as gcp
    from providers.gcp.dedupe import FirestoreDedupeStore

    recorder = BotRecorder()
    monkeypatch.setattr(gcp, "build_bot", recorder)
    # Its stderr handler would keep the "botless" logger from propagating to caplog in later tests.
    monkeypatch.setattr(gcp, "configure_logging", lambda level: None)
    monkeypatch.setenv("BOTLESS_FIRESTORE_COLLECTION", "botless-dedupe")
    monkeypatch.setenv("GOOGLE_CLOUD_PROJECT", "proj-1")
    monkeypatch.delenv("BOTLESS_GCP_PROJECT", raising=False)
    for name in ("BOTLESS_ROLE", "FUNCTION_TARGET"):
        monkeypatch.delenv(name, raising=False)
    gcp.target_from_env(os.environ)
    [store] = recorder.stores
    assert isinstance(store, FirestoreDedupeStore)
    assert (store.collection, store.project) == ("botless-dedupe", "proj-1")


def test_azure_uses_table_storage_when_the_table_is_named(monkeypatch):
    from providers.azure import app as azure
    from providers.azure.dedupe import TableDedupeStore

    recorder = BotRecorder()
    monkeypatch.setattr(azure, "build_bot", recorder)
    for name, value in {"BOTLESS_DEDUPE_TABLE_NAME": "botlessdedupe", "BOTLESS_TABLE_ACCOUNT_URL": AZURITE_URL,
                        "BOTLESS_TABLE_ACCOUNT_KEY": "a2V5", "BOTLESS_EVENTGRID_ENDPOINT": "http://127.0.0.1:9/api",
                        "BOTLESS_EVENTGRID_KEY": "k"}.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("BOTLESS_ROLE", raising=False)
    azure.app_from_env(os.environ)
    [store] = recorder.stores
    assert isinstance(store, TableDedupeStore) and store.table == "botlessdedupe"
    assert store.account_url == AZURITE_URL and "a2V5" not in repr(store)


def test_azure_names_the_missing_account_setting_at_start_up():
    from providers.azure.dedupe import TableDedupeStore, account_name

    with pytest.raises(ConfigurationError, match="BOTLESS_TABLE_CONNECTION_STRING"):
        TableDedupeStore.from_env({"BOTLESS_DEDUPE_TABLE_NAME": "t", "BOTLESS_TABLE_ACCOUNT_URL": AZURITE_URL})
    assert account_name("https://botless1a2b.table.core.windows.net/") == "botless1a2b"
    assert account_name(AZURITE_URL) == "devstoreaccount1"


def test_lambda_uses_dynamodb_when_the_table_is_set(monkeypatch):
    from providers.aws import lambda_app
    from providers.aws.dedupe import DynamoDedupeStore

    recorder = BotRecorder()
    monkeypatch.setattr(lambda_app, "build_bot", recorder)
    lambda_app.app_from_env("respond", {"BOTLESS_DEDUPE_TABLE": "botless-dedupe"}).close()
    [store] = recorder.stores
    assert isinstance(store, DynamoDedupeStore) and store.table == "botless-dedupe"


PROBE = """
import json, sys
import {module}
print(json.dumps(sorted(m for m in {modules!r} if m in sys.modules)))
"""


@pytest.mark.slow  # a fresh interpreter, to see what a cold start imports
@pytest.mark.parametrize("module, env, sdk", [
    ("functions.knative.app", {"BOTLESS_ROLE": "respond", "BOTLESS_REDIS_URL": "redis://127.0.0.1:9/0"}, "redis"),
    ("functions.gcf.main", {"BOTLESS_FIRESTORE_COLLECTION": "d", "BOTLESS_GCP_PROJECT": "p"},
     "google.cloud.firestore"),
    ("functions.azure.function_app", {"BOTLESS_DEDUPE_TABLE_NAME": "d", "BOTLESS_TABLE_ACCOUNT_URL": AZURITE_URL,
                                      "BOTLESS_TABLE_ACCOUNT_KEY": "a2V5",
                                      "BOTLESS_EVENTGRID_ENDPOINT": "http://127.0.0.1:9/api/events",
                                      "BOTLESS_EVENTGRID_KEY": "k"}, "azure.data.tables"),
    ("functions.aws_lambda.handler", {"BOTLESS_ROLE": "respond", "BOTLESS_DEDUPE_TABLE": "d"}, "boto3"),
], ids=["knative", "gcf", "azure", "aws-lambda"])
@pytest.mark.slow  # a Python subprocess
def test_no_entrypoint_imports_its_store_sdk_at_a_cold_start(module, env, sdk):
    inherited = {k: v for k, v in os.environ.items() if not k.startswith(("BOTLESS_", "FUNCTION_", "K_", "AWS_"))}
    full = {**inherited, "BOTLESS_ENTRY_POINTS": "0", "AWS_DEFAULT_REGION": "us-east-1", **env}
    run = subprocess.run([sys.executable, "-c", PROBE.format(module=module, modules=(sdk,))], env=full,
                         capture_output=True, text=True, timeout=120, cwd=REPO)
    assert run.returncode == 0, run.stderr
    assert json.loads(run.stdout.splitlines()[-1]) == []
    # The store was wired (not the per-instance fallback, which warns at start-up).
    assert "dedupe-per-instance" not in run.stderr


@pytest.mark.slow  # a fresh interpreter
def test_a_target_without_its_setting_warns_at_start_up():
    inherited = {k: v for k, v in os.environ.items() if not k.startswith(("BOTLESS_", "K_"))}
    run = subprocess.run([sys.executable, "-c", "import functions.knative.app"], capture_output=True, text=True,
                         env={**inherited, "BOTLESS_ROLE": "respond", "BOTLESS_ENTRY_POINTS": "0"}, timeout=60,
                         cwd=REPO)
    assert run.returncode == 0, run.stderr
    assert run.stderr.count("dedupe-per-instance") == 1 and "BOTLESS_REDIS_URL is not set" in run.stderr


def test_the_default_store_is_memory():
    assert isinstance(bot_for({"BOTLESS_ENTRY_POINTS": "0"}).dedupe, MemoryDedupeStore)
