"""Write the infra stack's outputs into .chalice/ so `chalice deploy --stage STAGE` binds to them.

    python infra/bind_stack.py --stage prod --stack self-healing-ci-prod          # reads the stack with boto3
    python infra/bind_stack.py --stage prod --outputs-json outputs.json            # or `aws cloudformation
                                                                                   #    describe-stacks` output
Sets LOGS_BUCKET, MAIL_FROM, SES_CONFIGURATION_SET, DASHBOARD_URL and the jobs queue in the
stage's environment and points the stage's hand-written IAM policy at the stack's bucket,
configuration set and queue.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]


def outputs_from_describe(data: dict[str, Any]) -> dict[str, str]:
    """{OutputKey: OutputValue} from a describe-stacks answer (or an already flat mapping)."""
    if "Stacks" in data:
        data = data["Stacks"][0]
    if "Outputs" in data:
        return {o["OutputKey"]: o["OutputValue"] for o in data["Outputs"]}
    return {str(k): str(v) for k, v in data.items()}


def read_stack(name: str, region: str | None) -> dict[str, str]:
    import boto3

    answer = boto3.client("cloudformation", region_name=region).describe_stacks(StackName=name)
    return outputs_from_describe(answer)


def bind(root: Path, stage: str, outputs: dict[str, str]) -> list[Path]:
    """Rewrite the stage's config and policy; returns the files changed. Raises KeyError on a missing output."""
    bucket = outputs["LogsBucketName"]
    config_path = root / ".chalice" / "config.json"
    config = json.loads(config_path.read_text())
    stage_config = config.setdefault("stages", {}).setdefault(stage, {})
    env = stage_config.setdefault("environment_variables", {})
    env["LOGS_BUCKET"] = bucket
    if outputs.get("SesConfigurationSetName"):
        env["SES_CONFIGURATION_SET"] = outputs["SesConfigurationSetName"]
    if outputs.get("SenderEmail"):
        env["MAIL_FROM"] = outputs["SenderEmail"]
    if outputs.get("JobsQueueUrl"):
        env["JOBS_QUEUE_URL"] = outputs["JobsQueueUrl"]
    if outputs.get("DashboardUrl"):
        env["DASHBOARD_URL"] = outputs["DashboardUrl"]  # issues, mail and comments link the failure's page
    if outputs.get("JobsQueueName"):
        env["JOBS_QUEUE_NAME"] = outputs["JobsQueueName"]  # the worker's trigger, read at deploy
    config_path.write_text(json.dumps(config, indent=2) + "\n")
    policy_path = root / ".chalice" / stage_config.get("iam_policy_file", f"policy-{stage}.json")
    policy = policy_path.read_text()
    policy = re.sub(r"arn:aws:s3:::[a-z0-9.-]+", f"arn:aws:s3:::{bucket}", policy)
    if outputs.get("SesConfigurationSetName"):
        policy = re.sub(r"configuration-set/[\w*-]+", f"configuration-set/{outputs['SesConfigurationSetName']}", policy)
    if outputs.get("JobsQueueArn"):
        policy = re.sub(r"arn:aws:sqs:[\w*-]+:[\d*]+:[\w-]+", outputs["JobsQueueArn"], policy)
    policy_path.write_text(policy)
    return [config_path, policy_path]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--stage", required=True, choices=["dev", "prod"])
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("--stack", help="CloudFormation stack name")
    source.add_argument("--outputs-json", type=Path, help="saved describe-stacks output")
    parser.add_argument("--region")
    parser.add_argument("--root", type=Path, default=ROOT)
    args = parser.parse_args(argv)
    if args.outputs_json:
        outputs = outputs_from_describe(json.loads(args.outputs_json.read_text()))
    else:
        outputs = read_stack(args.stack, args.region)
    try:
        changed = bind(args.root, args.stage, outputs)
    except KeyError as exc:
        print(f"error: the stack has no output {exc}", file=sys.stderr)
        return 1
    for path in changed:
        print(f"updated {path.relative_to(args.root)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
