"""`botless manifests`: valid against the upstream Knative schemas, plus the webhook's invariants."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

import core.loader
from core import events as ev
from core.chat.platform import Platform
from functions.local.cli import main
from tests.infra.knative_schemas import validate
from tooling.packaging.commands import command_names

ISSUER = "https://kubernetes.default.svc.cluster.local"


def printed(capsys, topology: str, *extra: str) -> list[dict]:
    assert main(["manifests", "--target", "knative", "--image", "ghcr.io/example/botless:1.0",
                 "--topology", topology, "--namespace", "bots", *extra]) == 0
    return list(yaml.safe_load_all(capsys.readouterr().out))


@pytest.mark.parametrize("oidc", [(), ("--oidc-issuer", ISSUER)], ids=["plain", "oidc"])
@pytest.mark.parametrize("topology", ["mono", "pipeline"])
def test_every_object_validates_against_its_upstream_schema(capsys, topology, oidc):
    objects = printed(capsys, topology, *oidc)
    for obj in objects:
        if obj["kind"] == "Secret":
            assert obj["apiVersion"] == "v1" and obj["type"] == "Opaque"
            continue
        assert validate(obj)


@pytest.mark.parametrize("topology", ["mono", "pipeline"])
def test_what_the_admission_webhook_checks_holds(capsys, topology):
    objects = printed(capsys, topology)
    services = set(services_of(objects))
    brokers = {o["metadata"]["name"] for o in objects if o["kind"] == "Broker"}
    triggers = [o for o in objects if o["kind"] == "Trigger"]
    assert triggers
    for trigger in triggers:
        spec = trigger["spec"]
        assert spec["broker"] in brokers
        assert spec["subscriber"]["ref"]["name"] in services  # every Trigger has a subscriber that exists
        assert all(isinstance(v, str) for v in spec["filter"]["attributes"].values())
    for service in (o for o in objects if o["kind"] == "Service" and o["apiVersion"].startswith("serving")):
        container = service["spec"]["template"]["spec"]["containers"][0]
        assert container["image"] == "ghcr.io/example/botless:1.0"
        assert all(isinstance(v, str) for v in service["spec"]["template"]["metadata"]["annotations"].values())
    binding = next(o for o in objects if o["kind"] == "SinkBinding")
    assert binding["spec"]["subject"]["name"] in services and binding["spec"]["sink"]["ref"]["name"] in brokers
    assert {o["metadata"]["namespace"] for o in objects} == {"bots"}


def test_pipeline_triggers_route_every_type_the_code_emits_to_its_role(capsys):
    objects = printed(capsys, "pipeline")
    routes = {o["spec"]["filter"]["attributes"]["type"]: o["spec"]["subscriber"]["ref"]["name"]
              for o in objects if o["kind"] == "Trigger"}
    expected = {ev.CHAT_MESSAGE: "botless-parse", ev.BOT_RESPONSE: "botless-respond"}
    expected.update({ev.command_type(name): "botless-command" for name in command_names()})
    assert routes == expected


def test_mono_gets_its_deferred_work_and_its_rate_limited_replies_back(capsys):
    objects = printed(capsys, "mono")
    routes = {o["spec"]["filter"]["attributes"]["type"]: o["spec"]["subscriber"]["ref"]["name"]
              for o in objects if o["kind"] == "Trigger"}
    # The webhook defers a reply the platform rate-limited (RateLimited.pending) as a response event.
    assert routes == dict.fromkeys((ev.CHAT_MESSAGE, ev.BOT_RESPONSE, *(ev.command_type(n) for n in command_names())),
                                   "botless-mono-bus")
    roles = {e["value"] for o in objects if o["kind"] == "Service" for e in
             o["spec"]["template"]["spec"]["containers"][0]["env"] if e["name"] == "BOTLESS_ROLE"}
    assert roles == {"mono"}


def test_the_secret_holds_only_chat_secrets_from_the_environment(capsys, monkeypatch):
    monkeypatch.setenv("SLACK_SIGNING_SECRET", "s3cr3t")
    monkeypatch.setenv("BOTLESS_UNRELATED", "x")
    secret = next(o for o in printed(capsys, "mono") if o["kind"] == "Secret")
    assert secret["stringData"] == {"SLACK_SIGNING_SECRET": "s3cr3t"}


class _EchoPoint:
    """An installed package's `botless.platforms` entry point, publishing a platform with one secret."""

    name = "echo"

    @staticmethod
    def load() -> Platform:
        return Platform("echo", secrets=("ECHO_TOKEN",), config_from_env=dict, adapter=object)


def test_an_installed_platforms_secrets_go_in_the_secret_too(capsys, monkeypatch):
    monkeypatch.setattr(core.loader, "installed",
                        lambda group: [_EchoPoint] if group == core.loader.PLATFORM_ENTRY_POINT_GROUP else [])
    monkeypatch.setenv("ECHO_TOKEN", "t0ken")
    secret = next(o for o in printed(capsys, "mono") if o["kind"] == "Secret")
    assert secret["stringData"] == {"ECHO_TOKEN": "t0ken"}
    assert "no chat secret is set" not in capsys.readouterr().err
    monkeypatch.setenv("BOTLESS_ENTRY_POINTS", "0")  # installed platforms off: their secrets too
    secret = next(o for o in printed(capsys, "mono") if o["kind"] == "Secret")
    assert secret["stringData"] == {}


def test_a_setting_botless_cannot_use_is_an_error_not_a_manifest(capsys, monkeypatch):
    monkeypatch.setenv("BOTLESS_TOPOLOGY", "sideways")
    assert main(["manifests", "--target", "knative", "--image", "i"]) == 2
    assert "BOTLESS_TOPOLOGY" in capsys.readouterr().err


def services_of(objects: list[dict]) -> dict[str, dict]:
    return {o["metadata"]["name"]: o for o in objects
            if o["kind"] == "Service" and o["apiVersion"].startswith("serving")}


def env_of(service: dict) -> dict[str, str]:
    return {e["name"]: e["value"] for e in service["spec"]["template"]["spec"]["containers"][0]["env"]}


def is_cluster_local(service: dict) -> bool:
    return service["metadata"]["labels"].get("networking.knative.dev/visibility") == "cluster-local"


@pytest.mark.parametrize("topology", ["mono", "pipeline"])
def test_no_trigger_delivers_to_a_public_service(capsys, topology):
    objects = printed(capsys, topology)
    services = services_of(objects)
    subscribers = {o["spec"]["subscriber"]["ref"]["name"] for o in objects if o["kind"] == "Trigger"}
    public = {name for name, service in services.items() if not is_cluster_local(service)}
    assert public == {f"botless-{'mono' if topology == 'mono' else 'receive'}"}
    assert subscribers and subscribers.isdisjoint(public)
    assert all(is_cluster_local(services[name]) for name in subscribers)


def test_mono_is_one_image_in_two_services_a_public_webhook_face_and_a_cluster_local_bus_face(capsys):
    services = services_of(printed(capsys, "mono"))
    assert {name: env_of(s)["BOTLESS_KNATIVE_ROUTES"] for name, s in services.items()} == {
        "botless-mono": "webhooks", "botless-mono-bus": "bus"}
    assert {env_of(s)["BOTLESS_ROLE"] for s in services.values()} == {"mono"}
    assert is_cluster_local(services["botless-mono-bus"]) and not is_cluster_local(services["botless-mono"])
    assert len({s["spec"]["template"]["spec"]["containers"][0]["image"] for s in services.values()}) == 1


async def test_the_faces_the_manifests_give_serve_what_they_should(capsys):
    import httpx

    from providers.knative.app import app_from_env

    forged = (Path(__file__).parents[1] / "events" / "forged" / "slack_message.json").read_bytes()
    services = services_of(printed(capsys, "mono"))
    base = {"BOTLESS_ENTRY_POINTS": "0", "K_SINK": "http://127.0.0.1:9/"}  # the SinkBinding's, never called
    answers = {}
    for name, service in services.items():
        app = app_from_env({**base, **env_of(service)})
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://svc") as client:
            answers[name] = ((await client.post("/", content=forged,
                                                headers={"content-type": "application/cloudevents+json"})).status_code,
                             (await client.post("/slack/events", content=b"{}")).status_code)
    assert answers["botless-mono"][0] in (404, 405)  # the public face takes no CloudEvent
    assert answers["botless-mono-bus"][1] in (404, 405)  # the bus face serves no webhook
    # The bus face runs it (here up to the missing Slack token): cluster-local, only the Broker reaches it.
    assert answers["botless-mono-bus"][0] not in (404, 405, 401)


@pytest.mark.parametrize("topology", ["mono", "pipeline"])
def test_with_an_oidc_issuer_each_trigger_names_the_audience_its_subscriber_checks(capsys, topology):
    objects = printed(capsys, topology, "--oidc-issuer", ISSUER)
    services = services_of(objects)
    triggers = [o for o in objects if o["kind"] == "Trigger"]
    for trigger in triggers:
        subscriber = trigger["spec"]["subscriber"]
        env = env_of(services[subscriber["ref"]["name"]])
        assert subscriber["audience"] == env["BOTLESS_KNATIVE_OIDC_AUDIENCE"] == f"{subscriber['ref']['name']}.bots"
        assert env["BOTLESS_KNATIVE_OIDC_ISSUER"] == ISSUER
    audiences = {t["spec"]["subscriber"]["audience"] for t in triggers}
    assert len(audiences) == (1 if topology == "mono" else 3)  # one per subscriber Service, none shared
    for service in services.values():  # the public face has no bus route, so nothing to check there
        assert ("BOTLESS_KNATIVE_OIDC_AUDIENCE" in env_of(service)) == is_cluster_local(service)


def test_without_an_oidc_issuer_no_audience_is_set(capsys):
    objects = printed(capsys, "mono")
    assert all("audience" not in o["spec"]["subscriber"] for o in objects if o["kind"] == "Trigger")
    assert all("BOTLESS_KNATIVE_OIDC_AUDIENCE" not in env_of(s) for s in services_of(objects).values())


def test_infra_knative_declares_the_same_split_and_audiences():
    text = (Path(__file__).parents[2] / "infra" / "knative" / "main.tf").read_text()
    squeezed = " ".join(text.split())
    assert '"mono" = { role = "mono", routes = "webhooks" }' in squeezed
    assert '"mono-bus" = { role = "mono", routes = "bus" }' in squeezed
    assert 'public = ["receive", "mono"]' in squeezed
    # Every mono Trigger subscribes the bus face, never the public Service.
    assert '"mono-message" = { role = "mono-bus", type = "botless.chat.message" }' in squeezed
    assert '"mono-command-${name}" => { role = "mono-bus", type = type }' in squeezed
    assert "local.oidc ? { audience = local.audience_of[each.value.role] } : {}" in squeezed
    assert '{ name = "BOTLESS_KNATIVE_OIDC_AUDIENCE", value = local.audience_of[each.key] }' in squeezed
    from tooling.packaging.knative import KnativeOptions, audience

    # The audience Terraform gives (name-suffix.namespace) is the one the manifests give.
    options = KnativeOptions(image="i", commands=(), namespace="botless")
    assert audience(options, "mono-bus") == "botless-mono-bus.botless"
    assert 'audience_of = { for suffix, _ in local.services : suffix => "${var.name}-${suffix}.${var.namespace}" }' \
        in squeezed


@pytest.mark.parametrize("wiring", ["broker", "channels"])
def test_retry_after_max_is_on_every_delivery_only_when_asked_and_validates(capsys, wiring):
    # Knative's webhook refuses retryAfterMax unless delivery-retryafter is enabled, so it is opt-in.
    plain = printed(capsys, "mono", "--wiring", wiring)
    asked = printed(capsys, "mono", "--wiring", wiring, "--retry-after-max", "PT600S")
    carriers = {"Broker", "Channel"}
    assert all("retryAfterMax" not in o["spec"]["delivery"] for o in plain if o["kind"] in carriers)
    with_delivery = [o for o in asked if o["kind"] in carriers]
    assert with_delivery and all(o["spec"]["delivery"]["retryAfterMax"] == "PT600S" and validate(o)
                                 for o in with_delivery)
    # No Trigger or Subscription has a delivery of its own, so the Broker's (the Channel's) applies to each.
    assert all("delivery" not in o["spec"] for o in asked if o["kind"] in {"Trigger", "Subscription"})
