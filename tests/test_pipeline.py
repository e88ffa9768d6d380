"""The pipeline with real moto S3: idempotency, resuming abandoned work, failing actions."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

from chalicelib.errors import ActionError
from chalicelib.ingest.metadata import RunMetadata
from chalicelib.pipeline import analyze_text, handle_log_created
from chalicelib.record import ActionResult, Analysis, record_key
from chalicelib.services import build_services
from chalicelib.settings import Settings
from chalicelib.store.records import LocalRecordStore
from tests.conftest import BUCKET, Hook, example, list_keys, upload_example


def services(s3: Any, **env: str):  # type: ignore[no-untyped-def]
    return build_services(Settings.from_env({"LOGS_BUCKET": BUCKET, **env}), s3)


class ExplodingAction:
    kind = "email"

    def applies(self, analysis: Analysis) -> bool:
        return True

    def run(self, analysis: Analysis) -> ActionResult:
        raise ActionError("SES said: MessageRejected")


def test_a_failing_action_is_recorded_and_the_analysis_kept(s3: Any) -> None:
    svc = services(s3)
    svc.actions = [a for a in svc.actions if a.kind != "email"] + [ExplodingAction()]
    key = upload_example(s3, "pytest-assertion.log")
    outcome = handle_log_created(svc, BUCKET, key)
    assert outcome is not None and outcome.analysis.status == "complete"
    email = [a for a in outcome.analysis.actions if a.kind == "email"]
    assert [(a.status, a.detail) for a in email] == [("failed", "SES said: MessageRejected")]
    stored = svc.store.get(outcome.analysis.id)
    assert [a.status for a in stored.actions if a.kind == "email"] == ["failed"]


def test_abandoned_record_is_resumed_and_only_missing_actions_run(s3: Any) -> None:
    svc = services(s3)
    key = upload_example(s3, "ruff-lint.log")
    first = handle_log_created(svc, BUCKET, key)
    assert first is not None
    record = svc.store.get(first.analysis.id)
    # Simulate a crash after the issue was drafted but before the email: back to 'acting', email lost.
    record.status = "acting"
    record.actions = [a for a in record.actions if a.kind == "github_issue"]
    record.created_at = (datetime.now(UTC) - timedelta(hours=1)).isoformat()
    svc.store.save(record)
    issue_etag = s3.head_object(Bucket=BUCKET, Key=_artifact(first.analysis.id, "issue.md"))["ETag"]
    resumed = handle_log_created(svc, BUCKET, key)
    assert resumed is not None and not resumed.duplicate
    assert sorted(a.kind for a in resumed.analysis.actions) == ["email", "github_issue"]
    assert s3.head_object(Bucket=BUCKET, Key=_artifact(first.analysis.id, "issue.md"))["ETag"] == issue_etag


def test_an_acting_record_is_left_to_the_invocation_that_holds_its_claim(s3: Any) -> None:
    svc = services(s3)
    key = upload_example(s3, "ruff-lint.log")
    first = handle_log_created(svc, BUCKET, key)
    assert first is not None
    record = svc.store.get(first.analysis.id)
    record.status = "acting"
    svc.store.save(record)
    now = datetime.now(UTC)
    assert svc.store.claim(record.id, now, now + timedelta(seconds=60))  # another invocation, still running
    again = handle_log_created(svc, BUCKET, key)
    assert again is not None and again.duplicate and again.analysis.status == "acting"
    svc.store.release(record.id)  # it ended (or its claim expired): the next delivery finishes the work
    last = handle_log_created(svc, BUCKET, key)
    assert last is not None and not last.duplicate and last.analysis.status == "complete"


def test_a_claim_is_taken_once_and_over_only_when_it_has_expired(s3: Any, tmp_path: Any) -> None:
    now = datetime(2026, 12, 2, 12, 0, tzinfo=UTC)
    for store in (services(s3).store, LocalRecordStore(tmp_path)):
        assert store.claim("x", now, now + timedelta(seconds=30))
        assert not store.claim("x", now + timedelta(seconds=29), now + timedelta(seconds=60))
        assert store.claim("x", now + timedelta(seconds=31), now + timedelta(seconds=60))
        store.release("x")
        assert store.claim("x", now, now + timedelta(seconds=30))


def test_actions_off_stores_without_drafts(s3: Any) -> None:
    svc = services(s3, ACTIONS_MODE="off")
    outcome = analyze_text(svc, example("jest-failure.log"), RunMetadata(repo="acme/storefront"), act=True)
    assert outcome.analysis.actions == []
    others = [k for k in list_keys(s3, "analysis/") if not k.endswith(f"{outcome.analysis.id}.json")]
    assert [k for k in others if "/_state/" not in k] == []


def test_a_new_upload_of_the_same_key_is_a_new_analysis(s3: Any) -> None:
    svc = services(s3)
    key = upload_example(s3, "ruff-lint.log")
    first = handle_log_created(svc, BUCKET, key)
    s3.put_object(Bucket=BUCKET, Key=key, Body=example("ruff-lint.log") + b"\nrerun\n")
    second = handle_log_created(svc, BUCKET, key)
    assert first and second and first.analysis.id != second.analysis.id
    assert first.analysis.fingerprint == second.analysis.fingerprint  # the same failure


def test_non_logs_are_skipped(s3: Any) -> None:
    svc = services(s3)
    for key in ("logs/a/b/1-1-j.log.json", "logs/a/b/1-1-j.success.json", "other/x.log", "logs/a/"):
        assert handle_log_created(svc, BUCKET, key) is None


def _artifact(analysis_id: str, name: str) -> str:
    day = analysis_id[:8]
    return f"analysis/{day[:4]}/{day[4:6]}/{day[6:8]}/{analysis_id}/{name}"


def test_records_validate_against_the_published_schema(s3: Any) -> None:
    from chalicelib.record import validate

    svc = services(s3)
    outcome = analyze_text(svc, example("docker-build.log"), RunMetadata(), act=True)
    validate(svc.store.get(outcome.analysis.id).to_dict())
    assert datetime.fromisoformat(outcome.analysis.created_at).tzinfo is not None


def test_green_log_of_the_same_job_sharpens_the_analysis(s3: Any) -> None:
    import gzip

    from tests.support.logs import red_and_green

    red, green = red_and_green()
    svc = services(s3, EXCERPT_MAX_CHARS="200")
    meta = {"workflow": "CI", "job": "test", "repo": "acme/x"}
    s3.put_object(Bucket=BUCKET, Key="logs/acme/x/green/CI/test.log.gz", Body=gzip.compress(green))
    assert handle_log_created(svc, BUCKET, "logs/acme/x/green/CI/test.log.gz") is None  # a baseline, not a failure
    s3.put_object(Bucket=BUCKET, Key="logs/acme/x/5-1-test.log", Body=red, Metadata=meta)
    outcome = handle_log_created(svc, BUCKET, "logs/acme/x/5-1-test.log")
    assert outcome is not None
    assert [2, "totals mismatch: 90 != 100"] in outcome.analysis.excerpt["lines"]
    s3.put_object(Bucket=BUCKET, Key="logs/acme/x/6-1-test.log", Body=red, Metadata={**meta, "job": "other"})
    without = handle_log_created(svc, BUCKET, "logs/acme/x/6-1-test.log")
    assert without is not None
    assert [2, "totals mismatch: 90 != 100"] not in without.analysis.excerpt["lines"]


def test_a_small_log_is_read_once_and_its_head_still_gives_metadata(s3: Any, botocore_hook: Hook) -> None:
    key = "logs/acme/x/8-1-test.log"
    s3.put_object(Bucket=BUCKET, Key=key, Body=example("pytest-assertion.log"))
    reads: list[str] = []

    def count(params: dict[str, Any], **_: Any) -> None:
        if params.get("Key") == key:
            reads.append(key)

    botocore_hook(s3, "provide-client-params.s3.GetObject", count)
    outcome = handle_log_created(services(s3), BUCKET, key)
    assert outcome is not None and len(reads) == 1  # kept from the scan for the fetch of the chosen lines
    assert outcome.analysis.metadata["sha"] == "3f9c2a1"  # "HEAD is now at 3f9c2a1" near the start


def test_one_injected_clock_stamps_the_record_and_every_action(s3: Any) -> None:
    fixed = datetime(2031, 5, 4, 3, 2, 1, tzinfo=UTC)
    services = build_services(Settings.from_env({"LOGS_BUCKET": BUCKET}), s3, now=lambda: fixed)
    outcome = analyze_text(services, example("ruff-lint.log"), RunMetadata(repo="acme/x"), act=True)
    record = outcome.analysis
    assert record.created_at == fixed.isoformat() and record.id.startswith("20310504-")
    assert [(a.kind, a.at) for a in record.actions] == [
        ("github_issue", fixed.isoformat()),
        ("email", fixed.isoformat()),
    ]  # no fix is known for a lint finding: no pull request draft


def test_a_delivery_that_gets_the_claim_after_another_finished_repeats_nothing(s3: Any, botocore_hook: Hook) -> None:
    key = upload_example(s3, "ruff-lint.log")
    first = handle_log_created(services(s3), BUCKET, key)
    assert first is not None
    record_key_ = record_key("analysis/", first.analysis.id)
    finished = s3.get_object(Bucket=BUCKET, Key=record_key_)["Body"].read()
    s3.delete_object(Bucket=BUCKET, Key=record_key_)
    written: list[str] = []

    def another_invocation_finishes(params: dict[str, Any], **_: Any) -> None:
        # The second delivery read "no record"; the first one stores it and lets its claim go
        # just before the second takes the claim.
        if "/_state/claims/" in params.get("Key", "") and not written:
            written.append(params["Key"])
            s3.put_object(Bucket=BUCKET, Key=record_key_, Body=finished)

    botocore_hook(s3, "provide-client-params.s3.PutObject", another_invocation_finishes)
    again = handle_log_created(services(s3), BUCKET, key)
    assert again is not None and again.duplicate and again.analysis.id == first.analysis.id
    assert written and s3.get_object(Bucket=BUCKET, Key=record_key_)["Body"].read() == finished
    # Nothing was analyzed or counted a second time.
    seen_key = f"analysis/_state/seen/{first.analysis.metadata['repo']}/{first.analysis.fingerprint}.json"
    assert json.loads(s3.get_object(Bucket=BUCKET, Key=seen_key)["Body"].read())["count"] == 1
