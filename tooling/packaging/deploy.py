"""`botless deploy`: package, then `terraform init` and plan or apply in infra/<target>."""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tooling.packaging.build import PackageError, PackageOptions, PackageResult, package
from tooling.packaging.project import source_root
from tooling.targets import target_named


@dataclass(frozen=True)
class DeployPlan:
    """The commands `botless deploy` runs, in order, and where."""

    module: Path
    commands: list[list[str]]


def module_dir(target: str, source: Path | None = None) -> Path:
    """The target's Terraform module in the source tree (aws-lambda -> infra/aws_lambda)."""
    return source_root(source) / target_named(target).infra


def deploy_commands(result: PackageResult, module: Path, *, plan_only: bool,
                    extra_vars: Sequence[str] = ()) -> list[list[str]]:
    """terraform init, then plan (or apply) with the tfvars `botless package` wrote."""
    var_args = [f"-var-file={result.tfvars.path}", *(f"-var={v}" for v in extra_vars)]
    chdir = f"-chdir={module}"
    last = ["terraform", chdir, "plan", "-input=false", *var_args] if plan_only else \
        ["terraform", chdir, "apply", "-input=false", *var_args]
    return [["terraform", chdir, "init", "-input=false"], last]


def deploy(options: PackageOptions, *, plan_only: bool, extra_vars: Sequence[str] = (),
           runner: Callable[[list[str]], Any] = subprocess.run) -> int:
    """Package, then run terraform; returns terraform's exit status (PackageError when packaging fails)."""
    if shutil.which("terraform") is None and runner is subprocess.run:
        raise PackageError("terraform is not on PATH: install Terraform >= 1.6 first")
    result = package(options)
    print(result.artifact.line())
    module = module_dir(options.target, options.source)
    for command in deploy_commands(result, module, plan_only=plan_only, extra_vars=list(extra_vars)):
        print("+ " + " ".join(command), flush=True)
        status = runner(command).returncode
        if status != 0:
            return int(status)
    return 0
