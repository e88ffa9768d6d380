"""`make deploy-plan`, `make deploy`, `make destroy`: one stage's whole deployment, in order.

    python infra/deploy.py plan --stage prod       # what deploy would do; calls no AWS
    python infra/deploy.py deploy --stage prod     # safe to re-run
    python infra/deploy.py destroy --stage prod    # asks before it deletes data (bucket, images)

The stack's parameters come from ``infra/params-<stage>.json`` (``{"LogsBucketName": "…", …}``;
see ``infra/params.example.json``), each overridden by an environment variable
``SHC_<Parameter>`` (``SHC_LogsBucketName=…``). Deploy runs: the stack (GitHub's OIDC provider
detected unless CreateGitHubOidcProvider is given; the dashboard at zero tasks while its image
repository is empty), binding its outputs into ``.chalice/``, ``chalice deploy``, the stack
again with the API's id (its usage plan and key), the first dashboard image when docker is
there (then one task), and at the end the URLs, the GitHub App's setup values and what still
needs a person.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "infra"))

from bind_stack import bind  # noqa: E402

REQUIRED = ("LogsBucketName", "SenderEmail", "AlarmEmail", "GitHubRepository")
# Looked up in the account when not given: its default VPC and that VPC's default subnets.
NETWORK = ("VpcId", "PublicSubnetIds")
OIDC_HOST = "token.actions.githubusercontent.com"
ENV_PREFIX = "SHC_"
STACK_SECRETS = ("self-healing-ci/{stage}/api-token", "self-healing-ci/{stage}/dashboard-token")
APP_NAME = "self-healing-ci"

# A client factory (boto3.client for a service name), a command runner, a question, an output.
Clients = Callable[[str], Any]
Run = Callable[[list[str], Path, str | None], tuple[int, str]]
Ask = Callable[[str], bool]
Say = Callable[[str], None]


class DeployError(Exception):
    """A step that cannot go on: what failed and what to do about it."""


@dataclass
class Stage:
    """One stage's deployment: its name, stack, parameters and the project it deploys from."""

    name: str
    params: dict[str, str]
    root: Path = ROOT
    region: str | None = None
    notes: list[str] = field(default_factory=list)

    @property
    def stack(self) -> str:
        return f"{APP_NAME}-{self.name}"

    @property
    def image_repository(self) -> str:
        return f"{APP_NAME}-{self.name}-app"


def load_params(root: Path, stage: str, env: Mapping[str, str]) -> dict[str, str]:
    """The stage's parameters: its file, then ``SHC_<Parameter>`` variables. Raises DeployError
    naming every required parameter that is missing."""
    path = root / "infra" / f"params-{stage}.json"
    params: dict[str, str] = {}
    if path.is_file():
        try:
            loaded = json.loads(path.read_text())
        except ValueError as exc:
            raise DeployError(f"{path.relative_to(root)} is not JSON: {exc}") from exc
        if not isinstance(loaded, dict):
            raise DeployError(f"{path.relative_to(root)} must hold one object of parameters")
        params = {str(k): ",".join(v) if isinstance(v, list) else str(v) for k, v in loaded.items()}
    params.update({k[len(ENV_PREFIX) :]: v for k, v in env.items() if k.startswith(ENV_PREFIX) and v})
    params["Stage"] = stage
    missing = [name for name in REQUIRED if not params.get(name)]
    if missing:
        raise DeployError(
            f"missing parameters: {', '.join(missing)} (set them in infra/params-{stage}.json, "
            f"or as {ENV_PREFIX}<Parameter> variables; infra/params.example.json shows them all)"
        )
    return params


def plan(stage: Stage) -> list[str]:
    """What ``deploy`` would do, step by step, from the parameters alone (no AWS call)."""
    shown = ", ".join(f"{k}={v}" for k, v in sorted(stage.params.items()))
    oidc = stage.params.get("CreateGitHubOidcProvider")
    steps = [
        f"1. Stack {stage.stack}: create it, or update it, from infra/template.yaml with {shown}.",
        (
            f"   GitHub's OIDC provider: CreateGitHubOidcProvider={oidc}, as given."
            if oidc
            else "   GitHub's OIDC provider: looked up in the account; created by the stack only if it is not there."
        ),
        f"   The dashboard starts at 0 tasks while {stage.image_repository} holds no image.",
        *(
            []
            if all(stage.params.get(name) for name in NETWORK)
            else ["   VpcId and PublicSubnetIds: the account's default VPC and its default subnets, looked up."]
        ),
        f"2. Bind .chalice/ to the stack's outputs (bucket, mail, queue) for the {stage.name} stage.",
        f"3. chalice deploy --stage {stage.name}: the four functions and the API.",
        f"4. Stack {stage.stack} again with ApiId of that API: its usage plan and API key.",
        f"5. The first dashboard image: when {stage.image_repository} is empty and docker is here, build webapp/,",
        "   push it and run 1 task; without docker, the CI deploy job pushes it and scales the service.",
        "6. Print the API and webhook URLs, where the API key and token are, the GitHub App's setup",
        "   command, and what needs a person: the SES identity, the SES sandbox, the alarm subscription.",
    ]
    return steps


def _outputs(cfn: Any, stack: str) -> dict[str, str]:
    described = cfn.describe_stacks(StackName=stack)["Stacks"][0]
    return {o["OutputKey"]: o["OutputValue"] for o in described.get("Outputs", [])}


def _stack_status(cfn: Any, stack: str) -> str | None:
    from botocore.exceptions import ClientError

    try:
        return str(cfn.describe_stacks(StackName=stack)["Stacks"][0]["StackStatus"])
    except ClientError as exc:
        if "does not exist" in str(exc):
            return None
        raise


def _has_oidc_provider(iam: Any) -> bool:
    providers = iam.list_open_id_connect_providers().get("OpenIDConnectProviderList", [])
    return any(str(p["Arn"]).endswith(f"oidc-provider/{OIDC_HOST}") for p in providers)


def _default_network(ec2: Any) -> dict[str, str]:
    """The account's default VPC and its default (public) subnets; raises DeployError without one."""
    vpcs = ec2.describe_vpcs(Filters=[{"Name": "isDefault", "Values": ["true"]}]).get("Vpcs", [])
    if not vpcs:
        raise DeployError("the account has no default VPC: give VpcId and PublicSubnetIds (public subnets)")
    vpc = vpcs[0]["VpcId"]
    filters = [{"Name": "vpc-id", "Values": [vpc]}, {"Name": "default-for-az", "Values": ["true"]}]
    subnets = sorted(s["SubnetId"] for s in ec2.describe_subnets(Filters=filters).get("Subnets", []))
    if not subnets:
        raise DeployError(f"the default VPC {vpc} has no default subnets: give PublicSubnetIds")
    return {"VpcId": vpc, "PublicSubnetIds": ",".join(subnets)}


def _images(ecr: Any, repository: str) -> int:
    from botocore.exceptions import ClientError

    try:
        return len(ecr.list_images(repositoryName=repository).get("imageIds", []))
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") == "RepositoryNotFoundException":
            return 0
        raise


def apply_stack(stage: Stage, aws: Clients, params: dict[str, str], say: Say) -> dict[str, str]:
    """Create or update the stack with ``params``; its outputs. Raises DeployError when it fails."""
    from botocore.exceptions import ClientError, WaiterError

    cfn = aws("cloudformation")
    body = (stage.root / "infra" / "template.yaml").read_text()
    parameters = [{"ParameterKey": k, "ParameterValue": v} for k, v in sorted(params.items())]
    status = _stack_status(cfn, stage.stack)
    if status == "ROLLBACK_COMPLETE":  # a failed first create: it can only be deleted
        say(f"stack {stage.stack} failed to create before; deleting what is left of it")
        cfn.delete_stack(StackName=stage.stack)
        cfn.get_waiter("stack_delete_complete").wait(StackName=stage.stack)
        status = None
    try:
        if status is None:
            s3 = aws("s3")
            try:
                s3.head_bucket(Bucket=params["LogsBucketName"])
            except ClientError:
                pass
            else:
                raise DeployError(
                    f"bucket {params['LogsBucketName']} exists outside the stack (an earlier attempt keeps it): "
                    "delete it (make destroy) or choose another LogsBucketName"
                )
            say(f"creating stack {stage.stack}")
            cfn.create_stack(
                StackName=stage.stack, TemplateBody=body, Parameters=parameters, Capabilities=["CAPABILITY_IAM"]
            )
            cfn.get_waiter("stack_create_complete").wait(StackName=stage.stack)
        else:
            say(f"updating stack {stage.stack}")
            try:
                cfn.update_stack(
                    StackName=stage.stack, TemplateBody=body, Parameters=parameters, Capabilities=["CAPABILITY_IAM"]
                )
                cfn.get_waiter("stack_update_complete").wait(StackName=stage.stack)
            except ClientError as exc:
                if "No updates are to be performed" not in str(exc):
                    raise
                say(f"stack {stage.stack} is up to date")
    except ClientError as exc:
        raise DeployError(f"the stack {stage.stack} failed: {exc}") from exc
    except WaiterError as exc:  # the stack rolled back
        raise DeployError(f"the stack {stage.stack} did not complete: {exc} (its events say why)") from exc
    return _outputs(cfn, stage.stack)


def _deployed_api(root: Path, stage: str) -> tuple[str, str]:
    """The REST API chalice deployed for ``stage``: its id and URL ("" when none)."""
    path = root / ".chalice" / "deployed" / f"{stage}.json"
    if not path.is_file():
        return "", ""
    for resource in json.loads(path.read_text()).get("resources", []):
        if resource.get("resource_type") == "rest_api":
            return str(resource.get("rest_api_id", "")), str(resource.get("rest_api_url", ""))
    return "", ""


def deploy(stage: Stage, aws: Clients, run: Run, say: Say, docker: str | None = None) -> dict[str, str]:
    """Every step of ``plan``, in order; the stack's outputs. Raises DeployError."""
    params = dict(stage.params)
    if not all(params.get(name) for name in NETWORK):
        params.update(_default_network(aws("ec2")))
        say(f"the default VPC {params['VpcId']} and its subnets {params['PublicSubnetIds']}")
    if "CreateGitHubOidcProvider" not in params:
        params["CreateGitHubOidcProvider"] = "false" if _has_oidc_provider(aws("iam")) else "true"
        say(f"GitHub's OIDC provider {'exists' if params['CreateGitHubOidcProvider'] == 'false' else 'is new'}")
    images = _images(aws("ecr"), stage.image_repository)
    params.setdefault("DashboardTasks", "1" if images else "0")
    outputs = apply_stack(stage, aws, params, say)
    for path in bind(stage.root, stage.name, outputs):
        say(f"bound {path.relative_to(stage.root)}")
    code, text = run([_chalice(), "deploy", "--stage", stage.name], stage.root, None)
    if code != 0:
        raise DeployError(f"chalice deploy failed:\n{text}")
    api_id, api_url = _deployed_api(stage.root, stage.name)
    if api_id and params.get("ApiId") != api_id:
        params["ApiId"] = api_id
        outputs = apply_stack(stage, aws, params, say)
    if not images and params["DashboardTasks"] == "0":
        if docker is None:
            stage.notes.append(
                f"The dashboard runs no task yet: {stage.image_repository} is empty and docker is not here. "
                "The CI deploy job pushes the first image and scales it to 1 (or re-run make deploy with docker)."
            )
        else:
            _push_image(stage, aws, run, docker, outputs["EcrRepositoryUri"], say)
            params["DashboardTasks"] = "1"
            outputs = apply_stack(stage, aws, params, say)
    _summary(stage, aws, outputs, api_url, say)
    return outputs


def _push_image(stage: Stage, aws: Clients, run: Run, docker: str, uri: str, say: Say) -> None:
    import base64

    token = aws("ecr").get_authorization_token()["authorizationData"][0]
    user, password = base64.b64decode(token["authorizationToken"]).decode().split(":", 1)
    registry = uri.split("/", 1)[0]
    steps = [
        ([docker, "login", "--username", user, "--password-stdin", registry], password),
        ([docker, "build", "-t", f"{uri}:latest", "webapp"], None),
        ([docker, "push", f"{uri}:latest"], None),
    ]
    for command, given in steps:
        code, text = run(command, stage.root, given)
        if code != 0:
            raise DeployError(f"{' '.join(command[:2])} failed:\n{text}")
    say(f"pushed the first dashboard image to {uri}:latest")


def _summary(stage: Stage, aws: Clients, outputs: dict[str, str], api_url: str, say: Say) -> None:
    say("")
    say(f"Stage {stage.name} is deployed.")
    if api_url:
        say(f"  API:      {api_url}")
        say(f"  Webhook:  {api_url.rstrip('/')}/github/webhook")
        say(
            f"  GitHub App: python scripts/github_app.py page --webhook-url {api_url.rstrip('/')}/github/webhook "
            "--org <org> (add --reruns for AUTO_RERUN)"
        )
    if outputs.get("DashboardUrl"):
        token = outputs.get("DashboardTokenSecretArn", "?")
        say(f"  Dashboard: {outputs['DashboardUrl']} (sign in with the team token:")
        say(f"             aws secretsmanager get-secret-value --secret-id {token})")
    if outputs.get("ApiKeyId"):
        say(f"  API key:  aws apigateway get-api-key --api-key {outputs['ApiKeyId']} --include-value")
    if outputs.get("ApiTokenSecretArn"):
        say(f"  Token:    aws secretsmanager get-secret-value --secret-id {outputs['ApiTokenSecretArn']}")
    say(f"  Uploader role for CI: {outputs.get('UploaderRoleArn', '?')}")
    say(f"  Deploy role for the dashboard: {outputs.get('DeployRoleArn', '?')}")
    todo = [*_human_steps(aws, outputs), *stage.notes]
    say("Still for a person:" if todo else "Nothing is left for a person to do.")
    for item in todo:
        say(f"  - {item}")


def _human_steps(aws: Clients, outputs: dict[str, str]) -> list[str]:
    """What AWS waits for a person to do (each checked; a check that fails says so)."""
    from botocore.exceptions import BotoCoreError, ClientError

    steps: list[str] = []
    sender = outputs.get("SenderEmail", "")
    try:
        ses = aws("sesv2")
        identity = ses.get_email_identity(EmailIdentity=sender) if sender else {}
        if sender and not identity.get("VerifiedForSendingStatus"):
            steps.append(f"Verify {sender} in SES: open the link AWS mailed to it.")
        if not ses.get_account().get("ProductionAccessEnabled"):
            steps.append("The account is in the SES sandbox: verify each recipient, or ask AWS for production access.")
    except (ClientError, BotoCoreError) as exc:
        steps.append(f"Check SES by hand (the check failed: {exc}).")
    topic = outputs.get("AlarmTopicArn", "")
    try:
        subscriptions = aws("sns").list_subscriptions_by_topic(TopicArn=topic).get("Subscriptions", []) if topic else []
        if any(s.get("SubscriptionArn") == "PendingConfirmation" for s in subscriptions):
            steps.append("Confirm the alarm subscription: open the link SNS mailed to AlarmEmail.")
    except (ClientError, BotoCoreError) as exc:
        steps.append(f"Check the alarm subscription by hand (the check failed: {exc}).")
    return steps


def destroy(stage: Stage, aws: Clients, run: Run, ask: Ask, say: Say) -> None:
    """Remove what deploy made: the functions and API, the images, the stack, then (if asked)
    the retained bucket with its data. Every question comes first: a "no" deletes nothing.
    Raises DeployError."""
    from botocore.exceptions import ClientError

    bucket = stage.params["LogsBucketName"]
    images = _images(aws("ecr"), stage.image_repository)
    if images and not ask(f"Delete the {images} dashboard image(s) in {stage.image_repository}?"):
        raise DeployError("nothing was deleted: the stack cannot go while its image repository holds images")
    drop_bucket = ask(f"Delete bucket {bucket} with every log, analysis and outcome in it?")
    code, text = run([_chalice(), "delete", "--stage", stage.name], stage.root, None)
    if code != 0:
        raise DeployError(f"chalice delete failed:\n{text}")
    say(f"deleted the functions and the API of stage {stage.name}")
    if images:
        ecr = aws("ecr")
        ids = ecr.list_images(repositoryName=stage.image_repository)["imageIds"]
        ecr.batch_delete_image(repositoryName=stage.image_repository, imageIds=ids)
        say(f"deleted {len(ids)} image(s)")
    cfn = aws("cloudformation")
    if _stack_status(cfn, stage.stack) is not None:
        cfn.delete_stack(StackName=stage.stack)
        cfn.get_waiter("stack_delete_complete").wait(StackName=stage.stack)
        say(f"deleted stack {stage.stack}")
    # The stack's secrets (the API and dashboard tokens) would otherwise wait out Secrets Manager's
    # recovery window, and a deploy within it could not create them again. The next deploy makes
    # new ones; a secret already gone is not an error.
    secrets = aws("secretsmanager")
    for name in STACK_SECRETS:
        secrets.delete_secret(SecretId=name.format(stage=stage.name), ForceDeleteWithoutRecovery=True)
    if not drop_bucket:
        say(f"kept bucket {bucket} (the stack never deletes it)")
        return
    s3 = aws("s3")
    try:
        for page in s3.get_paginator("list_object_versions").paginate(Bucket=bucket):
            doomed = [
                {"Key": v["Key"], "VersionId": v["VersionId"]}
                for v in [*page.get("Versions", []), *page.get("DeleteMarkers", [])]
            ]
            if doomed:
                s3.delete_objects(Bucket=bucket, Delete={"Objects": doomed})
        s3.delete_bucket(Bucket=bucket)
    except ClientError as exc:
        raise DeployError(f"bucket {bucket} could not be deleted: {exc}") from exc
    say(f"deleted bucket {bucket}")


def _chalice() -> str:
    """The chalice beside this Python (the project's virtualenv), else the one on PATH."""
    local = Path(sys.executable).parent / "chalice"
    return str(local) if local.is_file() else "chalice"


def _run(command: list[str], cwd: Path, given: str | None) -> tuple[int, str]:
    # The commands are this script's own (chalice, docker), never a shell line.
    done = subprocess.run(command, cwd=cwd, input=given, capture_output=True, text=True, check=False)  # noqa: S603
    return done.returncode, done.stdout + done.stderr


def _ask(question: str) -> bool:
    return input(f"{question} [y/N] ").strip().lower() in ("y", "yes")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("command", choices=["plan", "deploy", "destroy"])
    parser.add_argument("--stage", required=True, choices=["dev", "prod"])
    parser.add_argument("--region", default=os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION"))
    args = parser.parse_args(argv)
    try:
        stage = Stage(args.stage, load_params(ROOT, args.stage, os.environ), ROOT, args.region)
        if args.command == "plan":
            print("\n".join(plan(stage)))
            return 0
        import boto3

        def aws(service: str) -> Any:
            return boto3.client(service, region_name=stage.region)

        if args.command == "deploy":
            deploy(stage, aws, _run, print, shutil.which("docker"))
        else:
            destroy(stage, aws, _run, _ask, print)
    except DeployError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
