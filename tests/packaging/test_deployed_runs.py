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
import shutil
import subprocess
import sys
import tarfile
import time
import uuid
import zipfile
from pathlib import Path

import pytest

from tests.packaging.deployed import (
    INFRA,
    SLACK_PATH,
    Dockerfile,
    assert_acknowledged,
    assert_refused,
    clean_env,
    fresh_venv,
    install_env,
    mono_role,
    pip,
    post,
    serving,
    slash_command,
    stand_in,
    terraform_value,
)
from tests.servers import free_port
from tests.targets.drivers.gcf import PROJECT, pubsub_emulator  # noqa: F401 - the session's emulator fixture
from tests.targets.scenarios import UPTIME
from tooling.packaging import PackageOptions, package
from tooling.packaging.bytecode import this_version
from tooling.packaging.knative import KnativeOptions, manifests
from tooling.pubsub_emulator import PubSubEmulator

pytestmark = pytest.mark.slow  # pip, fresh venvs and servers, in subprocesses

EVENTS = Path(__file__).resolve().parents[1] / "events"


def built(target: str, out: Path) -> Path:
    """The Slack-only artifact of `target` for this Python (so its bytecode is what runs), unpacked."""
    result = package(PackageOptions(target=target, out=out / "out", platforms=("slack",), env={},
                                    python_version=this_version()))
    unpacked = out / "artifact"
    if tarfile.is_tarfile(result.artifact.path):
        with tarfile.open(result.artifact.path) as archive:
            archive.extractall(unpacked, filter="data")
    else:
        with zipfile.ZipFile(result.artifact.path) as archive:
            archive.extractall(unpacked)
    return unpacked


@pytest.fixture
def recorder():
    with stand_in() as recording:
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
    import boto3
    import botocore

    where = tmp_path_factory.mktemp("lambda")
    task = built("aws-lambda", where)
    runtime = where / "runtime"
    for module in (boto3, botocore):
        shutil.copytree(Path(module.__file__).parent, runtime / module.__name__)
    for name in ("dateutil", "jmespath", "s3transfer", "urllib3", "six.py"):
        found = next((Path(p) / name for p in sys.path if (Path(p) / name).exists()), None)
        if found is not None:
            (shutil.copytree if found.is_dir() else shutil.copy)(found, runtime / name)
    return task, runtime


def function_url_event(headers: dict[str, str], body: bytes) -> dict[str, object]:
    event = json.loads((EVENTS / "aws/function_url_post_iam.json").read_text())
    for absent in ("cookies", "queryStringParameters"):
        event.pop(absent, None)
    event.update(rawPath=SLACK_PATH, rawQueryString="", body=body.decode(), isBase64Encoded=False,
                 headers={**headers, "host": event["requestContext"]["domainName"], "user-agent": "Slackbot"})
    event["requestContext"]["http"].update(method="POST", path=SLACK_PATH)
    return event


def test_the_lambda_zip_answers_a_signed_slash_command_through_its_handler(lambda_task, recorder, tmp_path):
    task, runtime = lambda_task
    role = mono_role(INFRA / "aws_lambda/main.tf")
    template = json.loads(terraform_value(INFRA / "aws_lambda/lambda.tf", "handler"))
    handler = template.replace("${each.key}", role)
    env = clean_env(**recorder.env(), BOTLESS_ROLE=role, AWS_LAMBDA_FUNCTION_NAME="botless-mono",
                    AWS_REGION="eu-west-1", AWS_DEFAULT_REGION="eu-west-1", AWS_ACCESS_KEY_ID="x",
                    AWS_SECRET_ACCESS_KEY="x", AWS_ENDPOINT_URL=recorder.url)
    with (tmp_path / "stderr").open("wb") as stderr:
        process = subprocess.Popen([sys.executable, "-I", "-S", "-c", _LAMBDA_RUNTIME, str(task), str(runtime),
                                    handler], env=env, cwd=tmp_path, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                   stderr=stderr, text=True)

    def invoke(event: object) -> dict[str, object]:
        assert process.stdin and process.stdout
        process.stdin.write(json.dumps(event) + "\n")
        process.stdin.flush()
        line = process.stdout.readline()
        assert line, (tmp_path / "stderr").read_text()[-3000:]
        return json.loads(line)  # type: ignore[no-any-return]

    try:
        answer = invoke(function_url_event(*slash_command(recorder, "lambda-ok")))
        queued = recorder.of("invoke")
        assert_acknowledged(answer["statusCode"], str(answer.get("body", "")).encode(), [r.body for r in queued])
        for request in queued:  # what Lambda does with an Event invoke: the same function, next
            invoke(request.json)
        if queued:
            [reply] = recorder.of("response-url")
            assert UPTIME.fullmatch(reply.json["text"]), reply.body
        recorder.clear()
        forged = invoke(function_url_event(*slash_command(recorder, "lambda-forged", forged=True)))
        assert_refused(forged["statusCode"], recorder)  # type: ignore[arg-type]
    finally:
        process.stdin.close()  # type: ignore[union-attr]
        process.wait(timeout=15)
        process.stdout.close()  # type: ignore[union-attr]


# -- Cloud Functions -------------------------------------------------------------------

@pytest.fixture(scope="session")
def gcf_source(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """The unpacked source folder, and a fresh venv with its requirements.txt installed."""
    where = tmp_path_factory.mktemp("gcf")
    source = built("gcf", where)
    python = fresh_venv(where / "venv", "-r", str(source / "requirements.txt"))
    return source, python


def pulled(emulator: PubSubEmulator, subscription: str) -> list[bytes]:
    """What the subscription holds (the publish finished before the ack, so it is there or soon is)."""
    for _ in range(20):
        answer = emulator.subscriber.pull(request={"subscription": subscription, "max_messages": 10}, timeout=5)
        if answer.received_messages:
            return [m.message.data for m in answer.received_messages]
        time.sleep(0.1)  # the emulator's pull can be empty just after the publish
    return []


def test_the_cloud_functions_source_answers_under_the_functions_framework_cli(gcf_source, recorder, pubsub_emulator,
                                                                             tmp_path):
    source, python = gcf_source
    assert terraform_value(INFRA / "gcf/functions.tf", "entry_point") == "each.key"
    entry = mono_role(INFRA / "gcf/main.tf")
    topic = f"deferred-{uuid.uuid4().hex[:8]}"
    topic_path = pubsub_emulator.publisher.topic_path(PROJECT, topic)
    pubsub_emulator.publisher.create_topic(name=topic_path)
    tap = pubsub_emulator.subscriber.subscription_path(PROJECT, f"tap-{topic}")
    pubsub_emulator.subscriber.create_subscription(name=tap, topic=topic_path)
    env = clean_env(python, **recorder.env(), BOTLESS_ROLE=entry, BOTLESS_GCP_PROJECT=PROJECT,
                    PUBSUB_EMULATOR_HOST=pubsub_emulator.host_port, BOTLESS_PUBSUB_TOPIC_DEFERRED=topic,
                    BOTLESS_DEFER_TOKEN=uuid.uuid4().hex)
    port = free_port()
    command = [str(python.parent / "functions-framework"), "--target", entry, "--source", "main.py",
               "--host", "127.0.0.1", "--port", str(port)]
    with serving(command, cwd=source, env=env, url=f"http://127.0.0.1:{port}/healthz", log=tmp_path / "ff.log"):
        status, body = post(f"http://127.0.0.1:{port}{SLACK_PATH}", *slash_command(recorder, "gcf-ok"))
        assert_acknowledged(status, body, pulled(pubsub_emulator, tap) if not body.strip() else [])
        recorder.clear()
        status, _ = post(f"http://127.0.0.1:{port}{SLACK_PATH}", *slash_command(recorder, "gcf-forged", forged=True))
        assert_refused(status, recorder)


# -- Azure Functions -------------------------------------------------------------------

@pytest.fixture(scope="session")
def azure_app(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    where = tmp_path_factory.mktemp("azure")
    folder = built("azure", where)
    return folder, fresh_venv(where / "venv", "-r", str(folder / "requirements.txt"))


# As the Python worker does: index function_app.py's `app`, call its HTTP function with an HttpRequest.
_AZURE_HOST = """
import asyncio, json, sys, uuid
folder = sys.argv[1]
sys.path.insert(0, folder)
import azure.functions as func
import function_app
assert function_app.__file__.startswith(folder), function_app.__file__
[http] = [f for f in function_app.app.get_functions() if f.get_trigger().get_binding_name() == "httpTrigger"]
class Context:  # what the worker passes as `context`
    function_name = http.get_function_name()
    invocation_id = str(uuid.uuid4())
    function_directory = folder
    trace_context = retry_context = thread_local_storage = None
for line in sys.stdin:
    asked = json.loads(line)
    request = func.HttpRequest(method="POST", url="https://botless.azurewebsites.net" + asked["path"],
                               headers=asked["headers"], params={}, route_params={"path": asked["path"][1:]},
                               body=asked["body"].encode())
    answer = http.get_user_function()(request, Context())
    answer = asyncio.run(answer) if asyncio.iscoroutine(answer) else answer
    print(json.dumps({"status": answer.status_code, "body": answer.get_body().decode()}), flush=True)
"""


def test_the_azure_folder_is_indexed_and_its_http_function_answers(azure_app, recorder, tmp_path):
    folder, python = azure_app
    env = clean_env(python, **recorder.env(), BOTLESS_EVENTGRID_ENDPOINT=f"{recorder.url}/api/events",
                    BOTLESS_EVENTGRID_KEY="event-grid-key")
    requests = [slash_command(recorder, "azure-ok"), slash_command(recorder, "azure-forged", forged=True)]
    lines = "".join(json.dumps({"path": SLACK_PATH, "headers": h, "body": b.decode()}) + "\n" for h, b in requests)
    done = subprocess.run([str(python), "-I", "-c", _AZURE_HOST, str(folder)], input=lines, env=env, cwd=tmp_path,
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stderr[-3000:]
    ok, forged = (json.loads(line) for line in done.stdout.strip().splitlines()[-2:])
    assert_acknowledged(ok["status"], ok["body"].encode(), [r.body for r in recorder.of("event-grid")])
    recorder.clear()  # the forged one came second: nothing after the first one's hand-off
    assert_refused(forged["status"], recorder)


# -- Knative ---------------------------------------------------------------------------

# Run outside Docker, each with the reason it needs no translation.
_SKIPPED_RUN = {"useradd": "the image's user account: a change to the image's /etc, not to what runs"}


@pytest.fixture(scope="session")
def knative_image(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, Dockerfile]:
    """The build context's Dockerfile carried out in a fresh venv: the app folder, its python, the Dockerfile."""
    where = tmp_path_factory.mktemp("knative")
    context = built("knative", where)
    dockerfile = Dockerfile.parse((context / "Dockerfile").read_text())
    app = where / "app"  # the WORKDIR
    dockerfile.copy_into(context, app)
    python = fresh_venv(where / "venv")
    # PIP_NO_CACHE_DIR keeps the image small; here pip's cache only makes reruns fast.
    env = {**install_env(), **{k: v for k, v in dockerfile.env.items() if k != "PIP_NO_CACHE_DIR"}}
    for run in dockerfile.runs:
        for step in (shlex.split(part) for part in run.split("&&")):
            if step[0] in _SKIPPED_RUN:
                continue
            if step[:2] == ["pip", "install"]:
                pip(python, *step[2:], cwd=app, env=env)
            else:
                assert step[0] == "python", f"a RUN step this test cannot translate: {step}"
                subprocess.run([str(python), *step[1:]], cwd=app, env=env, check=True)
    return app, python, dockerfile


def test_the_knative_context_runs_its_dockerfile_cmd_and_answers(knative_image, recorder, tmp_path):
    app, python, dockerfile = knative_image
    [service] = [o for o in manifests(KnativeOptions(image="botless", commands=()))
                 if o["kind"] == "Service" and o["metadata"]["name"] == "botless-mono"]
    [container] = service["spec"]["template"]["spec"]["containers"]
    port = free_port()
    # The image's ENV, then what the Service sets, its SinkBinding's K_SINK and Knative's PORT.
    env = clean_env(python, **{**dockerfile.env, **recorder.env(), **{e["name"]: e["value"] for e in container["env"]},
                               "PORT": str(port), "K_SINK": f"{recorder.url}/sink"})
    command = [part.replace("--host 0.0.0.0", "--host 127.0.0.1") for part in dockerfile.cmd]
    assert command != dockerfile.cmd, "the CMD no longer binds --host 0.0.0.0: translate its host here"
    with serving(command, cwd=app, env=env, url=f"http://127.0.0.1:{port}/healthz", log=tmp_path / "uvicorn.log"):
        status, body = post(f"http://127.0.0.1:{port}{SLACK_PATH}", *slash_command(recorder, "knative-ok"))
        assert_acknowledged(status, body, [r.body for r in recorder.of("sink")])
        recorder.clear()
        status, _ = post(f"http://127.0.0.1:{port}{SLACK_PATH}",
                         *slash_command(recorder, "knative-forged", forged=True))
        assert_refused(status, recorder)
