"""`botless package`: the artifact a target deploys, byte-identical for the same inputs."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from core.settings import TOPOLOGIES
from tooling.packaging import deps as pipdeps
from tooling.packaging.archive import Artifact, write_tar_gz, write_zip
from tooling.packaging.commands import command_names
from tooling.packaging.imports import closure
from tooling.packaging.project import (
    SourceTreeError,
    merge_requirements,
    read_requirements_file,
    requirements,
    source_root,
)
from tooling.packaging.targets import CHAT_REQUIREMENTS, Target
from tooling.targets import UnknownTargetError, target_named


class PackageError(RuntimeError):
    """The artifact cannot be built; the message says what to do."""


@dataclass(frozen=True)
class PackageOptions:
    """What to build: the target, the topology and, for Lambda, the Python version and CPU."""

    target: str
    topology: str = "mono"
    out: Path = Path("dist")
    source: Path | None = None
    python_version: str = "3.12"
    architecture: str = "x86_64"
    # False: code only, no pip run (offline; for tests and for a layer-based setup).
    dependencies: bool = True
    find_links: Path | None = None
    env: dict[str, str] | None = None


@dataclass(frozen=True)
class PackageResult:
    """What was written: the artifact and the Terraform variables that go with it."""

    artifact: Artifact
    tfvars: Artifact
    commands: list[str] = field(default_factory=list)


def contents(options: PackageOptions) -> dict[str, bytes]:
    """Every file of the artifact (archive name -> bytes), without writing anything."""
    target = _target(options)
    try:
        root = source_root(options.source)
        # The entrypoint's own requirements.txt pins what its runtime needs beyond the extras.
        wanted = merge_requirements(
            requirements(root, target.extras, target.exclude),
            [*read_requirements_file(root / target.function_dir / "requirements.txt"), *CHAT_REQUIREMENTS],
            target.exclude,
        )
    except SourceTreeError as error:
        raise PackageError(str(error)) from None
    for entry in target.entries:
        if not (root / entry).is_file():
            raise PackageError(f"{entry} is missing in {root}: the {target.name} entrypoint is not there yet")
    files = {name: (root / name).read_bytes() for name in sorted(closure(root, list(target.entries)).files)}
    for name, source in target.root_files.items():
        if source is None:
            files[name] = _shim(target)
        elif not (root / source).is_file():
            raise PackageError(f"{source} is missing in {root}; the {target.name} artifact needs it as {name}")
        else:
            files[name] = (root / source).read_bytes()
    if target.requirements_file:
        files["requirements.txt"] = ("\n".join(wanted) + "\n").encode()
    if target.bundle_dependencies and options.dependencies:
        try:
            installed = pipdeps.install_for_lambda(
                wanted, architecture=options.architecture, python_version=options.python_version,
                find_links=options.find_links,
            )
        except pipdeps.DependencyError as error:
            raise PackageError(str(error)) from None
        clash = sorted(set(installed) & set(files))
        if clash:
            raise PackageError(f"a dependency would overwrite project files: {', '.join(clash[:5])}")
        files.update(installed)
    return files


def package(options: PackageOptions) -> PackageResult:
    """Build the artifact for `options.target` into `options.out`, plus its tfvars file."""
    target = _target(options)
    files = contents(options)
    out = options.out.resolve()
    path = out / target.artifact
    artifact = write_tar_gz(path, files) if path.name.endswith(".tar.gz") else write_zip(path, files)
    commands = command_names(options.env)
    variables = tfvars(target, options, artifact, commands)
    tfvars_path = out / f"botless-{target.name}.tfvars.json"
    tfvars_path.write_text(json.dumps(variables, indent=2, sort_keys=True) + "\n")
    return PackageResult(artifact=artifact, tfvars=Artifact.of(tfvars_path), commands=commands)


def tfvars(target: Target, options: PackageOptions, artifact: Artifact, commands: list[str]) -> dict[str, object]:
    """The Terraform variables of infra/<target> that follow from this build."""
    variables: dict[str, object] = {"topology": options.topology, "commands": commands}
    if target.container:
        # The context becomes an image first (docker build); the module takes the image.
        return variables
    variables["package_path"] = str(artifact.path)
    if target.architecture_variable:
        variables["architecture"] = options.architecture
    if target.python_variable:
        name, value = target.python_variable
        variables[name] = value.format(version=options.python_version,
                                       digits=options.python_version.replace(".", ""))
    return variables


def _target(options: PackageOptions) -> Target:
    try:
        target = target_named(options.target)
    except UnknownTargetError as error:
        raise PackageError(str(error)) from None
    if options.topology not in TOPOLOGIES:
        raise PackageError(f"unknown topology {options.topology!r}: choose one of {', '.join(TOPOLOGIES)}")
    if options.python_version not in pipdeps.PYTHON_VERSIONS:
        raise PackageError(
            f"Python {options.python_version}: choose one of {', '.join(pipdeps.PYTHON_VERSIONS)}"
        )
    if options.architecture not in pipdeps.ARCHITECTURES:
        raise PackageError(f"architecture {options.architecture!r}: choose one of {', '.join(pipdeps.ARCHITECTURES)}")
    return target


def _shim(target: Target) -> bytes:
    module = target.entries[0][: -len(".py")].replace("/", ".")
    return (
        f'"""The file {target.name} looks for at the root; the code lives in {module}."""\n\n'
        f"from {module} import *  # noqa: F401,F403  (re-exported entry functions)\n"
    ).encode()
