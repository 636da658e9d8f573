"""Azure Functions in-process, the way Microsoft documents unit tests, with a real Event Grid hop.

functions/azure/function_app.py is loaded fresh under the driver's environment, and its
indexed functions are called with `azure.functions` objects: an `HttpRequest` for the
HTTP routes; for the Event Grid triggers, the CloudEvent JSON decoded by the worker's
own converter (`EventGridEventInConverter`), exactly what the Python worker hands a
function. What the functions publish goes through the Azure SDK over HTTP to a stand-in
Event Grid topic on 127.0.0.1 that checks the key and records each CloudEvent;
`settle` delivers them to the subscribed functions (by type, as Event Grid filters do)
until nothing is left.

The driver is the Functions host here: each call of an indexed function is counted as an
invocation, the HTTP function's a `webhook`, an Event Grid trigger's a `bus` delivery
(pipeline) or a `deferred` one (mono_deferred, counted as the mono role it continues).
"""

from __future__ import annotations

import importlib.util
import json
import os
import threading
import uuid
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import azure.functions as func
from azure.functions import meta
from azure.functions.eventgrid import EventGridEventInConverter
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from core import events as ev
from tests.servers import uvicorn_server
from tests.targets.driver import BUS, DEFERRED, WEBHOOK, CountsInvocations, HttpResult, InvocationLog

REPO = Path(__file__).resolve().parents[3]
FUNCTION_APP = REPO / "functions" / "azure" / "function_app.py"
KEY = "eventgrid-test-key"


class EventGridStandIn:
    """An Event Grid topic endpoint: checks `aeg-sas-key`, records each CloudEvent it is sent."""

    def __init__(self, key: str = KEY) -> None:
        self.key = key
        self.received: list[dict[str, Any]] = []
        self.requests: list[dict[str, Any]] = []
        self.refuse_with = 0  # answer this status instead of accepting, when set
        self._lock = threading.Lock()
        self.url = ""

    @property
    def endpoint(self) -> str:
        return f"{self.url}/api/events"

    def app(self) -> Starlette:
        async def events(request: Request) -> Response:
            body = await request.body()
            with self._lock:
                self.requests.append({"headers": dict(request.headers), "query": dict(request.query_params),
                                      "body": body})
            if request.headers.get("aeg-sas-key") != self.key:
                return JSONResponse({"error": {"code": "Unauthorized"}}, status_code=401)
            if self.refuse_with:
                return JSONResponse({"error": {"code": "ServiceUnavailable"}}, status_code=self.refuse_with)
            if not request.headers.get("content-type", "").startswith("application/cloudevents-batch+json"):
                return JSONResponse({"error": {"code": "BadRequest"}}, status_code=400)
            with self._lock:
                self.received.extend(json.loads(body))
            return Response(status_code=200)

        return Starlette(routes=[Route("/api/events", events, methods=["POST"])])

    def take(self) -> list[dict[str, Any]]:
        with self._lock:
            taken, self.received = self.received, []
            return taken


@contextmanager
def event_grid_stand_in() -> Iterator[EventGridStandIn]:
    """Serve an EventGridStandIn on 127.0.0.1 for the length of the block."""
    stand_in = EventGridStandIn()
    with uvicorn_server(stand_in.app()) as url:
        stand_in.url = url
        yield stand_in


@contextmanager
def environment(env: Mapping[str, str]) -> Iterator[None]:
    """os.environ with `env` on top, for as long as the app is being built."""
    saved = dict(os.environ)
    os.environ.update(env)
    try:
        yield
    finally:
        os.environ.clear()
        os.environ.update(saved)


def load_function_app(env: Mapping[str, str]) -> func.FunctionApp:
    """functions/azure/function_app.py, executed fresh with `env`; its `app`."""
    with environment(env):
        spec = importlib.util.spec_from_file_location(f"function_app_{uuid.uuid4().hex}", FUNCTION_APP)
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
    return module.app


@dataclass
class FakeContext:
    """What the worker passes as `context` (only what the ASGI middleware reads)."""

    function_name: str
    invocation_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    function_directory: str = str(FUNCTION_APP.parent)
    trace_context: Any = None
    retry_context: Any = None
    thread_local_storage: Any = None


def http_request(method: str, path: str, headers: Mapping[str, str], body: bytes) -> func.HttpRequest:
    """The `func.HttpRequest` the worker builds for a request to the app's public URL."""
    url = f"https://botless-test.azurewebsites.net{path}"
    return func.HttpRequest(method=method, url=url, headers=dict(headers), body=body,
                            params=dict(p.split("=", 1) for p in urlsplit(url).query.split("&") if "=" in p),
                            route_params={"path": urlsplit(url).path.lstrip("/")})


def trigger_input(cloud_event: Mapping[str, Any]) -> Any:
    """What the worker passes an Event Grid trigger for one delivery in the CloudEvents schema."""
    return EventGridEventInConverter.decode(meta.Datum(json.dumps(cloud_event), "json"), trigger_metadata={})


def subscriber_of(topology: str, event_type: str) -> str | None:
    """Which function the Event Grid subscriptions of `topology` send `event_type` to."""
    if topology == "mono":
        return "mono_deferred"
    if event_type == ev.CHAT_MESSAGE:
        return "parse"
    if event_type.startswith(ev.COMMAND_PREFIX):
        return "command"
    if event_type == ev.BOT_RESPONSE:
        return "respond"
    return None


class AzureDriver(CountsInvocations):
    """One Azure Functions app, in one topology, its Event Grid topic a stand-in on loopback."""

    target = "azure"

    def __init__(self, topology: str, env: Mapping[str, str], event_grid: EventGridStandIn) -> None:
        self.topology = topology
        self.event_grid = event_grid
        self.env = {**env, "BOTLESS_TOPOLOGY": topology, "BOTLESS_EVENTGRID_ENDPOINT": event_grid.endpoint,
                    "BOTLESS_EVENTGRID_KEY": event_grid.key}
        self.app = load_function_app(self.env)
        self.functions = {fn.get_function_name(): fn for fn in self.app.get_functions()}
        self.delivered: list[tuple[str, dict[str, Any]]] = []
        self.failures: list[tuple[str, dict[str, Any], BaseException]] = []
        self.invocation_log = InvocationLog()

    @property
    def entry(self) -> str:
        return "mono" if self.topology == "mono" else "receive"

    async def call_http(self, method: str, path: str, headers: Mapping[str, str], body: bytes) -> func.HttpResponse:
        user_function = self.functions[self.entry].get_user_function()
        self.invocation_log.record(self.entry, WEBHOOK)
        return await user_function(http_request(method, path, headers, body), FakeContext(self.entry))

    async def post(self, path: str, headers: Mapping[str, str], body: bytes) -> HttpResult:
        answer = await self.call_http("POST", path, headers, body)
        return HttpResult(answer.status_code, dict(answer.headers), answer.get_body())

    async def deliver(self, function: str, cloud_event: Mapping[str, Any]) -> None:
        """Invoke an Event Grid trigger the way the host does for one delivery."""
        if function == "mono_deferred":
            self.invocation_log.record("mono", DEFERRED)
        else:
            self.invocation_log.record(function, BUS)
        await self.functions[function].get_user_function()(trigger_input(cloud_event))

    def failed_deliveries(self) -> list[str]:
        """The Event Grid deliveries whose trigger raised (Event Grid retries, then dead-letters)."""
        return [f"{function} raised {type(error).__name__}: {error} on {event['type']} {event['id']}"
                for function, event, error in self.failures]

    async def settle(self, timeout: float = 10.0) -> None:
        """Deliver everything sent to the topic (and what that causes) until nothing is left."""
        for _ in range(100):  # a hop limit: a loop of events would otherwise never settle
            pending = self.event_grid.take()
            if not pending:
                return
            for cloud_event in pending:
                function = subscriber_of(self.topology, cloud_event["type"])
                if function is None:
                    continue  # no subscription matches: Event Grid drops it
                self.delivered.append((function, cloud_event))
                try:
                    await self.deliver(function, cloud_event)
                except Exception as error:  # Event Grid would retry, then dead-letter it
                    self.failures.append((function, cloud_event, error))
        raise RuntimeError(f"azure/{self.topology}: events kept coming after 100 rounds (a loop?)")


@contextmanager
def azure_driver(topology: str, env: Mapping[str, str]) -> Iterator[AzureDriver]:
    """An AzureDriver with its own stand-in Event Grid topic."""
    with event_grid_stand_in() as event_grid:
        yield AzureDriver(topology, env, event_grid)


start_azure = azure_driver  # `start_<target>(topology, env)`, as every driver has one
