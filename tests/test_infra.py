"""infra/: the CloudFormation template's security properties, the package, workflows, the upload script."""

from __future__ import annotations

import fnmatch
import json
import os
import platform
import re
import shutil
import subprocess
import sys
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from chalicelib.excerpt.compiled import BUILD_FOLDER, GROUP, STAMP_FILE, current_build
from tests.conftest import EXAMPLES, ROOT

VENV_BIN = Path(sys.executable).parent
TEMPLATE = ROOT / "infra" / "template.yaml"
WORKFLOWS = sorted((ROOT / ".github" / "workflows").glob("*.yml"))


class CfnLoader(yaml.SafeLoader):
    """YAML with CloudFormation's short tags (!Ref, !Sub, ...) kept as {"Tag": value}."""


def _tag(loader: yaml.SafeLoader, suffix: str, node: yaml.Node) -> dict[str, Any]:
    if isinstance(node, yaml.ScalarNode):
        value: Any = loader.construct_scalar(node)
    elif isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node, deep=True)
    else:
        value = loader.construct_mapping(node, deep=True)  # type: ignore[arg-type]
    return {suffix: value}


CfnLoader.add_multi_constructor("!", _tag)


@pytest.fixture(scope="module")
def template() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.load(TEMPLATE.read_text(), Loader=CfnLoader)  # noqa: S506 - a SafeLoader subclass
    return loaded


def resource(template: dict[str, Any], kind: str) -> list[dict[str, Any]]:
    return [r["Properties"] for r in template["Resources"].values() if r["Type"] == kind]


def statements(role: dict[str, Any]) -> list[dict[str, Any]]:
    return [s for p in role.get("Policies", []) for s in p["PolicyDocument"]["Statement"]]


def run(*args: str, **kw: Any) -> subprocess.CompletedProcess[str]:
    return subprocess.run(list(args), capture_output=True, text=True, timeout=600, check=False, **kw)


def test_cfn_lint_reports_no_errors() -> None:
    result = run(str(VENV_BIN / "cfn-lint"), str(TEMPLATE))
    assert result.returncode == 0, result.stdout + result.stderr


def test_bucket_is_private_encrypted_tls_only_and_expires(template: dict[str, Any]) -> None:
    [bucket] = resource(template, "AWS::S3::Bucket")
    assert bucket["BucketEncryption"]["ServerSideEncryptionConfiguration"][0]["ServerSideEncryptionByDefault"]
    assert bucket["PublicAccessBlockConfiguration"] == {
        "BlockPublicAcls": True,
        "BlockPublicPolicy": True,
        "IgnorePublicAcls": True,
        "RestrictPublicBuckets": True,
    }
    rules = {r.get("Prefix"): r.get("ExpirationInDays") for r in bucket["LifecycleConfiguration"]["Rules"]}
    assert rules["logs/"] == {"Ref": "LogsRetentionDays"} and rules["analysis/"] == {"Ref": "AnalysisRetentionDays"}
    params = template["Parameters"]
    assert params["LogsRetentionDays"]["Default"] == 30 and params["AnalysisRetentionDays"]["Default"] == 365
    [policy] = resource(template, "AWS::S3::BucketPolicy")
    [deny] = policy["PolicyDocument"]["Statement"]
    assert deny["Effect"] == "Deny" and deny["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}


def test_ecr_and_ecs(template: dict[str, Any]) -> None:
    [repo] = resource(template, "AWS::ECR::Repository")
    assert repo["RepositoryName"] == {"Sub": "self-healing-ci-${Stage}-app"}
    assert repo["ImageScanningConfiguration"]["ScanOnPush"]
    lifecycle = json.loads(repo["LifecyclePolicy"]["LifecyclePolicyText"])
    assert lifecycle["rules"][0]["selection"]["countNumber"] == 20
    [cluster] = resource(template, "AWS::ECS::Cluster")
    assert cluster["ClusterName"] == {"Sub": "self-healing-ci-${Stage}"}
    [task] = resource(template, "AWS::ECS::TaskDefinition")
    assert (task["Cpu"], task["Memory"], task["RequiresCompatibilities"]) == ("256", "512", ["FARGATE"])
    [container] = task["ContainerDefinitions"]
    assert container["LogConfiguration"]["LogDriver"] == "awslogs" and container["HealthCheck"]["Command"]
    groups = {g["LogGroupName"]["Sub"]: g.get("RetentionInDays") for g in resource(template, "AWS::Logs::LogGroup")}
    assert groups["/ecs/self-healing-ci-${Stage}"] == 14
    [service] = resource(template, "AWS::ECS::Service")
    assert service["ServiceName"] == {"Sub": "self-healing-ci-${Stage}-app"}
    assert service["NetworkConfiguration"]["AwsvpcConfiguration"]["Subnets"] == {"Ref": "PublicSubnetIds"}


def test_the_dashboard_is_reached_over_https_through_the_vpc_link_only(template: dict[str, Any]) -> None:
    resources = template["Resources"]
    # No group lets anything in from the internet; the dashboard's admits the VPC link alone.
    for logical, res in resources.items():
        if res["Type"] == "AWS::EC2::SecurityGroup":
            assert "SecurityGroupIngress" not in res["Properties"], logical
    [ingress] = resource(template, "AWS::EC2::SecurityGroupIngress")
    assert ingress == {
        "GroupId": {"Ref": "AppSecurityGroup"},
        "IpProtocol": "tcp",
        "FromPort": {"Ref": "AppPort"},
        "ToPort": {"Ref": "AppPort"},
        "SourceSecurityGroupId": {"Ref": "VpcLinkSecurityGroup"},
        "Description": "the HTTP API VPC link",
    }
    [link_out] = resources["VpcLinkSecurityGroup"]["Properties"]["SecurityGroupEgress"]
    assert link_out["DestinationSecurityGroupId"] == {"Ref": "AppSecurityGroup"}
    assert resources["DashboardApi"]["Properties"]["ProtocolType"] == "HTTP"  # HTTPS on execute-api
    integration = resources["DashboardIntegration"]["Properties"]
    assert (integration["ConnectionType"], integration["IntegrationUri"]) == (
        "VPC_LINK",
        {"GetAtt": "DashboardDiscovery.Arn"},
    )
    [service] = resource(template, "AWS::ECS::Service")
    assert service["ServiceRegistries"] == [
        {
            "RegistryArn": {"GetAtt": "DashboardDiscovery.Arn"},
            "ContainerName": "app",
            "ContainerPort": {"Ref": "AppPort"},
        }
    ]
    assert template["Outputs"]["DashboardUrl"] == {"Value": {"GetAtt": "DashboardApi.ApiEndpoint"}}


def test_the_dashboard_asks_for_a_token_it_reads_by_reference(template: dict[str, Any]) -> None:
    [task] = resource(template, "AWS::ECS::TaskDefinition")
    [container] = task["ContainerDefinitions"]
    env = {e["Name"]: e["Value"] for e in container["Environment"] if "If" not in e}
    assert env["DASHBOARD_TOKEN_SECRET"] == {"Ref": "DashboardToken"} and "DASHBOARD_TOKEN" not in env
    assert env["DASHBOARD_URL"] == {"GetAtt": "DashboardApi.ApiEndpoint"}
    # With an identity provider: its settings, and its client secret by name, never by value.
    provider = {e["If"][1]["Name"]: e["If"][1]["Value"] for e in container["Environment"] if "If" in e}
    assert provider == {
        "DASHBOARD_OIDC_ISSUER": {"Ref": "DashboardOidcIssuer"},
        "DASHBOARD_OIDC_CLIENT_ID": {"Ref": "DashboardOidcClientId"},
        "DASHBOARD_OIDC_CLIENT_SECRET_SECRET": {"Ref": "DashboardOidcClientSecretName"},
        "DASHBOARD_ALLOWED_EMAILS": {"Ref": "DashboardAllowedEmails"},
    }
    assert all(e["If"][0] == "SignInWithProvider" for e in container["Environment"] if "If" in e)
    secret = template["Resources"]["DashboardToken"]["Properties"]
    assert secret["Name"] == {"Sub": "self-healing-ci/${Stage}/dashboard-token"} and "SecretString" not in secret
    role = statements(template["Resources"]["TaskRole"]["Properties"])
    [read] = [s for s in role if s.get("Sid") == "ReadTheSignInToken"]
    assert (read["Action"], read["Resource"]) == ("secretsmanager:GetSecretValue", {"Ref": "DashboardToken"})
    [(condition, client_secret, absent)] = [s["If"] for s in role if "If" in s]
    assert (condition, client_secret["Action"], absent) == (
        "SignInWithProvider",
        "secretsmanager:GetSecretValue",
        {"Ref": "AWS::NoValue"},
    )


def test_iam_is_least_privilege(template: dict[str, Any]) -> None:
    roles = template["Resources"]
    task = [s for s in statements(roles["TaskRole"]["Properties"]) if "If" not in s]
    assert {s["Action"] for s in task} == {"s3:GetObject", "s3:ListBucket", "secretsmanager:GetSecretValue"}
    assert task[0]["Resource"] == {"Sub": "${LogsBucket.Arn}/analysis/*"}
    uploader = roles["UploaderRole"]["Properties"]
    [trust] = uploader["AssumeRolePolicyDocument"]["Statement"]
    assert trust["Action"] == "sts:AssumeRoleWithWebIdentity"
    assert trust["Condition"]["StringEquals"] == {"token.actions.githubusercontent.com:aud": "sts.amazonaws.com"}
    listed, only_own = trust["Condition"]["StringLike"]["token.actions.githubusercontent.com:sub"]["If"][1:]
    assert only_own == [{"Sub": "repo:${GitHubRepository}:*"}]
    assert listed == {
        "Split": [
            ",",
            {"Sub": ["repo:${Listed}:*", {"Listed": {"Join": [":*,repo:", {"Ref": "UploaderRepositories"}]}}]},
        ]
    }
    [put] = statements(uploader)
    assert (put["Sid"], put["Action"], put["Resource"]) == (
        "PutLogsOnly",
        "s3:PutObject",
        {"Sub": "${LogsBucket.Arn}/logs/*"},
    )
    deploy = roles["DeployRole"]["Properties"]
    [trust] = deploy["AssumeRolePolicyDocument"]["Statement"]
    assert trust["Condition"] == {
        "StringEquals": {
            "token.actions.githubusercontent.com:aud": "sts.amazonaws.com",
            "token.actions.githubusercontent.com:sub": {
                "Sub": "repo:${GitHubRepository}:ref:refs/heads/${DefaultBranch}"
            },
        }
    }
    by_sid = {s["Sid"]: s for s in statements(deploy)}
    assert "PutLogsOnly" not in by_sid
    assert by_sid["EcrPushThisRepository"]["Resource"] == {"GetAtt": "AppRepository.Arn"}
    assert by_sid["EcrLogin"]["Action"] == "ecr:GetAuthorizationToken"  # the only account-wide ECR call
    assert by_sid["PassTheTaskRoles"]["Resource"] == [{"GetAtt": "TaskExecutionRole.Arn"}, {"GetAtt": "TaskRole.Arn"}]
    assert by_sid["ThisService"]["Resource"] == {"Ref": "AppService"}
    wildcard = [s for s in statements(deploy) if s["Resource"] == "*"]
    assert {s["Sid"] for s in wildcard} == {"EcrLogin", "TaskDefinitions"}  # AWS has no resource scoping for these


def _evaluate(node: Any, params: dict[str, Any]) -> Any:
    """CloudFormation's Ref, Join, Split, Sub and If on ``params``, enough for the trust policy."""
    if isinstance(node, list):
        return [_evaluate(item, params) for item in node]
    if not isinstance(node, dict):
        return node
    [(name, arg)] = node.items()
    if name == "Ref":
        return params[arg]
    if name == "Join":
        return arg[0].join(_evaluate(arg[1], params))
    if name == "Split":
        return _evaluate(arg[1], params).split(arg[0])
    if name == "If":
        return _evaluate(arg[1] if params[arg[0]] else arg[2], params)
    if name == "Sub":
        text, values = (
            (arg, {}) if isinstance(arg, str) else (arg[0], {k: _evaluate(v, params) for k, v in arg[1].items()})
        )
        return re.sub(r"\$\{(\w+)\}", lambda m: str({**params, **values}[m.group(1)]), text)
    raise AssertionError(f"not evaluated here: {name}")


def test_the_uploader_role_trusts_each_listed_repository_or_organisation(template: dict[str, Any]) -> None:
    [trust] = template["Resources"]["UploaderRole"]["Properties"]["AssumeRolePolicyDocument"]["Statement"]
    subject = trust["Condition"]["StringLike"]["token.actions.githubusercontent.com:sub"]
    listed = {
        "UploaderRepositories": ["acme/api", "acme-labs/*"],
        "GitHubRepository": "acme/ci",
        "UploadersListed": True,
    }
    assert _evaluate(subject, listed) == ["repo:acme/api:*", "repo:acme-labs/*:*"]
    own = {"UploaderRepositories": [""], "GitHubRepository": "acme/ci", "UploadersListed": False}
    assert _evaluate(subject, own) == ["repo:acme/ci:*"]
    condition = template["Conditions"]["UploadersListed"]
    assert condition == {"Not": [{"Equals": [{"Join": ["", {"Ref": "UploaderRepositories"}]}, ""]}]}


def test_every_named_resource_is_scoped_by_its_stage(template: dict[str, Any]) -> None:
    name_keys = ("Name", "QueueName", "RepositoryName", "ClusterName", "ServiceName", "Family", "LogGroupName",
                 "TopicName", "DashboardName", "UsagePlanName")  # fmt: skip
    named = {
        (logical, key): res["Properties"][key]
        for logical, res in template["Resources"].items()
        for key in name_keys
        if key in res.get("Properties", {})
    }
    assert len(named) >= 15
    # The dashboard's Cloud Map service is named within its namespace, which carries the stage.
    assert named.pop(("DashboardDiscovery", "Name")) == "dashboard"
    for (logical, key), value in named.items():
        text = value["Sub"] if isinstance(value, dict) and "Sub" in value else value
        if isinstance(text, list):
            text = text[0]
        assert isinstance(text, str) and "${Stage}" in text, (logical, key, value)


def test_ses_and_monitoring(template: dict[str, Any]) -> None:
    [identity] = resource(template, "AWS::SES::EmailIdentity")
    assert identity["EmailIdentity"] == {"Ref": "SenderEmail"}
    [destination] = resource(template, "AWS::SES::ConfigurationSetEventDestination")
    assert destination["EventDestination"]["CloudWatchDestination"]
    alarms = {(a["Namespace"], a["MetricName"]) for a in resource(template, "AWS::CloudWatch::Alarm")}
    assert alarms == {("AWS/Lambda", "Errors"), ("AWS/SQS", "ApproximateNumberOfMessagesVisible")}
    [dashboard] = resource(template, "AWS::CloudWatch::Dashboard")
    body = dashboard["DashboardBody"]["Sub"]
    for metric in (
        "Invocations",
        "Errors",
        "Duration",
        "Analyses",
        "LlmTokens",
        "LlmCostUSD",
        "IssuesOpened",
        "PullRequestsOpened",
        "Healed",
    ):
        assert metric in body
    lambda_groups = [g for g in resource(template, "AWS::Logs::LogGroup") if "/aws/lambda/" in g["LogGroupName"]["Sub"]]
    assert all(g["RetentionInDays"] == {"Ref": "LambdaLogRetentionDays"} for g in lambda_groups)
    # Every function chalice deploys ("<app>-<stage>" for the API, "<app>-<stage>-<handler>" else).
    assert {g["LogGroupName"]["Sub"] for g in lambda_groups} == {
        f"/aws/lambda/self-healing-ci-${{Stage}}{suffix}"
        for suffix in ("", "-on_log_uploaded", "-daily_digest", "-collect_job_logs")
    }
    assert set(template["Outputs"]) >= {
        "LogsBucketName",
        "EcrRepositoryUri",
        "UploaderRoleArn",
        "DeployRoleArn",
        "SesConfigurationSetName",
        "JobsQueueName",
    }


def test_bind_stack_points_chalice_at_the_stack(tmp_path: Path) -> None:
    shutil.copytree(ROOT / ".chalice", tmp_path / ".chalice")
    outputs = {
        "Stacks": [
            {
                "Outputs": [
                    {"OutputKey": "LogsBucketName", "OutputValue": "acme-shci-logs"},
                    {"OutputKey": "SesConfigurationSetName", "OutputValue": "self-healing-ci-prod"},
                    {"OutputKey": "SenderEmail", "OutputValue": "ci@acme.example"},
                ]
            }
        ]
    }
    (tmp_path / "outputs.json").write_text(json.dumps(outputs))
    result = run(
        sys.executable,
        str(ROOT / "infra" / "bind_stack.py"),
        "--stage",
        "prod",
        "--outputs-json",
        str(tmp_path / "outputs.json"),
        "--root",
        str(tmp_path),
    )
    assert result.returncode == 0, result.stderr
    config = json.loads((tmp_path / ".chalice" / "config.json").read_text())
    env = config["stages"]["prod"]["environment_variables"]
    assert (env["LOGS_BUCKET"], env["MAIL_FROM"], env["SES_CONFIGURATION_SET"]) == (
        "acme-shci-logs",
        "ci@acme.example",
        "self-healing-ci-prod",
    )
    policy = (tmp_path / ".chalice" / "policy-prod.json").read_text()
    assert "arn:aws:s3:::acme-shci-logs/logs/*" in policy and "self-healing-ci-logs-prod" not in policy


def test_chalice_packages_offline_under_the_lambda_limit(tmp_path: Path) -> None:
    env = {**os.environ, "AWS_DEFAULT_REGION": "us-east-1"}
    result = run(
        str(VENV_BIN / "chalice"),
        "package",
        "--pkg-format",
        "terraform",
        "--stage",
        "prod",
        str(tmp_path),
        cwd=ROOT,
        env=env,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Could not install dependencies" not in result.stdout + result.stderr
    package = tmp_path / "deployment.zip"
    size = package.stat().st_size
    print(f"deployment package: {size / 1e6:.1f} MB zipped")
    assert size < 50 * 1024 * 1024
    names = zipfile.ZipFile(package).namelist()
    assert "app.py" in names and "chalicelib/templates/issue.md.j2" in names
    assert any(n.startswith("re2") or n.startswith("_re2") for n in names)
    if platform.machine() == "x86_64":  # requirements.txt installs Hyperscan only there
        assert any(n.startswith("hyperscan/") for n in names)  # the fast scan engine ships too
    if current_build(ROOT / "chalicelib" / "excerpt") is not None:  # and the compiled build, when made here
        assert f"chalicelib/excerpt/{BUILD_FOLDER}/{STAMP_FILE}" in names
        assert any(n.startswith(f"chalicelib/excerpt/{BUILD_FOLDER}/{GROUP}__mypyc") for n in names)
    terraform = json.loads((tmp_path / "chalice.tf.json").read_text())
    assert "aws_lambda_function" in terraform["resource"]


def test_workflows_validate_and_pass_zizmor() -> None:
    schema = run(
        str(VENV_BIN / "check-jsonschema"), "--builtin-schema", "vendor.github-workflows", *map(str, WORKFLOWS)
    )
    assert schema.returncode == 0, schema.stdout + schema.stderr
    audit = run(str(VENV_BIN / "zizmor"), "--offline", "--min-severity", "medium", str(ROOT / ".github" / "workflows"))
    assert audit.returncode == 0, audit.stdout + audit.stderr


def test_workflows_pin_actions_and_keep_permissions_low() -> None:
    for path in WORKFLOWS:
        text = path.read_text()
        workflow = yaml.safe_load(text)
        assert workflow["permissions"] in ({"contents": "read"}, {})
        assert "pull_request_target" not in text and "workflow_run" not in text
        for uses in re.findall(r"uses:\s*(\S+)", text):
            # An action pinned by commit, or a reusable workflow of this repository (same commit).
            local = re.match(r"^\./\.github/workflows/[\w.-]+\.yml$", uses) and (ROOT / uses).is_file()
            assert local or re.match(r"^[\w.-]+/[\w.-]+@[0-9a-f]{40}$", uses), uses
        assert "aws-access-key-id" not in text and "AWS_SECRET_ACCESS_KEY" not in text


@pytest.fixture
def moto_server() -> Iterator[str]:
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


def test_upload_script_with_the_real_aws_cli(moto_server: str, tmp_path: Path) -> None:
    import boto3

    env = {
        **os.environ,
        "AWS_ENDPOINT_URL": moto_server,
        "PATH": f"{VENV_BIN}:{os.environ['PATH']}",
        "AWS_ACCESS_KEY_ID": "test",
        "AWS_SECRET_ACCESS_KEY": "test",
        "AWS_DEFAULT_REGION": "us-east-1",
    }
    s3 = boto3.client("s3", endpoint_url=moto_server, region_name="us-east-1")
    s3.create_bucket(Bucket="ci-logs")
    script = str(ROOT / "scripts" / "upload-ci-log")
    log = str(EXAMPLES / "ruff-lint.log")
    common = ["--bucket", "ci-logs", "--repo", "acme/inventory", "--run-id", "42", "--job", "lint (3.11)"]
    failed = run(
        script,
        *common,
        "--attempt",
        "2",
        "--sha",
        "1234abcd",
        "--branch",
        "fix/x",
        "--workflow",
        "CI",
        "--author-email",
        "dev@acme.example",
        log,
        env=env,
    )
    assert failed.returncode == 0, failed.stderr
    head = s3.head_object(Bucket="ci-logs", Key="logs/acme/inventory/42-2-lint (3.11).log.gz")
    assert head["Metadata"] == {
        "repo": "acme/inventory",
        "run-id": "42",
        "run-attempt": "2",
        "job": "lint (3.11)",
        "sha": "1234abcd",
        "branch": "fix/x",
        "workflow": "CI",
        "author-email": "dev@acme.example",
    }
    passed = ["--attempt", "3", "--sha", "1234abcd", "--workflow", "CI", "--branch", "self-healing/abcd1234-41"]
    assert run(script, "--success", *common, *passed, env=env).returncode == 0
    record = json.loads(
        s3.get_object(Bucket="ci-logs", Key="logs/acme/inventory/42-3-lint (3.11).success.json")["Body"].read()
    )
    assert record == {
        "repo": "acme/inventory",
        "branch": "self-healing/abcd1234-41",
        "run_id": "42",
        "run_attempt": "3",
        "sha": "1234abcd",
        "workflow": "CI",
        "job": "lint (3.11)",
    }
    assert run(script, "--green", *common, "--workflow", "CI", log, env=env).returncode == 0
    s3.head_object(Bucket="ci-logs", Key="logs/acme/inventory/green/CI/lint (3.11).log.gz")
    bad = run(script, "--bucket", "ci-logs", "--repo", "nope", "--run-id", "1", "--job", "j", log, env=env)
    assert bad.returncode == 2 and "owner/name" in bad.stderr


def test_metrics_are_emf_lines_on_stdout(s3: Any, capsys: pytest.CaptureFixture[str]) -> None:
    from chalicelib.ingest.metadata import RunMetadata
    from chalicelib.pipeline import analyze_text
    from chalicelib.services import build_services
    from chalicelib.settings import Settings
    from tests.conftest import BUCKET, example

    services = build_services(Settings.from_env({"LOGS_BUCKET": BUCKET, "EMIT_METRICS": "1"}), s3)
    analyze_text(services, example("ruff-lint.log"), RunMetadata(repo="acme/x"), True)
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines() if line.startswith('{"_aws"')]
    by_category, totals = lines
    directive = by_category["_aws"]["CloudWatchMetrics"][0]
    assert directive["Namespace"] == "SelfHealingCI" and directive["Dimensions"] == [["Category"]]
    assert by_category["Category"] == "lint" and by_category["Analyses"] == 1
    assert totals["LlmTokens"] == 0 and totals["IssuesOpened"] == 0 and "LlmCostUSD" in totals


@pytest.mark.parametrize("stage", ["dev", "prod"])
def test_the_lambda_deletes_nothing_but_its_own_claims(stage: str) -> None:
    policy = json.loads((ROOT / ".chalice" / f"policy-{stage}.json").read_text())
    deleting = [st for st in policy["Statement"] if any(a.startswith("s3:Delete") for a in st["Action"])]
    assert deleting == [
        {
            "Sid": "ReleaseClaims",
            "Effect": "Allow",
            "Action": ["s3:DeleteObject"],
            "Resource": [f"arn:aws:s3:::self-healing-ci-logs-{stage}/analysis/_state/claims/*"],
        }
    ]


def test_failed_jobs_queue_into_a_queue_with_a_dead_letter_queue_and_its_alarm(template: dict[str, Any]) -> None:
    queues = {q["QueueName"]["Sub"]: q for q in resource(template, "AWS::SQS::Queue")}
    assert set(queues) == {"self-healing-ci-${Stage}-jobs", "self-healing-ci-${Stage}-jobs-dlq"}
    redrive = queues["self-healing-ci-${Stage}-jobs"]["RedrivePolicy"]
    assert redrive == {"deadLetterTargetArn": {"GetAtt": "JobsDeadLetterQueue.Arn"}, "maxReceiveCount": 5}
    [alarm] = [a for a in resource(template, "AWS::CloudWatch::Alarm") if a["Namespace"] == "AWS/SQS"]
    assert alarm["Dimensions"] == [{"Name": "QueueName", "Value": {"GetAtt": "JobsDeadLetterQueue.QueueName"}}]


def test_the_reusable_workflow_collects_every_failed_jobs_log_with_least_permissions() -> None:
    workflow = yaml.safe_load((ROOT / ".github" / "workflows" / "collect-failed-logs.yml").read_text())
    trigger = workflow[True]  # YAML 1.1 reads the key "on" as true
    assert set(trigger) == {"workflow_call"}
    assert set(trigger["workflow_call"]["inputs"]) == {"role-arn", "bucket", "aws-region"}
    [job] = workflow["jobs"].values()
    assert job["permissions"] == {"actions": "read", "id-token": "write"}
    script = job["steps"][-1]["run"]
    assert 'select(.conclusion == "failure" or .conclusion == "timed_out")' in script
    assert "s3://$BUCKET/logs/$REPO/$RUN_ID-$ATTEMPT-$safe_name.log.gz" in script
    ci = yaml.safe_load((ROOT / ".github" / "workflows" / "ci.yml").read_text())
    assert ci["jobs"]["collect-logs"]["uses"] == "./.github/workflows/collect-failed-logs.yml"


@pytest.mark.skipif(shutil.which("jq") is None, reason="jq is not installed")
def test_the_reusable_workflow_uploads_each_failed_jobs_failed_step_times() -> None:
    workflow = yaml.safe_load((ROOT / ".github" / "workflows" / "collect-failed-logs.yml").read_text())
    script = next(iter(workflow["jobs"].values()))["steps"][-1]["run"]
    [listing] = re.findall(r"--jq '([^']*)'", script)
    [metadata] = re.findall(r"--arg steps \"\$failed_steps\" \\\n\s*'([^']*)'", script)

    def step(name: str, conclusion: str, started: str, completed: str) -> dict[str, str]:
        return {
            "name": name,
            "status": "completed",
            "conclusion": conclusion,
            "started_at": started,
            "completed_at": completed,
        }

    jobs = {
        "jobs": [
            {
                "id": 11,
                "name": "test (3.12)",
                "conclusion": "failure",
                "steps": [
                    step("Lint", "success", "2026-09-26T10:00:00Z", "2026-09-26T10:00:02Z"),  # continue-on-error
                    step("Test", "failure", "2026-09-26T03:00:03.000-07:00", "2026-09-26T03:00:10.000-07:00"),
                ],
            },
            {"id": 12, "name": "build", "conclusion": "timed_out"},  # no steps listed
            {"id": 13, "name": "docs", "conclusion": "success", "steps": []},
        ]
    }
    listed = subprocess.run(["jq", "-r", listing], input=json.dumps(jobs), capture_output=True, text=True, check=True)
    assert listed.stdout == (
        "11\ttest (3.12)\t2026-09-26T03:00:03.000-07:00/2026-09-26T03:00:10.000-07:00\n12\tbuild\t\n"
    )
    arguments = ["repo", "sha", "branch", "run", "attempt", "workflow", "job", "job_id", "url"]

    def uploaded(steps: str) -> dict[str, str]:
        args = [x for name in arguments for x in ("--arg", name, name.upper())]
        out = subprocess.run(
            ["jq", "-cn", *args, "--arg", "steps", steps, metadata], capture_output=True, text=True, check=True
        )
        return dict(json.loads(out.stdout))

    times = "2026-09-26T03:00:03.000-07:00/2026-09-26T03:00:10.000-07:00"
    assert uploaded(times)["failed-steps"] == times
    assert "failed-steps" not in uploaded("") and uploaded("")["job-id"] == "JOB_ID"


def test_prod_acts_when_its_credentials_are_configured_and_dev_drafts() -> None:
    config = json.loads((ROOT / ".chalice" / "config.json").read_text())

    def mode(stage: str) -> str:
        env = {**config["environment_variables"], **config["stages"][stage]["environment_variables"]}
        return str(env.get("ACTIONS_MODE", "auto"))

    assert (mode("prod"), mode("dev"), mode("local")) == ("auto", "dry-run", "dry-run")


@pytest.mark.parametrize("stage", ["dev", "prod"])
def test_every_lambda_of_the_stage_may_write_its_logs(stage: str) -> None:
    policy = json.loads((ROOT / ".chalice" / f"policy-{stage}.json").read_text())
    [logs] = [st for st in policy["Statement"] if "logs:PutLogEvents" in st["Action"]]
    # Chalice names the API's function "<app>-<stage>" and the others "<app>-<stage>-<handler>".
    for function in (f"self-healing-ci-{stage}", f"self-healing-ci-{stage}-on_log_uploaded"):
        stream = f"arn:aws:logs:us-east-1:123456789012:log-group:/aws/lambda/{function}:log-stream:x"
        assert any(fnmatch.fnmatchcase(stream, pattern) for pattern in logs["Resource"]), function


def test_the_first_deploy_can_start_the_dashboard_at_zero_tasks_and_ci_scales_it(template: dict[str, Any]) -> None:
    assert template["Parameters"]["DashboardTasks"]["MinValue"] == 0
    [service] = resource(template, "AWS::ECS::Service")
    assert service["DesiredCount"] == {"Ref": "DashboardTasks"}
    ci = (ROOT / ".github" / "workflows" / "ci.yml").read_text()
    assert re.search(r"aws ecs update-service [^\n]*\\\n\s+--desired-count 1", ci)


@pytest.mark.parametrize("stage", ["dev", "prod"])
def test_the_stage_config_names_what_the_stack_of_that_stage_creates(template: dict[str, Any], stage: str) -> None:
    env = json.loads((ROOT / ".chalice" / "config.json").read_text())["stages"][stage]["environment_variables"]
    queue = template["Resources"]["JobsQueue"]["Properties"]["QueueName"]["Sub"]
    assert env["JOBS_QUEUE_NAME"] == queue.replace("${Stage}", stage)
    policy = json.loads((ROOT / ".chalice" / f"policy-{stage}.json").read_text())
    [sqs] = [st for st in policy["Statement"] if any(a.startswith("sqs:") for a in st["Action"])]
    assert sqs["Resource"] == [f"arn:aws:sqs:*:*:{env['JOBS_QUEUE_NAME']}"]
    if "API_TOKEN_SECRET" in env:
        secret = template["Resources"]["ApiToken"]["Properties"]["Name"]["Sub"]
        assert env["API_TOKEN_SECRET"] == secret.replace("${Stage}", stage)


@pytest.mark.parametrize("stage", ["dev", "prod"])
def test_a_stage_reads_its_own_secrets_only(stage: str) -> None:
    policy = json.loads((ROOT / ".chalice" / f"policy-{stage}.json").read_text())
    reading = {
        action: st["Resource"]
        for st in policy["Statement"]
        for action in st["Action"]
        if action in ("secretsmanager:GetSecretValue", "ssm:GetParameter")
    }
    assert reading == {
        "secretsmanager:GetSecretValue": [f"arn:aws:secretsmanager:*:*:secret:self-healing-ci/{stage}/*"],
        "ssm:GetParameter": [f"arn:aws:ssm:*:*:parameter/self-healing-ci/{stage}/*"],
    }
