"""`make demo`: the bundled example logs through the Lambda's own S3-event path, offline.

S3 is moto's in-process stand-in; each upload becomes an S3 event delivered to the Chalice
handler by Chalice's test client, exactly as Lambda would. Records, issue and PR drafts and
email previews are then copied from the stand-in bucket to ``out/``.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
STAGE = "dev"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out", default="out", help="folder for records and drafts")
    parser.add_argument("--examples", default=str(ROOT / "examples"))
    args = parser.parse_args()
    # Offline by construction: fake credentials, no instance metadata lookups.
    for name, value in (
        ("AWS_ACCESS_KEY_ID", "demo"),
        ("AWS_SECRET_ACCESS_KEY", "demo"),
        ("AWS_DEFAULT_REGION", "us-east-1"),
        ("AWS_EC2_METADATA_DISABLED", "true"),
    ):
        os.environ[name] = value
    os.environ.pop("AWS_PROFILE", None)

    import boto3
    from chalice.test import Client
    from moto import mock_aws

    from app import app
    from chalicelib.clients import reset_clients

    config = json.loads((ROOT / ".chalice" / "config.json").read_text())
    bucket = config["stages"][STAGE]["environment_variables"]["LOGS_BUCKET"]
    examples = Path(args.examples)
    manifest = json.loads((examples / "manifest.json").read_text())
    out = Path(args.out)
    with mock_aws():
        reset_clients()
        s3 = boto3.client("s3", region_name="us-east-1")
        s3.create_bucket(Bucket=bucket)
        with Client(app, stage_name=STAGE, project_dir=str(ROOT)) as client:
            first_event = first = None
            for name, meta in manifest.items():
                if name.startswith("_"):
                    continue
                key = f"logs/{meta['repo']}/{meta['run_id']}-1-{meta['job']}.log"
                s3_meta = {
                    "repo": meta["repo"],
                    "sha": meta["sha"],
                    "branch": meta["branch"],
                    "run-id": meta["run_id"],
                    "workflow": meta["workflow"],
                    "job": meta["job"],
                }
                s3.put_object(Bucket=bucket, Key=key, Body=(examples / name).read_bytes(), Metadata=s3_meta)
                event = client.events.generate_s3_event(bucket=bucket, key=key)
                first_event = first_event or event
                first = first or (name, meta)
                result = client.lambda_.invoke("on_log_uploaded", event).payload
                record = _record(s3, bucket, result["id"])
                print(f"{name}: {record['category']} — {record['root_cause']}")
            # S3 delivers at least once: a redelivered event must not analyze or act again.
            again = client.lambda_.invoke("on_log_uploaded", first_event).payload
            print(f"(redelivered event for the first log: {again['status']}, no new record or draft)")
            if first is not None:
                _rerun_passes(client, s3, bucket, *first)
        count = 0
        for prefix in ("analysis/", "history/"):
            if out.exists():
                shutil.rmtree(out / prefix, ignore_errors=True)
            for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
                for obj in page.get("Contents", []):
                    target = out / obj["Key"]
                    target.parent.mkdir(parents=True, exist_ok=True)
                    target.write_bytes(s3.get_object(Bucket=bucket, Key=obj["Key"])["Body"].read())
                    count += prefix == "analysis/"
        reset_clients()
    print(f"wrote {count} files (records, issue/PR drafts, email previews) under {out}/analysis/")
    print(f"and the job outcomes and flaky-test reports under {out}/history/")
    return 0


def _rerun_passes(client: Any, s3: Any, bucket: str, name: str, meta: dict[str, str]) -> None:
    """The first job is re-run on the same commit and passes: its failure was flaky."""
    key = f"logs/{meta['repo']}/{meta['run_id']}-2-{meta['job']}.success.json"
    body = {k: meta[k] for k in ("repo", "sha", "branch", "run_id", "workflow", "job")}
    s3.put_object(Bucket=bucket, Key=key, Body=json.dumps({**body, "run_attempt": "2"}).encode())
    result = client.lambda_.invoke("on_log_uploaded", client.events.generate_s3_event(bucket=bucket, key=key)).payload
    [analysis_id] = result["flaky"]
    flaky = _record(s3, bucket, analysis_id)["flaky"]
    if not isinstance(flaky, dict):
        raise SystemExit(f"the record of {name} should say it is flaky")
    print(f"(re-run of {name}'s job passed on the same commit: {'; '.join(flaky['evidence'])})")
    print("(so that failure is flaky: its record says so, and flaky.md beside it drafts the note to its issue)")


def _record(s3: object, bucket: str, analysis_id: str) -> dict[str, object]:
    from chalicelib.record import record_key

    body = s3.get_object(Bucket=bucket, Key=record_key("analysis/", analysis_id))["Body"].read()  # type: ignore[attr-defined]
    data: dict[str, object] = json.loads(body)
    return data


if __name__ == "__main__":
    sys.exit(main())
