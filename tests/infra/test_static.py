"""Every module: terraform fmt, parsing with python-hcl2, checkov; and the cross-checks with the code."""

from __future__ import annotations

import ast
import json
import os
import re
import subprocess
from pathlib import Path

import hcl2
import pytest

from core import events as ev
from tests.infra.conftest import INFRA, MODULES, REPO, TERRAFORM, needs_terraform
from tooling.packaging.commands import command_names
from tooling.packaging.knative import routes

CHECKOV = REPO / ".ci" / "checkov.sh"


def parsed(module: str) -> dict[str, list]:
    """All blocks of a module, merged over its files."""
    merged: dict[str, list] = {}
    for path in sorted((INFRA / module).glob("*.tf")):
        with path.open() as handle:
            for key, blocks in hcl2.load(handle).items():
                merged.setdefault(key, []).extend(blocks)
    return merged


def resources(module: str, kind: str) -> dict[str, dict]:
    found: dict[str, dict] = {}
    for block in parsed(module).get("resource", []):
        for resource_type, named in block.items():
            if resource_type == kind:
                found.update(named)
    return found


def value(attribute):
    """An attribute's value (python-hcl2 may wrap it in a one-item list)."""
    while isinstance(attribute, list) and len(attribute) == 1:
        attribute = attribute[0]
    return attribute


def module_text(module: str) -> str:
    return "\n".join(p.read_text() for p in sorted((INFRA / module).glob("*.tf")))


def defined_functions(path: Path) -> set[str]:
    tree = ast.parse(path.read_text())
    names = {n.name for n in tree.body if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))}
    names |= {t.id for n in tree.body if isinstance(n, ast.Assign) for t in n.targets if isinstance(t, ast.Name)}
    return names


@needs_terraform
@pytest.mark.slow  # terraform, in a subprocess
def test_terraform_fmt_check_passes():
    done = subprocess.run([TERRAFORM, "fmt", "-check", "-recursive", "-diff", "-no-color", str(INFRA)],
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr


@pytest.mark.parametrize("module", MODULES)
def test_every_module_parses_and_takes_the_common_variables(module):
    variables = {name for block in parsed(module)["variable"] for name in block}
    assert {"topology", "memory_size", "region", "commands"} <= variables
    assert ("image" if module == "knative" else "package_path") in variables
    outputs = {name for block in parsed(module)["output"] for name in block}
    assert {"slack_webhook_url", "discord_webhook_url", "telegram_webhook_url"} <= outputs


def test_offline_only_the_aws_provider_is_needed_by_the_aws_module():
    providers = {name for block in parsed("aws_lambda")["terraform"] for req in block["required_providers"]
                 for name in req}
    assert providers == {"aws"}


@pytest.mark.slow
def test_checkov_reports_no_failed_check_and_every_skip_has_a_reason(tmp_path):
    env = dict(os.environ)  # .ci/checkov.sh finds its venv in the cache folder (.ci/lib.sh)
    try:
        done = subprocess.run(["bash", str(CHECKOV), "-d", str(INFRA), "--framework", "terraform", "--compact",
                               "--skip-download", "-o", "json"], capture_output=True, text=True, env=env,
                              timeout=600)
    except subprocess.TimeoutExpired:
        pytest.fail("checkov did not finish in 10 minutes")
    if done.returncode not in (0, 1) or not done.stdout.strip().startswith(("{", "[")):
        if "venv" in done.stderr and "checkov" not in done.stdout:
            pytest.skip(f"checkov's virtualenv could not be created: {done.stderr[-500:]}")
        pytest.fail(f"checkov did not run: {done.stderr[-2000:]}")
    reports = json.loads(done.stdout)
    reports = reports if isinstance(reports, list) else [reports]
    failed = [(f["check_id"], f["resource"], f["file_path"]) for r in reports for f in r["results"]["failed_checks"]]
    assert failed == []
    skipped = [f for r in reports for f in r["results"]["skipped_checks"]]
    assert all(f["check_result"].get("suppress_comment", "").strip() for f in skipped)
    assert sum(r["summary"]["resource_count"] for r in reports) > 40


def test_every_checkov_skip_in_the_code_carries_its_reason_inline():
    for path in INFRA.rglob("*.tf"):
        for line in path.read_text().splitlines():
            if "checkov:skip" in line:
                assert re.search(r"#checkov:skip=CKV2?_[A-Z0-9_]+:\S.{10,}", line), f"{path.name}: {line.strip()}"


# --- cross-checks: Terraform names only what the code and the packages have ---------------

def test_lambda_handlers_exist_in_the_handler_module_and_roles_are_known():
    handler = value(resources("aws_lambda", "aws_lambda_function")["role"]["handler"])
    assert handler == "functions.aws_lambda.handler.${each.key}"
    text = module_text("aws_lambda")
    roles = set(re.findall(r'"(receive|parse|command|respond|mono)"', text))
    assert roles == {"receive", "parse", "command", "respond", "mono"}
    assert roles <= defined_functions(REPO / "functions/aws_lambda/handler.py")


def test_gcf_entry_points_exist_in_main_py():
    function = resources("gcf", "google_cloudfunctions2_function")["role"]
    assert value(value(function["build_config"])["entry_point"]) == "${each.key}"
    assert {"receive", "parse", "command", "respond", "mono"} <= defined_functions(REPO / "functions/gcf/main.py")


def test_gcf_topics_and_env_match_the_gcp_config():
    from providers.gcp.config import GcpConfig

    text = module_text("gcf")
    config = GcpConfig.from_env({})
    for env_name in ("BOTLESS_PUBSUB_TOPIC_CHAT_MESSAGE", "BOTLESS_PUBSUB_TOPIC_BOT_COMMAND",
                     "BOTLESS_PUBSUB_TOPIC_BOT_RESPONSE", "BOTLESS_PUBSUB_TOPIC_DEFERRED",
                     "BOTLESS_GCP_PROJECT", "BOTLESS_DEFER_TOKEN"):
        assert env_name in text
    for topic in (config.chat_message_topic, config.bot_command_topic, config.bot_response_topic,
                  config.deferred_topic):
        assert topic.replace("botless-", "${var.name}-") in text
    assert "/_botless/deferred?token=" in text
    from providers.gcp.target import DEFERRED_PATH

    assert DEFERRED_PATH == "/_botless/deferred"


def test_azure_function_names_are_the_ones_the_app_indexes():
    source = (REPO / "providers/azure/app.py").read_text()
    from providers.azure.config import TOPOLOGY_ROLES

    # Functions registered by a literal name (mono, mono_deferred, receive) or by their role's name.
    indexed = set(re.findall(r'_(?:http|event_grid)\(app, "([a-z_]+)"', source))
    indexed |= {role for roles in TOPOLOGY_ROLES.values() for role in roles if role != "mono"}
    names = set()
    for block in parsed("azure")["locals"]:
        if "routes" in block:
            names |= set(re.findall(r"'(parse|command|respond|mono_deferred)':", str(value(block["routes"]))))
    assert names and names <= indexed
    assert "/functions/${each.key}" in module_text("azure")
    for setting in ("BOTLESS_EVENTGRID_ENDPOINT", "BOTLESS_EVENTGRID_KEY", "BOTLESS_TOPOLOGY"):
        code = source + (REPO / "providers/azure/config.py").read_text() + (REPO / "core/settings.py").read_text()
        assert setting in module_text("azure") and setting in code


def test_lambda_env_names_are_read_by_the_code():
    code = "\n".join(p.read_text() for p in (REPO / "providers/aws").glob("*.py")) + \
        (REPO / "providers/runtime.py").read_text() + (REPO / "core/settings.py").read_text()
    environment = resources("aws_lambda", "aws_lambda_function")["role"]["environment"][0]["variables"]
    names = set(re.findall(r"\b(BOTLESS_[A-Z_]+)\b", str(environment)))
    assert {"BOTLESS_ROLE", "BOTLESS_EVENT_BUS", "BOTLESS_EVENT_SOURCE", "BOTLESS_TOPOLOGY",
            "BOTLESS_DEDUPE_TABLE", "BOTLESS_SSM_PREFIX"} <= names
    assert {n for n in names if n not in code} == set()


def test_lambda_chat_secrets_are_read_at_run_time_and_never_by_terraform():
    from core.chat.platforms import CHAT_SECRETS
    from providers.aws import secrets

    text = module_text("aws_lambda")
    # No data source reads a parameter, so no secret value reaches the state.
    data_sources = {kind for block in parsed("aws_lambda").get("data", []) for kind in block}
    assert data_sources and not {kind for kind in data_sources if kind.startswith("aws_ssm_")}
    environment = value(resources("aws_lambda", "aws_lambda_function")["role"]["environment"][0]["variables"])
    assert environment[secrets.PREFIX_SETTING] == "${var.secrets_ssm_path}"
    assert not set(CHAT_SECRETS) & set(environment) and "merge(" not in str(environment)
    [default] = [value(b["secrets_ssm_path"]["default"]) for b in parsed("aws_lambda")["variable"]
                 if "secrets_ssm_path" in b]
    assert secrets._PATH.match(default)
    # Each function may list that path (GetParametersByPath) and have SSM decrypt what is under it.
    assert '"ssm:GetParametersByPath"' in text and '"kms:Decrypt"' in text
    assert "resources = [local.ssm_path_arn, \"${local.ssm_path_arn}/*\"]" in text
    assert 'variable = "kms:EncryptionContext:PARAMETER_ARN"' in text


@pytest.mark.parametrize("module", ["gcf", "azure"])
def test_a_modules_chat_secrets_are_the_platform_registrys(module):
    # Terraform cannot read Python: the default restates core/chat/platforms.py's CHAT_SECRETS,
    # so adding a platform's secret fails here until the module lists it too.
    from core.chat.platforms import CHAT_SECRETS

    [default] = [value(b["chat_secrets"]["default"]) for b in parsed(module)["variable"] if "chat_secrets" in b]
    assert default == list(CHAT_SECRETS)


# The code each module's functions run: its provider, the shared runtime and core (settings, adapters).
PROVIDER_OF = {"aws_lambda": "aws", "gcf": "gcp", "azure": "azure", "knative": "knative"}


@pytest.mark.parametrize("module", MODULES)
def test_every_setting_a_module_gives_its_functions_is_read_by_the_code(module):
    code = "\n".join(p.read_text() for p in (REPO / "providers" / PROVIDER_OF[module]).glob("*.py"))
    code += "\n".join(p.read_text() for p in (REPO / "core").rglob("*.py"))
    code += (REPO / "providers/runtime.py").read_text()
    names = set(re.findall(r"\b(BOTLESS_[A-Z_]+)\b", module_text(module)))
    assert names
    assert {n for n in names if not re.search(rf"\b{n}\b", code)} == set()


@pytest.mark.parametrize("module, provider, settings", [
    ("aws_lambda", "providers.aws.dedupe", ["BOTLESS_DEDUPE_TABLE"]),
    ("gcf", "providers.gcp.dedupe", ["BOTLESS_FIRESTORE_COLLECTION"]),
    ("azure", "providers.azure.dedupe", ["BOTLESS_DEDUPE_TABLE_NAME", "BOTLESS_TABLE_ACCOUNT_URL",
                                         "BOTLESS_TABLE_ACCOUNT_KEY"]),
    ("knative", "providers.knative.dedupe", ["BOTLESS_REDIS_URL"]),
])
def test_every_module_gives_its_functions_their_dedupe_store(module, provider, settings):
    import importlib

    store_module = importlib.import_module(provider)
    text = module_text(module)
    for setting in settings:
        assert re.search(rf"\b{setting}\b", text), f"infra/{module} does not set {setting}"
        assert setting in {getattr(store_module, name) for name in dir(store_module) if name.endswith("SETTING")}


def test_gcf_ttl_policy_is_on_the_collection_the_functions_use():
    ttl = resources("gcf", "google_firestore_field")["dedupe_ttl"]
    assert value(ttl["collection"]) == "${local.dedupe_collection}" and value(ttl["field"]) == "expires"
    environment = str(value(value(resources("gcf", "google_cloudfunctions2_function")["role"]["service_config"])
                            ["environment_variables"]))
    # python-hcl2 6 renders the map with single quotes, 7 as a merge() expression with double ones.
    assert re.search(r"""["']BOTLESS_FIRESTORE_COLLECTION["']\s*:\s*["']\$\{local\.dedupe_collection\}["']""",
                     environment)


def test_every_filtered_event_type_is_one_the_code_emits():
    emitted_families = (ev.CHAT_MESSAGE, ev.BOT_RESPONSE, ev.COMMAND_PREFIX)
    literal_types = set()
    for module in MODULES:
        literal_types |= set(re.findall(r'"(botless\.[a-z.]+[a-z])"', module_text(module)))
        literal_types |= set(re.findall(r'"(botless\.bot\.command\.)\$\{', module_text(module)))
    assert literal_types == {ev.CHAT_MESSAGE, ev.BOT_RESPONSE, ev.COMMAND_PREFIX}
    assert all(t in emitted_families for t in literal_types)
    # Per-command types come from the `commands` variable, which `botless package` fills from the registry.
    from core.events import command_type

    assert [command_type(c) for c in command_names()] == [
        t for _, _, t in routes("pipeline", command_names()) if t.startswith(ev.COMMAND_PREFIX)]


def test_lambda_rules_route_each_type_to_the_role_that_handles_it():
    text = module_text("aws_lambda")
    assert '{ role = "parse", type = "botless.chat.message" }' in text
    assert '{ role = "command", type = "botless.bot.command.${c}" }' in text
    assert '{ role = "respond", type = "botless.bot.response" }' in text
    from providers.aws.eventbridge import DEFAULT_SOURCE

    default = [value(b["event_source"]["default"]) for b in parsed("aws_lambda")["variable"] if "event_source" in b]
    assert default == [DEFAULT_SOURCE]


def test_webhook_paths_in_outputs_are_the_adapters_paths():
    from core.chat.discord import DiscordAdapter
    from core.chat.slack import SlackAdapter
    from core.chat.telegram import TelegramAdapter

    for module in MODULES:
        text = module_text(module)
        for adapter in (SlackAdapter, DiscordAdapter, TelegramAdapter):
            assert adapter.path in text, f"{module} lacks {adapter.path}"


def test_gcf_monos_deferred_work_is_dead_lettered_after_ten_pushes_not_retried_for_a_day():
    deferred = resources("gcf", "google_pubsub_subscription")["deferred"]
    policy = value(deferred["dead_letter_policy"])
    assert value(policy["dead_letter_topic"]) == "${google_pubsub_topic.deferred_dead_letters[0].id}"
    assert value(policy["max_delivery_attempts"]) == 10
    kept = resources("gcf", "google_pubsub_subscription")["deferred_dead_letters"]
    assert value(kept["topic"]) == "${google_pubsub_topic.deferred_dead_letters[0].id}"  # readable, replayable
    # Pub/Sub's service agent forwards them: a publisher on the dead-letter topic, a subscriber on the source.
    agent = "${local.pubsub_service_agent}"
    publisher = resources("gcf", "google_pubsub_topic_iam_member")["dead_letter_publisher"]
    subscriber = resources("gcf", "google_pubsub_subscription_iam_member")["dead_letter_subscriber"]
    assert (value(publisher["role"]), value(publisher["member"])) == ("roles/pubsub.publisher", agent)
    assert value(publisher["topic"]) == "${google_pubsub_topic.deferred_dead_letters[0].name}"
    assert (value(subscriber["role"]), value(subscriber["member"])) == ("roles/pubsub.subscriber", agent)
    assert value(subscriber["subscription"]) == "${google_pubsub_subscription.deferred[0].name}"
    assert "gcp-sa-pubsub.iam.gserviceaccount.com" in module_text("gcf")
