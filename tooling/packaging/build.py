"""`botless package`: the artifact a target deploys, byte-identical for the same inputs."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from core.settings import TOPOLOGIES
from tooling.packaging import bytecode, dockerfile
from tooling.packaging import deps as pipdeps
from tooling.packaging.archive import Artifact, write_tar_gz, write_zip
from tooling.packaging.commands import command_names
from tooling.packaging.entry_points import recorded_entry_points
from tooling.packaging.imports import closure
from tooling.packaging.platforms import PlatformChoice, PlatformChoiceError, choose_platforms
from tooling.packaging.project import (
    SourceTreeError,
    merge_requirements,
    read_requirements_file,
    requirements,
    source_root,
)
from tooling.packaging.targets import Target
from tooling.packaging.trim import trimmed
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
    # Where the configured platforms and the commands are read from (None: os.environ).
    env: dict[str, str] | None = None
    # The chat platforms to package (`--platform`); None or empty: the configured ones, else all.
    platforms: tuple[str, ...] | None = None
    # False: no .pyc in the artifact (they are also left out when no Python of the runtime's version is found).
    compile_bytecode: bool = True


@dataclass(frozen=True)
class PackageResult:
    """What was written: the artifact and the Terraform variables that go with it."""

    artifact: Artifact
    tfvars: Artifact
    commands: list[str] = field(default_factory=list)
    platforms: tuple[str, ...] = ()
    # What the CLI prints besides the files: how the platforms were chosen, what was skipped.
    notes: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Contents:
    """Every file of an artifact (archive name -> bytes), the platforms it serves, and notes."""

    files: dict[str, bytes]
    platforms: PlatformChoice
    notes: list[str]


def contents(options: PackageOptions) -> dict[str, bytes]:
    """Every file of the artifact (archive name -> bytes), without writing anything."""
    return build_contents(options).files


def build_contents(options: PackageOptions) -> Contents:
    """The artifact's files, with the platform choice and the notes, without writing anything."""
    target = _target(options)
    try:
        choice = choose_platforms(options.platforms, options.env)
    except PlatformChoiceError as error:
        raise PackageError(str(error)) from None
    notes = [choice.reason]
    try:
        root = source_root(options.source)
        # The entrypoint's own requirements.txt pins what its runtime needs beyond the extras.
        wanted = merge_requirements(
            requirements(root, target.extras_for(choice.platforms), target.exclude),
            read_requirements_file(root / target.function_dir / "requirements.txt"),
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
            installed = trimmed(pipdeps.install_for_lambda(
                wanted, architecture=options.architecture, python_version=options.python_version,
                find_links=options.find_links,
            ))
        except pipdeps.DependencyError as error:
            raise PackageError(str(error)) from None
        clash = sorted(set(installed) & set(files))
        if clash:
            raise PackageError(f"a dependency would overwrite project files: {', '.join(clash[:5])}")
        files.update(installed)
        files.update(recorded_entry_points(installed))  # what is installed is fixed now: no scan at cold start
    if target.container:
        notes += _container_notes(files, target.extras_for(choice.platforms))
    elif options.compile_bytecode:
        notes.append(_add_bytecode(files, options.python_version))
    return Contents(files=files, platforms=choice, notes=notes)


def package(options: PackageOptions) -> PackageResult:
    """Build the artifact for `options.target` into `options.out`, plus its tfvars file."""
    target = _target(options)
    built = build_contents(options)
    files = built.files
    out = options.out.resolve()
    path = out / target.artifact
    artifact = write_tar_gz(path, files) if path.name.endswith(".tar.gz") else write_zip(path, files)
    commands = command_names(options.env)
    variables = tfvars(target, options, artifact, commands)
    tfvars_path = out / f"botless-{target.name}.tfvars.json"
    tfvars_path.write_text(json.dumps(variables, indent=2, sort_keys=True) + "\n")
    return PackageResult(artifact=artifact, tfvars=Artifact.of(tfvars_path), commands=commands,
                         platforms=built.platforms.platforms, notes=built.notes)


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


def _add_bytecode(files: dict[str, bytes], python_version: str) -> str:
    """Add a .pyc beside each .py, compiled by a Python of the runtime's version; the note says which happened."""
    interpreter = bytecode.interpreter_for(python_version)
    if interpreter is None:
        return (f"bytecode skipped: this is Python {bytecode.this_version()}, the runtime is {python_version}, "
                f"and no python{python_version} was found (on PATH, pyenv or uv: install one to ship .pyc)")
    try:
        compiled = bytecode.bytecode_for(files, interpreter)
    except bytecode.BytecodeError as error:
        raise PackageError(str(error)) from None
    files.update(compiled)
    return f"bytecode: {len(compiled)} .pyc for Python {python_version} (unchecked hash, compiled by {interpreter})"


def _container_notes(files: dict[str, bytes], extras: tuple[str, ...]) -> list[str]:
    """Write the extras into the context's Dockerfile; say what the Dockerfile does not do."""
    notes = []
    source = files.get("Dockerfile", b"")
    if dockerfile.takes_extras(source):
        files["Dockerfile"] = dockerfile.with_extras(source, extras)
    else:
        notes.append(f"the Dockerfile has no `ARG {dockerfile.EXTRAS_ARG}=` line: the image installs "
                     "the extras it names, whatever the platforms")
    if not dockerfile.compiles_bytecode(source):
        notes.append("the Dockerfile compiles no bytecode: each container start compiles the source")
    return notes


def _shim(target: Target) -> bytes:
    module = target.entries[0][: -len(".py")].replace("/", ".")
    return (
        f'"""The file {target.name} looks for at the root; the code lives in {module}."""\n\n'
        f"from {module} import *  # noqa: F401,F403  (re-exported entry functions)\n"
    ).encode()
