"""The Knative driver: the role services under uvicorn on 127.0.0.1, joined by a stand-in Broker.

`RecordingBroker` is test scaffolding, not a broker: it has Knative's Broker/Trigger
shape (an ingress on `POST /`, Triggers filtering on the type exactly or by prefix, a
subscriber's reply event re-entering the Broker) and nothing else: no ordering, no
persistence, and no retries unless asked for (`retries`: a 5xx answer is delivered again
after `backoff` seconds, as a Trigger's delivery spec does). A delivery that fails (past
its retries) is recorded as a dead letter; every answer is in `answers`.

Invocations are counted by each role service itself (`counted`, in front of its app in
the same uvicorn server): every request but `GET /healthz` is one, the public service's
a `webhook`, a pipeline role's a `bus` delivery (a Broker Trigger's), mono's bus face's
a `deferred` one (the mono Triggers bring deferred work back).
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Iterator, Mapping
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from typing import Any

import httpx
from cloudevents.http import CloudEvent, from_http
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from core import events as ev
from core.wire import event_to_http
from providers.knative.app import build_app
from providers.knative.dedupe import store_from_env
from providers.knative.sink import KnativeSink
from tests.servers import uvicorn_server
from tests.targets.driver import BUS, DEFERRED, WEBHOOK, CountsInvocations, HttpResult, InvocationLog
from tests.targets.scenarios import bot_for


@dataclass(frozen=True)
class Trigger:
    """A Knative Trigger: deliver events whose type equals `exact` or starts with `prefix`."""

    name: str
    subscriber: str
    exact: str = ""
    prefix: str = ""

    def matches(self, event: CloudEvent) -> bool:
        kind = event["type"]
        return kind == self.exact if self.exact else kind.startswith(self.prefix)


class RecordingBroker:
    """Knative Broker stand-in: records every event it receives and delivers it per Trigger."""

    def __init__(self, max_hops: int = 10, *, retries: int = 0, backoff: float = 0.2) -> None:
        self.triggers: list[Trigger] = []
        self.answers: list[tuple[str, CloudEvent, int]] = []
        self.retries = retries
        self.backoff = backoff
        self.received: list[tuple[CloudEvent, Mapping[str, str]]] = []
        self.dead_letters: list[tuple[str, CloudEvent, int]] = []
        self.max_hops = max_hops
        self._in_flight = 0
        self._idle = threading.Condition()
        self._tasks: set[asyncio.Task[None]] = set()

    def app(self) -> Starlette:
        async def ingress(request: Request) -> Response:
            event = from_http(dict(request.headers), await request.body())
            self._accept(event, dict(request.headers), hops=0)
            return Response(status_code=202)

        return Starlette(routes=[Route("/", ingress, methods=["POST"])])

    def wait_idle(self, timeout: float = 10.0) -> bool:
        """True once no event is being delivered (False when `timeout` ran out first)."""
        deadline = time.monotonic() + timeout
        with self._idle:
            while self._in_flight and time.monotonic() < deadline:
                self._idle.wait(deadline - time.monotonic())
            return self._in_flight == 0

    def _accept(self, event: CloudEvent, headers: Mapping[str, str], hops: int) -> None:
        self.received.append((event, headers))
        with self._idle:
            self._in_flight += 1
        task = asyncio.get_running_loop().create_task(self._deliver(event, hops))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _deliver(self, event: CloudEvent, hops: int) -> None:
        try:
            for trigger in [t for t in self.triggers if t.matches(event)]:
                headers, body = event_to_http(event, "binary")
                for attempt in range(self.retries + 1):
                    if attempt:
                        await asyncio.sleep(self.backoff)
                    async with httpx.AsyncClient(timeout=30) as client:
                        answer = await client.post(trigger.subscriber, headers=headers, content=body)
                    self.answers.append((trigger.name, event, answer.status_code))
                    if answer.status_code < 500:
                        break
                if answer.status_code >= 300:
                    self.dead_letters.append((trigger.name, event, answer.status_code))
                elif answer.status_code == 200 and answer.content and hops < self.max_hops:
                    reply = from_http(dict(answer.headers), answer.content)
                    self._accept(reply, dict(answer.headers), hops + 1)
        finally:
            with self._idle:
                self._in_flight -= 1
                self._idle.notify_all()


def counted(app: Any, role: str, trigger: str, log: InvocationLog) -> Any:
    """`app` (ASGI), recording each request it serves, but `GET /healthz`, as an invocation of `role`."""
    async def serve(scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "http" and scope["path"] != "/healthz":
            log.record(role, trigger)
        await app(scope, receive, send)

    return serve


class KnativeDriver(CountsInvocations):
    """A TargetDriver for Knative: posts to the receive (or mono) service, waits on the Broker."""

    target = "knative"

    def __init__(self, topology: str, entry_url: str, broker: RecordingBroker, broker_url: str = "",
                 invocation_log: InvocationLog | None = None) -> None:
        self.topology = topology
        self.entry_url = entry_url
        self.broker = broker
        self.broker_url = broker_url  # the Broker's ingress (POST a CloudEvent to publish it)
        self.invocation_log = invocation_log or InvocationLog()  # the role services record into it

    async def post(self, path: str, headers: Mapping[str, str], body: bytes) -> HttpResult:
        async with httpx.AsyncClient(timeout=30) as client:
            answer = await client.post(self.entry_url + path, headers=dict(headers), content=body)
        return HttpResult(answer.status_code, dict(answer.headers), answer.content)

    async def settle(self, timeout: float = 10.0) -> None:
        await asyncio.to_thread(self.broker.wait_idle, timeout)

    def failed_deliveries(self) -> list[str]:
        """The Broker's deliveries a service refused (it retries a 5xx, then dead-letters)."""
        return [f"{trigger} answered {status} to {event['type']} {event['id']}"
                for trigger, event, status in self.broker.answers if status >= 300]


@contextmanager
def start_knative(topology: str, env: Mapping[str, str],
                  overrides: Mapping[str, str] | None = None, *, retries: int = 0) -> Iterator[KnativeDriver]:
    """Run one topology: each role service and the Broker stand-in on 127.0.0.1.

    Every service's bot remembers deliveries in the Redis of `BOTLESS_REDIS_URL` when `env`
    names one (as app_from_env does), else in its own memory. `retries`: the Broker's, on a 5xx.
    """
    with ExitStack() as stack:
        broker = RecordingBroker(retries=retries)
        broker_url = stack.enter_context(uvicorn_server(broker.app()))
        log = InvocationLog()

        def serve(role: str, sink: bool, routes: str = "webhooks") -> str:
            app = build_app(bot_for(env, store_from_env(env)), role,
                            KnativeSink(broker_url, overrides) if sink else None, routes=routes)
            # The services with a sink are the public ones; the others are the Triggers' subscribers.
            trigger = WEBHOOK if sink else DEFERRED if role == "mono" else BUS
            return stack.enter_context(uvicorn_server(counted(app, role, trigger, log)))

        if topology == "mono":
            # As deployed: the public Service serves the webhooks, a cluster-local one `POST /`.
            entry = serve("mono", sink=True)
            bus = serve("mono", sink=False, routes="bus")
            # The mono Triggers: deferred chat messages and deferred commands come back.
            broker.triggers += [Trigger("mono-message", bus + "/", exact=ev.CHAT_MESSAGE),
                                Trigger("mono-command", bus + "/", prefix=ev.COMMAND_PREFIX)]
        else:
            entry = serve("receive", sink=True)
            broker.triggers += [
                Trigger("parse", serve("parse", sink=False) + "/", exact=ev.CHAT_MESSAGE),
                Trigger("command", serve("command", sink=False) + "/", prefix=ev.COMMAND_PREFIX),
                Trigger("respond", serve("respond", sink=False) + "/", exact=ev.BOT_RESPONSE),
            ]
        yield KnativeDriver(topology, entry, broker, broker_url, log)
