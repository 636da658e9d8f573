"""Azure Functions: the FunctionApp of functions/azure/function_app.py, invoked as the worker invokes it."""

from __future__ import annotations

import asyncio
import importlib
import inspect
import json
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from cloudevents.conversion import to_dict
from cloudevents.http import CloudEvent

from tooling.costing.samples import WebhookSample


@dataclass
class _Context:
    """What the Python worker passes as `context` (what the ASGI middleware reads)."""

    function_name: str
    invocation_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    function_directory: str = ""
    trace_context: Any = None
    retry_context: Any = None
    thread_local_storage: Any = None


EVENTGRID_KEY = "measure-key"


def environment(role: str, services: Mapping[str, str]) -> dict[str, str]:
    """Event Grid's topic endpoint, stood in for by the loopback platform server."""
    return {"BOTLESS_EVENTGRID_ENDPOINT": services["platform"] + "/eventgrid/api/events",
            "BOTLESS_EVENTGRID_KEY": EVENTGRID_KEY}


# infra/azure/function.tf: the app settings that are Key Vault references besides the chat secrets
# (BOTLESS_EVENTGRID_KEY, BOTLESS_TABLE_ACCOUNT_KEY).
OTHER_REFERENCES = 2


def count_secret_reads() -> Callable[[], dict[str, float]]:
    """Key Vault references of the function app: App Service fetches each once a day, not per cold start.

    One per chat secret the bot has (infra/azure `key_vault_refs`) and the app's other two.
    """
    import os

    from tooling.costing.counting import chat_secrets_set

    references = len(chat_secrets_set(os.environ)) + OTHER_REFERENCES
    return lambda: {"calls_per_cold_start": 0.0, "secure_strings_per_cold_start": 0.0,
                    "references": float(references)}


def load(role: str) -> Callable[[Any], None]:
    import azure.functions as func
    from azure.functions import meta
    from azure.functions.eventgrid import EventGridEventInConverter

    app = importlib.import_module("functions.azure.function_app").app
    functions = {fn.get_function_name(): fn.get_user_function() for fn in app.get_functions()}
    if role not in functions:
        raise RuntimeError(f"the Azure app indexed no {role!r} function (it has {sorted(functions)})")
    handler = functions[role]
    loop = asyncio.new_event_loop()

    def run(result: Any) -> Any:
        return loop.run_until_complete(result) if inspect.isawaitable(result) else result

    def call(sample: WebhookSample | CloudEvent) -> None:
        if isinstance(sample, WebhookSample):
            url = f"https://botless.azurewebsites.net{sample.path}"
            request = func.HttpRequest(method="POST", url=url, headers=sample.headers, body=sample.body,
                                       route_params={"path": sample.path.lstrip("/")})
            answer = run(handler(request, _Context(role)))
            if answer.status_code >= 400:
                raise RuntimeError(f"azure {role} answered {answer.status_code}")
        else:
            delivery = EventGridEventInConverter.decode(meta.Datum(json.dumps(to_dict(sample)), "json"),
                                                        trigger_metadata={})
            run(handler(delivery))

    return call
