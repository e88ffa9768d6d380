"""Per-repository daily caps (new issues and pull requests, LLM calls), shared by all invocations.

A small JSON counter per repository and day, written with S3 conditional writes so concurrent
Lambdas never both take the last unit.
"""

from __future__ import annotations

import json
import logging
import threading
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from chalicelib.errors import AWS_ERRORS, StorageError, aws_code, aws_not_found, aws_precondition_failed

if TYPE_CHECKING:  # the stubs are a dev dependency; boto3 returns these at run time
    from mypy_boto3_s3 import S3Client

log = logging.getLogger(__name__)
JSON = "application/json"
_ATTEMPTS = 5


class DailyCaps(Protocol):
    def take(self, repo: str, kind: str, limit: int, day: datetime) -> bool: ...


def _key(prefix: str, repo: str, day: datetime) -> str:
    return f"{prefix}_state/caps/{repo or '_unknown'}/{day:%Y-%m-%d}.json"


class S3DailyCaps:
    def __init__(self, s3: S3Client, bucket: str, prefix: str = "analysis/") -> None:
        self._s3, self._bucket, self._prefix = s3, bucket, prefix

    def take(self, repo: str, kind: str, limit: int, day: datetime) -> bool:
        """Count one ``kind`` for ``repo`` today; False when the cap is reached (nothing counted).

        Raises StorageError when S3 keeps failing; callers treat that as "cap reached".
        """
        key = _key(self._prefix, repo, day)
        for _ in range(_ATTEMPTS):
            counts, etag = self._read(key)
            if counts.get(kind, 0) >= limit:
                return False
            counts[kind] = counts.get(kind, 0) + 1
            body = json.dumps(counts).encode()
            try:
                if etag:  # replace only the version read (another invocation may have counted since)
                    self._s3.put_object(Bucket=self._bucket, Key=key, Body=body, ContentType=JSON, IfMatch=etag)
                else:  # create only if no invocation created it first
                    self._s3.put_object(Bucket=self._bucket, Key=key, Body=body, ContentType=JSON, IfNoneMatch="*")
                return True
            except AWS_ERRORS as exc:
                if not aws_precondition_failed(exc):
                    raise StorageError(f"cannot update the daily cap of {repo}: {aws_code(exc)}") from exc
                log.info("daily cap of %s changed concurrently; retrying", repo)
        raise StorageError(f"the daily cap of {repo} kept changing; giving up")

    def _read(self, key: str) -> tuple[dict[str, int], str | None]:
        try:
            response = self._s3.get_object(Bucket=self._bucket, Key=key)
        except AWS_ERRORS as exc:
            if aws_not_found(exc):
                return {}, None
            raise StorageError(f"cannot read daily cap {key}: {aws_code(exc)}") from exc
        return json.loads(response["Body"].read()), response["ETag"]


class LocalDailyCaps:
    """For the demo and `chalice local`: one process, so a lock is enough."""

    _lock = threading.Lock()

    def __init__(self, root: Path, prefix: str = "analysis/") -> None:
        self._root, self._prefix = root, prefix

    def take(self, repo: str, kind: str, limit: int, day: datetime) -> bool:
        with self._lock:
            return self._take(repo, kind, limit, day)

    def _take(self, repo: str, kind: str, limit: int, day: datetime) -> bool:
        path = self._root / _key(self._prefix, repo, day)
        counts: dict[str, int] = json.loads(path.read_text()) if path.is_file() else {}
        if counts.get(kind, 0) >= limit:
            return False
        counts[kind] = counts.get(kind, 0) + 1
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(counts))
        return True
