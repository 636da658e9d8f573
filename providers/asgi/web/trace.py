"""The trace of one chat message: each CloudEvent it caused, the role that handled it, and how long.

`trace_broker` wraps the triggers of an embedded broker so that every step it runs is
recorded while a `Tracer.recording()` block is open in the same task (the broker's
`asyncio.gather` copies the context into its tasks, so concurrent requests never see
each other's steps). In the pipeline each trigger is a role's function; in mono the one
function runs the whole chain, and the chain's step guard (core/roles.py) records each
role it runs, so both topologies show the same three steps of `/define crd`.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any

from cloudevents.http import CloudEvent

from core.bus import Broker, Subscriber, Trigger
from core.event_attributes import OPTIONAL_ATTRIBUTES, REQUIRED_ATTRIBUTES
from core.roles import CHAIN_ROLE, Roles, Step

_CORE_ATTRIBUTES = frozenset((*REQUIRED_ATTRIBUTES, *OPTIONAL_ATTRIBUTES))


@dataclass(frozen=True)
class TraceStep:
    """One event handled: its attributes, the role that ran on it, in which function, and the outcome."""

    type: str
    source: str
    id: str
    role: str  # the step of the flow: parse, command or respond
    function: str  # what is deployed: the role itself (pipeline) or mono
    ms: float
    outcome: str  # ok, or failed (the broker retries, then dead-letters)
    extensions: dict[str, str] = field(default_factory=dict)
    emitted: tuple[str, ...] = ()

    def as_json(self) -> dict[str, Any]:
        """The step as /api/chat's `trace` carries it (README, "The local server")."""
        return {"type": self.type, "source": self.source, "id": self.id, "role": self.role,
                "function": self.function, "ms": round(self.ms, 3), "outcome": self.outcome,
                "extensions": self.extensions, "emitted": list(self.emitted)}


_steps: ContextVar[list[TraceStep] | None] = ContextVar("botless_trace", default=None)


class Tracer:
    """Collects the steps of the requests that open `recording()`; nothing is kept outside one."""

    @contextmanager
    def recording(self) -> Iterator[list[TraceStep]]:
        """A list that fills with the steps run in this task (and the tasks it starts) until the block ends."""
        steps: list[TraceStep] = []
        token = _steps.set(steps)
        try:
            yield steps
        finally:
            _steps.reset(token)

    async def run(self, function: str, role: str, event: CloudEvent, step: Step) -> list[CloudEvent]:
        """Run `step` (role `role` inside `function`) on `event`, recording it when a recording is open."""
        steps = _steps.get()
        if steps is None:
            return await step(event)
        outcome, produced = "failed", []
        started = time.perf_counter()
        try:
            produced = await step(event)
            outcome = "ok"
        finally:
            ms = (time.perf_counter() - started) * 1000
            steps.append(_step(event, role, function, ms, outcome, produced))
        return produced


def _step(event: CloudEvent, role: str, function: str, ms: float, outcome: str,
          produced: list[CloudEvent]) -> TraceStep:
    attributes = event.get_attributes()
    return TraceStep(
        type=str(attributes["type"]), source=str(attributes["source"]), id=str(attributes["id"]),
        role=role, function=function, ms=ms, outcome=outcome,
        extensions={name: str(value) for name, value in attributes.items() if name not in _CORE_ATTRIBUTES},
        emitted=tuple(str(e["type"]) for e in produced),
    )


def trace_broker(broker: Broker, roles: Roles) -> Tracer:
    """Wrap every trigger of `broker` (built by Bot.broker for `roles`) so its steps are traced."""
    tracer = Tracer()
    broker.triggers = [Trigger(t.name, _traced(tracer, t, roles), exact=t.exact, prefix=t.prefix)
                       for t in broker.triggers]
    return tracer


def _traced(tracer: Tracer, trigger: Trigger, roles: Roles) -> Subscriber:
    if trigger.name == CHAIN_ROLE:
        async def chain(event: CloudEvent) -> list[CloudEvent]:
            # mono runs every role in one call: its step guard sees each one.
            return await roles.run(CHAIN_ROLE, event,
                                   guard=lambda role, current, step: tracer.run(CHAIN_ROLE, role, current, step))

        return chain

    async def one_role(event: CloudEvent) -> list[CloudEvent]:
        return await tracer.run(trigger.name, trigger.name, event, trigger.subscriber)

    return one_role
