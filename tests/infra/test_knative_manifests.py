"""`botless manifests`: valid against the upstream Knative schemas, plus the webhook's invariants."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest
import yaml

from core import events as ev
from functions.local.cli import main
from providers.packaging.commands import command_names

SCHEMAS = Path(__file__).parent / "schemas" / "knative"
SCHEMA_FILES = {
    ("serving.knative.dev/v1", "Service"): "serving.knative.dev_v1_Service.json",
    ("eventing.knative.dev/v1", "Broker"): "eventing.knative.dev_v1_Broker.json",
    ("eventing.knative.dev/v1", "Trigger"): "eventing.knative.dev_v1_Trigger.json",
    ("sources.knative.dev/v1", "SinkBinding"): "sources.knative.dev_v1_SinkBinding.json",
}


def strict(schema):
    """Reject unknown fields (typos) where the CRD neither allows nor preserves them (schemas/README)."""
    if isinstance(schema, dict):
        if ("properties" in schema and "additionalProperties" not in schema
                and not schema.get("x-kubernetes-preserve-unknown-fields")):
            schema = {**schema, "additionalProperties": False}
        return {k: strict(v) for k, v in schema.items()}
    if isinstance(schema, list):
        return [strict(item) for item in schema]
    return schema


def printed(capsys, topology: str) -> list[dict]:
    assert main(["manifests", "--target", "knative", "--image", "ghcr.io/example/botless:1.0",
                 "--topology", topology, "--namespace", "bots"]) == 0
    return list(yaml.safe_load_all(capsys.readouterr().out))


@pytest.mark.parametrize("topology", ["mono", "pipeline"])
def test_every_object_validates_against_its_upstream_schema(capsys, topology):
    objects = printed(capsys, topology)
    for obj in objects:
        if obj["kind"] == "Secret":
            assert obj["apiVersion"] == "v1" and obj["type"] == "Opaque"
            continue
        schema = json.loads((SCHEMAS / SCHEMA_FILES[(obj["apiVersion"], obj["kind"])]).read_text())
        root = schema["definitions"]["openAPIV3Schema"]
        schema["definitions"]["openAPIV3Schema"] = {**root, "properties": strict(root.get("properties", {}))}
        jsonschema.validate(obj, schema)


@pytest.mark.parametrize("topology", ["mono", "pipeline"])
def test_what_the_admission_webhook_checks_holds(capsys, topology):
    objects = printed(capsys, topology)
    services = {o["metadata"]["name"] for o in objects if o["kind"] == "Service" and o["apiVersion"].startswith("serving")}
    brokers = {o["metadata"]["name"] for o in objects if o["kind"] == "Broker"}
    triggers = [o for o in objects if o["kind"] == "Trigger"]
    assert triggers
    for trigger in triggers:
        spec = trigger["spec"]
        assert spec["broker"] in brokers
        assert spec["subscriber"]["ref"]["name"] in services  # every Trigger has a subscriber that exists
        assert all(isinstance(v, str) for v in spec["filter"]["attributes"].values())
    for service in (o for o in objects if o["kind"] == "Service" and o["apiVersion"].startswith("serving")):
        container = service["spec"]["template"]["spec"]["containers"][0]
        assert container["image"] == "ghcr.io/example/botless:1.0"
        assert all(isinstance(v, str) for v in service["spec"]["template"]["metadata"]["annotations"].values())
    binding = next(o for o in objects if o["kind"] == "SinkBinding")
    assert binding["spec"]["subject"]["name"] in services and binding["spec"]["sink"]["ref"]["name"] in brokers
    assert {o["metadata"]["namespace"] for o in objects} == {"bots"}


def test_pipeline_triggers_route_every_type_the_code_emits_to_its_role(capsys):
    objects = printed(capsys, "pipeline")
    routes = {o["spec"]["filter"]["attributes"]["type"]: o["spec"]["subscriber"]["ref"]["name"]
              for o in objects if o["kind"] == "Trigger"}
    expected = {ev.CHAT_MESSAGE: "botless-parse", ev.BOT_RESPONSE: "botless-respond"}
    expected.update({ev.command_type(name): "botless-command" for name in command_names()})
    assert routes == expected


def test_mono_gets_its_deferred_work_back(capsys):
    objects = printed(capsys, "mono")
    types = {o["spec"]["filter"]["attributes"]["type"] for o in objects if o["kind"] == "Trigger"}
    assert types == {ev.CHAT_MESSAGE, *(ev.command_type(n) for n in command_names())}
    roles = {e["value"] for o in objects if o["kind"] == "Service" for e in
             o["spec"]["template"]["spec"]["containers"][0]["env"] if e["name"] == "BOTLESS_ROLE"}
    assert roles == {"mono"}


def test_the_secret_holds_only_chat_secrets_from_the_environment(capsys, monkeypatch):
    monkeypatch.setenv("SLACK_SIGNING_SECRET", "s3cr3t")
    monkeypatch.setenv("BOTLESS_UNRELATED", "x")
    secret = next(o for o in printed(capsys, "mono") if o["kind"] == "Secret")
    assert secret["stringData"] == {"SLACK_SIGNING_SECRET": "s3cr3t"}
