from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

import pytest
from botocore.exceptions import ClientError

from chalicelib.errors import NotFoundError, StorageError
from chalicelib.ingest.logbucket import LogBucket
from chalicelib.ingest.metadata import FailedSteps
from chalicelib.record import make_id, record_key
from chalicelib.store.records import LocalRecordStore, S3RecordStore
from tests.conftest import BUCKET
from tests.support.records import sample

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client


def test_ids_name_their_partition() -> None:
    analysis_id = make_id(datetime(2026, 3, 9, tzinfo=UTC), "s3", "b", "k", "e")
    assert analysis_id.startswith("20260309-") and len(analysis_id) == 25
    assert record_key("analysis/", analysis_id) == f"analysis/2026/03/09/{analysis_id}.json"
    assert make_id(datetime(2026, 3, 9), "x") == make_id(datetime(2026, 3, 9, 23), "x")


def test_s3_store_creates_once_and_reads_back(s3: Any) -> None:
    store = S3RecordStore(s3, BUCKET)
    record = sample()
    assert store.create(record) is True
    assert store.create(record) is False
    assert store.get(record.id) == record
    body = json.loads(s3.get_object(Bucket=BUCKET, Key=record_key("analysis/", record.id))["Body"].read())
    assert body["category"] == "lint"
    url = store.put_artifact(record.id, "issue.md", "hello", "text/markdown")
    assert url == f"s3://{BUCKET}/analysis/2026/11/26/{record.id}/issue.md"


def test_s3_store_errors_are_translated(s3: Any) -> None:
    with pytest.raises(NotFoundError):
        S3RecordStore(s3, BUCKET).get("20260101-0000000000000000")
    with pytest.raises(StorageError, match="NoSuchBucket"):
        S3RecordStore(s3, "no-such-bucket-here").save(sample())


def test_local_store_uses_the_same_layout(tmp_path: Path) -> None:
    store = LocalRecordStore(tmp_path)
    record = sample()
    assert store.create(record) and not store.create(record)
    assert (tmp_path / record_key("analysis/", record.id)).is_file()
    record.summary = "changed"
    store.save(record)
    assert store.get(record.id).summary == "changed"
    assert Path(store.put_artifact(record.id, "email.txt", "body", "text/plain")).read_text() == "body"
    with pytest.raises(NotFoundError):
        store.get("20260101-0000000000000000")


def test_log_bucket_head_sidecar_and_stream(s3: Any) -> None:
    key = "logs/a/b/1-1-job.log"
    s3.put_object(Bucket=BUCKET, Key=key, Body=b"line\n" * 3, Metadata={"repo": "a/b", "branch": "dev"})
    bucket = LogBucket(s3, BUCKET)
    obj = bucket.head(key)
    assert (obj.size, obj.metadata.repo, obj.metadata.branch) == (15, "a/b", "dev")
    assert bucket.sidecar(key).repo == ""
    s3.put_object(Bucket=BUCKET, Key=key + ".json", Body=b"{not json")
    assert bucket.sidecar(key).repo == ""  # an unreadable sidecar is ignored, not fatal
    s3.put_object(Bucket=BUCKET, Key=key + ".json", Body=json.dumps({"sha": "abc1234"}).encode())
    assert bucket.sidecar(key).sha == "abc1234"
    assert b"".join(bucket.blocks(key, 1000)()) == b"line\n" * 3
    with pytest.raises(NotFoundError):
        bucket.head("logs/a/b/nope.log")


def test_a_logs_failed_steps_come_from_its_s3_metadata_and_bad_ones_are_ignored(
    s3: Any, caplog: pytest.LogCaptureFixture
) -> None:
    key, times = "logs/a/b/1-1-job.log", "2026-09-26T10:00:03Z/2026-09-26T10:00:10Z"
    s3.put_object(Bucket=BUCKET, Key=key, Body=b"x\n", Metadata={"repo": "a/b", "failed-steps": times})
    obj = LogBucket(s3, BUCKET).head(key)
    assert (obj.failed_steps, obj.metadata.repo) == (FailedSteps.parse(times), "a/b")
    s3.put_object(Bucket=BUCKET, Key=key, Body=b"x\n", Metadata={"repo": "a/b", "failed-steps": "soon/later"})
    obj = LogBucket(s3, BUCKET).head(key)
    # The log is still analyzed, with its run metadata, as if the CI had not said.
    assert (obj.failed_steps, obj.metadata.repo) == (FailedSteps(), "a/b")
    assert (
        "ignoring the failed steps of logs/a/b/1-1-job.log: failed-steps must be ISO 8601 "
        "started_at/completed_at pairs, not 'soon/later'"
    ) in caplog.text


def test_transient_s3_failure_is_a_storage_error() -> None:
    class Failing:
        def head_object(self, **_: Any) -> Any:
            raise ClientError({"Error": {"Code": "SlowDown", "Message": "slow"}}, "HeadObject")

    with pytest.raises(StorageError, match="SlowDown"):
        LogBucket(cast("S3Client", Failing()), BUCKET).head("logs/x.log")
