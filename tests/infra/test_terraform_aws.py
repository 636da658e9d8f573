"""infra/aws_lambda: init from the local provider mirror, validate, then apply and destroy on moto."""

from __future__ import annotations

import json
import threading
import zipfile

import boto3
import pytest

from core.chat.platforms import CHAT_SECRETS
from tooling.packaging import PackageOptions, package
from tests.infra.conftest import copy_module, needs_aws_mirror, run_terraform, terraform_env

pytestmark = [needs_aws_mirror, pytest.mark.slow]


@pytest.fixture(scope="module")
def lambda_zip(tmp_path_factory):
    """The zip `botless package` builds, with its Linux dependencies (pip)."""
    out = tmp_path_factory.mktemp("package")
    return package(PackageOptions(target="aws-lambda", topology="mono", out=out))


def prepared(tmp_path, endpoint, variables):
    module = copy_module("aws_lambda", tmp_path)
    env = terraform_env(tmp_path)
    (module / "test.auto.tfvars.json").write_text(json.dumps({"aws_endpoint_url": endpoint, **variables}))
    run_terraform(["init", "-input=false", "-backend=false"], module, env)
    return module, env


def test_the_lambda_module_validates_offline(tmp_path):
    module = copy_module("aws_lambda", tmp_path)
    env = terraform_env(tmp_path)
    run_terraform(["init", "-input=false", "-backend=false"], module, env)
    assert "Success" in run_terraform(["validate"], module, env)


def test_apply_and_destroy_on_moto_with_the_packaged_zip(tmp_path, moto_endpoint, lambda_zip):
    """mono is applied and destroyed for real; pipeline is planned alongside (its apply adds ~40 s:
    the AWS provider creates functions one at a time, five seconds each, against moto)."""
    # The module needs no parameter; one is there all the same, to show Terraform never reads it.
    ssm = boto3.client("ssm", endpoint_url=moto_endpoint, region_name="us-east-1",
                       aws_access_key_id="testing", aws_secret_access_key="testing")
    ssm.put_parameter(Name="/botless-test/SLACK_SIGNING_SECRET", Value="not-a-real-secret", Type="SecureString")
    # Like KMS, moto creates the aws/ssm key on its first DescribeKey; the two terraform runs
    # below would race to create it twice (KMS has it once a SecureString used it).
    kms = boto3.client("kms", endpoint_url=moto_endpoint, region_name="us-east-1",
                       aws_access_key_id="testing", aws_secret_access_key="testing")
    aws_ssm_key = kms.describe_key(KeyId="alias/aws/ssm")["KeyMetadata"]["Arn"]
    variables = json.loads(lambda_zip.tfvars.path.read_text())
    base = {**variables, "secrets_ssm_path": "/botless-test/"}

    planned: dict[str, str] = {}

    def plan_pipeline() -> None:
        module, env = prepared(tmp_path / "pipeline", moto_endpoint,
                               {**base, "topology": "pipeline", "name": "botless-p"})
        planned["out"] = run_terraform(["plan", "-input=false"], module, env)

    (tmp_path / "pipeline").mkdir()
    planner = threading.Thread(target=plan_pipeline)
    planner.start()

    (tmp_path / "mono").mkdir()
    module, env = prepared(tmp_path / "mono", moto_endpoint, {**base, "name": "botless-m"})
    run_terraform(["apply", "-input=false", "-auto-approve"], module, env)
    outputs = json.loads(run_terraform(["output", "-json"], module, env))

    lam = boto3.client("lambda", endpoint_url=moto_endpoint, region_name="us-east-1",
                       aws_access_key_id="testing", aws_secret_access_key="testing")
    function = lam.get_function(FunctionName="botless-m-mono")["Configuration"]
    assert function["Handler"] == "functions.aws_lambda.handler.mono"
    assert function["Runtime"] == variables["python_runtime"]
    assert function["CodeSize"] == lambda_zip.artifact.size
    environment = function["Environment"]["Variables"]
    assert environment["BOTLESS_ROLE"] == "mono" and environment["BOTLESS_TOPOLOGY"] == "mono"
    # The path, never the secrets: the function reads them from SSM at run time.
    assert environment["BOTLESS_SSM_PREFIX"] == "/botless-test/"
    assert environment["BOTLESS_DEDUPE_LEASE_SECONDS"] == "45"  # the 30 s timeout + 15
    assert not set(CHAT_SECRETS) & set(environment)
    assert "not-a-real-secret" not in (module / "terraform.tfstate").read_text()
    iam = boto3.client("iam", endpoint_url=moto_endpoint, region_name="us-east-1",
                       aws_access_key_id="testing", aws_secret_access_key="testing")
    policy = iam.get_role_policy(RoleName="botless-m-mono", PolicyName="botless-m-mono")["PolicyDocument"]
    statements = {s["Sid"]: s for s in (json.loads(policy) if isinstance(policy, str) else policy)["Statement"]}
    path_arn = "arn:aws:ssm:us-east-1:123456789012:parameter/botless-test"
    assert statements["ReadChatSecrets"]["Action"] == "ssm:GetParametersByPath"
    assert sorted(statements["ReadChatSecrets"]["Resource"]) == [path_arn, f"{path_arn}/*"]
    decrypt = statements["DecryptChatSecrets"]
    assert decrypt["Action"] == "kms:Decrypt" and decrypt["Resource"] == aws_ssm_key
    assert decrypt["Condition"]["StringEquals"] == {"kms:ViaService": "ssm.us-east-1.amazonaws.com"}
    assert decrypt["Condition"]["StringLike"] == {"kms:EncryptionContext:PARAMETER_ARN": f"{path_arn}/*"}
    assert outputs["slack_webhook_url"]["value"].endswith("/slack/events")
    assert outputs["discord_webhook_url"]["value"].endswith("/discord/interactions")
    assert outputs["telegram_webhook_url"]["value"].endswith("/telegram/webhook")
    # No output carries a secret.
    assert "not-a-real-secret" not in json.dumps(outputs)
    with zipfile.ZipFile(lambda_zip.artifact.path) as archive:
        assert "functions/aws_lambda/handler.py" in archive.namelist()

    run_terraform(["destroy", "-input=false", "-auto-approve"], module, env)
    # moto's servers in one process share their state: other tests' functions may be there.
    left = [f["FunctionName"] for f in lam.list_functions()["Functions"]]
    assert [name for name in left if name.startswith("botless-m-")] == []

    planner.join(timeout=180)
    plan = planned.get("out", "")
    for role in ("receive", "parse", "command", "respond"):
        assert f'aws_lambda_function.role["{role}"] will be created' in plan
    for name in variables["commands"]:
        assert f'aws_cloudwatch_event_rule.route["command-{name}"] will be created' in plan
    assert 'aws_cloudwatch_event_rule.route["message"]' in plan
    assert 'aws_cloudwatch_event_rule.route["response"]' in plan
