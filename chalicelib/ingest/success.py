"""A success record: a job passed (``logs/<owner>/<repo>/<run>-<attempt>-<job>.success.json``).

Any CI uploads one for a job that passed (``scripts/upload-ci-log --success``): the outcome
history learns that the job passed on its commit (a failure of the same job and commit was then
flaky), and on a ``self-healing/*`` branch the fix it tested is healed. The body (or the object's
metadata) is ``{"repo", "branch", "run_id", "sha", "workflow", "job", "run_attempt"}``; the key
says the repository, run, attempt and job too.
"""

from __future__ import annotations

import json
from dataclasses import replace
from typing import TYPE_CHECKING

from chalicelib.errors import AWS_ERRORS, BadInputError, NotFoundError, StorageError, aws_code, aws_not_found
from chalicelib.ingest.metadata import RunMetadata, parse_key

if TYPE_CHECKING:  # the stubs are a dev dependency; boto3 returns these at run time
    from mypy_boto3_s3 import S3Client

_MAX_RECORD = 16 * 1024


def read_success_record(s3: S3Client, bucket: str, key: str) -> RunMetadata:
    """The run a success record describes; raises BadInputError or NotFoundError.

    The repository is the one of the key's prefix (the uploader's own): a body or metadata naming
    another one is refused, so one repository's upload can never mark another's failure healed.
    """
    own = parse_key(key).repo
    if not own:
        raise BadInputError(f"success record {key} is not under logs/<owner>/<repo>/")
    try:
        response = s3.get_object(Bucket=bucket, Key=key, Range=f"bytes=0-{_MAX_RECORD}")
    except AWS_ERRORS as exc:
        if aws_not_found(exc):
            raise NotFoundError(f"no success record s3://{bucket}/{key}") from exc
        raise StorageError(f"cannot read s3://{bucket}/{key}: {aws_code(exc)}") from exc
    meta = RunMetadata.from_mapping(response.get("Metadata", {}))
    body = response["Body"].read()
    if body.strip():
        try:
            data = json.loads(body)
        except ValueError as exc:
            raise BadInputError(f"success record {key} is not JSON") from exc
        if isinstance(data, dict):
            meta = meta.merged(RunMetadata.from_mapping(data))
    if meta.repo and meta.repo.lower() != own.lower():
        raise BadInputError(f"success record {key} names {meta.repo}; it may only speak for {own}")
    return replace(meta, repo=own).merged(parse_key(key))
