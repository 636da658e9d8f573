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
password), from one Secret. `wiring="channels"` joins the roles with Channels and
Subscriptions instead of the Broker (knative_channels.py); each of `sources` adds a
connection-mode chat source bound to the Broker (knative_sources.py), under either
topology (mono relays a source's replies to it through the Broker, providers/knative/relay.py).
infra/knative declares the same objects through Terraform.
"""

from __future__ import annotations

from typing import Any

from core import events as ev
from core.channels import WIRINGS
from core.chat.platforms import chat_secrets
from core.role_table import HTTP_ROLES, roles_of
from core.settings import Settings
from core.sources.definition import SourceDefinition
from providers.knative.relay import SOURCES_SETTING
from tooling.packaging.knative_options import (
    KnativeOptions,
    audience,
    broker_ref,
    delivery,
    destination,
    metadata,
    oidc_env,
    security_context,
    service_ref,
)

# KnativeOptions and audience are part of what this module offers, from knative_options.py.
__all__ = ["PUBLIC_SERVICES", "STORE_SECRETS", "KnativeOptions", "audience", "manifests", "platform_routes",
           "routes", "secret_settings", "secrets_from", "services", "trigger_types"]

# Settings that go in the Secret beside the chat secrets.
STORE_SECRETS = ("BOTLESS_REDIS_URL",)
# The Services the internet reaches (the webhooks); every other one is cluster-local.
PUBLIC_SERVICES = HTTP_ROLES


def secret_settings(settings: Settings) -> tuple[str, ...]:
    """What goes in the Secret: every platform's secrets (installed ones too), then STORE_SECRETS."""
    return chat_secrets(settings) + STORE_SECRETS


def secrets_from(settings: Settings, sources: tuple[SourceDefinition, ...] = ()) -> dict[str, str]:
    """The Secret's contents: those of `secret_settings(settings)` and the sources' secrets that `settings` sets."""
    names = dict.fromkeys((*secret_settings(settings), *(name for source in sources for name in source.secrets)))
    return {name: settings.extra[name] for name in names if settings.extra.get(name)}


def manifests(options: KnativeOptions) -> list[dict[str, Any]]:
    """Every object to apply, in an order kubectl can apply them (Secret first).

    ValueError for a combination the objects cannot wire (knative_sources.check_sources).
    """
    from tooling.packaging import knative_channels, knative_sources

    if options.wiring not in WIRINGS:
        raise ValueError(f"unknown wiring {options.wiring!r}: choose {' or '.join(WIRINGS)}")
    knative_sources.check_sources(options)
    objects: list[dict[str, Any]] = [_secret(options)] if options.with_secret else []
    objects.extend(_service(options, suffix, role, face) for suffix, role, face in services(options.topology))
    if options.wiring == "channels":
        objects.extend(knative_channels.channel_objects(options))
        objects.append(_sink_binding(options, knative_channels.first_channel(options)))
        return objects
    objects.append(_broker(options))
    for suffix, subscriber, event_type in routes(options.topology, options.commands):
        filtered = platform_routes(options, suffix) if event_type == ev.BOT_RESPONSE else [(suffix, "")]
        objects.extend(_trigger(options, name, subscriber, event_type, platform) for name, platform in filtered)
    objects.append(_sink_binding(options, broker_ref(options)))
    for source in options.sources:
        objects.extend(knative_sources.source_objects(options, source))
    objects.extend(knative_sources.relay_bindings(options))
    return objects


def services(topology: str) -> list[tuple[str, str, str]]:
    """(Service name suffix, BOTLESS_ROLE, BOTLESS_KNATIVE_ROUTES or "") of every Service of a topology."""
    if topology == "mono":
        return [("mono", "mono", "webhooks"), ("mono-bus", "mono", "bus")]
    return [(role, role, "") for role in roles_of(topology)]


def routes(topology: str, commands: tuple[str, ...] | list[str]) -> list[tuple[str, str, str]]:
    """(Trigger name suffix, subscriber Service suffix, event type) of every Trigger of a topology.

    Kubernetes names allow '-' but not '_', which a command name may hold.
    """
    per_command = [(name.replace("_", "-"), ev.command_type(name)) for name in commands]
    if topology == "mono":
        # mono defers a slow command (or a webhook the platform wants acked first) to the
        # Broker, which brings it back to the cluster-local face, never the public one; so
        # is a reply the platform rate-limited past the webhook's budget (RateLimited.pending).
        return [("mono-message", "mono-bus", ev.CHAT_MESSAGE),
                *((f"mono-command-{name}", "mono-bus", kind) for name, kind in per_command),
                ("mono-response", "mono-bus", ev.BOT_RESPONSE)]
    return [("parse", "parse", ev.CHAT_MESSAGE),
            *((f"command-{name}", "command", kind) for name, kind in per_command),
            ("respond", "respond", ev.BOT_RESPONSE)]


def platform_routes(options: KnativeOptions, suffix: str) -> list[tuple[str, str]]:
    """(Trigger name suffix, platform or "") of the Triggers that deliver responses to the bot.

    The bot is respond (pipeline) or mono's bus face (mono). Without sources, one Trigger
    takes every response. With sources, the bot takes only the responses of the platforms
    no source serves, one Trigger each (the portable `filter` is an exact match with no
    "not"; `filters`' `not` depends on the Broker class and the new-trigger-filters
    feature): a source's responses go to the source alone, which posts them on its
    connection (respond has no responder for irc, and would post a Slack reply twice; mono,
    which relays them to the Broker, would get its own relayed reply back).
    """
    served = {source.name for source in options.sources}
    if not served:
        return [(suffix, "")]
    return [(f"{suffix}-{platform}", platform) for platform in options.platforms if platform not in served]


def trigger_types(objects: list[dict[str, Any]]) -> list[str]:
    """The event types the Triggers among `objects` filter on."""
    return [o["spec"]["filter"]["attributes"]["type"] for o in objects if o["kind"] == "Trigger"]


def _secret(options: KnativeOptions) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": metadata(options, options.secret_name),
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
    if options.topology == "mono" and options.sources:
        # mono hands the replies of these platforms to their sources (providers/knative/relay.py).
        env.append({"name": SOURCES_SETTING, "value": ",".join(source.name for source in options.sources)})
    if not public:
        env += oidc_env(options, suffix)
    return {
        "apiVersion": "serving.knative.dev/v1",
        "kind": "Service",
        "metadata": metadata(options, f"{options.name}-{suffix}", role, labels=labels),
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
                        "envFrom": [{"secretRef": {"name": options.secret_name, "optional": True}}],
                        "resources": {
                            "requests": {"cpu": "100m", "memory": options.memory},
                            "limits": {"memory": options.memory},
                        },
                        "readinessProbe": {"httpGet": {"path": "/healthz"}},
                        "securityContext": security_context(),
                    }],
                },
            },
        },
    }


def _broker(options: KnativeOptions) -> dict[str, Any]:
    return {
        "apiVersion": "eventing.knative.dev/v1",
        "kind": "Broker",
        "metadata": metadata(options, options.name),
        "spec": {"delivery": delivery(options)},
    }


def _trigger(options: KnativeOptions, suffix: str, subscriber: str, event_type: str,
             platform: str = "") -> dict[str, Any]:
    attributes = {"type": event_type, **({ev.EXT_PLATFORM: platform} if platform else {})}
    return {
        "apiVersion": "eventing.knative.dev/v1",
        "kind": "Trigger",
        "metadata": metadata(options, f"{options.name}-{suffix}", subscriber.removesuffix("-bus")),
        "spec": {
            "broker": options.name,
            "filter": {"attributes": attributes},
            "subscriber": destination(options, service_ref(options, subscriber), subscriber),
        },
    }


def _sink_binding(options: KnativeOptions, sink: dict[str, str]) -> dict[str, Any]:
    # The webhook role publishes into `sink` (the Broker, or the first Channel): receive, or
    # mono for its deferred work.
    [role] = [name for name in roles_of(options.topology) if name in HTTP_ROLES]
    return {
        "apiVersion": "sources.knative.dev/v1",
        "kind": "SinkBinding",
        "metadata": metadata(options, f"{options.name}-{role}", role),
        "spec": {
            "subject": service_ref(options, role),
            "sink": {"ref": sink},
        },
    }
