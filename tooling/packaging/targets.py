"""What each target deploys: its entry files, what sits at the archive root, its requirements."""

from __future__ import annotations

from dataclasses import dataclass, field

CHAT_EXTRAS = ("slack", "discord", "telegram")
# The Discord and Telegram adapters (core/chat) send replies with httpx, which the
# `discord` and `telegram` extras do not list; every target needs it for them.
CHAT_REQUIREMENTS = ("httpx>=0.27",)
# Base dependencies only the local CLI imports (YAML for `botless slack manifest`, `botless manifests`).
CLI_ONLY = frozenset({"pyyaml"})


@dataclass(frozen=True)
class Target:
    """One deployment target and the shape of its artifact."""

    name: str
    # Entry modules (relative to the source root); their imports decide what else goes in.
    entries: tuple[str, ...]
    extras: tuple[str, ...]
    artifact: str
    # Files at the archive root the platform looks for: name -> source path, or None for a
    # generated shim that re-exports the entry module (so the code keeps its package layout).
    root_files: dict[str, str | None] = field(default_factory=dict)
    # Distributions the target's runtime already has, or that nothing there imports.
    exclude: frozenset[str] = frozenset()
    # Lambda has no build step: third-party packages travel inside the zip.
    bundle_dependencies: bool = False
    # The requirements.txt the platform installs from (Cloud Functions, Azure remote build).
    # It holds the pyproject extras plus what the entrypoint's own requirements.txt adds.
    requirements_file: bool = True

    @property
    def function_dir(self) -> str:
        return self.entries[0].rpartition("/")[0]


TARGETS: dict[str, Target] = {
    "aws-lambda": Target(
        name="aws-lambda",
        entries=("functions/aws_lambda/handler.py",),
        extras=("aws", *CHAT_EXTRAS),
        artifact="botless-aws-lambda.zip",
        # The Lambda Python runtime ships boto3 and botocore; no server runs there.
        exclude=frozenset({"boto3", "botocore", "uvicorn"}) | CLI_ONLY,
        bundle_dependencies=True,
        requirements_file=False,
    ),
    "gcf": Target(
        name="gcf",
        entries=("functions/gcf/main.py",),
        extras=("gcp", *CHAT_EXTRAS),
        artifact="botless-gcf.zip",
        root_files={"main.py": None},
        exclude=frozenset({"uvicorn"}) | CLI_ONLY,
    ),
    "azure": Target(
        name="azure",
        entries=("functions/azure/function_app.py",),
        extras=("azure", *CHAT_EXTRAS),
        artifact="botless-azure.zip",
        root_files={"function_app.py": None, "host.json": "functions/azure/host.json"},
        exclude=frozenset({"uvicorn"}) | CLI_ONLY,
    ),
    "knative": Target(
        name="knative",
        entries=("functions/knative/app.py",),
        extras=("knative", *CHAT_EXTRAS),
        artifact="botless-knative-context.tar.gz",
        # The Dockerfile installs the project with pip, so the context is a small source tree.
        root_files={"Dockerfile": "functions/knative/Dockerfile", "pyproject.toml": "pyproject.toml",
                    "README.md": "README.md"},
        requirements_file=False,
    ),
}

# The entry functions every target exposes, one per role (mono runs all four in one).
ROLES = ("receive", "parse", "command", "respond", "mono")
PIPELINE_ROLES = ("receive", "parse", "command", "respond")


def roles_for(topology: str) -> tuple[str, ...]:
    """The functions a topology deploys: one per role (pipeline) or just `mono`."""
    return PIPELINE_ROLES if topology == "pipeline" else ("mono",)
