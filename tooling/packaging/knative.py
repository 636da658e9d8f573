"""The Knative objects of one bot, as plain data: `botless manifests` prints them as YAML.

pipeline: a Service per role, a Broker, a Trigger for parse, one per command (Knative's
portable filter is an exact match on attributes, so each command type gets its own),
one for respond, and a SinkBinding that gives receive the Broker as K_SINK. mono: one
image in two Services: the public `mono` runs every role in one request on the webhooks,
and its slow work goes to the Broker; the mono Triggers bring it back to the cluster-local
`mono-bus`. Only receive and mono are public: no Trigger points at them, so no route the
internet reaches takes a CloudEvent. With an OIDC issuer, every Trigger names its
subscriber's audience and every bus Service checks the Broker's sender token for it
(Knative's `authentication-oidc` feature). All read the chat secrets, and
BOTLESS_REDIS_URL (the dedupe store: Redis is the operator's, its URL may hold a
password), from one Secret. infra/knative declares the same objects through Terraform.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from core import events as ev
from core.chat.platforms import chat_secrets
from core.role_table import HTTP_ROLES, roles_of
from core.settings import Settings

# Settings that go in the Secret beside the chat secrets.
STORE_SECRETS = ("BOTLESS_REDIS_URL",)
# The Services the internet reaches (the webhooks); every other one is cluster-local.
PUBLIC_SERVICES = HTTP_ROLES


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
    # What the Secret holds (`secrets_from(settings)`: the platforms' secrets and STORE_SECRETS that are set).
    secrets: Mapping[str, str] = field(default_factory=dict)
    # False: leave the Secret out (it is managed elsewhere, e.g. by External Secrets).
    with_secret: bool = True
    # The cluster's service-account issuer: set, the bus routes check Knative's OIDC sender tokens.
    oidc_issuer: str = ""
    oidc_jwks_url: str = ""


def secret_settings(settings: Settings) -> tuple[str, ...]:
    """What goes in the Secret: every platform's secrets (installed ones too), then STORE_SECRETS."""
    return chat_secrets(settings) + STORE_SECRETS


def secrets_from(settings: Settings) -> dict[str, str]:
    """The Secret's contents: those of `secret_settings(settings)` that `settings` sets."""
    return {name: settings.extra[name] for name in secret_settings(settings) if settings.extra.get(name)}


def manifests(options: KnativeOptions) -> list[dict[str, Any]]:
    """Every object to apply, in an order kubectl can apply them (Secret first)."""
    objects: list[dict[str, Any]] = [_secret(options)] if options.with_secret else []
    objects.extend(_service(options, suffix, role, face) for suffix, role, face in services(options.topology))
    objects.append(_broker(options))
    for suffix, subscriber, event_type in routes(options.topology, options.commands):
        objects.append(_trigger(options, suffix, subscriber, event_type))
    objects.append(_sink_binding(options))
    return objects


def services(topology: str) -> list[tuple[str, str, str]]:
    """(Service name suffix, BOTLESS_ROLE, BOTLESS_KNATIVE_ROUTES or "") of every Service of a topology."""
    if topology == "mono":
        return [("mono", "mono", "webhooks"), ("mono-bus", "mono", "bus")]
    return [(role, role, "") for role in roles_of(topology)]


def audience(options: KnativeOptions, service_suffix: str) -> str:
    """The OIDC audience of a bus Service: its name and namespace, so a token for one fits no other."""
    name = f"{options.name}-{service_suffix}"
    return f"{name}.{options.namespace}" if options.namespace else name


def routes(topology: str, commands: tuple[str, ...] | list[str]) -> list[tuple[str, str, str]]:
    """(Trigger name suffix, subscriber Service suffix, event type) of every Trigger of a topology.

    Kubernetes names allow '-' but not '_', which a command name may hold.
    """
    per_command = [(name.replace("_", "-"), ev.command_type(name)) for name in commands]
    if topology == "mono":
        # mono defers a slow command (or a webhook the platform wants acked first) to the
        # Broker, which brings it back to the cluster-local face, never the public one.
        return [("mono-message", "mono-bus", ev.CHAT_MESSAGE),
                *((f"mono-command-{name}", "mono-bus", kind) for name, kind in per_command)]
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
        "stringData": {key: str(value) for key, value in options.secrets.items() if value},
    }


def _service(options: KnativeOptions, suffix: str, role: str, face: str) -> dict[str, Any]:
    public = suffix in PUBLIC_SERVICES
    labels = {} if public else {"networking.knative.dev/visibility": "cluster-local"}
    env = [
        {"name": "BOTLESS_ROLE", "value": role},
        {"name": "BOTLESS_TOPOLOGY", "value": options.topology},
        # Above timeoutSeconds (60), below the Broker's retry span (5 x 30 s): a pod that died
        # mid-role has its event retried after the lease instead of given up on.
        {"name": "BOTLESS_DEDUPE_LEASE_SECONDS", "value": "75"},
    ]
    if face:
        env.append({"name": "BOTLESS_KNATIVE_ROUTES", "value": face})
    if options.oidc_issuer and not public:
        env += [{"name": "BOTLESS_KNATIVE_OIDC_AUDIENCE", "value": audience(options, suffix)},
                {"name": "BOTLESS_KNATIVE_OIDC_ISSUER", "value": options.oidc_issuer}]
        if options.oidc_jwks_url:
            env.append({"name": "BOTLESS_KNATIVE_OIDC_JWKS_URL", "value": options.oidc_jwks_url})
    return {
        "apiVersion": "serving.knative.dev/v1",
        "kind": "Service",
        "metadata": _metadata(options, f"{options.name}-{suffix}", role, labels=labels),
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


def _trigger(options: KnativeOptions, suffix: str, subscriber: str, event_type: str) -> dict[str, Any]:
    destination: dict[str, Any] = {"ref": {"apiVersion": "serving.knative.dev/v1", "kind": "Service",
                                           "name": f"{options.name}-{subscriber}"}}
    if options.oidc_issuer:
        # A Knative Serving Service announces no audience of its own, so the Trigger names it.
        destination["audience"] = audience(options, subscriber)
    return {
        "apiVersion": "eventing.knative.dev/v1",
        "kind": "Trigger",
        "metadata": _metadata(options, f"{options.name}-{suffix}", subscriber.removesuffix("-bus")),
        "spec": {
            "broker": options.name,
            "filter": {"attributes": {"type": event_type}},
            "subscriber": destination,
        },
    }


def _sink_binding(options: KnativeOptions) -> dict[str, Any]:
    # The webhook role publishes into the Broker: receive, or mono for its deferred work.
    [role] = [name for name in roles_of(options.topology) if name in HTTP_ROLES]
    return {
        "apiVersion": "sources.knative.dev/v1",
        "kind": "SinkBinding",
        "metadata": _metadata(options, f"{options.name}-{role}", role),
        "spec": {
            "subject": {"apiVersion": "serving.knative.dev/v1", "kind": "Service", "name": f"{options.name}-{role}"},
            "sink": {"ref": {"apiVersion": "eventing.knative.dev/v1", "kind": "Broker", "name": options.name}},
        },
    }
