"""Helpers for the Terraform checks: an offline CLI config, a copy of a module, moto."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
from pathlib import Path

import pytest

from tests.services import service_fixture

REPO = Path(__file__).resolve().parents[2]
INFRA = REPO / "infra"
MODULES = ("aws_lambda", "gcf", "azure", "knative")
TERRAFORM = shutil.which("terraform")
AWS_MIRROR = Path("/opt/tf-plugins")


def has_aws_mirror() -> bool:
    return any((AWS_MIRROR / "registry.terraform.io/hashicorp/aws").glob("*/*/terraform-provider-aws_*"))


needs_terraform = pytest.mark.skipif(TERRAFORM is None, reason="terraform is not installed on this machine")
needs_aws_mirror = pytest.mark.skipif(
    TERRAFORM is None or not has_aws_mirror(),
    reason=f"terraform or its offline hashicorp/aws mirror under {AWS_MIRROR} is missing",
)


def terraform_env(scratch: Path) -> dict[str, str]:
    """An environment where terraform installs hashicorp/aws from the local mirror only."""
    rc = scratch / "terraformrc"
    rc.write_text(
        "provider_installation {\n"
        f'  filesystem_mirror {{\n    path    = "{AWS_MIRROR}"\n'
        '    include = ["registry.terraform.io/hashicorp/aws"]\n  }\n'
        "}\n"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TF_", "AWS_"))}
    env.update({
        "TF_CLI_CONFIG_FILE": str(rc),
        "TF_IN_AUTOMATION": "1",
        "TF_INPUT": "0",
        "CHECKPOINT_DISABLE": "1",
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_REGION": "us-east-1",
        "AWS_EC2_METADATA_DISABLED": "true",
    })
    return env


def run_terraform(args: list[str], cwd: Path, env: dict[str, str], timeout: float = 240) -> str:
    """Run terraform; fail the test with its output when it fails."""
    assert TERRAFORM is not None
    done = subprocess.run([TERRAFORM, *args, "-no-color"], cwd=cwd, env=env, capture_output=True,
                          text=True, timeout=timeout)
    if done.returncode != 0:
        pytest.fail(f"terraform {' '.join(args)} failed in {cwd}:\n{done.stdout[-4000:]}\n{done.stderr[-4000:]}")
    return done.stdout


def copy_module(name: str, destination: Path) -> Path:
    """A copy of infra/<name> (terraform writes .terraform and a lock file beside the code)."""
    target = destination / name
    shutil.copytree(INFRA / name, target, ignore=shutil.ignore_patterns(".terraform*", "*.tfstate*"))
    return target


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@service_fixture(scope="module")
def moto_endpoint():
    """moto in server mode on loopback; every AWS API of the Lambda module is pointed at it."""
    from moto.server import ThreadedMotoServer

    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.stop()
