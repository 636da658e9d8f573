"""The inputs of the Knative objects (KnativeOptions) and the pieces every object is built from.

tooling/packaging/knative.py builds the Services and the Broker wiring from them,
knative_channels.py the Channel wiring and knative_sources.py the chat sources.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from core.sources.definition import SourceDefinition

# What the Broker and each Channel do with a failed delivery: retried, then dropped (or dead-lettered).
DELIVERY = {"retry": 5, "backoffPolicy": "linear", "backoffDelay": "PT30S"}


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
    secrets: Mapping[str, str] = field(default_factory=dict, repr=False)
    # False: leave the Secret out (it is managed elsewhere, e.g. by External Secrets).
    with_secret: bool = True
    # The cluster's service-account issuer: set, the bus routes check Knative's OIDC sender tokens.
    oidc_issuer: str = ""
    oidc_jwks_url: str = ""
    # "broker" (Triggers) or "channels" (a Channel per hop, Subscriptions with replies).
    wiring: str = "broker"
    # Connection-mode chat sources (core/sources/registry.py), and where the values of their
    # non-secret settings are read (the CLI passes its whole environment, so never in a repr).
    sources: tuple[SourceDefinition, ...] = ()
    source_settings: Mapping[str, str] = field(default_factory=dict, repr=False)
    # The bot's webhook platforms: with sources, respond gets one Trigger per platform no source serves.
    platforms: tuple[str, ...] = ()
    # delivery.retryAfterMax, the longest Retry-After of a 429 (a reply the platform rate-limited,
    # providers/knative/reply.py) the Broker waits before it retries: an ISO 8601 duration
    # ("PT600S"), or "" for none. Only for a cluster with `delivery-retryafter: enabled` in
    # config-features: without it, Knative's webhook refuses the field, and the Broker and
    # Channels are not created.
    retry_after_max: str = ""

    @property
    def secret_name(self) -> str:
        """The one Secret every Service and source reads its secrets from."""
        return f"{self.name}-chat"


def delivery(options: KnativeOptions) -> dict[str, Any]:
    """The Broker's and each Channel's delivery: DELIVERY, and retryAfterMax when it is set.

    Set on the Broker, it applies to every Trigger (none has a delivery of its own).
    """
    found: dict[str, Any] = dict(DELIVERY)
    if options.retry_after_max:
        found["retryAfterMax"] = options.retry_after_max
    return found


def audience(options: KnativeOptions, service_suffix: str) -> str:
    """The OIDC audience of a bus Service: its name and namespace, so a token for one fits no other."""
    name = f"{options.name}-{service_suffix}"
    return f"{name}.{options.namespace}" if options.namespace else name


def oidc_env(options: KnativeOptions, service_suffix: str) -> list[dict[str, str]]:
    """With an OIDC issuer, the settings that make a bus Service check the sender token for its audience."""
    if not options.oidc_issuer:
        return []
    env = [{"name": "BOTLESS_KNATIVE_OIDC_AUDIENCE", "value": audience(options, service_suffix)},
           {"name": "BOTLESS_KNATIVE_OIDC_ISSUER", "value": options.oidc_issuer}]
    if options.oidc_jwks_url:
        env.append({"name": "BOTLESS_KNATIVE_OIDC_JWKS_URL", "value": options.oidc_jwks_url})
    return env


def security_context() -> dict[str, Any]:
    """Every container's: no root, no privilege, no capability (a new dict: YAML would alias a shared one)."""
    return {"allowPrivilegeEscalation": False, "runAsNonRoot": True, "capabilities": {"drop": ["ALL"]},
            "seccompProfile": {"type": "RuntimeDefault"}}


def service_ref(options: KnativeOptions, suffix: str) -> dict[str, str]:
    """A reference to the Knative Service `<name>-<suffix>`."""
    return {"apiVersion": "serving.knative.dev/v1", "kind": "Service", "name": f"{options.name}-{suffix}"}


def broker_ref(options: KnativeOptions) -> dict[str, str]:
    return {"apiVersion": "eventing.knative.dev/v1", "kind": "Broker", "name": options.name}


def destination(options: KnativeOptions, ref: dict[str, str], service_suffix: str) -> dict[str, Any]:
    """A subscriber: `ref`, and with an OIDC issuer the audience its Service checks.

    A Kubernetes or Knative Serving Service announces no audience of its own, so the
    Trigger or Subscription names it.
    """
    found: dict[str, Any] = {"ref": ref}
    if options.oidc_issuer:
        found["audience"] = audience(options, service_suffix)
    return found


def metadata(options: KnativeOptions, name: str, role: str = "", **extra: Any) -> dict[str, Any]:
    labels = {"app.kubernetes.io/name": "botless", "app.kubernetes.io/instance": options.name}
    if role:
        labels["botless.dev/role"] = role
    labels.update(extra.pop("labels", {}))
    found: dict[str, Any] = {"name": name}
    if options.namespace:
        found["namespace"] = options.namespace
    found["labels"] = labels
    found.update(extra)
    return found
