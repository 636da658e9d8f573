"""Source and sink: Event Grid in the CloudEvents 1.0 schema, both ways.

In: the Event Grid trigger hands a function `azure.functions.CloudEvent` (its data
already parsed from JSON); `event_from_trigger` turns it back into the Botless event,
extensions included. Event Grid's own subscription events (validation, deletion) and
a delivery in the older Event Grid schema are answered explicitly: the first are
no-ops, the second is a clear error.

Out: `to_azure_event` is the `azure.core.messaging.CloudEvent` the publisher sends.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from cloudevents.http import CloudEvent

from core.events import EventValidationError, validate_attributes, validated
from core.json_input import JsonInputError, check_json_value
from providers.triggers import Trigger, dispatch

# Event Grid's own lifecycle events: acknowledged, never handled as Botless events.
SUBSCRIPTION_EVENTS = frozenset({
    "Microsoft.EventGrid.SubscriptionValidationEvent",
    "Microsoft.EventGrid.SubscriptionDeletedEvent",
})
_CORE = ("id", "source", "type", "specversion", "time", "subject", "datacontenttype", "dataschema")


def is_subscription_event(trigger: Any) -> bool:
    """True for Event Grid's validation or deletion notice (an explicit no-op)."""
    kind = getattr(trigger, "type", None) or getattr(trigger, "event_type", None)
    # The type is the sender's JSON: a list or an object is no lifecycle event (and unhashable).
    return isinstance(kind, str) and kind in SUBSCRIPTION_EVENTS


def is_cloud_event(trigger: Any) -> bool:
    """True for a delivery in the CloudEvents 1.0 schema (it has a specversion)."""
    return bool(getattr(trigger, "specversion", None))


def event_from_trigger(trigger: Any) -> CloudEvent:
    """The Botless event in an Event Grid delivery (`azure.functions.CloudEvent`), validated."""
    return dispatch(SCHEMAS, trigger, expected="no Event Grid delivery")


def delivered_event(trigger: Any) -> CloudEvent | None:
    """What an Event Grid trigger got: its Botless event, or None for Event Grid's lifecycle notice."""
    return dispatch(TRIGGERS, trigger, expected="no Event Grid delivery")


def _refused_schema(trigger: Any) -> CloudEvent:
    kind = getattr(trigger, "event_type", None) or type(trigger).__name__
    raise EventValidationError(
        f"Event Grid delivered {kind!r} in the Event Grid schema; Botless subscriptions must use "
        "the CloudEvents 1.0 schema (event_delivery_schema = CloudEventSchemaV1_0)"
    )


def _lifecycle_notice(trigger: Any) -> None:
    return None


def _anything(trigger: Any) -> bool:
    return True


def _event_of_cloud_event(trigger: Any) -> CloudEvent:
    attributes: dict[str, Any] = {}
    for name in _CORE:
        value = getattr(trigger, name, None)
        if value is not None:
            attributes[name] = _timestamp(value) if isinstance(value, datetime) else str(value)
    attributes.update({name: str(value) for name, value in trigger.extension_attrs.items()})
    missing = [name for name in ("id", "source", "type") if not attributes.get(name)]
    if missing:
        raise EventValidationError(f"Event Grid CloudEvent without {', '.join(missing)}")
    # As delivered: the SDK would lower-case a bad extension name into a good one.
    validate_attributes(attributes)
    data = trigger.get_json()
    try:
        check_json_value(data, "the Event Grid event's data")
    except JsonInputError as error:
        raise EventValidationError(str(error)) from None
    return validated(CloudEvent(attributes, data))  # checked once, here at its door


# The two schemas a subscription can deliver in: the CloudEvents one, or a clear error.
SCHEMAS: tuple[Trigger[CloudEvent], ...] = (
    Trigger("cloudevents-1.0", is_cloud_event, _event_of_cloud_event),
    Trigger("event-grid-schema", _anything, _refused_schema),
)
# What an Event Grid trigger receives, tried in order: lifecycle notices are explicit no-ops.
TRIGGERS: tuple[Trigger[CloudEvent | None], ...] = (
    Trigger("subscription-lifecycle", is_subscription_event, _lifecycle_notice),
    *SCHEMAS,
)


def _timestamp(value: datetime) -> str:
    # Event Grid times are UTC; a naive datetime from the worker is written as such (RFC 3339).
    return (value if value.tzinfo else value.replace(tzinfo=UTC)).isoformat()


def to_azure_event(event: CloudEvent) -> Any:
    """The `azure.core.messaging.CloudEvent` for `event`: same id, time, data and extensions."""
    from azure.core.messaging import CloudEvent as AzureCloudEvent

    attributes = event.get_attributes()
    extensions = {name: str(value) for name, value in attributes.items() if name not in _CORE}
    time = attributes.get("time")
    return AzureCloudEvent(
        source=attributes["source"],
        type=attributes["type"],
        id=attributes["id"],
        time=datetime.fromisoformat(str(time)) if time else None,
        subject=attributes.get("subject"),
        dataschema=attributes.get("dataschema"),
        datacontenttype=attributes.get("datacontenttype") or "application/json",
        data=event.data,
        extensions=extensions or None,
    )
