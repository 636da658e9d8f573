"""`wiring="channels"`: Knative Channels and Subscriptions, as core/channels.py derives them from the role table.

Each publishing role's Channel carries what it emits; each consuming role subscribes to
every Channel carrying a type it handles, its Subscription's `reply` its own Channel
(parse -> commands -> responses, as the seed wires parser -> commands -> replies). The
webhook role's SinkBinding points at its Channel. A Subscriber is the role's cluster-local
Service (mono's bus face, never the public one), so no route the internet reaches takes a
CloudEvent under this wiring either.

The Channels take the cluster's default channel implementation (InMemoryChannel unless
the operator set another in default-ch-webhook) and the Broker's retry policy.
"""

from __future__ import annotations

from typing import Any

from core.channels import channel_subscriptions, channels_of, entry_channel
from tooling.packaging.knative import PUBLIC_SERVICES, services
from tooling.packaging.knative_options import KnativeOptions, delivery, destination, metadata, service_ref

CHANNEL_API = "messaging.knative.dev/v1"


def channel_ref(options: KnativeOptions, channel: str) -> dict[str, str]:
    """The Knative Channel for core/channels.py's `channel`, under this bot's name prefix."""
    # core/channels.py names them for the default prefix ("botless-commands"); --name replaces it.
    return {"apiVersion": CHANNEL_API, "kind": "Channel", "name": f"{options.name}-{channel.removeprefix('botless-')}"}


def first_channel(options: KnativeOptions) -> dict[str, str]:
    """The Channel the webhook role publishes into."""
    return channel_ref(options, entry_channel(options.topology))


def subscriber_service(topology: str, role: str) -> str:
    """The Service suffix a Subscription delivers `role`'s events to: its cluster-local one."""
    [suffix] = [suffix for suffix, name, _ in services(topology) if name == role and suffix not in PUBLIC_SERVICES]
    return suffix


def channel_objects(options: KnativeOptions) -> list[dict[str, Any]]:
    """The Channels, then the Subscriptions, in the order of the flow."""
    objects: list[dict[str, Any]] = [{
        "apiVersion": CHANNEL_API,
        "kind": "Channel",
        "metadata": metadata(options, channel_ref(options, channel)["name"]),
        "spec": {"delivery": delivery(options)},
    } for channel in channels_of(options.topology)]
    for subscription in channel_subscriptions(options.topology):
        subscriber = subscriber_service(options.topology, subscription.role)
        channel = channel_ref(options, subscription.channel)
        spec: dict[str, Any] = {
            "channel": channel,
            "subscriber": destination(options, service_ref(options, subscriber), subscriber),
        }
        if subscription.reply:
            spec["reply"] = {"ref": channel_ref(options, subscription.reply)}
        objects.append({
            "apiVersion": CHANNEL_API,
            "kind": "Subscription",
            "metadata": metadata(options, f"{channel['name']}-{subscriber}", subscription.role),
            "spec": spec,
        })
    return objects
