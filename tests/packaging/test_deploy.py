"""`botless deploy`: the commands it runs, without running Terraform."""

from __future__ import annotations

import subprocess

from functions.local.cli import main
from tooling.packaging import PackageOptions
from tooling.packaging.deploy import deploy, module_dir


def test_deploy_packages_then_inits_and_plans_the_target_module(tmp_path, capsys):
    ran: list[list[str]] = []

    def runner(command):
        ran.append(command)
        return subprocess.CompletedProcess(command, 0)

    options = PackageOptions(target="gcf", topology="pipeline", out=tmp_path, dependencies=False)
    assert deploy(options, plan_only=True, extra_vars=["project_id=demo"], runner=runner) == 0
    module = module_dir("gcf")
    assert ran[0] == ["terraform", f"-chdir={module}", "init", "-input=false"]
    assert ran[1][:3] == ["terraform", f"-chdir={module}", "plan"]
    assert f"-var-file={tmp_path / 'botless-gcf.tfvars.json'}" in ran[1] and "-var=project_id=demo" in ran[1]
    assert "botless-gcf.zip" in capsys.readouterr().out


def test_deploy_stops_at_the_first_failing_command(tmp_path):
    ran: list[list[str]] = []

    def runner(command):
        ran.append(command)
        return subprocess.CompletedProcess(command, 3)

    options = PackageOptions(target="azure", out=tmp_path, dependencies=False)
    assert deploy(options, plan_only=False, runner=runner) == 3 and len(ran) == 1


def test_knative_deploy_asks_for_the_image_first(capsys):
    assert main(["deploy", "--target", "knative", "--plan"]) == 2
    assert "docker build" in capsys.readouterr().err
