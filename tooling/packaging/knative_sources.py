"""A connection-mode chat source on Knative: a Deployment bound to the Broker, and a Trigger back.

Each source is five objects named `<name>-<source>-source`:
- a ConfigMap with the source's non-secret settings (those set where `botless manifests`
  ran; an unset one takes the source's own default);
- a Deployment running the bot's image as `python -m functions.knative.source <source>`,
  exactly one replica, replaced with `Recreate`: one chat connection at a time (two would
  join IRC under two nicks, and Telegram refuses a second concurrent getUpdates);
- a SinkBinding that gives the Deployment the Broker as K_SINK;
- a Service in front of its `POST /`, where the replies come back;
- a Trigger on `botless.bot.response` for the source's platform (EXT_PLATFORM), to that Service.

Why not a ContainerSource: it is not addressable (its status has no address), so the
replies need a Service in front of its pods anyway, and the Deployment it generates rolls
out with RollingUpdate, briefly holding two connections; a Deployment of our own with a
SinkBinding is one object more and says replicas and strategy itself.

Under mono, both mono Services get BOTLESS_SOURCES (the sources' platforms) and the
Broker as K_SINK (the public one through its own SinkBinding, the bus face through
`relay_bindings`'): mono runs respond in-process, and hands each reply for a source's
platform to the Broker (providers/knative/relay.py) for the source's Trigger to bring
here. mono's own response Triggers leave those platforms out (platform_routes).

Its settings come from the source's Options (core/sources/definition.py): the non-secret
ones from the ConfigMap, the secrets (and the dedupe store's URL) from the bot's one
Secret by secretKeyRef, so no secret value is ever in a manifest. A source's platform is
its name (the scripted, slack, telegram and irc sources emit messages for it).
"""

from __future__ import annotations

from typing import Any

from core import events as ev
from core.sources.definition import SourceDefinition
from tooling.packaging.knative import STORE_SECRETS
from tooling.packaging.knative_options import (
    KnativeOptions,
    broker_ref,
    destination,
    metadata,
    oidc_env,
    security_context,
    service_ref,
)

PORT = 8080
# mono's cluster-local face (tooling/packaging/knative.py's services), where a source's messages arrive.
RELAY_SERVICE = "mono-bus"


def check_sources(options: KnativeOptions) -> None:
    """ValueError, saying what to change, for sources the chosen wiring cannot answer."""
    if not options.sources:
        return
    names = ", ".join(source.name for source in options.sources)
    if options.wiring != "broker":
        raise ValueError(f"--source {names} needs --wiring broker: a Channel has no filter, so respond and "
                         "the source would both get every response, and a Trigger can pick the source's")


def source_objects(options: KnativeOptions, source: SourceDefinition) -> list[dict[str, Any]]:
    """The ConfigMap, Deployment, SinkBinding, Service and Trigger of one source."""
    name = object_name(options, source)
    labels = {"botless.dev/source": source.name}
    selector = {"app.kubernetes.io/instance": options.name, **labels}
    deployment_ref = {"apiVersion": "apps/v1", "kind": "Deployment", "name": name}
    own_service = {"apiVersion": "v1", "kind": "Service", "name": name}
    settings = {option.env: options.source_settings[option.env] for option in source.options
                if not option.secret and options.source_settings.get(option.env)}
    return [
        {"apiVersion": "v1", "kind": "ConfigMap", "metadata": metadata(options, name, labels=labels),
         "data": settings},
        {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": metadata(options, name, labels=labels),
         "spec": {
             "replicas": 1,
             "strategy": {"type": "Recreate"},
             "selector": {"matchLabels": dict(selector)},
             "template": {"metadata": {"labels": dict(selector)},
                          "spec": {"containers": [_container(options, source)]}},
         }},
        {"apiVersion": "sources.knative.dev/v1", "kind": "SinkBinding",
         "metadata": metadata(options, name, labels=labels),
         "spec": {"subject": deployment_ref, "sink": {"ref": broker_ref(options)}}},
        {"apiVersion": "v1", "kind": "Service", "metadata": metadata(options, name, labels=labels),
         "spec": {"selector": dict(selector), "ports": [{"name": "http", "port": 80, "targetPort": PORT}]}},
        {"apiVersion": "eventing.knative.dev/v1", "kind": "Trigger",
         "metadata": metadata(options, name, labels=labels),
         "spec": {
             "broker": options.name,
             "filter": {"attributes": {"type": ev.BOT_RESPONSE, ev.EXT_PLATFORM: source.name}},
             "subscriber": destination(options, own_service, suffix(source)),
         }},
    ]


def relay_bindings(options: KnativeOptions) -> list[dict[str, Any]]:
    """Under mono with sources, the SinkBinding that gives mono's bus face the Broker.

    The bus face runs the chain of a source's chat message, whose reply it relays to the
    Broker; the public face has K_SINK already (it defers through the Broker).
    """
    if options.topology != "mono" or not options.sources:
        return []
    name = f"{options.name}-{RELAY_SERVICE}"
    return [{"apiVersion": "sources.knative.dev/v1", "kind": "SinkBinding",
             "metadata": metadata(options, name, "mono"),
             "spec": {"subject": service_ref(options, RELAY_SERVICE), "sink": {"ref": broker_ref(options)}}}]


def suffix(source: SourceDefinition) -> str:
    return f"{source.name}-source"


def object_name(options: KnativeOptions, source: SourceDefinition) -> str:
    """The name of every object of `source`."""
    return f"{options.name}-{suffix(source)}"


def _container(options: KnativeOptions, source: SourceDefinition) -> dict[str, Any]:
    name = object_name(options, source)
    env: list[dict[str, Any]] = [{"name": "PORT", "value": str(PORT)}]
    env += [{"name": option.env, "valueFrom": {"configMapKeyRef": {"name": name, "key": option.env,
                                                                    "optional": True}}}
            for option in source.options if not option.secret]
    # optional: a secret left unset is the source's to name (its build raises SettingsError),
    # and an optional one (an IRC server password) must not keep the pod from starting.
    env += [{"name": secret, "valueFrom": {"secretKeyRef": {"name": options.secret_name, "key": secret,
                                                             "optional": True}}}
            for secret in (*source.secrets, *STORE_SECRETS)]
    env += oidc_env(options, suffix(source))
    return {
        "name": "botless",
        "image": options.image,
        "command": ["python", "-m", "functions.knative.source", source.name],
        "ports": [{"containerPort": PORT}],
        "env": env,
        "resources": {"requests": {"cpu": "50m", "memory": options.memory}, "limits": {"memory": options.memory}},
        "readinessProbe": {"httpGet": {"path": "/healthz", "port": PORT}},
        "securityContext": security_context(),
    }
