"""Artifacts run where they deploy (issue 11.4): each built artifact, alone, answers a signed slash command.

Lambda: the zip unpacked, on the path alone with the runtime's boto3, its handler the one
infra/aws_lambda names, fed Function URL events. Cloud Functions: the source folder with
its requirements.txt in a fresh venv, served by the `functions-framework` CLI. Azure:
the folder with its requirements.txt in a fresh venv, function_app.py indexed through
azure.functions. Knative: the build context's Dockerfile steps and CMD in a fresh venv.
"""

from __future__ import annotations

import json
import shlex
import subprocess
import sys
import uuid
from contextlib import ExitStack
from pathlib import Path

import pytest

from tests.packaging import deployed, fresh_envs
from tests.packaging.deployed import (
    INFRA,
    SLACK_PATH,
    assert_acknowledged,
    assert_refused,
    assert_replied,
    slash_command,
)
from tests.packaging.fresh_envs import clean_env, post
from tests.servers import free_port
from tests.targets.drivers.gcf import PROJECT, pubsub_emulator  # noqa: F401 - the session's emulator fixture
from tooling.packaging.knative import KnativeOptions, manifests

pytestmark = pytest.mark.slow  # pip, fresh venvs and servers, in subprocesses



@pytest.fixture
def recorder():
    with deployed.stand_in() as recording:
        yield recording


# -- AWS Lambda ------------------------------------------------------------------------

# The runtime's loop, reduced: import the handler string, then one event in, one answer out, per line.
_LAMBDA_RUNTIME = """
import importlib, json, sys
task, runtime, handler_string = sys.argv[1:]
sys.path[:0] = [task, runtime]
module_name, _, name = handler_string.rpartition(".")
module = importlib.import_module(module_name)
assert module.__file__.startswith(task), module.__file__
handler = getattr(module, name)
for line in sys.stdin:
    print(json.dumps(handler(json.loads(line), None)), flush=True)
"""


@pytest.fixture(scope="session")
def lambda_task(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """The unpacked zip, and a folder with only the runtime's boto3 (and what boto3 imports)."""
    where = tmp_path_factory.mktemp("lambda")
    task = deployed.built("aws-lambda", where)
    runtime = deployed.boto3_only(where / "runtime")
    return task, runtime


def test_the_lambda_zip_answers_a_signed_slash_command_through_its_handler(lambda_task, recorder, tmp_path):
    task, runtime = lambda_task
    role = deployed.mono_role(INFRA / "aws_lambda/main.tf")
    template = json.loads(deployed.terraform_value(INFRA / "aws_lambda/lambda.tf", "handler"))
    handler = template.replace("${each.key}", role)
    env = clean_env(**recorder.env(), BOTLESS_ROLE=role, AWS_LAMBDA_FUNCTION_NAME="botless-mono",
                    AWS_REGION="eu-west-1", AWS_DEFAULT_REGION="eu-west-1", AWS_ACCESS_KEY_ID="x",
                    AWS_SECRET_ACCESS_KEY="x", AWS_ENDPOINT_URL=recorder.url)
    command = [sys.executable, "-I", "-S", "-c", _LAMBDA_RUNTIME, str(task), str(runtime), handler]
    with deployed.LineProcess(command, env=env, cwd=tmp_path) as runtime_loop:
        answer = runtime_loop.call(deployed.function_url_event(*slash_command(recorder, "lambda-ok")))
        queued = recorder.of("invoke")
        if assert_acknowledged(answer["statusCode"], answer["body"].encode(), [r.body for r in queued]):
            runtime_loop.call(queued[0].json)  # what Lambda does with an Event invoke: the same function, next
            assert_replied(recorder)
        recorder.clear()
        forged = runtime_loop.call(deployed.function_url_event(*slash_command(recorder, "lambda-forged", forged=True)))
        assert_refused(forged["statusCode"], recorder)


# -- Cloud Functions -------------------------------------------------------------------

@pytest.fixture(scope="session")
def gcf_source(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """The unpacked source folder, and a fresh venv with its requirements.txt installed."""
    where = tmp_path_factory.mktemp("gcf")
    source = deployed.built("gcf", where)
    python = fresh_envs.fresh_venv(where / "venv", "-r", str(source / "requirements.txt"))
    return source, python


def test_the_cloud_functions_source_answers_under_the_functions_framework_cli(gcf_source, recorder, pubsub_emulator,
                                                                             tmp_path):
    source, python = gcf_source
    assert deployed.terraform_value(INFRA / "gcf/functions.tf", "entry_point") == "each.key"
    entry = deployed.mono_role(INFRA / "gcf/main.tf")
    topic = f"deferred-{uuid.uuid4().hex[:8]}"
    topic_path = pubsub_emulator.publisher.topic_path(PROJECT, topic)
    pubsub_emulator.publisher.create_topic(name=topic_path)
    tap = pubsub_emulator.subscriber.subscription_path(PROJECT, f"tap-{topic}")
    pubsub_emulator.subscriber.create_subscription(name=tap, topic=topic_path)
    token = uuid.uuid4().hex
    env = clean_env(python, **recorder.env(), BOTLESS_ROLE=entry, BOTLESS_GCP_PROJECT=PROJECT,
                    PUBSUB_EMULATOR_HOST=pubsub_emulator.host_port, BOTLESS_PUBSUB_TOPIC_DEFERRED=topic,
                    BOTLESS_DEFER_TOKEN=token)
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    command = [str(python.parent / "functions-framework"), "--target", entry, "--source", "main.py",
               "--host", "127.0.0.1", "--port", str(port)]
    with fresh_envs.serving(command, cwd=source, env=env, url=f"{url}/healthz", log=tmp_path / "ff.log"):
        # The push subscription infra/gcf makes: the deferred topic back to this function.
        push = pubsub_emulator.subscriber.subscription_path(PROJECT, f"push-{topic}")
        endpoint = f"{url}/_botless/deferred?token={token}"
        pubsub_emulator.subscriber.create_subscription(
            request={"name": push, "topic": topic_path, "push_config": {"push_endpoint": endpoint}})
        try:
            status, body = post(f"{url}{SLACK_PATH}", *slash_command(recorder, "gcf-ok"))
            if assert_acknowledged(status, body, deployed.pulled(pubsub_emulator, tap) if not body.strip() else []):
                assert_replied(recorder)  # the emulator pushed it back, as Pub/Sub does
            recorder.clear()
            status, _ = post(f"{url}{SLACK_PATH}", *slash_command(recorder, "gcf-forged", forged=True))
            assert_refused(status, recorder)
        finally:
            # Otherwise the emulator keeps pushing to a stopped function.
            pubsub_emulator.subscriber.delete_subscription(subscription=push)


# -- Azure Functions -------------------------------------------------------------------

@pytest.fixture(scope="session")
def azure_app(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    where = tmp_path_factory.mktemp("azure")
    folder = deployed.built("azure", where)
    return folder, fresh_envs.fresh_venv(where / "venv", "-r", str(folder / "requirements.txt"))


# As the Python worker does: index function_app.py's `app`; call its HTTP function with an HttpRequest,
# its Event Grid function with what the worker's own converter makes of a delivery.
_AZURE_HOST = """
import asyncio, json, sys, uuid
folder = sys.argv[1]
sys.path.insert(0, folder)
import azure.functions as func
from azure.functions import meta
from azure.functions.eventgrid import EventGridEventInConverter
import function_app
assert function_app.__file__.startswith(folder), function_app.__file__
functions = {f.get_trigger().get_binding_name(): f for f in function_app.app.get_functions()}
class Context:  # what the worker passes as `context`
    function_name = functions["httpTrigger"].get_function_name()
    invocation_id = str(uuid.uuid4())
    function_directory = folder
    trace_context = retry_context = thread_local_storage = None
def call(function, *arguments):
    answer = function.get_user_function()(*arguments)
    return asyncio.run(answer) if asyncio.iscoroutine(answer) else answer
for line in sys.stdin:
    asked = json.loads(line)
    if "delivery" in asked:
        datum = meta.Datum(json.dumps(asked["delivery"]), "json")
        call(functions["eventGridTrigger"], EventGridEventInConverter.decode(datum, trigger_metadata={}))
        print("{}", flush=True)
        continue
    request = func.HttpRequest(method="POST", url="https://botless.azurewebsites.net" + asked["path"],
                               headers=asked["headers"], params={}, route_params={"path": asked["path"][1:]},
                               body=asked["body"].encode())
    answer = call(functions["httpTrigger"], request, Context())
    print(json.dumps({"status": answer.status_code, "body": answer.get_body().decode()}), flush=True)
"""


def test_the_azure_folder_is_indexed_and_its_functions_answer(azure_app, recorder, tmp_path):
    folder, python = azure_app
    env = clean_env(python, **recorder.env(), BOTLESS_EVENTGRID_ENDPOINT=f"{recorder.url}/api/events",
                    BOTLESS_EVENTGRID_KEY="event-grid-key")

    def request(headers: dict[str, str], body: bytes) -> dict[str, str]:
        return {"path": SLACK_PATH, "headers": headers, "body": body.decode()}

    with deployed.LineProcess([str(python), "-I", "-c", _AZURE_HOST, str(folder)], env=env, cwd=tmp_path) as host:
        ok = host.call(request(*slash_command(recorder, "azure-ok")))
        sent = recorder.of("event-grid")
        if assert_acknowledged(ok["status"], ok["body"].encode(), [r.body for r in sent]):
            [delivery] = sent[0].json  # Event Grid delivers each event of the batch on its own
            host.call({"delivery": delivery})
            assert_replied(recorder)
        recorder.clear()
        forged = host.call(request(*slash_command(recorder, "azure-forged", forged=True)))
        assert_refused(forged["status"], recorder)


# -- Knative ---------------------------------------------------------------------------

# Run outside Docker, each with the reason it needs no translation.
_SKIPPED_RUN = {"useradd": "the image's user account: a change to the image's /etc, not to what runs"}


@pytest.fixture(scope="session")
def knative_image(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, fresh_envs.Dockerfile]:
    """The build context's Dockerfile carried out in a fresh venv: the app folder, its python, the Dockerfile."""
    where = tmp_path_factory.mktemp("knative")
    context = deployed.built("knative", where)
    dockerfile = fresh_envs.Dockerfile.parse((context / "Dockerfile").read_text())
    app = where / "app"  # the WORKDIR
    dockerfile.copy_into(context, app)
    python = fresh_envs.fresh_venv(where / "venv")
    # PIP_NO_CACHE_DIR keeps the image small; here pip's cache only makes reruns fast.
    env = {**fresh_envs.install_env(), **{k: v for k, v in dockerfile.env.items() if k != "PIP_NO_CACHE_DIR"}}
    for run in dockerfile.runs:
        for step in (shlex.split(part) for part in run.split("&&")):
            if step[0] in _SKIPPED_RUN:
                continue
            if step[:2] == ["pip", "install"]:
                fresh_envs.pip(python, *step[2:], cwd=app, env=env)
            else:
                assert step[0] == "python", f"a RUN step this test cannot translate: {step}"
                subprocess.run([str(python), *step[1:]], cwd=app, env=env, check=True)
    return app, python, dockerfile


def service_env(name: str) -> dict[str, str]:
    """The env of the Knative Service `name` of the mono manifests (what `botless manifests` deploys)."""
    [service] = [o for o in manifests(KnativeOptions(image="botless", commands=()))
                 if o["kind"] == "Service" and o["metadata"]["name"] == name]
    [container] = service["spec"]["template"]["spec"]["containers"]
    return {e["name"]: e["value"] for e in container["env"]}


def test_the_knative_context_runs_its_dockerfile_cmd_and_answers(knative_image, recorder, tmp_path):
    app, python, dockerfile = knative_image
    command = [part.replace("--host 0.0.0.0", "--host 127.0.0.1") for part in dockerfile.cmd]
    assert command != dockerfile.cmd, "the CMD no longer binds --host 0.0.0.0: translate its host here"
    urls = {}
    with ExitStack() as services:
        # The public face (its SinkBinding's K_SINK here) and the cluster-local one the Triggers call.
        for name in ("botless-mono", "botless-mono-bus"):
            port = free_port()
            # The image's ENV, then what the Service sets, the SinkBinding's K_SINK and Knative's PORT.
            env = clean_env(python, **{**dockerfile.env, **recorder.env(), **service_env(name),
                                       "PORT": str(port), "K_SINK": f"{recorder.url}/sink"})
            started = fresh_envs.serving(command, cwd=app, env=env, url=f"http://127.0.0.1:{port}",
                                       log=tmp_path / f"{name}.log")
            urls[name] = services.enter_context(started)
        status, body = post(f"{urls['botless-mono']}{SLACK_PATH}", *slash_command(recorder, "knative-ok"))
        sent = recorder.of("sink")
        if assert_acknowledged(status, body, [r.body for r in sent]):
            # The Broker's delivery through the mono Trigger: the same CloudEvent, to the bus face.
            headers = {k: v for k, v in sent[0].headers.items() if k.startswith("ce-") or k == "content-type"}
            assert post(f"{urls['botless-mono-bus']}/", headers, sent[0].body)[0] in (200, 202, 204)
            assert_replied(recorder)
        recorder.clear()
        status, _ = post(f"{urls['botless-mono']}{SLACK_PATH}",
                         *slash_command(recorder, "knative-forged", forged=True))
        assert_refused(status, recorder)
