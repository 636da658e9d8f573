"""infra/knative declares what `botless manifests` prints: its restated tables equal the code's, and a plan
with terraform_data stand-ins (no cluster, no kubernetes provider) yields the very same objects."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path
from typing import NoReturn

import pytest

from core.chat.platforms import PLATFORMS
from core.sources.definition import Option, SourceDefinition
from core.sources.registry import SOURCES, source_definition
from tests.infra.conftest import TERRAFORM, copy_module, needs_terraform, run_terraform, terraform_env
from tests.infra.test_static import module_text, parsed
from tooling.packaging.knative import KnativeOptions, manifests


def knative_locals() -> dict:
    return {name: value for block in parsed("knative")["locals"] for name, value in block.items()}


def test_the_variables_offer_the_wirings_and_the_registered_sources():
    text = " ".join(module_text("knative").split())
    assert 'contains(["broker", "channels"], var.wiring)' in text
    [names] = re.findall(r"contains\(\[([^\]]*)\], s\)", text)
    assert tuple(json.loads(f"[{names}]")) == SOURCES


def test_the_restated_platforms_and_source_options_are_the_codes():
    found = knative_locals()
    assert tuple(found["platforms"]) == PLATFORMS
    options = {name: source_definition(name).options for name in SOURCES}
    assert found["source_options"] == {
        name: {"settings": [o.env for o in declared if not o.secret], "secrets": [o.env for o in declared if o.secret]}
        for name, declared in options.items()}


def restated(name: str) -> SourceDefinition:
    """The source as the module restates it (the test above keeps that equal to its module)."""
    table = knative_locals()["source_options"][name]
    options = (*(Option(env, "") for env in table["settings"]),
               *(Option(env, "", secret=True) for env in table["secrets"]))
    return SourceDefinition(name=name, summary="", options=options, build=_never_built)


def _never_built(*_: object) -> NoReturn:
    raise AssertionError("the manifests never build a source")


def _stand_in(module: Path) -> None:
    """Every Kubernetes resource as a terraform_data whose input is its manifest: the plan shows each object."""
    for path in module.glob("*.tf"):
        text = path.read_text()
        if path.name == "versions.tf":  # the kubernetes provider is neither needed nor installed
            path.unlink()
            continue
        text = text.replace('resource "kubernetes_manifest"', 'resource "terraform_data"')
        text = text.replace("  manifest = {", "  input = {").replace("kubernetes_manifest.", "terraform_data.")
        text = re.sub(r'resource "kubernetes_namespace_v1" "bot" \{.*?\n\}\n', "", text, flags=re.S)
        text = re.sub(r'resource "kubernetes_secret_v1" "chat" \{.*?\n\}\n',
                      'resource "terraform_data" "chat" {\n  input = {}\n}\n', text, flags=re.S)
        text = text.replace("kubernetes_secret_v1.chat", "terraform_data.chat")
        text = text.replace("var.create_namespace ? kubernetes_namespace_v1.bot[0].metadata[0].name : var.namespace",
                            "var.namespace")
        path.write_text(text)


@pytest.fixture(scope="module")
def stand_in(tmp_path_factory):
    scratch = tmp_path_factory.mktemp("knative")
    module = copy_module("knative", scratch)
    _stand_in(module)
    env = terraform_env(scratch)
    run_terraform(["init", "-backend=false"], module, env)
    return module, env


def planned(stand_in, variables: dict) -> dict[tuple[str, str], dict]:
    module, env = stand_in
    (module / "case.tfvars.json").write_text(json.dumps(variables))
    run_terraform(["plan", "-input=false", "-var-file=case.tfvars.json", "-out=case.plan"], module, env)
    shown = json.loads(run_terraform(["show", "-json", "case.plan"], module, env))
    objects = [change["change"]["after"]["input"] for change in shown["resource_changes"]]
    return {(o["kind"], o["metadata"]["name"]): o for o in objects if o}


COMMANDS = ("echo", "help_me")
CASES = {
    "pipeline-broker": {"topology": "pipeline"},
    "mono-broker": {"topology": "mono", "oidc_issuer": "https://issuer"},
    "pipeline-channels": {"topology": "pipeline", "wiring": "channels", "oidc_issuer": "https://issuer"},
    "mono-channels": {"topology": "mono", "wiring": "channels"},
    "pipeline-sources": {"topology": "pipeline", "sources": ["irc", "slack"], "oidc_issuer": "https://issuer",
                         "source_settings": {"IRC_SERVER": "irc.example.org:6697", "UNRELATED": "x"}},
    "mono-sources": {"topology": "mono", "sources": ["irc", "slack"], "oidc_issuer": "https://issuer",
                     "retry_after_max": "PT600S", "source_settings": {"IRC_NICK": "botless"}},
    "mono-channels-retry-after": {"topology": "mono", "wiring": "channels", "retry_after_max": "PT120S"},
}


@needs_terraform
@pytest.mark.slow  # terraform, in a subprocess
@pytest.mark.parametrize("case", CASES)
def test_the_module_plans_the_objects_the_manifests_print(stand_in, case):
    variables = {"image": "ghcr.io/example/botless:1.0", "commands": list(COMMANDS), **CASES[case]}
    options = KnativeOptions(
        image=variables["image"], commands=COMMANDS, topology=variables["topology"], namespace="botless",
        wiring=variables.get("wiring", "broker"), oidc_issuer=variables.get("oidc_issuer", ""),
        sources=tuple(restated(name) for name in variables.get("sources", ())),
        source_settings=variables.get("source_settings", {}), platforms=PLATFORMS,
        retry_after_max=variables.get("retry_after_max", ""),
    )
    printed = {(o["kind"], o["metadata"]["name"]): o for o in manifests(options) if o["kind"] != "Secret"}
    assert planned(stand_in, variables) == printed


@needs_terraform
@pytest.mark.slow  # terraform, in a subprocess
@pytest.mark.parametrize("topology", ["mono", "pipeline"])
def test_sources_the_wiring_cannot_answer_fail_the_plan_saying_what_to_change(stand_in, topology):
    variables = {"topology": topology, "wiring": "channels", "sources": ["irc"]}
    module, env = stand_in
    (module / "refused.tfvars.json").write_text(json.dumps({"image": "i", "commands": [], **variables}))
    assert TERRAFORM is not None
    done = subprocess.run([TERRAFORM, "plan", "-no-color", "-input=false", "-var-file=refused.tfvars.json"],
                          cwd=module, env=env, capture_output=True, text=True, timeout=240)
    assert done.returncode != 0
    said = " ".join(done.stderr.split())
    assert 'sources need wiring = "broker"' in said and "a Channel has no filter" in said
