"""The Chalice app through Chalice's test client: S3 events, POST /analyze, GET /analyses/{id}."""

from __future__ import annotations

import gzip
import json
from collections.abc import Iterator
from typing import Any

import pytest
from chalice.test import Client

from app import app
from chalicelib.record import record_key
from tests.conftest import BUCKET, ROOT, STAGE, example, list_keys, manifest, upload_example
from tests.support.logs import ALLOWED_THEN_FAILED, TEST_STEP_TIMES


@pytest.fixture
def client(s3: Any) -> Iterator[Client]:
    with Client(app, stage_name=STAGE, project_dir=str(ROOT)) as test_client:
        yield test_client


def post(client: Client, body: Any, raw: bytes | None = None, content_type: str = "application/json") -> Any:
    payload = raw if raw is not None else json.dumps(body).encode()
    return client.http.post("/analyze", headers={"Content-Type": content_type}, body=payload)


def records(s3: Any) -> list[dict[str, Any]]:
    keys = [k for k in list_keys(s3, "analysis/") if k.count("/") == 4 and k.endswith(".json")]
    return [json.loads(s3.get_object(Bucket=BUCKET, Key=k)["Body"].read()) for k in keys]


def test_s3_event_analyzes_stores_and_writes_drafts(client: Client, s3: Any) -> None:
    key = upload_example(s3, "python-missing-module.log")
    result = client.lambda_.invoke("on_log_uploaded", client.events.generate_s3_event(bucket=BUCKET, key=key))
    assert result.payload["status"] == "analyzed"
    [record] = records(s3)
    assert record["id"] == result.payload["id"]
    assert record["category"] == "dependency_install"
    assert "PyYAML" in record["suggested_fix"]
    assert record["metadata"]["repo"] == "acme/report-builder"
    assert record["metadata"]["branch"] == "feature/yaml-config"
    assert record["source"] == {
        "type": "s3",
        "bucket": BUCKET,
        "key": key,
        "etag": record["source"]["etag"],
        "size": len(example("python-missing-module.log")),
    }
    assert record["status"] == "complete"
    assert {a["kind"]: a["status"] for a in record["actions"]} == {
        "github_issue": "dry_run",
        "github_pr": "dry_run",
        "email": "dry_run",
    }
    base = record_key("analysis/", record["id"])[: -len(".json")]
    drafts = [k for k in list_keys(s3, base + "/")]
    assert drafts == [f"{base}/{n}" for n in ("email.html", "email.txt", "issue.md", "pr.md")]
    issue = s3.get_object(Bucket=BUCKET, Key=f"{base}/issue.md")["Body"].read().decode()
    assert issue.startswith("Title: [self-healing] dependency_install: Missing Python module yaml")
    assert f"fingerprint:{record['fingerprint']}" in issue
    assert "https://github.com/acme/report-builder/actions/runs/9182736402" in issue
    pr = s3.get_object(Bucket=BUCKET, Key=f"{base}/pr.md")["Body"].read().decode()
    assert "+PyYAML" in pr and "self-healing/" in pr


def test_duplicate_event_makes_no_second_record_or_draft(client: Client, s3: Any) -> None:
    key = upload_example(s3, "pytest-assertion.log")
    event = client.events.generate_s3_event(bucket=BUCKET, key=key)
    first = client.lambda_.invoke("on_log_uploaded", event).payload
    before = {k: s3.head_object(Bucket=BUCKET, Key=k)["ETag"] for k in list_keys(s3, "analysis/")}
    second = client.lambda_.invoke("on_log_uploaded", event).payload
    after = {k: s3.head_object(Bucket=BUCKET, Key=k)["ETag"] for k in list_keys(s3, "analysis/")}
    assert first["status"] == "analyzed" and second == {"status": "duplicate", "id": first["id"]}
    assert before == after
    assert len(records(s3)) == 1


def test_gzipped_log_and_sidecar_metadata(client: Client, s3: Any) -> None:
    key = "logs/acme/storefront/77-2-unit.log.gz"
    s3.put_object(Bucket=BUCKET, Key=key, Body=gzip.compress(example("jest-failure.log")))
    s3.put_object(
        Bucket=BUCKET,
        Key=key + ".json",
        Body=json.dumps(
            {"sha": "c0ffee1234567890abcdef1234567890abcdef12", "branch": "release/2.4", "workflow": "CI"}
        ).encode(),
    )
    sidecar_event = client.events.generate_s3_event(bucket=BUCKET, key=key + ".json")
    assert client.lambda_.invoke("on_log_uploaded", sidecar_event).payload == {"status": "skipped"}
    result = client.lambda_.invoke("on_log_uploaded", client.events.generate_s3_event(bucket=BUCKET, key=key))
    [record] = records(s3)
    assert result.payload["status"] == "analyzed"
    assert record["category"] == "test_assertion"
    meta = record["metadata"]
    assert (meta["repo"], meta["run_id"], meta["run_attempt"], meta["job"]) == ("acme/storefront", "77", "2", "unit")
    assert (meta["branch"], meta["workflow"]) == ("release/2.4", "CI")


def test_key_with_spaces_and_unicode_is_read(client: Client, s3: Any) -> None:
    key = "logs/acme/web/5-1-e2e tests ü.log"
    s3.put_object(Bucket=BUCKET, Key=key, Body=example("gitlab-timeout.log"))
    event = client.events.generate_s3_event(bucket=BUCKET, key=key.replace(" ", "+"))
    result = client.lambda_.invoke("on_log_uploaded", event).payload
    assert result["status"] == "analyzed"
    assert records(s3)[0]["source"]["key"] == key


def test_event_for_deleted_object_is_rejected_without_record(client: Client, s3: Any) -> None:
    event = client.events.generate_s3_event(bucket=BUCKET, key="logs/acme/web/1-1-gone.log")
    result = client.lambda_.invoke("on_log_uploaded", event).payload
    assert result["status"] == "rejected" and "no log" in result["reason"]
    assert list_keys(s3, "analysis/") == []


def test_post_analyze_inline_log_does_not_act_by_default(client: Client, s3: Any) -> None:
    response = post(client, {"log": example("ruff-lint.log").decode(), "repo": "acme/inventory"})
    assert response.status_code == 200
    body = response.json_body
    assert body["category"] == "lint"
    assert "F401" in body["root_cause"]
    assert body["actions"] == []
    assert body["source"]["type"] == "inline"
    stored = client.http.get(f"/analyses/{body['id']}")
    assert stored.status_code == 200 and stored.json_body == body
    assert [k for k in list_keys(s3, "analysis/") if not k.endswith(".json")] == []


def test_post_analyze_with_act_writes_drafts(client: Client, s3: Any) -> None:
    response = post(client, {"log": example("docker-build.log").decode(), "repo": "acme/ingest-worker", "act": True})
    assert response.status_code == 200
    kinds = {a["kind"] for a in response.json_body["actions"]}
    assert kinds == {"github_issue", "email"}  # no fix is known for this failure, so no PR draft
    assert any(k.endswith("/issue.md") for k in list_keys(s3, "analysis/"))


def test_s3_event_and_analyze_give_the_same_analysis(client: Client, s3: Any) -> None:
    key = upload_example(s3, "typescript-compile.log")
    event_result = client.lambda_.invoke("on_log_uploaded", client.events.generate_s3_event(bucket=BUCKET, key=key))
    from_event = client.http.get(f"/analyses/{event_result.payload['id']}").json_body
    by_key = post(client, {"s3_key": key}).json_body
    meta = manifest()["typescript-compile.log"]
    inline = post(
        client,
        {
            "log": example("typescript-compile.log").decode(),
            "repo": meta["repo"],
            "sha": meta["sha"],
            "branch": meta["branch"],
            "run_id": meta["run_id"],
            "workflow": meta["workflow"],
            "job": meta["job"],
        },
    ).json_body
    fields = ("category", "fingerprint", "summary", "root_cause", "evidence", "suggested_fix", "confidence", "excerpt")
    for other in (by_key, inline):
        assert {f: other[f] for f in fields} == {f: from_event[f] for f in fields}
    assert by_key["id"] != from_event["id"]  # a manual analysis never takes the event's place
    assert by_key["actions"] == []


def test_analyze_by_key_with_act_shares_the_events_record(client: Client, s3: Any) -> None:
    key = upload_example(s3, "oom-killed.log")
    acted = post(client, {"s3_key": key, "act": True}).json_body
    event_result = client.lambda_.invoke("on_log_uploaded", client.events.generate_s3_event(bucket=BUCKET, key=key))
    assert event_result.payload == {"status": "duplicate", "id": acted["id"]}
    assert len(records(s3)) == 1


@pytest.mark.parametrize(
    ("raw", "status", "fragment"),
    [
        (b"{not json", 400, "not valid JSON"),
        (b"[1, 2]", 400, "JSON object"),
        (b"", 400, "empty"),
        (b'{"repo": "a/b"}', 400, "exactly one of"),
        (b'{"log": "x", "s3_key": "logs/a"}', 400, "exactly one of"),
        (b'{"log": "   "}', 400, "non-empty"),
        (b'{"log": "boom", "act": "yes"}', 400, "true or false"),
        (b'{"log": "boom", "colour": "red"}', 400, "unknown field"),
        (b'{"log": "boom", "repo": ["a"]}', 400, "must be a string"),
        (b'{"s3_key": "other/x.log"}', 400, "under 'logs/'"),
        (b'{"s3_key": "logs/../analysis/x.json"}', 400, "'..'"),
        (b'{"s3_key": "logs/acme/x/1-1-missing.log"}', 404, "no log"),
    ],
)
def test_bad_requests_get_clear_4xx_before_any_analysis(
    client: Client, s3: Any, raw: bytes, status: int, fragment: str
) -> None:
    response = post(client, None, raw=raw)
    assert response.status_code == status
    assert fragment in response.json_body["message"]
    assert list_keys(s3, "analysis/") == []


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (b"", "the log is empty; nothing was analyzed"),
        (b"\n \r\n\t\n", "the log holds no readable text (6 bytes); nothing was analyzed"),
        (gzip.compress(b""), "the log is empty; nothing was analyzed"),
    ],
)
def test_a_log_with_no_text_is_rejected_with_the_reason(client: Client, s3: Any, body: bytes, reason: str) -> None:
    key = "logs/acme/api/77-1-test.log" + (".gz" if body[:2] == b"\x1f\x8b" else "")
    s3.put_object(Bucket=BUCKET, Key=key, Body=body)
    result = client.lambda_.invoke("on_log_uploaded", client.events.generate_s3_event(bucket=BUCKET, key=key))
    assert result.payload == {"status": "rejected", "reason": reason}
    assert list_keys(s3, "analysis/") == []


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        (
            b'{"log": "Error: \\ud800 boom"}',
            '"log" holds an unpaired UTF-16 surrogate escape at character 7; send UTF-8 text',
        ),
        (
            b'{"s3_key": "logs/acme/\\udfff.log"}',
            '"s3_key" holds an unpaired UTF-16 surrogate escape at character 10; send UTF-8 text',
        ),
        (b"[" * 1000 + b"]" * 1000, "request body is nested too deeply; send a flat JSON object"),
        (b'{"log": ' + b"[" * 5000 + b"]" * 5000 + b"}", "request body is nested too deeply; send a flat JSON object"),
    ],
)
def test_unusable_json_is_a_short_400(client: Client, s3: Any, raw: bytes, message: str) -> None:
    response = post(client, None, raw=raw)
    assert (response.status_code, response.json_body) == (400, {"error": "bad_request", "message": message})
    assert list_keys(s3, "analysis/") == []


def test_many_unknown_fields_get_a_short_400(client: Client, s3: Any) -> None:
    body = {"log": "boom", **{f"k{i:06d}": 1 for i in range(200_000)}}
    response = post(client, None, raw=json.dumps(body).encode())
    assert response.status_code == 400
    assert response.json_body["message"] == (
        "unknown field(s): 'k000000', 'k000001', 'k000002', 'k000003', 'k000004' and 199995 more; "
        "known: act, actor, author_email, branch, failed_steps, job, log, repo, run_attempt, run_id, run_url, s3_key, "
        "sha, workflow"
    )
    assert len(response.body) < 400


def test_oversize_body_is_413(client: Client, s3: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MAX_BODY_BYTES", "1000")
    response = post(client, {"log": "x" * 2000})
    assert response.status_code == 413
    assert "limit is 1000" in response.json_body["message"]
    assert list_keys(s3, "analysis/") == []


def test_default_body_limit_is_5_mib(client: Client, s3: Any) -> None:
    response = post(client, {"log": "E" * (5 * 1024 * 1024)})
    assert response.status_code == 413


def test_non_json_content_type_is_refused(client: Client) -> None:
    response = post(client, None, raw=b"log text", content_type="text/plain")
    assert response.status_code == 415


def test_corrupt_gzip_is_422(client: Client, s3: Any) -> None:
    key = "logs/acme/web/9-1-build.log.gz"
    s3.put_object(Bucket=BUCKET, Key=key, Body=gzip.compress(b"hello\n" * 1000)[:-30])
    response = post(client, {"s3_key": key})
    assert response.status_code == 422 and "gzip" in response.json_body["message"]


@pytest.mark.parametrize(("path", "status"), [("/analyses/20260101-0123456789abcdef", 404), ("/analyses/nope", 400)])
def test_get_unknown_or_malformed_id(client: Client, path: str, status: int) -> None:
    response = client.http.get(path)
    assert response.status_code == status
    assert response.json_body["error"] in ("not_found", "bad_request")


def test_a_wrong_setting_makes_the_s3_event_fail_loudly(
    client: Client, s3: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    key = upload_example(s3, "python-missing-module.log")
    monkeypatch.setenv("EXCERPT_MAX_CHARS", "8k")
    with pytest.raises(Exception, match="EXCERPT_MAX_CHARS must be an integer, got '8k'"):
        client.lambda_.invoke("on_log_uploaded", client.events.generate_s3_event(bucket=BUCKET, key=key))
    assert records(s3) == []


def test_a_wrong_setting_is_a_500_naming_it_never_the_callers_fault(
    client: Client, s3: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("EXCERPT_MAX_CHARS", "8k")
    response = post(client, {"log": "E   ModuleNotFoundError: No module named 'yaml'"})
    assert response.status_code == 500
    assert json.loads(response.body) == {
        "error": "configuration",
        "message": "the service is misconfigured: setting EXCERPT_MAX_CHARS must be an integer, got '8k'",
    }
    response = client.http.get("/analyses/20260101-0123456789abcdef")
    assert response.status_code == 500 and json.loads(response.body)["error"] == "configuration"


def test_auth_required_without_a_token_is_a_configuration_error(
    client: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("REQUIRE_AUTH", "true")
    monkeypatch.delenv("API_TOKEN", raising=False)
    monkeypatch.delenv("API_TOKEN_SECRET", raising=False)
    response = post(client, {"log": "boom"})
    assert response.status_code == 500
    assert json.loads(response.body) == {
        "error": "configuration",
        "message": "the service is misconfigured: REQUIRE_AUTH is on but no token is configured (set API_TOKEN_SECRET)",
    }


def test_importing_the_app_loads_no_github_llm_sdk_or_jinja() -> None:
    import subprocess
    import sys

    code = "import sys, app; print(sorted(m for m in ('github', 'openai', 'groq', 'jinja2') if m in sys.modules))"
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"


def test_the_flaky_report_of_a_repository(client: Client, s3: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    from datetime import UTC, datetime, timedelta

    from chalicelib.history.outcomes import S3OutcomeHistory
    from tests.support.history import job_outcome

    now = datetime.now(UTC)
    history = S3OutcomeHistory(s3, BUCKET)
    test = "tests/test_cart.py::test_total"
    history.record(job_outcome(now - timedelta(hours=2), ok=False, tests=(test,)))
    history.record(job_outcome(now - timedelta(hours=1), ok=True, attempt=2))
    monkeypatch.setenv("REQUIRE_AUTH", "true")
    monkeypatch.setenv("API_TOKEN", "s3cret-token-for-tests")
    assert client.http.get("/repos/acme/shop/flaky").status_code == 401
    auth = {"Authorization": "Bearer s3cret-token-for-tests"}
    response = client.http.get("/repos/acme/shop/flaky", headers=auth)
    assert response.status_code == 200
    report = json.loads(response.body)
    assert (report["repo"], report["window_days"], report["outcomes"]) == ("acme/shop", 14, 2)
    [entry] = report["tests"]
    assert (entry["test"], entry["failures"], entry["passes"], entry["flips"]) == (test, 1, 1, 1)
    assert [e["text"] for e in entry["evidence"]] == ["failed on ccccccc attempt 1, passed on attempt 2"]
    assert report["jobs"][0]["reruns_passed"] == 1
    assert json.loads(client.http.get("/repos/acme/other/flaky?days=3", headers=auth).body)["tests"] == []
    bad_days = client.http.get("/repos/acme/shop/flaky?days=365", headers=auth)
    assert (bad_days.status_code, json.loads(bad_days.body)["message"]) == (
        400,
        "days must be a whole number from 1 to 90",
    )
    bad_repo = client.http.get("/repos/acme/sh%24op/flaky", headers=auth)
    assert bad_repo.status_code == 400


def test_the_flaky_report_when_the_bucket_fails_is_a_503(client: Client, botocore_hook: Any) -> None:
    from botocore.exceptions import ClientError

    from chalicelib.clients import s3_client

    def failing(**_: Any) -> None:
        raise ClientError({"Error": {"Code": "InternalError", "Message": "x"}}, "ListObjectsV2")

    botocore_hook(s3_client("us-east-1"), "before-call.s3.ListObjectsV2", failing)  # the app's own client
    response = client.http.get("/repos/acme/shop/flaky")
    assert (response.status_code, json.loads(response.body)) == (
        503,
        {"error": "unavailable", "message": "the service is unavailable; try again"},
    )


def test_analyze_takes_the_failed_steps_times_with_a_log_or_a_key(client: Client, s3: Any) -> None:
    text = ALLOWED_THEN_FAILED.decode()
    told = post(client, {"log": text, "failed_steps": TEST_STEP_TIMES})
    assert told.status_code == 200
    assert (told.json_body["category"], told.json_body["excerpt"]["allowed_failures"]) == ("test_assertion", [[1, 4]])
    untold = post(client, {"log": text})
    assert untold.json_body["category"] == "lint" and untold.json_body["id"] != told.json_body["id"]
    key = "logs/acme/api/5-1-test.log"
    s3.put_object(Bucket=BUCKET, Key=key, Body=ALLOWED_THEN_FAILED)
    by_key = post(client, {"s3_key": key, "failed_steps": TEST_STEP_TIMES})
    assert (by_key.status_code, by_key.json_body["category"]) == (200, "test_assertion")
    wrong = post(client, {"log": text, "failed_steps": "2026-09-26T10:00:03Z"})
    assert (wrong.status_code, wrong.json_body) == (
        400,
        {
            "error": "bad_request",
            "message": "failed_steps must be ISO 8601 started_at/completed_at pairs, not '2026-09-26T10:00:03Z'",
        },
    )
