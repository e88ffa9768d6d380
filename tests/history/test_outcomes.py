"""The outcome history in the bucket (moto) and in a folder: one document per job run, a window
of days, finished days compacted, unreadable documents skipped, S3 failures as StorageError."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError

from chalicelib.errors import BadInputError, StorageError
from chalicelib.history.outcomes import (
    JobOutcome,
    LocalOutcomeHistory,
    OutcomeHistory,
    S3OutcomeHistory,
    failure_outcome,
    job_identity,
)
from chalicelib.record import Analysis
from tests.conftest import BUCKET, Hook, list_keys


def outcome(day: int, hour: int = 9, conclusion: str = "failure", run: str = "77", attempt: int = 1) -> JobOutcome:
    return JobOutcome(
        repo="acme/api",
        workflow="CI",
        job="test (3.11)",
        sha="a" * 40,
        branch="main",
        run_id=run,
        attempt=attempt,
        conclusion=conclusion,
        at=datetime(2026, 11, day, hour, tzinfo=UTC).isoformat(),
        tests=("tests/test_a.py::test_b",) if conclusion == "failure" else (),
    )


@pytest.fixture(params=["s3", "local"])
def history(request: pytest.FixtureRequest, tmp_path: Path) -> OutcomeHistory:
    if request.param == "s3":
        s3 = request.getfixturevalue("s3")
        return S3OutcomeHistory(s3, BUCKET)
    return LocalOutcomeHistory(tmp_path)


def test_outcomes_are_read_back_by_window_oldest_first(history: OutcomeHistory) -> None:
    stored = [outcome(10, 12), outcome(12, 8, "success", attempt=2), outcome(10, 9, run="76"), outcome(1)]
    for item in stored:
        history.record(item)
    window = history.window("acme/api", date(2026, 11, 12), days=3)
    assert window == [stored[2], stored[0], stored[1]]  # the 1st is outside the three days
    assert history.window("acme/other", date(2026, 11, 12), days=3) == []


def test_a_redelivered_outcome_rewrites_its_document(history: OutcomeHistory) -> None:
    first = history.record(outcome(10))
    again = history.record(outcome(10))
    assert first == again
    assert first.startswith("history/acme/api/2026-11-10/77-1-") and first.endswith(".json")
    assert len(history.window("acme/api", date(2026, 11, 10), 1)) == 1


def test_a_finished_day_is_compacted_and_then_read_from_one_object(s3: Any, botocore_hook: Hook) -> None:
    history = S3OutcomeHistory(s3, BUCKET)
    for run in ("1", "2", "3"):
        history.record(outcome(3, run=run))
    today = date(2026, 11, 10)
    assert len(history.day("acme/api", date(2026, 11, 3), today)) == 3
    assert "history/acme/api/2026-11-03.jsonl" in list_keys(s3, "history/acme/api/")
    gets: list[str] = []
    botocore_hook(s3, "provide-client-params.s3.GetObject", lambda params, **_: gets.append(params["Key"]))
    botocore_hook(s3, "provide-client-params.s3.ListObjectsV2", lambda params, **_: gets.append("LIST"))
    assert len(history.day("acme/api", date(2026, 11, 3), today)) == 3
    assert gets == ["history/acme/api/2026-11-03.jsonl"]
    # Yesterday may still get outcomes (clocks differ): it is never compacted.
    history.record(outcome(9))
    history.day("acme/api", date(2026, 11, 9), today)
    assert "history/acme/api/2026-11-09.jsonl" not in list_keys(s3, "history/acme/api/")


def test_a_document_this_service_did_not_write_is_skipped(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    history = LocalOutcomeHistory(tmp_path)
    history.record(outcome(10))
    folder = tmp_path / "history/acme/api/2026-11-10"
    (folder / "junk.json").write_text("{not json")
    (folder / "other.json").write_text(json.dumps({"repo": "acme/api", "job": "x", "conclusion": "maybe", "at": "x"}))
    assert history.window("acme/api", date(2026, 11, 10), 1) == [outcome(10)]
    assert "skipping history/acme/api/2026-11-10/junk.json" in caplog.text


def test_an_outcome_of_no_repository_is_refused() -> None:
    with pytest.raises(BadInputError, match="owner/name"):
        LocalOutcomeHistory(Path("/nonexistent")).record(replace(outcome(1), repo="../x"))
    with pytest.raises(BadInputError, match="not a job outcome"):
        JobOutcome.from_dict({"repo": "acme/api", "job": "test", "conclusion": "success", "at": "yesterday"})


def test_s3_failures_are_storage_errors(s3: Any, botocore_hook: Hook) -> None:
    def slow_down(**_: Any) -> None:
        raise ClientError({"Error": {"Code": "SlowDown", "Message": "Reduce your request rate."}}, "Op")

    history = S3OutcomeHistory(s3, BUCKET)
    history.record(outcome(10))
    botocore_hook(s3, "before-call.s3.GetObject", slow_down)
    with pytest.raises(StorageError, match=r"cannot read outcome .*SlowDown"):
        history.window("acme/api", date(2026, 11, 10), 1)
    botocore_hook(s3, "before-call.s3.PutObject", slow_down)
    with pytest.raises(StorageError, match=r"cannot write outcome .*SlowDown"):
        history.record(outcome(11))
    botocore_hook(s3, "before-call.s3.ListObjectsV2", slow_down)
    with pytest.raises(StorageError, match=r"cannot list the outcomes .*SlowDown"):
        history.window("acme/api", date(2026, 11, 10), 1)


def test_one_job_is_one_identity_however_its_name_was_cleaned() -> None:
    assert job_identity("CI", "test (3.11)") == job_identity("CI", "test-3.11-") == "ci/test-3-11"
    assert job_identity("CI", "test (3.11)") != job_identity("CI", "test (3.12)")


def test_an_analysed_failure_becomes_an_outcome_with_its_tests_and_files() -> None:
    analysis = Analysis.from_dict(
        {
            "id": "20261110-0123456789abcdef",
            "created_at": "2026-11-10T09:00:00+00:00",
            "source": {},
            "metadata": {"repo": "acme/api", "job": "test", "workflow": "CI", "sha": "b" * 40, "run_attempt": "2"},
            "category": "test_assertion",
            "fingerprint": "0123456789abcdef",
            "summary": "",
            "root_cause": "",
            "evidence": [],
            "suggested_fix": "",
            "confidence": 0.9,
            "engine": {},
            "tokens": {},
            "cost_usd": 0.0,
            "excerpt": {},
            "tests": ["tests/test_a.py::test_b", "tests/test_a.py::test_c", "CartTest > totals"],
        }
    )
    found = failure_outcome(analysis)
    assert found is not None
    assert (found.attempt, found.conclusion, found.analysis, found.fingerprint) == (
        2,
        "failure",
        "20261110-0123456789abcdef",
        "0123456789abcdef",
    )
    assert found.files == ("tests/test_a.py",)
    analysis.metadata = {"repo": "acme/api"}  # no job: nothing to keep a history of
    assert failure_outcome(analysis) is None


def test_the_outcomes_of_a_commit_are_one_listing_away(history: OutcomeHistory) -> None:
    failed, passed = outcome(10), outcome(10, 11, "success", attempt=2)
    history.record(failed)
    history.record(passed)
    assert history.on_commit("acme/api", "a" * 40, failed, "failure") == [failed]
    assert history.on_commit("acme/api", "a" * 40, failed, "success") == [passed]
    other_job = replace(failed, job="lint")
    assert history.on_commit("acme/api", "a" * 40, other_job, "success") == []
    assert history.on_commit("acme/api", "b" * 40, failed, "success") == []
    assert history.on_commit("acme/api", "../../x", failed, "success") == []


def test_a_verdict_reaches_a_day_already_compacted(s3: Any) -> None:
    history = S3OutcomeHistory(s3, BUCKET)
    failed, other = outcome(3, run="1"), outcome(3, run="2")
    history.record(failed)
    history.record(other)
    today = date(2026, 11, 10)
    history.day("acme/api", date(2026, 11, 3), today)  # compacts the 3rd
    history.mark_flaky(failed)
    verdicts = {o.run_id: o.verdict for o in history.day("acme/api", date(2026, 11, 3), today)}
    assert verdicts == {"1": "flaky", "2": ""}
    history.mark_flaky(outcome(9))  # a day not compacted: its document alone
    assert [o.verdict for o in history.day("acme/api", date(2026, 11, 9), today)] == ["flaky"]
