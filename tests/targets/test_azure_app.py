"""Azure Functions: what the FunctionApp indexes, its triggers' answers, the Event Grid publisher.

Functions are called through `app.get_functions()` / `get_user_function()` with
`azure.functions` objects, as Microsoft documents unit tests of the v2 model; Event Grid
deliveries are decoded by the worker's own converter (tests/drivers/azure.py).
"""

from __future__ import annotations

import asyncio
import json
import os
import typing
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from azure.functions import meta
from cloudevents.http import CloudEvent

from core import events as ev
from core.registry import Command, CommandSet
from providers.azure.config import AzureConfig
from providers.azure.eventgrid import event_from_trigger, to_azure_event
from providers.azure.publisher import EventGridPublisher
from providers.runtime import ConfigurationError, PublishError
from tests.services import service_fixture
from tests.targets.drivers.azure import (
    AzureDriver,
    EventGridStandIn,
    event_grid_stand_in,
    load_function_app,
    trigger_input,
)
from tests.targets.scenarios import StandInPlatformApi, slack_message, slack_slash_command

EVENTS = Path(__file__).resolve().parents[1] / "events" / "azure"
HOST_JSON = Path(__file__).resolve().parents[2] / "functions" / "azure" / "host.json"


@service_fixture(scope="module")  # uvicorn
def event_grid() -> Iterator[EventGridStandIn]:
    with event_grid_stand_in() as stand_in:
        yield stand_in


@pytest.fixture
def topic(event_grid: EventGridStandIn) -> Iterator[EventGridStandIn]:
    """The module's stand-in topic, emptied and accepting, for one test."""
    event_grid.take()
    event_grid.requests.clear()
    event_grid.refuse_with = 0
    yield event_grid
    event_grid.refuse_with = 0


def env_for(event_grid: EventGridStandIn, **extra: str) -> dict[str, str]:
    return {"BOTLESS_ENTRY_POINTS": "0", "BOTLESS_EVENTGRID_ENDPOINT": event_grid.endpoint,
            "BOTLESS_EVENTGRID_KEY": event_grid.key, **extra}


def chat_event(text: str = "/define crd", platform: str = "slack") -> CloudEvent:
    message = ev.ChatMessage(platform=platform, text=text, user=ev.ChatUser(id="W1"), channel="C1",
                             message_id="1.0001")
    return ev.chat_message_event(message, source="/botless/slack", reply_to="https://hooks.slack.com/x")


def bindings(app: Any) -> dict[str, list[dict[str, Any]]]:
    return {fn.get_function_name(): json.loads(fn.get_function_json())["bindings"] for fn in app.get_functions()}


# -- indexing -------------------------------------------------------------------------------

HTTP = [{"direction": "IN", "type": "httpTrigger", "name": "req", "methods": ["GET", "POST"],
         "authLevel": "ANONYMOUS", "route": "{*path}"}, {"direction": "OUT", "type": "http", "name": "$return"}]
EVENT_GRID = [{"direction": "IN", "type": "eventGridTrigger", "name": "event"}]


@pytest.mark.parametrize("extra, expected", [
    ({}, {"mono": HTTP, "mono_deferred": EVENT_GRID}),
    ({"BOTLESS_TOPOLOGY": "pipeline"},
     {"receive": HTTP, "parse": EVENT_GRID, "command": EVENT_GRID, "respond": EVENT_GRID}),
    ({"BOTLESS_ROLE": "command"}, {"command": EVENT_GRID}),
    ({"BOTLESS_ROLE": "respond", "BOTLESS_EVENTGRID_ENDPOINT": "", "BOTLESS_EVENTGRID_KEY": ""},
     {"respond": EVENT_GRID}),
    ({"BOTLESS_AZURE_WARMUP": "1"}, {"mono": HTTP, "mono_deferred": EVENT_GRID,
                                     "warmup": [{"direction": "IN", "type": "warmupTrigger", "name": "warmup"}]}),
])
def test_the_app_indexes_every_function_of_its_roles_with_its_bindings(topic, extra, expected):
    app = load_function_app(env_for(topic, **extra))
    assert bindings(app) == expected


def test_the_worker_accepts_every_parameter_and_return_type():
    """What the Python worker checks when it indexes: each annotation has a converter."""
    app = load_function_app({"BOTLESS_TOPOLOGY": "pipeline", "BOTLESS_EVENTGRID_ENDPOINT": "http://127.0.0.1:9",
                             "BOTLESS_EVENTGRID_KEY": "k", "BOTLESS_AZURE_WARMUP": "1"})
    for fn in app.get_functions():
        hints = typing.get_type_hints(fn.get_user_function())
        for binding in json.loads(fn.get_function_json())["bindings"]:
            converter = meta._ConverterMeta.get(binding["type"])
            if binding["name"] == "$return":
                assert converter.check_output_type_annotation(hints["return"]), fn.get_function_name()
            else:
                assert converter.check_input_type_annotation(hints[binding["name"]]), fn.get_function_name()


def test_host_json_serves_the_platforms_paths_and_has_the_event_grid_extension():
    host = json.loads(HOST_JSON.read_text())
    assert host["version"] == "2.0" and host["extensions"]["http"]["routePrefix"] == ""
    assert host["extensionBundle"]["id"] == "Microsoft.Azure.Functions.ExtensionBundle"


@pytest.mark.parametrize("env, message", [
    ({}, "needs the topic's endpoint: set BOTLESS_EVENTGRID_ENDPOINT"),
    ({"BOTLESS_EVENTGRID_ENDPOINT": "https://t.westeurope-1.eventgrid.azure.net/api/events"},
     "defers slow work to Event Grid and needs the topic's access key: set BOTLESS_EVENTGRID_KEY"),
    ({"BOTLESS_TOPOLOGY": "pipeline"}, "receive, parse, command function publishes to Event Grid"),
    ({"BOTLESS_ROLE": "sideways"}, "BOTLESS_ROLE='sideways'"),
])
def test_a_missing_setting_fails_indexing_loudly(env, message):
    with pytest.raises(ConfigurationError, match=message):
        load_function_app({"BOTLESS_EVENTGRID_ENDPOINT": "", "BOTLESS_EVENTGRID_KEY": "", **env})


# -- the converters -------------------------------------------------------------------------

def test_an_event_grid_delivery_becomes_the_botless_event_it_was_sent_as(topic):
    event = chat_event()
    asyncio.run(EventGridPublisher(AzureConfig(topic.endpoint, topic.key)).publish(event))
    [sent] = topic.take()
    back = event_from_trigger(trigger_input(sent))
    assert back.get_attributes() == {**event.get_attributes(), "time": back["time"]}
    assert back["time"].startswith(event["time"][:19])  # same instant (the SDK writes it with a Z)
    assert back.data == event.data


def test_the_sdk_sends_a_cloudevents_batch_with_the_key_and_the_events_own_id(topic):
    event = chat_event()
    asyncio.run(EventGridPublisher(AzureConfig(topic.endpoint, topic.key)).publish(event))
    [request] = topic.requests
    assert request["headers"]["aeg-sas-key"] == topic.key
    assert request["headers"]["content-type"].startswith("application/cloudevents-batch+json")
    [sent] = json.loads(request["body"])
    assert sent["id"] == event["id"] and sent["type"] == ev.CHAT_MESSAGE and sent["specversion"] == "1.0"
    assert sent[ev.EXT_PLATFORM] == "slack" and sent[ev.EXT_REPLY_TO] == "https://hooks.slack.com/x"


def test_a_documented_delivery_file_decodes():
    delivery = json.loads((EVENTS / "eventgrid_cloudevent.json").read_bytes())
    event = event_from_trigger(trigger_input(delivery))
    assert event["type"] == "botless.bot.command.define" and event.data["args"] == ["crd"]
    assert event[ev.EXT_CHANNEL] == "C222"


def test_an_event_grid_schema_delivery_is_refused_with_the_setting_to_fix():
    validation = json.loads((EVENTS / "subscription_validation.json").read_bytes())
    legacy = {**validation, "eventType": "botless.chat.message"}
    with pytest.raises(ev.EventValidationError, match="CloudEventSchemaV1_0"):
        event_from_trigger(trigger_input(legacy))


def test_to_azure_event_keeps_id_time_and_extensions():
    event = chat_event()
    azure_event = to_azure_event(event)
    assert azure_event.id == event["id"] and azure_event.time.isoformat() == event["time"]
    assert azure_event.extensions[ev.EXT_CHANNEL] == "C1" and azure_event.datacontenttype == "application/json"


# -- the publisher's failures ---------------------------------------------------------------

@pytest.mark.parametrize("config, refuse, message", [
    (lambda t: AzureConfig(t.endpoint, "wrong-key"), 0, "ClientAuthenticationError"),
    (lambda t: AzureConfig(t.endpoint, t.key), 503, "Event Grid refused event"),
    (lambda t: AzureConfig("http://127.0.0.1:9/api/events", "k", publish_timeout=2), 0, "Event Grid refused"),
])
def test_a_refused_send_is_a_publish_error(topic, config, refuse, message):
    topic.refuse_with = refuse
    with pytest.raises(PublishError, match=message):
        asyncio.run(EventGridPublisher(config(topic)).publish(chat_event()))


# -- the functions' answers -----------------------------------------------------------------

slow_commands = CommandSet()
gate: dict[str, asyncio.Event] = {}
ran: list[str] = []


@slow_commands.command(help="A declared-slow report", slow=True)
def report(command: Command) -> str:
    ran.append("report")
    return "report ready"


@slow_commands.command(help="Overruns the budget until the test opens its gate")
async def overrun(command: Command) -> str:
    ran.append("overrun")
    await gate.setdefault(command.raw_args, asyncio.Event()).wait()
    return f"overrun {command.raw_args} done"


@pytest.fixture
def driver(topic: EventGridStandIn, stand_in: StandInPlatformApi, request: pytest.FixtureRequest) -> AzureDriver:
    """An Azure app with the slow test commands; `@pytest.mark.parametrize('topology', ...)` picks it."""
    ran.clear()
    topology = getattr(request, "param", "mono")
    env = {**stand_in.env(), "BOTLESS_COMMANDS": __name__, "BOTLESS_SLOW_COMMAND_SECONDS": "0.2"}
    return AzureDriver(topology, env, topic)


async def test_mono_answers_first_and_the_slow_command_runs_in_mono_deferred(driver, stand_in, unique):
    stand_in.reset()
    headers, body = slack_message("/report", event_id=f"Ev{unique}", ts=f"{unique}.0001")
    answer = await driver.post("/slack/events", headers, body)
    assert answer.status == 200 and ran == [] and stand_in.calls == []
    await driver.settle()
    assert [f for f, _ in driver.delivered] == ["mono_deferred"] and driver.failures == []
    [reply] = stand_in.wait_for(1)
    assert reply.body["text"] == "report ready"


async def test_mono_defers_a_command_that_overruns_its_budget(driver, stand_in, unique):
    stand_in.reset()
    headers, body = slack_message(f"/overrun o{unique}", event_id=f"Ev{unique}", ts=f"{unique}.0002")
    answer = await driver.post("/slack/events", headers, body)
    assert answer.status == 200 and ran == ["overrun"] and stand_in.calls == []
    gate[f"o{unique}"].set()
    await driver.settle()
    assert ran == ["overrun", "overrun"] and driver.failures == []  # cancelled, then run whole again
    [reply] = stand_in.wait_for(1)
    assert reply.body["text"] == f"overrun o{unique} done"


@pytest.mark.parametrize("driver", ["mono", "pipeline"], indirect=True)
async def test_a_refused_hand_off_is_503_so_the_platform_retries(driver, topic, stand_in, unique):
    topic.refuse_with = 503
    # /report is declared slow: mono hands it off too (a fast command is answered in the ack).
    headers, body = slack_slash_command(stand_in.url, "/report", "", trigger=unique)
    answer = await driver.post("/slack/events", headers, body)
    assert answer.status == 503 and b"could not hand the message on" in answer.body


@pytest.mark.parametrize("driver", ["pipeline"], indirect=True)
async def test_triggers_fail_on_malformed_input_and_acknowledge_what_is_not_theirs(driver, topic):
    with pytest.raises(ev.EventValidationError, match="data.platform is required"):
        await driver.deliver("parse", {"specversion": "1.0", "id": "1", "source": "/x",
                                       "type": ev.CHAT_MESSAGE, "data": {"text": "hi"}})
    validation = json.loads((EVENTS / "subscription_validation.json").read_bytes())
    await driver.deliver("parse", validation)  # Event Grid's own handshake: a no-op
    await driver.deliver("parse", {"specversion": "1.0", "id": "2", "source": "/x", "type": "com.example.other",
                                   "data": {}})
    await driver.deliver("command", json.loads((EVENTS / "eventgrid_cloudevent.json").read_bytes())
                         | {"type": ev.CHAT_MESSAGE, "data": {"platform": "slack", "text": "/x"}})
    assert topic.take() == []


@pytest.mark.parametrize("driver", ["pipeline"], indirect=True)
async def test_a_refused_publish_fails_the_invocation_for_a_retry_and_an_unknown_platform_is_not_retried(
        driver, topic):
    # No responder is a permanent refusal: acknowledged and logged dead-lettered (test_rate_limits_azure.py).
    reply = ev.new_event(ev.BOT_RESPONSE, ev.BotResponse(text="hi", platform="nowhere"))
    await driver.deliver("respond", json.loads(json.dumps(_structured(reply))))
    topic.refuse_with = 503
    with pytest.raises(PublishError):
        await driver.deliver("parse", _structured(chat_event()))


def _structured(event: CloudEvent) -> dict[str, Any]:
    from cloudevents.conversion import to_dict

    return to_dict(event)


@pytest.mark.slow  # a fresh interpreter, to see what a cold start imports
def test_function_app_imports_no_other_cloud_and_eventgrid_only_when_it_first_sends():
    import subprocess
    import sys

    code = ("import sys, functions.azure.function_app\n"
            "print(sorted({m.split('.')[0] for m in sys.modules} & {'boto3', 'botocore', 'mangum', 'grpc', "
            "'functions_framework', 'flask'}), 'google.cloud.pubsub_v1' in sys.modules, "
            "'azure.eventgrid' in sys.modules)")
    env = {k: v for k, v in os.environ.items() if not k.startswith("BOTLESS_")}
    env = {**env, "BOTLESS_EVENTGRID_ENDPOINT": "http://127.0.0.1:9/api/events", "BOTLESS_EVENTGRID_KEY": "k"}
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, env=env,
                         cwd=str(HOST_JSON.parents[2]))
    assert run.returncode == 0, run.stderr
    assert run.stdout.split() == ["[]", "False", "False"]
