"""`botless manifests --source`: a source's workload bound to the Broker, and its replies routed to it alone."""

from __future__ import annotations

import pytest
import yaml

from core import events as ev
from core.chat.platforms import PLATFORMS
from core.sources import registry
from core.sources.definition import Option, SourceDefinition
from functions.local.cli import main
from providers.knative.relay import SOURCES_SETTING
from tests.infra.knative_schemas import validate

ISSUER = "https://kubernetes.default.svc.cluster.local"
REAL_DEFINITION = registry.source_definition


def _never_built(*_):
    raise AssertionError("the manifests never build a source")


def fake(name: str) -> SourceDefinition:
    return SourceDefinition(name=name, summary="a fake source", build=_never_built, options=(
        Option(f"{name.upper()}_SERVER", "where to connect", flag="--server"),
        Option(f"{name.upper()}_TOKEN", "its login", secret=True),
    ))


FAKES = {source.name: source for source in (fake("fakeirc"), fake("slack"))}


@pytest.fixture(autouse=True)
def fake_sources(monkeypatch):
    """The fake sources by name; any other name is the registry's to refuse."""
    monkeypatch.setattr(registry, "source_definition", lambda name: FAKES.get(name) or REAL_DEFINITION(name))


def run(capsys, *extra: str, topology: str = "pipeline") -> tuple[int, str, str]:
    code = main(["manifests", "--target", "knative", "--image", "ghcr.io/example/botless:1.0",
                 "--topology", topology, "--namespace", "bots", *extra])
    out, err = capsys.readouterr()
    return code, out, err


def printed(capsys, *extra: str) -> list[dict]:
    code, out, err = run(capsys, *extra)
    assert code == 0, err
    return list(yaml.safe_load_all(out))


def named(objects: list[dict], kind: str, name: str) -> dict:
    [found] = [o for o in objects if o["kind"] == kind and o["metadata"]["name"] == name]
    return found


def container(objects: list[dict], source: str) -> dict:
    return named(objects, "Deployment", f"botless-{source}-source")["spec"]["template"]["spec"]["containers"][0]


@pytest.mark.parametrize("topology", ["pipeline", "mono"])
@pytest.mark.parametrize("oidc", [(), ("--oidc-issuer", ISSUER)], ids=["plain", "oidc"])
def test_every_object_validates_against_its_upstream_schema(capsys, oidc, topology):
    objects = printed(capsys, "--source", "fakeirc", "--source", "slack", "--topology", topology, *oidc)
    kinds = {o["kind"] for o in objects if validate(o)}
    assert {"Service", "Broker", "Trigger", "SinkBinding"} <= kinds
    assert "&id" not in yaml.safe_dump_all(objects)  # no YAML aliases from shared dicts


def test_the_source_runs_once_bound_to_the_broker_with_a_service_for_its_replies(capsys):
    objects = printed(capsys, "--source", "fakeirc")
    name = "botless-fakeirc-source"
    deployment = named(objects, "Deployment", name)
    assert deployment["spec"]["replicas"] == 1 and deployment["spec"]["strategy"] == {"type": "Recreate"}
    pods = deployment["spec"]["template"]["metadata"]["labels"]
    assert deployment["spec"]["selector"]["matchLabels"] == pods
    box = container(objects, "fakeirc")
    assert box["command"] == ["python", "-m", "functions.knative.source", "fakeirc"]
    assert box["image"] == "ghcr.io/example/botless:1.0"
    binding = named(objects, "SinkBinding", name)
    assert binding["spec"]["subject"] == {"apiVersion": "apps/v1", "kind": "Deployment", "name": name}
    assert binding["spec"]["sink"]["ref"]["kind"] == "Broker"
    assert binding["spec"]["sink"]["ref"]["name"] in {o["metadata"]["name"] for o in objects if o["kind"] == "Broker"}
    service = named(objects, "Service", name)
    assert service["apiVersion"] == "v1" and service["spec"]["selector"] == pods
    [port] = service["spec"]["ports"]
    assert port["targetPort"] == box["ports"][0]["containerPort"] == int(
        next(e["value"] for e in box["env"] if e["name"] == "PORT"))
    trigger = named(objects, "Trigger", name)
    assert trigger["spec"]["filter"]["attributes"] == {"type": ev.BOT_RESPONSE, ev.EXT_PLATFORM: "fakeirc"}
    assert trigger["spec"]["subscriber"]["ref"] == {"apiVersion": "v1", "kind": "Service", "name": name}


def subscribers_of(objects: list[dict], attributes: dict[str, str]) -> list[str]:
    """The subscribers of every Trigger whose filter matches an event (Knative: exact match on each attribute)."""
    return [t["spec"]["subscriber"]["ref"]["name"] for t in objects if t["kind"] == "Trigger"
            and all(attributes.get(key) == value for key, value in t["spec"]["filter"]["attributes"].items())]


# Who posts a webhook platform's reply, and who takes chat messages (a source's too), per topology.
BOT = {"pipeline": ("botless-respond", "botless-parse"), "mono": ("botless-mono-bus", "botless-mono-bus")}


@pytest.mark.parametrize("topology", BOT)
@pytest.mark.parametrize("sources", [("fakeirc",), ("slack",), ("fakeirc", "slack")])
def test_each_response_reaches_exactly_one_subscriber_the_source_for_its_platform(capsys, sources, topology):
    objects = printed(capsys, "--topology", topology, *(arg for name in sources for arg in ("--source", name)))
    responder, parser = BOT[topology]
    for platform in {*PLATFORMS, *sources}:
        expected = f"botless-{platform}-source" if platform in sources else responder
        response = {"type": ev.BOT_RESPONSE, ev.EXT_PLATFORM: platform}
        assert subscribers_of(objects, response) == [expected], platform
    # The rest of the flow is untouched: chat messages (the source's too) go to parse, or mono's bus face.
    assert subscribers_of(objects, {"type": ev.CHAT_MESSAGE, ev.EXT_PLATFORM: sources[0]}) == [parser]


def env_of(objects: list[dict], service: str) -> dict[str, str]:
    [box] = named(objects, "Service", service)["spec"]["template"]["spec"]["containers"]
    return {e["name"]: e.get("value", "") for e in box["env"]}


def test_under_mono_both_faces_relay_the_sources_platforms_to_the_broker(capsys):
    objects = printed(capsys, "--topology", "mono", "--source", "fakeirc", "--source", "slack")
    for face in ("botless-mono", "botless-mono-bus"):
        assert env_of(objects, face)[SOURCES_SETTING] == "fakeirc,slack"
        # Each face has K_SINK: the public one defers through the Broker, the bus face relays there.
        [binding] = [o for o in objects if o["kind"] == "SinkBinding" and o["spec"]["subject"]["name"] == face]
        assert binding["spec"]["sink"]["ref"] == {"apiVersion": "eventing.knative.dev/v1", "kind": "Broker",
                                                 "name": "botless"}
    # A relayed reply has a subscriber, its source, and it is not mono (that would loop).
    relayed = {"type": ev.BOT_RESPONSE, ev.EXT_PLATFORM: "fakeirc"}
    assert subscribers_of(objects, relayed) == ["botless-fakeirc-source"]


@pytest.mark.parametrize("topology", BOT)
def test_without_a_source_mono_relays_nothing(capsys, topology):
    objects = printed(capsys, "--topology", topology)
    services = [o["metadata"]["name"] for o in objects if o["kind"] == "Service"]
    assert all(SOURCES_SETTING not in env_of(objects, name) for name in services)
    assert [o["spec"]["subject"]["name"] for o in objects if o["kind"] == "SinkBinding"] == [
        "botless-mono" if topology == "mono" else "botless-receive"]


@pytest.mark.parametrize("topology", BOT)
def test_without_a_source_the_bot_keeps_one_trigger_for_every_response(capsys, topology):
    objects = printed(capsys, "--topology", topology)
    responder, _ = BOT[topology]
    assert [(t["spec"]["filter"]["attributes"], t["spec"]["subscriber"]["ref"]["name"]) for t in objects
            if t["kind"] == "Trigger" and t["spec"]["filter"]["attributes"]["type"] == ev.BOT_RESPONSE] == [
        ({"type": ev.BOT_RESPONSE}, responder)]


def test_secrets_reach_the_source_only_by_secret_key_ref_never_as_values(capsys, monkeypatch):
    monkeypatch.setenv("FAKEIRC_TOKEN", "s3cr3t-value")
    monkeypatch.setenv("FAKEIRC_SERVER", "irc.example.org:6697")
    objects = printed(capsys, "--source", "fakeirc")
    [secret] = [o for o in objects if o["kind"] == "Secret"]
    assert secret["stringData"]["FAKEIRC_TOKEN"] == "s3cr3t-value"  # the Secret holds it ...
    others = [o for o in objects if o["kind"] != "Secret"]
    assert "s3cr3t-value" not in yaml.safe_dump_all(others)  # ... and nothing else does
    env = {e["name"]: e for e in container(objects, "fakeirc")["env"]}
    assert env["FAKEIRC_TOKEN"]["valueFrom"] == {
        "secretKeyRef": {"name": secret["metadata"]["name"], "key": "FAKEIRC_TOKEN", "optional": True}}
    assert env["BOTLESS_REDIS_URL"]["valueFrom"]["secretKeyRef"]["name"] == secret["metadata"]["name"]
    config = named(objects, "ConfigMap", "botless-fakeirc-source")
    assert config["data"] == {"FAKEIRC_SERVER": "irc.example.org:6697"}
    assert env["FAKEIRC_SERVER"]["valueFrom"] == {
        "configMapKeyRef": {"name": "botless-fakeirc-source", "key": "FAKEIRC_SERVER", "optional": True}}
    assert all("value" not in e for e in env.values() if e["name"] != "PORT")


def test_with_an_oidc_issuer_the_source_checks_the_audience_its_trigger_names(capsys):
    objects = printed(capsys, "--source", "fakeirc", "--oidc-issuer", ISSUER)
    env = {e["name"]: e.get("value") for e in container(objects, "fakeirc")["env"]}
    trigger = named(objects, "Trigger", "botless-fakeirc-source")
    assert trigger["spec"]["subscriber"]["audience"] == env["BOTLESS_KNATIVE_OIDC_AUDIENCE"] == \
        "botless-fakeirc-source.bots"
    assert env["BOTLESS_KNATIVE_OIDC_ISSUER"] == ISSUER


@pytest.mark.parametrize("name", registry.SOURCES)
def test_each_registered_source_gets_every_option_it_declares(capsys, name, monkeypatch):
    monkeypatch.setattr(registry, "source_definition", REAL_DEFINITION)  # the real slack, not the fake
    definition = REAL_DEFINITION(name)
    objects = printed(capsys, "--source", name)
    for obj in objects:
        validate(obj)
    env = {e["name"]: e["valueFrom"] for e in container(objects, name)["env"] if "valueFrom" in e}
    for option in definition.options:
        assert ("secretKeyRef" if option.secret else "configMapKeyRef") in env[option.env], option.env


@pytest.mark.parametrize("extra, says", [
    (("--wiring", "channels"), "--wiring broker"),
    (("--topology", "mono", "--wiring", "channels"), "--wiring broker"),
])
def test_a_source_the_wiring_cannot_answer_is_refused_saying_what_to_change(capsys, extra, says):
    code, out, err = run(capsys, "--source", "fakeirc", *extra)
    assert code == 2 and out == ""
    assert "fakeirc" in err and says in err


def test_an_unknown_source_is_a_clear_error(capsys):
    code, out, err = run(capsys, "--source", "carrier-pigeon")
    assert code == 2 and out == ""
    assert "unknown chat source 'carrier-pigeon'" in err and all(name in err for name in registry.SOURCES)


def test_help_shows_the_source_option_and_the_registered_sources(capsys):
    with pytest.raises(SystemExit):
        main(["manifests", "--help"])
    out = " ".join(capsys.readouterr().out.split())
    assert "--source NAME" in out and all(name in out for name in registry.SOURCES)
