"""The GitHub App's webhook (signed deliveries, queued failed jobs) and the worker that collects a
job's whole log through the REST API (the GitHub stub serves the redirect and the log)."""

from __future__ import annotations

import copy
import functools
import gzip
import hashlib
import hmac
import json
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from chalice.test import Client
from github import GithubException

from app import app
from chalicelib.errors import GitHubError, RetryableError
from chalicelib.github import joblogs, webhook
from chalicelib.github.webhook import FailedJob
from chalicelib.pipeline import handle_log_created
from chalicelib.services import build_services
from chalicelib.settings import Settings
from tests.conftest import BUCKET, ROOT, STAGE, example, list_keys
from tests.support import octokit
from tests.support.github_stub import GitHubStub
from tests.support.logs import ALLOWED_THEN_FAILED, TEST_STEP_TIMES

SECRET = "whsec-" + "k3y" * 10
REPO = "acme/report-builder"
SHA = "9a8b7c6d5e4f30211223344556677889900aabbc"


def workflow_job(conclusion: str = "failure") -> dict[str, Any]:
    """A real ``workflow_job`` completed delivery (@octokit/webhooks-examples), checked against
    GitHub's webhook schema."""
    return copy.deepcopy(_validated_workflow_job(conclusion))


@functools.cache
def _validated_workflow_job(conclusion: str) -> dict[str, Any]:
    payload = octokit.example("workflow_job", action="completed", job_conclusion=conclusion)
    octokit.validate(payload, "workflow_job$completed")
    return payload


def signed(body: bytes, secret: str = SECRET) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


@pytest.fixture
def queue_url(s3: Any, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    url = boto3.client("sqs", region_name="us-east-1").create_queue(QueueName="self-healing-ci-jobs")["QueueUrl"]
    monkeypatch.setenv("GITHUB_WEBHOOK_SECRET", SECRET)
    monkeypatch.setenv("JOBS_QUEUE_URL", url)
    yield url


@pytest.fixture
def client(queue_url: str) -> Iterator[Client]:
    with Client(app, stage_name=STAGE, project_dir=str(ROOT)) as test_client:
        yield test_client


def deliver(
    client: Client, event: str, payload: dict[str, Any], delivery: str = "d-1", signature: str | None = ""
) -> Any:
    body = json.dumps(payload).encode()
    headers = {"Content-Type": "application/json", "X-GitHub-Event": event, "X-GitHub-Delivery": delivery}
    if signature is not None:
        headers["X-Hub-Signature-256"] = signature or signed(body)
    return client.http.post("/github/webhook", headers=headers, body=body)


def queued(url: str) -> list[dict[str, Any]]:
    sqs = boto3.client("sqs", region_name="us-east-1")
    messages = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", [])
    return [json.loads(m["Body"]) for m in messages]


def test_a_ping_is_answered(client: Client) -> None:
    response = deliver(client, "ping", octokit.example("ping"))
    assert (response.status_code, response.json_body) == (200, {"status": "pong"})


@pytest.mark.parametrize(
    ("signature", "message"),
    [
        (None, "the delivery is not signed (X-Hub-Signature-256)"),
        ("sha1=" + "0" * 40, "the delivery is not signed (X-Hub-Signature-256)"),
        (signed(b"another body"), "the delivery's signature does not match the webhook secret"),
        (
            signed(json.dumps(workflow_job()).encode(), "wrong-secret"),
            "the delivery's signature does not match the webhook secret",
        ),
    ],
)
def test_an_unsigned_or_wrongly_signed_delivery_is_refused_before_parsing(
    client: Client, queue_url: str, signature: str | None, message: str
) -> None:
    response = deliver(client, "workflow_job", workflow_job(), signature=signature)
    assert (response.status_code, response.json_body) == (401, {"error": "unauthorized", "message": message})
    assert queued(queue_url) == []


def test_a_failed_job_is_queued_once_and_a_redelivery_is_acknowledged(client: Client, queue_url: str) -> None:
    first = deliver(client, "workflow_job", workflow_job(), delivery="d-7")
    again = deliver(client, "workflow_job", workflow_job(), delivery="d-7")
    assert (first.status_code, first.json_body) == (202, {"status": "queued"})
    assert (again.status_code, again.json_body) == (200, {"status": "duplicate"})
    job = workflow_job()["workflow_job"]
    assert queued(queue_url) == [
        {
            "branch": job["head_branch"],
            "conclusion": "failure",
            # The example's "Run yarn run format-check" step failed; its times, to the second.
            "failed_steps": "2021-08-05T10:26:27Z/2021-08-05T10:26:28Z",
            "installation_id": None,
            "job_id": job["id"],
            "job_name": job["name"],
            "repo": workflow_job()["repository"]["full_name"],
            "run_attempt": job["run_attempt"],
            "run_id": job["run_id"],
            "run_url": job["html_url"],
            "sha": job["head_sha"],
            "workflow": job["workflow_name"],
        }
    ]


def test_a_successful_job_is_queued_and_other_events_are_ignored(client: Client, queue_url: str) -> None:
    ok = deliver(client, "workflow_job", workflow_job("success"), delivery="d-8")
    assert (ok.status_code, ok.json_body) == (202, {"status": "queued"})
    job = workflow_job("success")["workflow_job"]
    [message] = queued(queue_url)
    assert (message["conclusion"], message["sha"], message["job_name"]) == ("success", job["head_sha"], job["name"])
    others = (
        ("issues", octokit.example("issues", action="opened")),
        ("workflow_job", octokit.example("workflow_job", action="queued")),
    )
    for event, payload in others:
        response = deliver(client, event, payload, delivery=f"d-{event}")
        assert (response.status_code, response.json_body) == (202, {"status": "ignored"})


def test_without_a_queue_a_successful_job_goes_straight_into_the_history(
    client: Client, s3: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("JOBS_QUEUE_URL")
    monkeypatch.setenv("LOGS_BUCKET", BUCKET)
    ok = deliver(client, "workflow_job", workflow_job("success"), delivery="d-9")
    assert (ok.status_code, ok.json_body) == (202, {"status": "recorded"})
    delivery = workflow_job("success")
    job, repo = delivery["workflow_job"], delivery["repository"]["full_name"]
    [document] = [k for k in list_keys(s3, f"history/{repo}/") if "/commits/" not in k]
    assert f"/{job['run_id']}-{job['run_attempt']}-" in document
    outcome = json.loads(s3.get_object(Bucket=BUCKET, Key=document)["Body"].read())
    assert (outcome["conclusion"], outcome["sha"], outcome["job"], outcome["workflow"]) == (
        "success",
        job["head_sha"],
        job["name"],
        job["workflow_name"],
    )


def test_the_worker_adds_a_passed_job_to_the_history_without_asking_github(
    s3: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LOGS_BUCKET", BUCKET)
    passed = {**_message(), "conclusion": "success"}
    with Client(app, stage_name=STAGE, project_dir=str(ROOT)) as client:
        event = client.events.generate_sqs_event(message_bodies=[json.dumps(passed)], queue_name="self-healing-ci-jobs")
        client.lambda_.invoke("collect_job_logs", event)
    assert list_keys(s3, "logs/") == []
    # Its day's document and its commit's copy; no failure of its commit: nothing else to do.
    document, by_commit = sorted(list_keys(s3, f"history/{REPO}/"), key=lambda k: "/commits/" in k)
    assert f"/commits/{SHA}/" in by_commit
    outcome = json.loads(s3.get_object(Bucket=BUCKET, Key=document)["Body"].read())
    assert (outcome["conclusion"], outcome["run_id"], outcome["attempt"]) == ("success", "9001", 2)


def test_a_webhook_without_a_secret_is_a_configuration_error(client: Client, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("GITHUB_WEBHOOK_SECRET")
    response = deliver(client, "ping", octokit.example("ping"), signature=signed(b"{}"))
    assert response.status_code == 500
    assert response.json_body == {
        "error": "configuration",
        "message": "the service is misconfigured: the GitHub webhook has no secret "
        "(set GITHUB_WEBHOOK_SECRET or GITHUB_WEBHOOK_SECRET_ID)",
    }


def settings_for(stub: GitHubStub) -> Settings:
    return Settings.from_env(
        {"LOGS_BUCKET": BUCKET, "GITHUB_TOKEN": "ghp_" + "T" * 36, "GITHUB_API_URL": stub.url, "ACTIONS_MODE": "off"}
    )


def test_two_failing_matrix_legs_give_two_logs_and_two_records(s3: Any, github_stub: GitHubStub) -> None:
    repo = github_stub.add_repo(REPO, SHA, {})
    repo.job_logs[501] = example("python-missing-module.log")
    repo.job_logs[502] = example("pytest-assertion.log")
    repo.run_pulls[9001] = [7]
    settings = settings_for(github_stub)
    keys = [
        joblogs.collect(settings, s3, FailedJob.from_message(json.dumps(job)), BUCKET)
        for job in (
            {**_message(), "job_id": 501, "job_name": "test (3.11)"},
            {**_message(), "job_id": 502, "job_name": "test (3.12)"},
        )
    ]
    assert keys == [f"logs/{REPO}/9001-2-test (3.11).log.gz", f"logs/{REPO}/9001-2-test (3.12).log.gz"]
    stored = s3.get_object(Bucket=BUCKET, Key=keys[0])
    assert gzip.decompress(stored["Body"].read()) == example("python-missing-module.log")
    assert stored["Metadata"] == {
        "repo": REPO,
        "sha": SHA,
        "branch": "feature/yaml-config",
        "run-id": "9001",
        "run-attempt": "2",
        "run-url": f"https://github.com/{REPO}/actions/runs/9001/job/501",
        "workflow": "CI",
        "job": "test (3.11)",
        "job-id": "501",
        "pull-request": "7",
    }
    records = [handle_log_created(build_services(settings, s3), BUCKET, key) for key in keys]
    assert [r.analysis.category for r in records if r is not None] == ["dependency_install", "test_assertion"]
    assert {r.analysis.metadata["job"] for r in records if r is not None} == {"test (3.11)", "test (3.12)"}
    assert {r.analysis.metadata["pull_request"] for r in records if r is not None} == {"7"}


def _step(number: int, name: str, conclusion: str | None, started: str | None, completed: str | None) -> dict[str, Any]:
    return {
        "name": name,
        "status": "completed",
        "conclusion": conclusion,
        "number": number,
        "started_at": started,
        "completed_at": completed,
    }


def test_the_steps_github_concluded_failed_are_the_failed_steps() -> None:
    steps = [
        _step(1, "Set up job", "success", "2026-09-26T09:59:58.000Z", "2026-09-26T10:00:00.000Z"),
        # continue-on-error: the step failed, GitHub concludes it a success.
        _step(2, "Lint", "success", "2026-09-26T10:00:00.000Z", "2026-09-26T10:00:02.000Z"),
        _step(3, "Test", "failure", "2026-09-26T03:00:03.000-07:00", "2026-09-26T03:00:10.000-07:00"),
        _step(4, "Upload coverage", "skipped", "2026-09-26T10:00:10.000Z", "2026-09-26T10:00:10.000Z"),
        _step(5, "Deploy preview", "timed_out", "2026-09-26T10:00:10Z", "2026-09-26T10:05:10Z"),
        _step(6, "Post job cleanup", "cancelled", "2026-09-26T10:05:10Z", None),  # no end: left out
        _step(7, "Report", "failure", "not a time", "2026-09-26T10:05:12Z"),
    ]
    assert webhook.failed_steps(steps).encode() == (
        "2026-09-26T10:00:03Z/2026-09-26T10:00:10Z,2026-09-26T10:00:10Z/2026-09-26T10:05:10Z"
    )
    assert webhook.failed_steps(None).encode() == webhook.failed_steps([1, "x"]).encode() == ""


def test_a_step_allowed_to_fail_is_not_taken_for_the_cause(s3: Any, github_stub: GitHubStub) -> None:
    repo = github_stub.add_repo(REPO, SHA, {})
    repo.job_logs[501] = ALLOWED_THEN_FAILED
    settings = settings_for(github_stub)
    job = FailedJob.from_message(json.dumps({**_message(), "failed_steps": TEST_STEP_TIMES}))
    key = joblogs.collect(settings, s3, job, BUCKET)
    assert s3.head_object(Bucket=BUCKET, Key=key)["Metadata"]["failed-steps"] == TEST_STEP_TIMES
    outcome = handle_log_created(build_services(settings, s3), BUCKET, key)
    assert outcome is not None
    record = outcome.analysis.to_dict()
    assert (record["category"], record["root_cause"]) == (
        "test_assertion",
        "tests/test_cart.py::test_total failed: AssertionError: assert 3 == 4",
    )
    assert record["evidence"][0]["line"] == 7
    assert (record["excerpt"]["failing_step_start"], record["excerpt"]["allowed_failures"]) == (5, [[1, 4]])
    # Without the steps' times the lint step, which failed first, is taken for the cause.
    s3.put_object(Bucket=BUCKET, Key=f"logs/{REPO}/9001-3-test.log", Body=ALLOWED_THEN_FAILED)
    plain = handle_log_created(build_services(settings, s3), BUCKET, f"logs/{REPO}/9001-3-test.log")
    assert plain is not None and plain.analysis.category == "lint"
    assert "allowed_failures" not in plain.analysis.to_dict()["excerpt"]


def _message() -> dict[str, Any]:
    return {
        "repo": REPO,
        "job_id": 501,
        "job_name": "test (3.11)",
        "run_id": 9001,
        "run_attempt": 2,
        "sha": SHA,
        "branch": "feature/yaml-config",
        "workflow": "CI",
        "run_url": f"https://github.com/{REPO}/actions/runs/9001/job/501",
        "conclusion": "failure",
    }


@pytest.mark.parametrize(
    ("status", "error", "reason"),
    [
        (404, GitHubError, "not found on GitHub (404)"),
        (403, GitHubError, "GitHub forbade it (403)"),
        (429, RetryableError, "GitHub rate limit (429)"),
        (502, RetryableError, "GitHub failed (502)"),
    ],
)
def test_a_fetch_that_fails_raises_for_the_queue_to_retry(
    s3: Any, github_stub: GitHubStub, status: int, error: type[Exception], reason: str
) -> None:
    github_stub.add_repo(REPO, SHA, {}).job_logs[501] = b"x\n"
    github_stub.fail("GET", r"/actions/jobs/501/logs$", status, "scripted")
    with pytest.raises(error, match=reason.replace("(", r"\(").replace(")", r"\)")):
        joblogs.collect(settings_for(github_stub), s3, FailedJob.from_message(json.dumps(_message())), BUCKET)
    assert list_keys(s3, "logs/") == []


def test_the_queue_worker_collects_the_log_and_raises_when_it_cannot(
    s3: Any, github_stub: GitHubStub, monkeypatch: pytest.MonkeyPatch
) -> None:
    github_stub.add_repo(REPO, SHA, {}).job_logs[501] = example("pytest-assertion.log")
    boto3.client("secretsmanager", region_name="us-east-1").create_secret(
        Name="ci/github-token", SecretString="ghp_" + "T" * 36
    )
    monkeypatch.setenv("GITHUB_TOKEN_SECRET", "ci/github-token")
    monkeypatch.setenv("GITHUB_API_URL", github_stub.url)
    with Client(app, stage_name=STAGE, project_dir=str(ROOT)) as client:
        event = client.events.generate_sqs_event(
            message_bodies=[json.dumps(_message())], queue_name="self-healing-ci-jobs"
        )
        client.lambda_.invoke("collect_job_logs", event)
        assert list_keys(s3, "logs/") == [f"logs/{REPO}/9001-2-test (3.11).log.gz"]
        github_stub.fail("GET", r"/actions/jobs/501/logs$", 502, "scripted")
        with pytest.raises(RetryableError, match="GitHub failed"):
            client.lambda_.invoke("collect_job_logs", event)
        # A message this service did not write is dropped with a log line, not retried forever.
        junk = client.events.generate_sqs_event(message_bodies=["not json"], queue_name="self-healing-ci-jobs")
        client.lambda_.invoke("collect_job_logs", junk)


def test_from_a_delivery_to_the_answer_on_the_pull_request(
    client: Client, s3: Any, queue_url: str, github_stub: GitHubStub
) -> None:
    delivery = workflow_job()
    job, full_name = delivery["workflow_job"], delivery["repository"]["full_name"]
    repo = github_stub.add_repo(full_name, job["head_sha"], {})
    repo.job_logs[job["id"]] = example("ruff-lint.log")
    repo.run_pulls[job["run_id"]] = [5]
    repo.pulls.append(
        {
            "number": 5,
            "state": "open",
            "html_url": f"https://github.example/{full_name}/pull/5",
            "issue_url": f"{github_stub.url}/repos/{full_name}/issues/5",
            "head": {"ref": "feature", "sha": job["head_sha"]},
            "base": {"ref": "main"},
        }
    )
    # GitHub delivers the failed job; the route queues it.
    assert deliver(client, "workflow_job", delivery, delivery="d-e2e").json_body == {"status": "queued"}
    [message] = queued(queue_url)
    # The worker collects the job's log into the bucket; the S3 trigger analyzes it.
    settings = Settings.from_env(
        {"LOGS_BUCKET": BUCKET, "GITHUB_TOKEN": "ghp_" + "T" * 36, "GITHUB_API_URL": github_stub.url}
    )
    key = joblogs.collect(settings, s3, FailedJob.from_message(json.dumps(message)), BUCKET)
    outcome = handle_log_created(build_services(settings, s3), BUCKET, key)
    assert outcome is not None
    record = outcome.analysis
    assert (record.category, record.metadata["pull_request"], record.metadata["job"]) == ("lint", "5", job["name"])
    actions = {a.kind: a for a in record.actions}
    assert actions["github_pr_comment"].status == "created"
    [comment] = repo.comments[5]
    assert comment.startswith(f"### Self-Healing CI: 1 failing job\n\n#### {job['name']} · `lint`\n")
    # Its branch is the repository's default: the failure also gets its issue.
    assert actions["github_issue"].status == "created" and len(repo.issues) == 1


def test_the_webhook_secret_may_live_in_secrets_manager(client: Client, monkeypatch: pytest.MonkeyPatch) -> None:
    boto3.client("secretsmanager", region_name="us-east-1").create_secret(Name="ci/webhook", SecretString=SECRET)
    monkeypatch.delenv("GITHUB_WEBHOOK_SECRET")
    monkeypatch.setenv("GITHUB_WEBHOOK_SECRET_ID", "ci/webhook")
    response = deliver(client, "ping", octokit.example("ping"))
    assert (response.status_code, response.json_body) == (200, {"status": "pong"})
    monkeypatch.setenv("GITHUB_WEBHOOK_SECRET_ID", "ci/missing")
    response = deliver(client, "ping", octokit.example("ping"), delivery="d-2")
    assert (response.status_code, response.json_body) == (
        503,
        {"error": "unavailable", "message": "the service cannot read its GitHub webhook secret right now; try again"},
    )


@pytest.mark.parametrize(
    ("count", "retry_after", "delay"),
    [(1, None, 30), (2, None, 60), (5, None, 480), (30, None, 43200), (1, 90.4, 90), (3, 0.2, 1), (1, 1e9, 43200)],
)
def test_a_failed_collection_waits_longer_each_time_or_as_long_as_github_says(
    count: int, retry_after: float | None, delay: int
) -> None:
    assert webhook.retry_delay(count, retry_after) == delay


def test_githubs_rate_limit_reset_time_is_the_wait() -> None:
    limited = GithubException(403, {"message": "API rate limit exceeded"}, {"x-ratelimit-reset": "1000120"})
    assert joblogs._reset_after(limited, now=1_000_000.0) == 120.0
    told = GithubException(429, {"message": "slow down"}, {"Retry-After": "7"})
    assert joblogs._reset_after(told, now=0.0) == 7.0


def test_a_failed_collection_is_handed_out_again_later(
    s3: Any, github_stub: GitHubStub, queue_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    github_stub.add_repo(REPO, SHA, {}).job_logs[501] = b"x\n"
    github_stub.fail("GET", r"/actions/jobs/501/logs$", 502, "scripted")
    boto3.client("secretsmanager", region_name="us-east-1").create_secret(
        Name="ci/github-token", SecretString="ghp_" + "T" * 36
    )
    monkeypatch.setenv("GITHUB_TOKEN_SECRET", "ci/github-token")
    monkeypatch.setenv("GITHUB_API_URL", github_stub.url)
    sqs = boto3.client("sqs", region_name="us-east-1")
    sqs.send_message(QueueUrl=queue_url, MessageBody=json.dumps(_message()))
    # As Lambda's poller hands it out (visible again at once, were the worker not to delay it).
    [message] = sqs.receive_message(
        QueueUrl=queue_url, VisibilityTimeout=0, AttributeNames=["ApproximateReceiveCount"]
    )["Messages"]
    event = {
        "Records": [
            {
                "messageId": message["MessageId"],
                "receiptHandle": message["ReceiptHandle"],
                "body": message["Body"],
                "attributes": message["Attributes"],
                "eventSource": "aws:sqs",
                "eventSourceARN": "arn:aws:sqs:us-east-1:123456789012:self-healing-ci-jobs",
            }
        ]
    }
    with Client(app, stage_name=STAGE, project_dir=str(ROOT)) as client:
        with pytest.raises(RetryableError):
            client.lambda_.invoke("collect_job_logs", event)
    assert sqs.receive_message(QueueUrl=queue_url).get("Messages", []) == []  # waiting its 30 s
