"""`botless manifests --wiring channels`: Channels and Subscriptions, valid upstream, parse -> commands -> replies."""

from __future__ import annotations

import uuid

import pytest
import yaml

from core import events as ev
from core.bot import Bot
from core.settings import Settings
from functions.local.cli import main
from tests.infra.knative_schemas import validate

ISSUER = "https://kubernetes.default.svc.cluster.local"


def printed(capsys, topology: str, *extra: str) -> list[dict]:
    assert main(["manifests", "--target", "knative", "--image", "ghcr.io/example/botless:1.0", "--topology",
                 topology, "--namespace", "bots", "--wiring", "channels", "--no-secret", *extra]) == 0
    return list(yaml.safe_load_all(capsys.readouterr().out))


def of_kind(objects: list[dict], kind: str) -> list[dict]:
    return [o for o in objects if o["kind"] == kind]


def role_of(objects: list[dict], service: str) -> str:
    [found] = [o for o in objects if o["kind"] == "Service" and o["metadata"]["name"] == service]
    env = {e["name"]: e.get("value") for e in found["spec"]["template"]["spec"]["containers"][0]["env"]}
    return env["BOTLESS_ROLE"]


def wiring(objects: list[dict]) -> dict[tuple[str, str], str | None]:
    """(Channel, subscriber Service) -> the reply Channel, or None."""
    return {(s["spec"]["channel"]["name"], s["spec"]["subscriber"]["ref"]["name"]):
            s["spec"].get("reply", {}).get("ref", {}).get("name") for s in of_kind(objects, "Subscription")}


@pytest.mark.parametrize("oidc", [(), ("--oidc-issuer", ISSUER)], ids=["plain", "oidc"])
@pytest.mark.parametrize("topology", ["mono", "pipeline"])
def test_every_object_validates_against_its_upstream_schema(capsys, topology, oidc):
    objects = printed(capsys, topology, *oidc)
    assert of_kind(objects, "Channel") and of_kind(objects, "Subscription")
    assert all(validate(o) for o in objects)  # every kind here has a Knative schema
    assert not of_kind(objects, "Broker") and not of_kind(objects, "Trigger")


def test_pipeline_is_wired_as_the_seed_wires_it_parse_then_commands_then_replies(capsys):
    objects = printed(capsys, "pipeline")
    assert [c["metadata"]["name"] for c in of_kind(objects, "Channel")] == [
        "botless-chat-messages", "botless-commands", "botless-responses"]
    assert wiring(objects) == {
        ("botless-chat-messages", "botless-parse"): "botless-commands",
        ("botless-commands", "botless-command"): "botless-responses",
        # parse answers an unknown command itself: its reply lands on the commands Channel.
        ("botless-commands", "botless-respond"): None,
        ("botless-responses", "botless-respond"): None,
    }
    [binding] = of_kind(objects, "SinkBinding")
    assert binding["spec"]["subject"]["name"] == "botless-receive"
    assert binding["spec"]["sink"]["ref"] == {"apiVersion": "messaging.knative.dev/v1", "kind": "Channel",
                                              "name": "botless-chat-messages"}


def test_mono_defers_onto_one_channel_that_its_bus_face_takes_back(capsys):
    objects = printed(capsys, "mono")
    # mono-bus replies to its own Channel: a rate-limited reply it hands on alone comes back to it.
    assert wiring(objects) == {("botless-chat-messages", "botless-mono-bus"): "botless-chat-messages"}
    [binding] = of_kind(objects, "SinkBinding")
    assert binding["spec"]["subject"]["name"] == "botless-mono"
    assert binding["spec"]["sink"]["ref"]["name"] == "botless-chat-messages"


@pytest.mark.parametrize("topology", ["mono", "pipeline"])
def test_every_reference_resolves_and_no_subscription_reaches_a_public_service(capsys, topology):
    objects = printed(capsys, topology)
    channels = {c["metadata"]["name"] for c in of_kind(objects, "Channel")}
    services = {o["metadata"]["name"]: o for o in of_kind(objects, "Service")}
    for (channel, subscriber), reply in wiring(objects).items():
        assert channel in channels and (reply is None or reply in channels)
        labels = services[subscriber]["metadata"]["labels"]
        assert labels.get("networking.knative.dev/visibility") == "cluster-local"
    assert {o["metadata"]["namespace"] for o in objects} == {"bots"}


def test_with_an_oidc_issuer_each_subscription_names_the_audience_its_subscriber_checks(capsys):
    objects = printed(capsys, "pipeline", "--oidc-issuer", ISSUER)
    services = {o["metadata"]["name"]: o for o in of_kind(objects, "Service")}
    for subscription in of_kind(objects, "Subscription"):
        subscriber = subscription["spec"]["subscriber"]
        env = {e["name"]: e["value"] for e in
               services[subscriber["ref"]["name"]]["spec"]["template"]["spec"]["containers"][0]["env"]}
        assert subscriber["audience"] == env["BOTLESS_KNATIVE_OIDC_AUDIENCE"] == f"{subscriber['ref']['name']}.bots"


def test_name_prefixes_every_channel_and_its_references(capsys):
    objects = printed(capsys, "pipeline", "--name", "team")
    names = {c["metadata"]["name"] for c in of_kind(objects, "Channel")}
    assert names == {"team-chat-messages", "team-commands", "team-responses"}
    assert {ref for pair in wiring(objects).items() for ref in (pair[0][0], pair[1]) if ref} <= names


@pytest.mark.parametrize("topology", ["mono", "pipeline"])
@pytest.mark.parametrize("text, expected", [("/echo hi there", ["hi there"]), ("/ech hi", None)])
async def test_a_message_walked_through_the_manifests_graph_is_answered_once(capsys, topology, text, expected):
    """Deliver as the Channels would: every Subscription of a Channel, each answer to its reply Channel."""
    objects = printed(capsys, topology)
    graph = wiring(objects)
    bot = Bot(Settings(topology=topology, load_entry_points=False))

    async def deliver(channel: str, event) -> None:
        for (on, subscriber), reply in graph.items():
            if on != channel:
                continue
            answers = await bot.roles.run(role_of(objects, subscriber), event)
            assert reply is not None or not answers, f"{subscriber} answered with nowhere to send it"
            for answer in answers:
                await deliver(reply, answer)

    message = ev.ChatMessage(platform="console", text=text, user=ev.ChatUser(id="u"), channel="c",
                             message_id=str(uuid.uuid4()))
    [binding] = of_kind(objects, "SinkBinding")
    await deliver(binding["spec"]["sink"]["ref"]["name"], ev.chat_message_event(message, source="/test"))
    replies = [reply.text for reply in bot.outbox.take(message.message_id)]
    if expected is None:  # the "did you mean" parse answers itself, skipping the command hop
        assert len(replies) == 1 and "echo" in replies[0]
    else:
        assert replies == expected


def test_help_names_the_wiring_choice(capsys):
    with pytest.raises(SystemExit):
        main(["manifests", "--help"])
    out = " ".join(capsys.readouterr().out.split())
    assert "--wiring {broker,channels}" in out


def test_an_unknown_wiring_is_refused_by_the_cli(capsys):
    with pytest.raises(SystemExit):
        main(["manifests", "--target", "knative", "--image", "i", "--wiring", "sideways"])
    assert "invalid choice: 'sideways'" in capsys.readouterr().err
