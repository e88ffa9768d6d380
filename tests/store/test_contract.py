"""One contract, two record stores: S3 (moto) and the local folder answer every case alike."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import replace
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from chalicelib.errors import NotFoundError
from chalicelib.store.records import LocalRecordStore, RecordStore, S3RecordStore
from tests.conftest import BUCKET, list_keys
from tests.support.records import sample


@pytest.fixture(params=["s3", "local"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[RecordStore, Any]]:
    """A store and a reader of the raw key it wrote (to check both keep one layout)."""
    if request.param == "s3":
        s3 = request.getfixturevalue("s3")

        def s3_key(key: str) -> bytes | None:
            return s3.get_object(Bucket=BUCKET, Key=key)["Body"].read() if key in list_keys(s3, "analysis/") else None

        yield S3RecordStore(s3, BUCKET, "analysis/"), s3_key
    else:

        def local_key(key: str) -> bytes | None:
            path = tmp_path / key
            return path.read_bytes() if path.exists() else None

        yield LocalRecordStore(tmp_path, "analysis/"), local_key


def test_create_is_once_per_id_and_get_returns_what_was_written(store: tuple[RecordStore, Any]) -> None:
    records, raw = store
    record = sample("20261126-0123456789abcdef")
    assert records.create(record) is True
    assert records.create(replace(record, summary="another")) is False
    assert records.get(record.id).to_dict() == record.to_dict()
    assert json.loads(raw("analysis/2026/11/26/20261126-0123456789abcdef.json")) == record.to_dict()


def test_save_overwrites_and_an_unknown_id_is_not_found(store: tuple[RecordStore, Any]) -> None:
    records, _ = store
    record = sample("20261126-00000000000000aa")
    records.create(record)
    records.save(replace(record, status="complete"))
    assert records.get(record.id).status == "complete"
    with pytest.raises(NotFoundError, match="no analysis 20261126-00000000000000bb"):
        records.get("20261126-00000000000000bb")


def test_artifacts_sit_next_to_their_record(store: tuple[RecordStore, Any]) -> None:
    records, raw = store
    name = records.put_artifact("20261126-0123456789abcdef", "issue.md", "# hello\n", "text/markdown")
    assert name.endswith("analysis/2026/11/26/20261126-0123456789abcdef/issue.md")
    assert raw("analysis/2026/11/26/20261126-0123456789abcdef/issue.md") == b"# hello\n"


def test_state_documents_round_trip_and_a_missing_one_is_none(store: tuple[RecordStore, Any]) -> None:
    records, raw = store
    assert records.get_state("seen/acme/x/0123456789abcdef") is None
    records.put_state("seen/acme/x/0123456789abcdef", {"count": 2, "last": "20261126-0123456789abcdef"})
    assert records.get_state("seen/acme/x/0123456789abcdef") == {"count": 2, "last": "20261126-0123456789abcdef"}
    assert json.loads(raw("analysis/_state/seen/acme/x/0123456789abcdef.json")) == {
        "count": 2,
        "last": "20261126-0123456789abcdef",
    }


def test_a_day_lists_its_records_only(store: tuple[RecordStore, Any]) -> None:
    records, _ = store
    for analysis_id in ("20261126-000000000000000a", "20261126-000000000000000b", "20261127-000000000000000c"):
        records.create(sample(analysis_id))
    assert sorted(r.id for r in records.list_day(date(2026, 11, 26))) == [
        "20261126-000000000000000a",
        "20261126-000000000000000b",
    ]
    assert list(records.list_day(date(2026, 11, 25))) == []
