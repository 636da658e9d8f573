"""The deployment targets, each declared once: the registry every tool iterates over.

A target's `name` is the one spelling used by `botless package/deploy/manifests/cost --target`,
the docs, the tfvars file `botless package` writes and `botless cost`'s pricing. Its
variants (Cloud Functions' generation, Azure's hosting plan, where Knative runs) are its
`plans`, an option of the target, never another name. Everything else about a target is
found by convention from its folder (`folder`): functions/<folder>/ (the entrypoint),
infra/<folder>/ (Terraform), tooling/costing/invokers/<folder>.py (how `botless cost`
calls it) and tooling/pricing/<pricing>.py with data/<pricing>.toml (its bills).

Adding a target: those folders and files, plus one `Target(...)` line in TARGETS.
This module imports nothing heavy: the CLI reads it to build its --target choices.
"""

from __future__ import annotations

from dataclasses import dataclass, field

# The chat platforms' extras (named as the platforms); `botless package --platform` picks among them.
CHAT_EXTRAS = ("slack", "discord", "telegram")
# Base dependencies only the local CLI imports (YAML for `botless slack manifest`, `botless manifests`).
CLI_ONLY = frozenset({"pyyaml"})
# Base dependencies of `botless serve` (its Starlette app and server): a target that serves
# HTTP through the raw webhooks app (providers/asgi/webhooks.py) ships neither.
LOCAL_SERVER_ONLY = frozenset({"starlette", "uvicorn"})


class UnknownTargetError(ValueError):
    """A target name that is not in the registry; the message names the valid ones."""


@dataclass(frozen=True)
class Target:
    """One deployment target: where its code, Terraform and prices are, and its artifact's shape."""

    name: str
    label: str  # how people call it: "AWS Lambda"
    # The entry module (relative to the source root); its imports decide what else is packaged.
    entry: str
    extra: str  # the pyproject extra holding its cloud SDK
    artifact: str  # the file `botless package` writes
    pricing: str  # tooling/pricing/<pricing>.py and data/<pricing>.toml
    # Billing plans `botless cost` prices (--plan); the first is the one infra/<folder> deploys.
    plans: tuple[str, ...] = ()
    # Files at the archive root the platform looks for: name -> source path, or None for a
    # generated shim that re-exports the entry module (so the code keeps its package layout).
    root_files: dict[str, str | None] = field(default_factory=dict)
    # Distributions the target's runtime already has, or that nothing there imports.
    exclude: frozenset[str] = frozenset()
    # Lambda has no build step: third-party packages travel inside the zip.
    bundle_dependencies: bool = False
    # The requirements.txt the platform installs from (Cloud Functions, Azure remote build).
    requirements_file: bool = True
    # The artifact is a container build context: Terraform and the manifests take the image.
    container: bool = False
    # The Terraform variable naming the Python runtime, and its value ({version}: 3.12, {digits}: 312).
    python_variable: tuple[str, str] | None = None
    # infra/<folder> takes the CPU architecture `botless package --architecture` installed for.
    architecture_variable: bool = False
    # Other entry modules the artifact runs (Knative's chat source container).
    more_entries: tuple[str, ...] = ()

    @property
    def folder(self) -> str:
        """The folder name under functions/ and infra/ (a Python package name: aws_lambda)."""
        return self.entry.split("/")[1]

    @property
    def infra(self) -> str:
        """The Terraform module of this target, relative to the source root."""
        return f"infra/{self.folder}"

    @property
    def function_dir(self) -> str:
        return self.entry.rpartition("/")[0]

    @property
    def entries(self) -> tuple[str, ...]:
        return (self.entry, *self.more_entries)

    @property
    def extras(self) -> tuple[str, ...]:
        return self.extras_for(CHAT_EXTRAS)

    def extras_for(self, platforms: tuple[str, ...]) -> tuple[str, ...]:
        """The pyproject extras of an artifact serving `platforms` (each platform's extra is its name)."""
        return (self.extra, *(name for name in CHAT_EXTRAS if name in platforms))

    @property
    def invoker(self) -> str:
        """The module `botless cost` measures this target with."""
        return f"tooling.costing.invokers.{self.folder}"

    @property
    def default_plan(self) -> str:
        """The plan infra/<folder> deploys ("" for a target with one way to bill)."""
        return self.plans[0] if self.plans else ""

    def plan(self, plan: str | None) -> str:
        """`plan`, checked against this target's plans; None means the default plan."""
        if plan is None or plan == self.default_plan:
            return self.default_plan
        if plan not in self.plans:
            known = ", ".join(self.plans) if self.plans else "none (it bills one way)"
            raise UnknownTargetError(f"{self.name} has no plan {plan!r}; its plans: {known}")
        return plan


TARGETS: tuple[Target, ...] = (
    Target("knative", "Knative", "functions/knative/app.py", "knative", "botless-knative-context.tar.gz",
           "knative", plans=("gke",), container=True,
           # The Dockerfile installs the project with pip, so the context is a small source tree.
           root_files={"Dockerfile": "functions/knative/Dockerfile", "pyproject.toml": "pyproject.toml",
                       "README.md": "README.md"},
           requirements_file=False, more_entries=("functions/knative/source.py",)),
    Target("gcf", "Cloud Functions", "functions/gcf/main.py", "gcp", "botless-gcf.zip", "gcp",
           plans=("gen2", "gen1"), root_files={"main.py": None}, exclude=frozenset({"uvicorn"}) | CLI_ONLY,
           python_variable=("python_runtime", "python{digits}")),
    Target("aws-lambda", "AWS Lambda", "functions/aws_lambda/handler.py", "aws", "botless-aws-lambda.zip", "aws",
           # The Lambda Python runtime ships boto3 and botocore; no server runs there.
           exclude=frozenset({"boto3", "botocore"}) | LOCAL_SERVER_ONLY | CLI_ONLY, bundle_dependencies=True,
           requirements_file=False, python_variable=("python_runtime", "python{version}"),
           architecture_variable=True),
    Target("azure", "Azure Functions", "functions/azure/function_app.py", "azure", "botless-azure.zip", "azure",
           plans=("flex", "consumption"),
           root_files={"function_app.py": None, "host.json": "functions/azure/host.json"},
           exclude=LOCAL_SERVER_ONLY | CLI_ONLY, python_variable=("python_version", "{version}")),
)

TARGET_NAMES: tuple[str, ...] = tuple(target.name for target in TARGETS)


def target_named(name: str) -> Target:
    """The target called `name`; an UnknownTargetError naming the canonical spelling otherwise."""
    for target in TARGETS:
        if target.name == name:
            return target
    raise UnknownTargetError(_unknown(name))


def _unknown(name: str) -> str:
    # Spellings seen before the registry (a folder, a provider, a name-plan pair) point home.
    for target in TARGETS:
        if name == target.folder or name == target.pricing or name == target.extra:
            return f"unknown target {name!r}: did you mean {target.name!r}?"
        for plan in target.plans:
            if name == f"{target.name}-{plan}":
                return f"unknown target {name!r}: it is target {target.name!r} with plan {plan!r}"
    return f"unknown target {name!r}; choose one of: {', '.join(TARGET_NAMES)}"


def target_argument(value: str) -> str:
    """An argparse `type`: the value when it names a target, else an error naming the right one."""
    import argparse

    try:
        return target_named(value).name
    except UnknownTargetError as error:
        raise argparse.ArgumentTypeError(str(error)) from None


def plan_names() -> tuple[str, ...]:
    """Every plan of every target, for `botless cost --plan`'s choices."""
    return tuple(dict.fromkeys(plan for target in TARGETS for plan in target.plans))
