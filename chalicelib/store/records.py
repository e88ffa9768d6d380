"""Where logs are read from and analysis records written: an S3 bucket, or a local folder.

Both stores share one layout, so the dashboard and the demo read either:
``analysis/<yyyy>/<mm>/<dd>/<id>.json`` with the record's artifacts (issue draft, email
preview) in ``analysis/<yyyy>/<mm>/<dd>/<id>/``.
"""

from __future__ import annotations

import json
import logging
import os
import tempfile
from collections.abc import Iterator
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from chalicelib.errors import AWS_ERRORS, NotFoundError, StorageError, aws_code, aws_not_found, aws_precondition_failed
from chalicelib.record import Analysis, record_key

if TYPE_CHECKING:  # the stubs are a dev dependency; boto3 returns these at run time
    from mypy_boto3_s3 import S3Client

log = logging.getLogger(__name__)


class RecordStore(Protocol):
    def get(self, analysis_id: str) -> Analysis: ...
    def create(self, analysis: Analysis) -> bool: ...
    def save(self, analysis: Analysis) -> None: ...
    def put_artifact(self, analysis_id: str, name: str, body: str, content_type: str) -> str: ...
    def get_state(self, name: str) -> dict[str, Any] | None: ...
    def put_state(self, name: str, data: dict[str, Any]) -> None: ...
    def claim(self, name: str, now: datetime, until: datetime) -> bool: ...
    def release(self, name: str) -> None: ...
    def list_day(self, day: date) -> Iterator[Analysis]: ...


def _claim_is_live(body: bytes | str, now: datetime) -> bool:
    """Whether a stored claim still holds at ``now`` (an unreadable one does not)."""
    try:
        return datetime.fromisoformat(json.loads(body)["until"]) > now
    except (ValueError, KeyError, TypeError):
        return False


def artifact_key(prefix: str, analysis_id: str, name: str) -> str:
    return record_key(prefix, analysis_id)[: -len(".json")] + "/" + name


class S3RecordStore:
    """Records in an S3 bucket; creation is conditional, so concurrent duplicates can't both win."""

    def __init__(self, s3: S3Client, bucket: str, prefix: str = "analysis/") -> None:
        self._s3, self._bucket, self._prefix = s3, bucket, prefix

    def get(self, analysis_id: str) -> Analysis:
        """Raises NotFoundError for an unknown id, StorageError when S3 fails."""
        key = record_key(self._prefix, analysis_id)
        try:
            body = self._s3.get_object(Bucket=self._bucket, Key=key)["Body"].read()
        except AWS_ERRORS as exc:
            if aws_not_found(exc):
                raise NotFoundError(f"no analysis {analysis_id}") from exc
            raise StorageError(f"cannot read analysis {analysis_id}: {aws_code(exc)}") from exc
        return Analysis.from_dict(json.loads(body))

    def create(self, analysis: Analysis) -> bool:
        """Write a new record; False when one with this id exists already."""
        key = record_key(self._prefix, analysis.id)
        try:
            self._s3.put_object(
                Bucket=self._bucket,
                Key=key,
                Body=analysis.to_json().encode(),
                ContentType="application/json",
                IfNoneMatch="*",
            )
        except AWS_ERRORS as exc:
            if aws_precondition_failed(exc):
                return False
            raise StorageError(f"cannot write s3://{self._bucket}/{key}: {aws_code(exc)}") from exc
        return True

    def save(self, analysis: Analysis) -> None:
        self._put(record_key(self._prefix, analysis.id), analysis.to_json(), "application/json")

    def put_artifact(self, analysis_id: str, name: str, body: str, content_type: str) -> str:
        key = artifact_key(self._prefix, analysis_id, name)
        self._put(key, body, content_type)
        return f"s3://{self._bucket}/{key}"

    def list_day(self, day: date) -> Iterator[Analysis]:
        """Every record of one day's partition (artifacts and state are skipped)."""
        prefix = f"{self._prefix}{day:%Y/%m/%d}/"
        try:
            for page in self._s3.get_paginator("list_objects_v2").paginate(Bucket=self._bucket, Prefix=prefix):
                for obj in page.get("Contents", []):
                    name = obj["Key"][len(prefix) :]
                    if "/" not in name and name.endswith(".json"):
                        yield self.get(name[: -len(".json")])
        except AWS_ERRORS as exc:
            raise StorageError(f"cannot list {prefix}: {aws_code(exc)}") from exc

    def get_state(self, name: str) -> dict[str, Any] | None:
        """Small service state (``analysis/_state/<name>.json``); None when absent."""
        key = f"{self._prefix}_state/{name}.json"
        try:
            body = self._s3.get_object(Bucket=self._bucket, Key=key)["Body"].read()
        except AWS_ERRORS as exc:
            if aws_not_found(exc):
                return None
            raise StorageError(f"cannot read state {name}: {aws_code(exc)}") from exc
        data: dict[str, Any] = json.loads(body)
        return data

    def put_state(self, name: str, data: dict[str, Any]) -> None:
        self._put(f"{self._prefix}_state/{name}.json", json.dumps(data), "application/json")

    def claim(self, name: str, now: datetime, until: datetime) -> bool:
        """Take the claim ``name`` until ``until`` (``_state/claims/<name>.json``): False while another
        holder's claim is live. Both the first write and the take-over of an expired claim are
        conditional, so of concurrent callers one wins. Raises StorageError."""
        key = f"{self._prefix}_state/claims/{name}.json"
        body = json.dumps({"until": until.isoformat()}).encode()
        try:
            self._s3.put_object(
                Bucket=self._bucket, Key=key, Body=body, ContentType="application/json", IfNoneMatch="*"
            )
            return True
        except AWS_ERRORS as exc:
            if not aws_precondition_failed(exc):
                raise StorageError(f"cannot claim {name}: {aws_code(exc)}") from exc
        try:
            held = self._s3.get_object(Bucket=self._bucket, Key=key)
            if _claim_is_live(held["Body"].read(), now):
                return False
            self._s3.put_object(
                Bucket=self._bucket, Key=key, Body=body, ContentType="application/json", IfMatch=held["ETag"]
            )
        except AWS_ERRORS as exc:
            if aws_precondition_failed(exc) or aws_not_found(exc):
                return False  # another caller took it over (or let it go) first
            raise StorageError(f"cannot claim {name}: {aws_code(exc)}") from exc
        return True

    def release(self, name: str) -> None:
        """Let the claim ``name`` go (a failed analysis: its retry need not wait). Raises StorageError."""
        key = f"{self._prefix}_state/claims/{name}.json"
        try:
            self._s3.delete_object(Bucket=self._bucket, Key=key)
        except AWS_ERRORS as exc:
            raise StorageError(f"cannot release {name}: {aws_code(exc)}") from exc

    def _put(self, key: str, body: str, content_type: str) -> None:
        try:
            self._s3.put_object(Bucket=self._bucket, Key=key, Body=body.encode(), ContentType=content_type)
        except AWS_ERRORS as exc:
            raise StorageError(f"cannot write s3://{self._bucket}/{key}: {aws_code(exc)}") from exc


class LocalRecordStore:
    """Records in a folder, in the bucket's layout (the demo's ``out/``, the CLI's default)."""

    def __init__(self, root: Path, prefix: str = "analysis/") -> None:
        self._root, self._prefix = root, prefix

    def _path(self, key: str) -> Path:
        return self._root / key

    def get(self, analysis_id: str) -> Analysis:
        path = self._path(record_key(self._prefix, analysis_id))
        if not path.is_file():
            raise NotFoundError(f"no analysis {analysis_id}")
        return Analysis.from_dict(json.loads(path.read_text()))

    def create(self, analysis: Analysis) -> bool:
        path = self._path(record_key(self._prefix, analysis.id))
        tmp = self._temporary(path, analysis.to_json())
        try:
            os.link(tmp, path)  # atomic, and refuses an existing record: the first writer wins
        except FileExistsError:
            return False
        except OSError as exc:
            raise StorageError(f"cannot write {path}: {exc.strerror}") from exc
        finally:
            os.unlink(tmp)
        return True

    def save(self, analysis: Analysis) -> None:
        self._write(record_key(self._prefix, analysis.id), analysis.to_json())

    def put_artifact(self, analysis_id: str, name: str, body: str, content_type: str) -> str:
        key = artifact_key(self._prefix, analysis_id, name)
        self._write(key, body)
        return str(self._path(key))

    def list_day(self, day: date) -> Iterator[Analysis]:
        folder = self._path(f"{self._prefix}{day:%Y/%m/%d}")
        for path in sorted(folder.glob("*.json")) if folder.is_dir() else []:
            yield self.get(path.stem)

    def get_state(self, name: str) -> dict[str, Any] | None:
        path = self._path(f"{self._prefix}_state/{name}.json")
        if not path.is_file():
            return None
        data: dict[str, Any] = json.loads(path.read_text())
        return data

    def put_state(self, name: str, data: dict[str, Any]) -> None:
        self._write(f"{self._prefix}_state/{name}.json", json.dumps(data))

    def claim(self, name: str, now: datetime, until: datetime) -> bool:
        """As S3RecordStore.claim, in the folder (one process at a time takes over an expired claim)."""
        path = self._path(f"{self._prefix}_state/claims/{name}.json")
        body = json.dumps({"until": until.isoformat()})
        tmp = self._temporary(path, body)
        try:
            try:
                os.link(tmp, path)
                return True
            except FileExistsError:
                pass
            try:
                if _claim_is_live(path.read_text(), now):
                    return False
            except OSError:
                return False
            os.replace(tmp, path)
            tmp = ""
            return True
        except OSError as exc:
            raise StorageError(f"cannot claim {name}: {exc.strerror}") from exc
        finally:
            if tmp:
                os.unlink(tmp)

    def release(self, name: str) -> None:
        try:
            self._path(f"{self._prefix}_state/claims/{name}.json").unlink(missing_ok=True)
        except OSError as exc:
            raise StorageError(f"cannot release {name}: {exc.strerror}") from exc

    def _write(self, key: str, body: str) -> None:
        path = self._path(key)
        tmp = self._temporary(path, body)
        try:
            os.replace(tmp, path)  # readers never see half a file
        except OSError as exc:
            os.unlink(tmp)
            raise StorageError(f"cannot write {path}: {exc.strerror}") from exc

    @staticmethod
    def _temporary(path: Path, body: str) -> str:
        """``body`` in a new file beside ``path`` (a unique name: writers may run concurrently)."""
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            handle, name = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
            with os.fdopen(handle, "w", encoding="utf-8") as out:
                out.write(body)
        except OSError as exc:
            raise StorageError(f"cannot write {path}: {exc.strerror}") from exc
        return name
