"""The roster: each contestant's folder, interpreter flags, settings, and how its platform loads and calls it.

Lambda contestants run with `-I -S`: their folder and a folder holding only the runtime's
boto3 on the path, nothing else (the Lambda Python runtime). The others run with `-I` on
this venv's site-packages, their folder first (the platform installs their requirements).
The Lambda contestants Botless, bolt-python and the floor also post a reply to a mention
(`posts`: the reply-posted scenario). `bolt` names the contestant each figure's ratio is taken against.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from bench import hosts, peers, shipped
from bench.fixture import SECRET, TOKEN

NOWHERE = "http://127.0.0.1:9"  # no call leaves a fast slash command; any that did would fail here
BOTO3 = ("boto3", "botocore", "dateutil", "jmespath", "s3transfer", "urllib3", "six")
STARLETTE_DEPS = ("starlette", "anyio", "idna", "typing_extensions")


@dataclass
class Contestant:
    name: str
    family: str  # lambda, gcf, azure, knative: which bolt figure it is compared with
    folder: Path
    flags: tuple[str, ...]
    path: list[str]
    load: str
    call: str
    env: dict[str, str] = field(default_factory=dict)
    botless: bool = False
    posts: bool = False  # measured in the reply-posted scenario too (bench/posted.py)


def base_env(**extra: str) -> dict[str, str]:
    """A clean environment: Slack's settings, no cloud reachable, nothing of the parent's.

    Entry points stay on, as every target deploys them (infra/ never sets BOTLESS_ENTRY_POINTS):
    the Lambda zip reads the ones it froze. GCF, Azure and Knative run on this venv, which
    holds far more distributions than their deployed one: their scan would measure this venv,
    so they get BOTLESS_ENTRY_POINTS=0 (`on_this_venv`).
    """
    return {"PATH": "/usr/bin:/bin", "HOME": "/tmp", "LANG": "C.UTF-8", "SLACK_SIGNING_SECRET": SECRET,
            "SLACK_BOT_TOKEN": TOKEN, "SLACK_API_URL": f"{NOWHERE}/api",
            "BOTLESS_TOPOLOGY": "mono", "BOTLESS_ROLE": "mono", **extra}


AWS = {"AWS_LAMBDA_FUNCTION_NAME": "botless-mono", "AWS_REGION": "eu-west-1", "AWS_DEFAULT_REGION": "eu-west-1",
       "AWS_ACCESS_KEY_ID": "bench", "AWS_SECRET_ACCESS_KEY": "bench", "AWS_ENDPOINT_URL": NOWHERE}


def _lambda(name: str, folder: Path, runtime: Path, handler: str, botless: bool = False,
            posts: bool = False) -> Contestant:
    return Contestant(name, "lambda", folder, ("-I", "-S"), [str(folder), str(runtime)],
                      hosts.lambda_load(handler), hosts.LAMBDA_CALL, base_env(**AWS), botless, posts)


def on_this_venv(env: dict[str, str]) -> dict[str, str]:
    """`env` for a contestant that runs on this venv's site-packages: no entry-point scan (see base_env)."""
    return {**env, "BOTLESS_ENTRY_POINTS": "0"}


def _gcf(name: str, folder: Path, target: str, botless: bool = False, aio: bool = False) -> Contestant:
    """An `aio` function (Botless's `mono`, the aio peer): functions-framework serves it as an ASGI app."""
    env = base_env(BOTLESS_GCP_PROJECT="bench", PUBSUB_EMULATOR_HOST="127.0.0.1:9",
                   BOTLESS_PUBSUB_TOPIC_DEFERRED="deferred", BOTLESS_DEFER_TOKEN="bench")
    return Contestant(name, "gcf", folder, ("-I",), [str(folder)], hosts.gcf_load(target, str(folder / "main.py")),
                      hosts.gcf_call(asgi=aio), on_this_venv(env), botless)


def _azure(name: str, folder: Path, botless: bool = False) -> Contestant:
    env = base_env(BOTLESS_EVENTGRID_ENDPOINT=f"{NOWHERE}/api/events", BOTLESS_EVENTGRID_KEY="bench")
    return Contestant(name, "azure", folder, ("-I",), [str(folder)], hosts.AZURE_LOAD, hosts.AZURE_CALL,
                      on_this_venv(env), botless)


def knative_env() -> dict[str, str]:
    """The mono Knative Service's settings (what `botless manifests` deploys), its K_SINK nowhere."""
    from tooling.packaging.knative import KnativeOptions, manifests

    [service] = [o for o in manifests(KnativeOptions(image="botless", commands=()))
                 if o["kind"] == "Service" and o["metadata"]["name"] == "botless-mono"]
    [container] = service["spec"]["template"]["spec"]["containers"]
    return base_env(**{e["name"]: e["value"] for e in container["env"] if "value" in e}, K_SINK=f"{NOWHERE}/sink")


def _knative(name: str, folder: Path, module: str, botless: bool = False) -> Contestant:
    return Contestant(name, "knative", folder, ("-I",), [str(folder)], hosts.asgi_load(module), hosts.ASGI_CALL,
                      on_this_venv(knative_env() if botless else base_env()), botless)


def _runtime(work: Path) -> Path:
    runtime = work / "lambda-runtime"
    if not runtime.exists():
        peers.vendor(runtime, *BOTO3)
    return runtime


# name -> how to make it under a work folder (only the chosen ones are built).
MAKERS: dict[str, Callable[[Path], Contestant]] = {
    "botless-lambda": lambda w: _lambda("botless-lambda", shipped.built("aws-lambda", w / "botless-lambda"),
                                        _runtime(w), shipped.lambda_handler(), botless=True, posts=True),
    "bolt-lambda": lambda w: _lambda("bolt-lambda", peers.write(w / "bolt-lambda", "handler.py", peers.BOLT_LAMBDA,
                                                                "slack_bolt", "slack_sdk"),
                                     _runtime(w), "handler.handler", posts=True),
    "mangum-starlette": lambda w: _lambda("mangum-starlette",
                                          peers.write(w / "mangum", "handler.py", peers.MANGUM, "mangum",
                                                      *STARLETTE_DEPS), _runtime(w), "handler.handler"),
    "mangum-bare": lambda w: _lambda("mangum-bare", peers.write(w / "mangum-bare", "handler.py", peers.MANGUM_BARE,
                                                                "mangum", "typing_extensions"),
                                     _runtime(w), "handler.handler"),
    "floor": lambda w: _lambda("floor", peers.write(w / "floor", "handler.py", peers.FLOOR), _runtime(w),
                               "handler.handler", posts=True),
    "botless-gcf": lambda w: _gcf("botless-gcf", shipped.built("gcf", w / "botless-gcf"), "mono", botless=True,
                                  aio=True),
    "bolt-gcf": lambda w: _gcf("bolt-gcf", peers.write(w / "bolt-gcf", "main.py", peers.BOLT_GCF), "slack"),
    "functions-framework": lambda w: _gcf("functions-framework",
                                          peers.write(w / "ff", "main.py", peers.FUNCTIONS_FRAMEWORK), "slack"),
    "functions-framework-aio": lambda w: _gcf("functions-framework-aio",
                                              peers.write(w / "ff-aio", "main.py", peers.FUNCTIONS_FRAMEWORK_AIO),
                                              "slack", aio=True),
    "botless-azure": lambda w: _azure("botless-azure", shipped.built("azure", w / "botless-azure"), botless=True),
    "azure-v2": lambda w: _azure("azure-v2", peers.write(w / "azure-v2", "function_app.py", peers.AZURE)),
    "botless-knative": lambda w: _knative("botless-knative", shipped.built("knative", w / "botless-knative"),
                                          "functions.knative.app", botless=True),
    "starlette": lambda w: _knative("starlette", peers.write(w / "starlette", "service.py", peers.STARLETTE),
                                    "service"),
}
NAMES = tuple(MAKERS)
BOLT = {"lambda": "bolt-lambda", "gcf": "bolt-gcf"}  # the ratio's reference per family (else bolt-lambda)


def prepare(names: Sequence[str], work: Path, slack_api: str) -> list[Contestant]:
    """Build or write each chosen contestant's folder under `work`, in roster order; Slack's API at `slack_api`."""
    made = [MAKERS[name](work) for name in NAMES if name in names]
    for contestant in made:
        contestant.env["SLACK_API_URL"] = f"{slack_api}/api"
    return made
