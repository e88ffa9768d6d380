"""infra/deploy.py: the plan (no AWS), a deploy and a re-deploy against moto's CloudFormation,
IAM, ECR, S3, SES and SNS, and a teardown that asks before it deletes data. `chalice` and
`docker` are processes the script runs: a recorder stands in for them and writes what chalice
would (the deployed API's id)."""

from __future__ import annotations

import functools
import importlib.util
import json
import re
import shutil
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import boto3
import pytest

from tests.conftest import ROOT
from tests.support import moto_cfn  # noqa: F401 - registers what moto's CloudFormation lacks

# moto's CloudFormation skips the few resource types it lacks (SES identity, alarms, the secret).
pytestmark = pytest.mark.filterwarnings("ignore:Tried to parse AWS::")

PARAMS = {
    "LogsBucketName": "acme-shc-prod",
    "SenderEmail": "ci-bot@acme.example",
    "AlarmEmail": "platform@acme.example",
    "GitHubRepository": "acme/self-healing-ci",
    "UploaderRepositories": "acme/*",
}


@functools.cache
def deploy_module() -> ModuleType:
    spec = importlib.util.spec_from_file_location("shc_deploy", ROOT / "infra" / "deploy.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look their module up
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """The files deploy reads and binds: the template and the chalice config and policies."""
    (tmp_path / "infra").mkdir()
    shutil.copy(ROOT / "infra" / "template.yaml", tmp_path / "infra")
    shutil.copytree(ROOT / ".chalice", tmp_path / ".chalice", ignore=shutil.ignore_patterns("deployed", "deployments"))
    return tmp_path


class Processes:
    """What the script ran, in order; `chalice deploy` leaves the API's id where chalice does."""

    def __init__(self, root: Path, fail: str = "") -> None:
        self.root, self.fail, self.ran = root, fail, []  # type: ignore[var-annotated]

    def __call__(self, command: list[str], cwd: Path, given: str | None) -> tuple[int, str]:
        words = [Path(command[0]).name, *command[1:]]
        self.ran.append(words)
        if self.fail and self.fail in " ".join(words):
            return 1, "scripted failure"
        if words[:2] == ["chalice", "deploy"]:
            stage = words[-1]
            deployed = cwd / ".chalice" / "deployed"
            deployed.mkdir(parents=True, exist_ok=True)
            api = {"name": "rest_api", "resource_type": "rest_api", "rest_api_id": "abc123def4",
                   "rest_api_url": "https://abc123def4.execute-api.us-east-1.amazonaws.com/api/"}  # fmt: skip
            (deployed / f"{stage}.json").write_text(json.dumps({"resources": [api]}))
        return 0, ""


def network() -> tuple[str, str]:
    ec2 = boto3.client("ec2", region_name="us-east-1")
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.0.1.0/24")["Subnet"]["SubnetId"]
    return vpc, subnet


def aws(service: str) -> Any:
    return boto3.client(service, region_name="us-east-1")


def test_the_plan_says_every_step_and_calls_no_aws(tmp_path: Path) -> None:
    module = deploy_module()
    env = {f"SHC_{k}": v for k, v in PARAMS.items()} | {"SHC_VpcId": "vpc-1", "SHC_PublicSubnetIds": "subnet-1"}
    stage = module.Stage("prod", module.load_params(tmp_path, "prod", env), tmp_path)
    steps = module.plan(stage)
    assert steps[0] == (
        "1. Stack self-healing-ci-prod: create it, or update it, from infra/template.yaml with "
        "AlarmEmail=platform@acme.example, GitHubRepository=acme/self-healing-ci, LogsBucketName=acme-shc-prod, "
        "PublicSubnetIds=subnet-1, SenderEmail=ci-bot@acme.example, Stage=prod, UploaderRepositories=acme/*, "
        "VpcId=vpc-1."
    )
    assert steps[1] == (
        "   GitHub's OIDC provider: looked up in the account; created by the stack only if it is not there."
    )
    assert [s[:2] for s in steps if s[0].isdigit()] == ["1.", "2.", "3.", "4.", "5.", "6."]
    assert "chalice deploy --stage prod: the four functions and the API." in steps[4]
    # An account whose provider exists says so in its parameters; the plan follows them.
    given = module.Stage("prod", {**stage.params, "CreateGitHubOidcProvider": "false"}, tmp_path)
    assert module.plan(given)[1] == "   GitHub's OIDC provider: CreateGitHubOidcProvider=false, as given."


def test_parameters_come_from_the_stage_file_then_the_environment(tmp_path: Path) -> None:
    module = deploy_module()
    (tmp_path / "infra").mkdir()
    (tmp_path / "infra" / "params-dev.json").write_text(
        json.dumps({**PARAMS, "VpcId": "vpc-file", "PublicSubnetIds": ["subnet-a", "subnet-b"]})
    )
    params = module.load_params(tmp_path, "dev", {"SHC_VpcId": "vpc-env"})
    assert (params["VpcId"], params["PublicSubnetIds"], params["Stage"]) == ("vpc-env", "subnet-a,subnet-b", "dev")
    with pytest.raises(module.DeployError) as raised:
        module.load_params(tmp_path, "prod", {"SHC_SenderEmail": "a@b.example"})
    assert str(raised.value) == (
        "missing parameters: LogsBucketName, AlarmEmail, GitHubRepository "
        "(set them in infra/params-prod.json, or as SHC_<Parameter> variables; infra/params.example.json "
        "shows them all)"
    )


def test_a_deploy_runs_every_step_and_a_second_one_only_updates(s3: Any, project: Path) -> None:
    module = deploy_module()
    vpc, subnet = network()
    stage = module.Stage("prod", {**PARAMS, "Stage": "prod", "VpcId": vpc, "PublicSubnetIds": subnet}, project)
    said: list[str] = []
    processes = Processes(project)
    outputs = module.deploy(stage, aws, processes, said.append, docker=None)
    cfn = aws("cloudformation")
    [stack] = cfn.describe_stacks(StackName="self-healing-ci-prod")["Stacks"]
    given = {p["ParameterKey"]: p["ParameterValue"] for p in stack["Parameters"]}
    # A fresh account: the stack creates GitHub's provider; no image yet, so no task; the API's
    # id from chalice went into the stack on the second pass.
    assert (given["CreateGitHubOidcProvider"], given["DashboardTasks"], given["ApiId"]) == ("true", "0", "abc123def4")
    assert processes.ran == [["chalice", "deploy", "--stage", "prod"]]
    env = json.loads((project / ".chalice" / "config.json").read_text())["stages"]["prod"]["environment_variables"]
    assert (env["LOGS_BUCKET"], env["JOBS_QUEUE_NAME"]) == ("acme-shc-prod", outputs["JobsQueueName"])
    assert env["DASHBOARD_URL"] == outputs["DashboardUrl"]  # the failure pages issues and mail link
    assert said[:3] == [
        "GitHub's OIDC provider is new",
        "creating stack self-healing-ci-prod",
        "bound .chalice/config.json",
    ]
    assert "  API:      https://abc123def4.execute-api.us-east-1.amazonaws.com/api/" in said
    assert "  Webhook:  https://abc123def4.execute-api.us-east-1.amazonaws.com/api/github/webhook" in said
    assert "Still for a person:" in said
    # moto's CloudFormation does not make the SES identity: the check says so instead of guessing.
    assert (
        "  - Check SES by hand (the check failed: An error occurred (NotFoundException) when calling the "
        "GetEmailIdentity operation: ci-bot@acme.example)."
    ) in said
    assert f"  Uploader role for CI: {outputs['UploaderRoleArn']}" in said
    endpoint = aws("apigatewayv2").get_apis()["Items"][0]["ApiEndpoint"]
    assert f"  Dashboard: {endpoint} (sign in with the team token:" in said
    assert any(
        line.startswith("  - The dashboard runs no task yet: self-healing-ci-prod-app is empty") for line in said
    )
    # Re-run once the provider exists in the account: the stack is updated, never re-created.
    aws("iam").create_open_id_connect_provider(
        Url="https://token.actions.githubusercontent.com", ClientIDList=["sts.amazonaws.com"], ThumbprintList=["a" * 40]
    )
    again: list[str] = []
    module.deploy(module.Stage("prod", stage.params, project), aws, Processes(project), again.append, docker=None)
    assert again[:2] == ["GitHub's OIDC provider exists", "updating stack self-healing-ci-prod"]
    [stack] = cfn.describe_stacks(StackName="self-healing-ci-prod")["Stacks"]
    assert {p["ParameterKey"]: p["ParameterValue"] for p in stack["Parameters"]}["CreateGitHubOidcProvider"] == "false"


def test_with_docker_the_first_image_is_pushed_and_the_dashboard_runs(s3: Any, project: Path) -> None:
    module = deploy_module()
    vpc, subnet = network()
    stage = module.Stage("dev", {**PARAMS, "Stage": "dev", "LogsBucketName": "acme-shc-dev", "VpcId": vpc,
                                 "PublicSubnetIds": subnet}, project)  # fmt: skip
    processes = Processes(project)
    module.deploy(stage, aws, processes, lambda _: None, docker="/usr/bin/docker")
    uri = aws("ecr").describe_repositories(repositoryNames=["self-healing-ci-dev-app"])["repositories"][0][
        "repositoryUri"
    ]
    assert [words[:2] for words in processes.ran] == [
        ["chalice", "deploy"],
        ["docker", "login"],
        ["docker", "build"],
        ["docker", "push"],
    ]
    assert processes.ran[3] == ["docker", "push", f"{uri}:latest"]
    [stack] = aws("cloudformation").describe_stacks(StackName="self-healing-ci-dev")["Stacks"]
    assert {p["ParameterKey"]: p["ParameterValue"] for p in stack["Parameters"]}["DashboardTasks"] == "1"


def test_a_failed_chalice_deploy_stops_with_its_output(s3: Any, project: Path) -> None:
    module = deploy_module()
    vpc, subnet = network()
    stage = module.Stage("prod", {**PARAMS, "Stage": "prod", "VpcId": vpc, "PublicSubnetIds": subnet}, project)
    with pytest.raises(module.DeployError, match="chalice deploy failed:\nscripted failure"):
        module.deploy(stage, aws, Processes(project, fail="chalice deploy"), lambda _: None)


def test_a_bucket_left_by_an_earlier_attempt_is_named(s3: Any, project: Path) -> None:
    module = deploy_module()
    vpc, subnet = network()
    s3.create_bucket(Bucket="acme-shc-prod")
    stage = module.Stage("prod", {**PARAMS, "Stage": "prod", "VpcId": vpc, "PublicSubnetIds": subnet}, project)
    with pytest.raises(module.DeployError, match="bucket acme-shc-prod exists outside the stack"):
        module.deploy(stage, aws, Processes(project), lambda _: None)


def test_destroy_asks_before_data_and_a_no_keeps_it(s3: Any, project: Path) -> None:
    module = deploy_module()
    vpc, subnet = network()
    stage = module.Stage("prod", {**PARAMS, "Stage": "prod", "VpcId": vpc, "PublicSubnetIds": subnet}, project)
    module.deploy(stage, aws, Processes(project), lambda _: None)
    aws("s3").put_object(Bucket="acme-shc-prod", Key="logs/acme/api/1-1-test.log", Body=b"boom")
    manifest = {"schemaVersion": 2, "mediaType": "application/vnd.docker.distribution.manifest.v2+json"}
    aws("ecr").put_image(
        repositoryName="self-healing-ci-prod-app", imageManifest=json.dumps(manifest), imageTag="latest"
    )
    questions: list[str] = []

    def answer(no_to: str) -> Any:
        def ask(question: str) -> bool:
            questions.append(question)
            return no_to not in question

        return ask

    with pytest.raises(module.DeployError, match="nothing was deleted"):
        module.destroy(stage, aws, Processes(project), answer("image"), lambda _: None)
    assert aws("cloudformation").describe_stacks(StackName="self-healing-ci-prod")["Stacks"]
    said: list[str] = []
    processes = Processes(project)
    module.destroy(stage, aws, processes, answer("bucket"), said.append)
    assert processes.ran == [["chalice", "delete", "--stage", "prod"]]
    assert said[-1] == "kept bucket acme-shc-prod (the stack never deletes it)"
    assert aws("s3").list_objects_v2(Bucket="acme-shc-prod")["KeyCount"] == 1
    stacks = aws("cloudformation").list_stacks()["StackSummaries"]
    assert {s["StackStatus"] for s in stacks if s["StackName"] == "self-healing-ci-prod"} == {"DELETE_COMPLETE"}
    secrets = aws("secretsmanager")
    for name in ("self-healing-ci/prod/api-token", "self-healing-ci/prod/dashboard-token"):
        secrets.create_secret(Name=name, SecretString="t")  # as the stack makes them (moto's does not)
    module.destroy(stage, aws, Processes(project), answer("nothing"), said.append)
    assert said[-1] == "deleted bucket acme-shc-prod"
    # Gone at once, not waiting out a recovery window: the next deploy can create them again.
    assert secrets.list_secrets(IncludePlannedDeletion=True)["SecretList"] == []
    assert "acme-shc-prod" not in {b["Name"] for b in aws("s3").list_buckets()["Buckets"]}
    assert questions[0] == "Delete the 1 dashboard image(s) in self-healing-ci-prod-app?"
    assert questions[-1] == "Delete bucket acme-shc-prod with every log, analysis and outcome in it?"


def test_without_a_network_the_default_vpc_and_its_subnets_are_used(s3: Any, project: Path) -> None:
    module = deploy_module()
    stage = module.Stage("dev", {**PARAMS, "Stage": "dev", "LogsBucketName": "acme-shc-dev"}, project)
    assert "   VpcId and PublicSubnetIds: the account's default VPC and its default subnets, looked up." in module.plan(
        stage
    )
    ec2 = aws("ec2")
    [default] = ec2.describe_vpcs(Filters=[{"Name": "isDefault", "Values": ["true"]}])["Vpcs"]
    said: list[str] = []
    module.deploy(stage, aws, Processes(project), said.append)
    [stack] = aws("cloudformation").describe_stacks(StackName="self-healing-ci-dev")["Stacks"]
    given = {p["ParameterKey"]: p["ParameterValue"] for p in stack["Parameters"]}
    subnets = ec2.describe_subnets(Filters=[{"Name": "vpc-id", "Values": [default["VpcId"]]}])["Subnets"]
    assert given["VpcId"] == default["VpcId"]
    # (moto shows a list parameter as Python shows a list)
    assert set(re.findall(r"subnet-[0-9a-f]+", given["PublicSubnetIds"])) == {
        s["SubnetId"] for s in subnets if s["DefaultForAz"]
    }
    assert said[0].startswith(f"the default VPC {default['VpcId']} and its subnets ")
