"""Third-party packages for a target with no build step (Lambda), installed for its platform.

pip installs wheels for the target's Python version and CPU, not this machine's, so a
zip built on a laptop runs on Lambda's Amazon Linux. Only wheels are accepted: a
source build would compile for the wrong machine.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path

# What the Lambda Python runtime provides, so a copy in the zip only adds cold-start time.
LAMBDA_RUNTIME_PROVIDED = ("boto3", "botocore", "s3transfer", "jmespath")
ARCHITECTURES = {"x86_64": "x86_64", "arm64": "aarch64"}
PYTHON_VERSIONS = ("3.11", "3.12", "3.13")


class DependencyError(RuntimeError):
    """pip could not install the target's requirements; the message has pip's reason."""


def platform_tags(architecture: str, python_version: str) -> list[str]:
    """The wheel platform tags the Lambda runtime for this Python and CPU accepts."""
    machine = ARCHITECTURES[architecture]
    tags = [f"manylinux2014_{machine}"]
    # python3.12 and later run on Amazon Linux 2023 (glibc 2.34); 3.11 on Amazon Linux 2.
    if tuple(int(part) for part in python_version.split(".")) >= (3, 12):
        tags.append(f"manylinux_2_28_{machine}")
    return tags


def install_for_lambda(
    requirements: list[str],
    *,
    architecture: str,
    python_version: str,
    find_links: Path | None = None,
) -> dict[str, bytes]:
    """Install `requirements` for Lambda and return their files (archive name -> bytes).

    With `find_links`, pip reads wheels from that folder only and never the network.
    """
    if architecture not in ARCHITECTURES:
        raise DependencyError(f"architecture {architecture!r}: choose one of {', '.join(ARCHITECTURES)}")
    with tempfile.TemporaryDirectory(prefix="botless-deps-") as scratch:
        target = Path(scratch) / "site"
        command = [
            sys.executable, "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
            "--no-compile", "--no-warn-script-location", "--target", str(target),
            "--implementation", "cp", "--python-version", python_version,
            "--only-binary=:all:",
        ]
        for tag in platform_tags(architecture, python_version):
            command += ["--platform", tag]
        if find_links is not None:
            command += ["--no-index", "--find-links", str(find_links)]
        command += requirements
        done = subprocess.run(command, capture_output=True, text=True)
        if done.returncode != 0:
            reason = "\n".join(line for line in done.stderr.splitlines() if "is ignored" not in line)
            raise DependencyError(
                f"pip could not install the Lambda dependencies for Python {python_version} on "
                f"{architecture}:\n{reason.strip()}\n(use --find-links DIR for wheels on disk, or "
                "--no-deps for a code-only zip)"
            )
        return _collect(target)


def _collect(target: Path) -> dict[str, bytes]:
    files: dict[str, bytes] = {}
    for path in sorted(target.rglob("*")):
        if not path.is_file():
            continue
        relative = path.relative_to(target)
        top = relative.parts[0]
        # Console scripts carry this machine's interpreter path and are of no use on Lambda.
        if top == "bin" or "__pycache__" in relative.parts or path.suffix == ".pyc":
            continue
        if _runtime_provided(top):
            continue
        files[relative.as_posix()] = path.read_bytes()
    return files


def _runtime_provided(top: str) -> bool:
    name = top.split("-")[0].lower()
    return name in LAMBDA_RUNTIME_PROVIDED
