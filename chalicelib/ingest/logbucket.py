"""Reading the logs bucket: a log's HEAD (its run metadata), its sidecar, its bytes streamed.

What the CI uploaded is read here; chalicelib.store.records keeps the analyses.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from chalicelib.errors import AWS_ERRORS, BadInputError, NotFoundError, StorageError, aws_code, aws_not_found
from chalicelib.ingest.logsource import iter_log_blocks
from chalicelib.ingest.metadata import NO_FAILED_STEPS, FailedSteps, RunMetadata

if TYPE_CHECKING:  # the stubs are a dev dependency; boto3 returns these at run time
    from mypy_boto3_s3 import S3Client

log = logging.getLogger(__name__)
_SIDECAR_MAX = 64 * 1024


@dataclass(frozen=True)
class LogObject:
    """A log in the bucket, as its HEAD describes it."""

    bucket: str
    key: str
    etag: str
    size: int
    last_modified: datetime
    metadata: RunMetadata
    failed_steps: FailedSteps = NO_FAILED_STEPS


class LogBucket:
    """Reads logs, their S3 metadata and sidecars from the logs bucket."""

    def __init__(self, s3: S3Client, bucket: str) -> None:
        self._s3, self.bucket = s3, bucket

    def head(self, key: str) -> LogObject:
        """Raises NotFoundError for a missing object, StorageError for other S3 failures."""
        try:
            head = self._s3.head_object(Bucket=self.bucket, Key=key)
        except AWS_ERRORS as exc:
            if aws_not_found(exc):
                raise NotFoundError(f"no log s3://{self.bucket}/{key}") from exc
            raise StorageError(f"cannot read s3://{self.bucket}/{key}: {aws_code(exc)}") from exc
        try:
            metadata = RunMetadata.from_mapping(head.get("Metadata", {}))
        except BadInputError as exc:
            log.warning("ignoring S3 metadata of %s: %s", key, exc)
            metadata = RunMetadata()
        try:
            steps = FailedSteps.from_mapping(head.get("Metadata", {}))
        except BadInputError as exc:
            # Only sharpens which step is the failing one: the log is analyzed without it.
            log.warning("ignoring the failed steps of %s: %s", key, exc)
            steps = FailedSteps()
        return LogObject(
            self.bucket,
            key,
            str(head.get("ETag", "")).strip('"'),
            int(head.get("ContentLength", 0)),
            head["LastModified"],
            metadata,
            steps,
        )

    def sidecar(self, key: str) -> RunMetadata:
        """Metadata from ``<key>.json`` when it exists and is sound; empty when it doesn't exist.

        Raises StorageError when S3 fails otherwise, so the event is retried rather than
        analyzed without the metadata it should have had.
        """
        try:
            body = self._s3.get_object(Bucket=self.bucket, Key=key + ".json", Range=f"bytes=0-{_SIDECAR_MAX}")
            raw = body["Body"].read()
        except AWS_ERRORS as exc:
            if aws_not_found(exc):
                return RunMetadata()
            raise StorageError(f"cannot read the sidecar of {key}: {aws_code(exc)}") from exc
        try:
            data = json.loads(raw)
        except ValueError:
            log.warning("ignoring the sidecar of %s: not JSON", key)
            return RunMetadata()
        if not isinstance(data, dict):
            return RunMetadata()
        try:
            return RunMetadata.from_mapping(data)
        except BadInputError as exc:
            log.warning("ignoring sidecar of %s: %s", key, exc)
            return RunMetadata()

    def blocks(self, key: str, max_bytes: int) -> Callable[[], Iterator[bytes]]:
        """A re-startable stream of the object's decompressed bytes (one GET per call)."""

        def open_stream() -> Iterator[bytes]:
            try:
                body = self._s3.get_object(Bucket=self.bucket, Key=key)["Body"]
            except AWS_ERRORS as exc:
                if aws_not_found(exc):
                    raise NotFoundError(f"no log s3://{self.bucket}/{key}") from exc
                raise StorageError(f"cannot read s3://{self.bucket}/{key}: {aws_code(exc)}") from exc
            try:
                yield from iter_log_blocks(body, f"s3://{self.bucket}/{key}", max_bytes)
            finally:
                body.close()

        return open_stream
