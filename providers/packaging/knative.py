"""The Knative objects of one bot, as plain data: `botless manifests` prints them as YAML.

pipeline: a Service per role, a Broker, a Trigger for parse, one per command (Knative's
portable filter is an exact match on attributes, so each command type gets its own),
one for respond, and a SinkBinding that gives receive the Broker as K_SINK. mono: one
Service that runs every role in one request; its slow work goes to the Broker and comes
back through its own Triggers. Both read the chat secrets, and BOTLESS_REDIS_URL (the
dedupe store: Redis is the operator's, its URL may hold a password), from one Secret.
infra/knative declares the same objects through Terraform.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Mapping

from core import events as ev
from core.chat.platforms import CHAT_SECRETS
from providers.packaging.targets import roles_for

# Settings that go in the Secret beside the chat secrets.
STORE_SECRETS = ("BOTLESS_REDIS_URL",)
SECRET_SETTINGS = CHAT_SECRETS + STORE_SECRETS
PUBLIC_ROLES = ("receive", "mono")


@dataclass(frozen=True)
class KnativeOptions:
    """The inputs of the manifests (the same as infra/knative's variables)."""

    image: str
    commands: tuple[str, ...]
    topology: str = "mono"
    name: str = "botless"
    namespace: str = ""
    memory: str = "256Mi"
    min_scale: int = 0
    max_scale: int = 10
    secrets: Mapping[str, str] = field(default_factory=dict)
    # False: leave the Secret out (it is managed elsewhere, e.g. by External Secrets).
    with_secret: bool = True


def manifests(options: KnativeOptions) -> list[dict[str, Any]]:
    """Every object to apply, in an order kubectl can apply them (Secret first)."""
    objects: list[dict[str, Any]] = [_secret(options)] if options.with_secret else []
    objects.extend(_service(options, role) for role in roles_for(options.topology))
    objects.append(_broker(options))
    for suffix, role, event_type in routes(options.topology, options.commands):
        objects.append(_trigger(options, suffix, role, event_type))
    objects.append(_sink_binding(options))
    return objects


def routes(topology: str, commands: tuple[str, ...] | list[str]) -> list[tuple[str, str, str]]:
    """(Trigger name suffix, subscriber role, event type) of every Trigger of a topology.

    Kubernetes names allow '-' but not '_', which a command name may hold.
    """
    per_command = [(name.replace("_", "-"), ev.command_type(name)) for name in commands]
    if topology == "mono":
        # mono defers a slow command (or a webhook the platform wants acked first) to the
        # Broker, which brings it back to the same Service.
        return [("mono-message", "mono", ev.CHAT_MESSAGE),
                *((f"mono-command-{name}", "mono", kind) for name, kind in per_command)]
    return [("parse", "parse", ev.CHAT_MESSAGE),
            *((f"command-{name}", "command", kind) for name, kind in per_command),
            ("respond", "respond", ev.BOT_RESPONSE)]


def trigger_types(objects: list[dict[str, Any]]) -> list[str]:
    """The event types the Triggers among `objects` filter on."""
    return [o["spec"]["filter"]["attributes"]["type"] for o in objects if o["kind"] == "Trigger"]


def _metadata(options: KnativeOptions, name: str, role: str = "", **extra: Any) -> dict[str, Any]:
    labels = {"app.kubernetes.io/name": "botless", "app.kubernetes.io/instance": options.name}
    if role:
        labels["botless.dev/role"] = role
    labels.update(extra.pop("labels", {}))
    metadata: dict[str, Any] = {"name": name}
    if options.namespace:
        metadata["namespace"] = options.namespace
    metadata["labels"] = labels
    metadata.update(extra)
    return metadata


def _secret(options: KnativeOptions) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": _metadata(options, f"{options.name}-chat"),
        "type": "Opaque",
        "stringData": {key: str(options.secrets[key]) for key in SECRET_SETTINGS if options.secrets.get(key)},
    }


def _service(options: KnativeOptions, role: str) -> dict[str, Any]:
    labels = {} if role in PUBLIC_ROLES else {"networking.knative.dev/visibility": "cluster-local"}
    env = [
        {"name": "BOTLESS_ROLE", "value": role},
        {"name": "BOTLESS_TOPOLOGY", "value": options.topology},
        # Above timeoutSeconds (60), below the Broker's retry span (5 x 30 s): a pod that died
        # mid-role has its event retried after the lease instead of given up on.
        {"name": "BOTLESS_DEDUPE_LEASE_SECONDS", "value": "75"},
    ]
    return {
        "apiVersion": "serving.knative.dev/v1",
        "kind": "Service",
        "metadata": _metadata(options, f"{options.name}-{role}", role, labels=labels),
        "spec": {
            "template": {
                "metadata": {
                    "labels": {"botless.dev/role": role},
                    "annotations": {
                        "autoscaling.knative.dev/min-scale": str(options.min_scale),
                        "autoscaling.knative.dev/max-scale": str(options.max_scale),
                    },
                },
                "spec": {
                    "containerConcurrency": 0,
                    "timeoutSeconds": 60,
                    "containers": [{
                        "name": "botless",
                        "image": options.image,
                        "ports": [{"containerPort": 8080}],
                        "env": env,
                        "envFrom": [{"secretRef": {"name": f"{options.name}-chat", "optional": True}}],
                        "resources": {
                            "requests": {"cpu": "100m", "memory": options.memory},
                            "limits": {"memory": options.memory},
                        },
                        "readinessProbe": {"httpGet": {"path": "/healthz"}},
                        "securityContext": {
                            "allowPrivilegeEscalation": False,
                            "runAsNonRoot": True,
                            "capabilities": {"drop": ["ALL"]},
                            "seccompProfile": {"type": "RuntimeDefault"},
                        },
                    }],
                },
            },
        },
    }


def _broker(options: KnativeOptions) -> dict[str, Any]:
    return {
        "apiVersion": "eventing.knative.dev/v1",
        "kind": "Broker",
        "metadata": _metadata(options, options.name),
        "spec": {"delivery": {"retry": 5, "backoffPolicy": "linear", "backoffDelay": "PT30S"}},
    }


def _trigger(options: KnativeOptions, suffix: str, role: str, event_type: str) -> dict[str, Any]:
    return {
        "apiVersion": "eventing.knative.dev/v1",
        "kind": "Trigger",
        "metadata": _metadata(options, f"{options.name}-{suffix}", role),
        "spec": {
            "broker": options.name,
            "filter": {"attributes": {"type": event_type}},
            "subscriber": {"ref": {"apiVersion": "serving.knative.dev/v1", "kind": "Service",
                                   "name": f"{options.name}-{role}"}},
        },
    }


def _sink_binding(options: KnativeOptions) -> dict[str, Any]:
    # The role that publishes into the Broker: receive, or mono for its deferred work.
    role = "mono" if options.topology == "mono" else "receive"
    return {
        "apiVersion": "sources.knative.dev/v1",
        "kind": "SinkBinding",
        "metadata": _metadata(options, f"{options.name}-{role}", role),
        "spec": {
            "subject": {"apiVersion": "serving.knative.dev/v1", "kind": "Service", "name": f"{options.name}-{role}"},
            "sink": {"ref": {"apiVersion": "eventing.knative.dev/v1", "kind": "Broker", "name": options.name}},
        },
    }
