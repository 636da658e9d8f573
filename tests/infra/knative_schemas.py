"""The upstream Knative schemas the manifests are validated against (copies in schemas/knative)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema

SCHEMAS = Path(__file__).parent / "schemas" / "knative"
SCHEMA_FILES = {
    ("serving.knative.dev/v1", "Service"): "serving.knative.dev_v1_Service.json",
    ("eventing.knative.dev/v1", "Broker"): "eventing.knative.dev_v1_Broker.json",
    ("eventing.knative.dev/v1", "Trigger"): "eventing.knative.dev_v1_Trigger.json",
    ("sources.knative.dev/v1", "SinkBinding"): "sources.knative.dev_v1_SinkBinding.json",
    ("messaging.knative.dev/v1", "Channel"): "messaging.knative.dev_v1_Channel.json",
    ("messaging.knative.dev/v1", "Subscription"): "messaging.knative.dev_v1_Subscription.json",
}
# Core Kubernetes kinds: no Knative schema; their own tests check what matters.
CORE_KINDS = {("v1", "Secret"), ("v1", "ConfigMap"), ("v1", "Service"), ("apps/v1", "Deployment")}


def strict(schema: Any) -> Any:
    """Reject unknown fields (typos) where the CRD neither allows nor preserves them (schemas/README)."""
    if isinstance(schema, dict):
        if ("properties" in schema and "additionalProperties" not in schema
                and not schema.get("x-kubernetes-preserve-unknown-fields")):
            schema = {**schema, "additionalProperties": False}
        return {k: strict(v) for k, v in schema.items()}
    if isinstance(schema, list):
        return [strict(item) for item in schema]
    return schema


def validate(obj: dict[str, Any]) -> bool:
    """Validate `obj` against its kind's upstream schema; False for a core kind (nothing to validate)."""
    if (obj["apiVersion"], obj["kind"]) in CORE_KINDS:
        return False
    schema = json.loads((SCHEMAS / SCHEMA_FILES[(obj["apiVersion"], obj["kind"])]).read_text())
    root = schema["definitions"]["openAPIV3Schema"]
    schema["definitions"]["openAPIV3Schema"] = {**root, "properties": strict(root.get("properties", {}))}
    jsonschema.validate(obj, schema)
    return True
