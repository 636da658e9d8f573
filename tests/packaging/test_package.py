"""`botless package`: what goes into each target's artifact, and that it is reproducible."""

from __future__ import annotations

import ast
import io
import json
import tarfile
import zipfile
from importlib.metadata import packages_distributions
from pathlib import Path

import pytest

from functions.local.cli import main
from tests.packaging.conftest import code_only
from tooling.packaging import TARGETS, PackageError, PackageOptions, package
from tooling.packaging.build import contents
from tooling.packaging.commands import command_names
from tooling.packaging.imports import closure
from tooling.packaging.project import requirement_name, source_root
from tooling.targets import CHAT_EXTRAS

ROOT = source_root()
CLOUD_CODE = {
    "aws-lambda": ("providers/aws/", "functions/aws_lambda/"),
    "gcf": ("providers/gcp/", "functions/gcf/"),
    "azure": ("providers/azure/", "functions/azure/"),
    "knative": ("providers/knative/", "functions/knative/"),
}
NEVER = ("tests/", "functions/local/", "tooling/packaging/", "tooling/pricing/", "infra/", "docs/", ".ci/")


def names_of(path: Path) -> list[str]:
    if path.name.endswith(".zip"):
        with zipfile.ZipFile(path) as archive:
            return archive.namelist()
    with tarfile.open(path) as archive:
        return [m.name for m in archive.getmembers() if m.isfile()]


def read_member(path: Path, name: str) -> bytes:
    if path.name.endswith(".zip"):
        with zipfile.ZipFile(path) as archive:
            return archive.read(name)
    with tarfile.open(path) as archive:
        member = archive.extractfile(name)
        assert member is not None
        return member.read()


@pytest.mark.parametrize("target", sorted(TARGETS))
def test_the_same_inputs_give_byte_identical_artifacts(target, tmp_path):
    first = code_only(target, tmp_path / "one")
    second = code_only(target, tmp_path / "two")
    assert first.artifact.sha256 == second.artifact.sha256
    assert first.artifact.path.read_bytes() == second.artifact.path.read_bytes()


@pytest.mark.parametrize("target", sorted(TARGETS))
def test_only_what_the_target_needs_goes_in(target, tmp_path):
    names = names_of(code_only(target, tmp_path).artifact.path)
    own = CLOUD_CODE[target]
    assert any(name.startswith(own[0]) for name in names) and any(name.startswith(own[1]) for name in names)
    for other, prefixes in CLOUD_CODE.items():
        if other != target:
            assert not [n for n in names if n.startswith(prefixes)], f"{other} code in the {target} artifact"
    assert not [n for n in names if n.startswith(NEVER)]
    # No bytecode but what the packager compiles (none here: test_lean.py checks that): never a
    # __pycache__ of the source tree.
    assert not [n for n in names if "__pycache__" in n or n.endswith(".pyc")]
    assert "core/commands/glossary.json" in names  # data files travel with their modules


def test_cloud_functions_gets_main_py_and_requirements_at_the_root(tmp_path):
    path = code_only("gcf", tmp_path).artifact.path
    names = names_of(path)
    assert {"main.py", "requirements.txt"} <= set(names)
    shim = ast.parse(read_member(path, "main.py"))
    assert any(isinstance(n, ast.ImportFrom) and n.module == "functions.gcf.main" for n in ast.walk(shim))
    requirements = read_member(path, "requirements.txt").decode().split()
    assert {"functions-framework", "google-cloud-pubsub", "cloudevents", "slack-sdk", "pynacl"} <= {
        requirement_name(r) for r in requirements}
    assert "boto3" not in {requirement_name(r) for r in requirements}
    assert "pyyaml" not in {requirement_name(r) for r in requirements}  # CLI only


def test_azure_gets_function_app_host_json_and_requirements_at_the_root(tmp_path):
    path = code_only("azure", tmp_path).artifact.path
    names = set(names_of(path))
    assert {"function_app.py", "host.json", "requirements.txt"} <= names
    assert json.loads(read_member(path, "host.json")) == json.loads((ROOT / "functions/azure/host.json").read_text())
    shim = ast.parse(read_member(path, "function_app.py"))
    assert any(isinstance(n, ast.ImportFrom) and n.module == "functions.azure.function_app" for n in ast.walk(shim))


def test_knative_gets_a_build_context_for_its_dockerfile(tmp_path):
    path = code_only("knative", tmp_path).artifact.path
    assert path.name.endswith(".tar.gz")
    names = set(names_of(path))
    assert {"Dockerfile", "pyproject.toml", "README.md", "functions/knative/app.py"} <= names
    dockerfile = read_member(path, "Dockerfile").decode()
    # Every path the Dockerfile copies is in the context.
    for line in dockerfile.splitlines():
        if line.startswith("COPY "):
            for source in line.split()[1:-1]:
                assert source in names or any(n.startswith(source.rstrip("/") + "/") for n in names), source


@pytest.mark.parametrize("target", sorted(TARGETS))
def test_the_chat_sources_go_only_where_they_run(target):
    # Connection-mode sources run locally and on Knative (python -m functions.knative.source),
    # never in a function: they stay out of the serverless artifacts, whole in Knative's.
    files = closure(ROOT, list(TARGETS[target].entries)).files
    sources = {name for name in files if name.startswith("core/sources/")}
    if target == "knative":
        assert "functions/knative/source.py" in files
        assert {"core/sources/registry.py", "core/sources/irc.py", "core/sources/slack_socket.py",
                "core/sources/telegram_polling.py"} <= sources
    else:
        assert sources == set(), sources


def test_imports_only_a_type_checker_reads_are_not_followed(tmp_path):
    (tmp_path / "providers").mkdir()
    (tmp_path / "providers" / "__init__.py").write_text("")
    (tmp_path / "providers" / "typed.py").write_text("")
    (tmp_path / "providers" / "lazy.py").write_text("")
    (tmp_path / "providers" / "entry.py").write_text(
        "import typing\nfrom typing import TYPE_CHECKING\n"
        "if TYPE_CHECKING:\n    import starlette\n    from providers import typed\n"
        "else:\n    import json\n"
        "if typing.TYPE_CHECKING:\n    import anyio\n"
        "def later():\n    from providers import lazy\n")
    found = closure(tmp_path, ["providers/entry.py"])
    assert "providers/lazy.py" in found.files and "providers/typed.py" not in found.files
    assert not {"starlette", "anyio"} & found.third_party


@pytest.mark.parametrize("target", ["aws-lambda", "azure"])
def test_the_raw_webhooks_targets_import_no_starlette(target):
    # Their HTTP goes through providers/asgi/webhooks.py; Starlette is `botless serve`'s.
    found = closure(ROOT, list(TARGETS[target].entries))
    assert "starlette" not in found.third_party and "providers/asgi/app.py" not in found.files


def test_the_code_only_lambda_zip_has_the_handler_and_no_dependencies(tmp_path):
    names = set(names_of(code_only("aws-lambda", tmp_path).artifact.path))
    assert "functions/aws_lambda/handler.py" in names
    assert "requirements.txt" not in names and not [n for n in names if n.startswith("mangum/")]


def test_the_lambda_zip_bundles_linux_wheels_without_boto3(lambda_build, tmp_path):
    names = names_of(lambda_build.artifact.path)
    tops = {name.split("/")[0] for name in names}
    assert {"mangum", "cloudevents", "slack_sdk", "nacl"} <= tops
    # boto3 is the runtime's; Starlette (and its anyio) is `botless serve`'s: the webhooks app is raw ASGI.
    assert not {"boto3", "botocore", "bin", "starlette"} & tops
    # PyNaCl's extension is the manylinux build for CPython 3.12 on x86_64, not this machine's.
    assert [n for n in names if n.startswith("nacl/_sodium") and "cpython-312-x86_64-linux-gnu" in n] or \
        [n for n in names if n.startswith("nacl/_sodium") and n.endswith(".abi3.so")]
    again = package(PackageOptions(target="aws-lambda", topology="mono", out=tmp_path, platforms=CHAT_EXTRAS))
    assert again.artifact.sha256 == lambda_build.artifact.sha256


def test_the_tfvars_file_carries_the_inputs_of_the_terraform_module(lambda_build):
    variables = json.loads(lambda_build.tfvars.path.read_text())
    assert variables["package_path"] == str(lambda_build.artifact.path)
    assert variables["topology"] == "mono"
    assert variables["commands"] == command_names() == lambda_build.commands
    assert (variables["architecture"], variables["python_runtime"]) == ("x86_64", "python3.12")


@pytest.mark.parametrize("target", sorted(TARGETS))
def test_every_third_party_import_is_provided_by_the_target(target):
    """What the packaged code imports is in requirements.txt (or the Lambda zip, or the Lambda runtime)."""
    spec = TARGETS[target]
    files = contents(PackageOptions(target=target, dependencies=False))
    if spec.requirements_file:
        provided = {requirement_name(line) for line in files["requirements.txt"].decode().split()}
    else:
        from tooling.packaging.project import merge_requirements, read_requirements_file, requirements
        provided = {requirement_name(line) for line in merge_requirements(
            requirements(ROOT, spec.extras, spec.exclude),
            read_requirements_file(ROOT / spec.function_dir / "requirements.txt"))}
    if target == "aws-lambda":
        provided |= {"boto3", "botocore"}  # the Lambda runtime's own
    if target == "knative":
        provided |= {"uvicorn"}  # a base dependency, the image's server
    distributions = packages_distributions()
    for module in sorted(closure(ROOT, list(spec.entries)).third_party):
        owners = {requirement_name(d) for d in distributions.get(module, [])}
        if module == "azure":  # a namespace shared by azure-functions and azure-eventgrid
            owners = {"azure-functions", "azure-eventgrid"}
        if module == "google":
            owners = {"google-cloud-pubsub", "functions-framework"}
        assert owners & provided or _transitive(owners, provided), f"{target}: {module} ({owners}) is not provided"


def _transitive(owners: set[str], provided: set[str]) -> bool:
    """True when a provided distribution depends on one of `owners` (e.g. anyio through starlette)."""
    from importlib.metadata import PackageNotFoundError, requires

    seen: set[str] = set()
    pending = list(provided)
    while pending:
        name = pending.pop()
        if name in seen:
            continue
        seen.add(name)
        try:
            needs = requires(name) or []
        except PackageNotFoundError:
            continue
        pending.extend(requirement_name(n) for n in needs if "extra ==" not in n)
    return bool(owners & seen)


def test_the_cli_prints_each_artifact_with_size_and_sha256(tmp_path, capsys):
    assert main(["package", "--target", "gcf", "--topology", "pipeline", "--out", str(tmp_path)]) == 0
    out = capsys.readouterr().out.splitlines()
    artifact = tmp_path / "botless-gcf.zip"
    assert out[0].startswith(str(artifact)) and f"{artifact.stat().st_size} bytes" in out[0]
    assert "sha256:" in out[0] and "botless-gcf.tfvars.json" in out[1]
    assert json.loads((tmp_path / "botless-gcf.tfvars.json").read_text())["topology"] == "pipeline"


def test_a_missing_source_tree_is_a_clear_error(tmp_path, capsys):
    assert main(["package", "--target", "gcf", "--out", str(tmp_path), "--source", str(tmp_path)]) == 1
    assert "not a Botless source tree" in capsys.readouterr().err
    with pytest.raises(PackageError, match="Python 2.7"):
        package(PackageOptions(target="gcf", python_version="2.7", out=tmp_path))


@pytest.mark.slow  # pip, in a subprocess
def test_pip_failures_say_how_to_build_offline(tmp_path):
    empty = tmp_path / "wheels"
    empty.mkdir()
    with pytest.raises(PackageError, match="--find-links DIR"):
        package(PackageOptions(target="aws-lambda", out=tmp_path, find_links=empty))


def test_command_names_follow_the_registry():
    from core.bot import Bot

    assert command_names() == [spec.name for spec in Bot().registry.specs]
    assert io  # keep the import list honest for readers: archives are read in memory above
