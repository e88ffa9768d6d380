"""Flaky verdicts on GitHub (PyGithub against the local stub, the bucket in moto): a failure
whose job passes on a re-run is told so on its issue, its draft fix is closed, and a failure
that arrives after the pass opens no fix; re-runs stay within their bounds."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from app import app
from chalicelib.actions.issue_state import read_marker
from chalicelib.pipeline import handle_log_created, handle_success_record
from chalicelib.record import Analysis
from chalicelib.services import build_services
from chalicelib.settings import Settings
from tests.conftest import BUCKET, example, list_keys
from tests.support.github_stub import GitHubStub, Repo

SHA = "9a8b7c6d5e4f30211223344556677889900aabbc"
TOKEN = "ghp_" + "TestToken0123456789abcdefghijklmnopqr"
REPO = "acme/report-builder"
NOW = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)


def services(stub: GitHubStub, s3: Any, minutes: int = 0, **env: str) -> Any:
    settings = Settings.from_env(
        {"LOGS_BUCKET": BUCKET, "GITHUB_TOKEN": TOKEN, "GITHUB_API_URL": stub.url, "ISSUE_BRANCHES": "*", **env}
    )
    return build_services(settings, s3, now=lambda: NOW + timedelta(minutes=minutes))


# A failure of the network: a transient category, worth a re-run.
NETWORK = (
    b"Run ./scripts/fetch-fixtures.sh\n"
    b"curl: (6) Could not resolve host: downloads.example.com\n"
    b"Error: Process completed with exit code 6.\n"
)


def upload_failure(
    s3: Any, attempt: int, log: str | bytes = "python-missing-module.log", run: str = "77", sha: str = SHA
) -> str:
    key = f"logs/{REPO}/{run}-{attempt}-test.log"
    metadata = {"repo": REPO, "sha": sha, "branch": "main", "run-id": run, "workflow": "CI", "job": "test"}
    body = example(log) if isinstance(log, str) else log
    s3.put_object(Bucket=BUCKET, Key=key, Body=body, Metadata={**metadata, "run-attempt": str(attempt)})
    return key


def upload_success(s3: Any, attempt: int, run: str = "77", sha: str = SHA) -> str:
    """What ``scripts/upload-ci-log --success`` writes for a job that passed."""
    key = f"logs/{REPO}/{run}-{attempt}-test.success.json"
    body = {"repo": REPO, "branch": "main", "run_id": run, "sha": sha, "workflow": "CI", "job": "test"}
    s3.put_object(Bucket=BUCKET, Key=key, Body=json.dumps({**body, "run_attempt": str(attempt)}).encode())
    return key


def analyze(s3: Any, stub: GitHubStub, key: str, minutes: int = 0, env: dict[str, str] | None = None) -> Analysis:
    outcome = handle_log_created(services(stub, s3, minutes, **(env or {})), BUCKET, key)
    assert outcome is not None
    return outcome.analysis


def stored(s3: Any, analysis_id: str) -> Analysis:
    day = analysis_id[:8]
    key = f"analysis/{day[:4]}/{day[4:6]}/{day[6:8]}/{analysis_id}.json"
    return Analysis.from_dict(json.loads(s3.get_object(Bucket=BUCKET, Key=key)["Body"].read()))


@pytest.fixture
def repo(github_stub: GitHubStub) -> Repo:
    return github_stub.add_repo(REPO, SHA, {"requirements.txt": "jinja2==3.1.4\n", "app/config.py": "import yaml\n"})


def test_a_pass_on_rerun_tells_the_issue_labels_it_and_closes_the_draft_fix(
    s3: Any, github_stub: GitHubStub, repo: Repo
) -> None:
    failed = analyze(s3, github_stub, upload_failure(s3, attempt=1))
    assert failed.flaky is None
    assert {a.kind: a.status for a in failed.actions}["github_pr"] == "created"
    [issue], [pull] = repo.issues, repo.pulls

    result = handle_success_record(services(github_stub, s3, minutes=5), BUCKET, upload_success(s3, attempt=2))

    assert result == {"status": "not-a-fix", "detail": "branch main is not a self-healing branch",
                      "recorded": True, "flaky": [failed.id]}  # fmt: skip
    record = stored(s3, failed.id)
    assert record.flaky == {
        "verdict": "flaky",
        "reason": "passed_on_rerun",
        "evidence": ["failed on 9a8b7c6 attempt 1, passed on attempt 2"],
        "tests": ["tests/test_config.py"],  # the module the failing collection reported
        "at": (NOW + timedelta(minutes=5)).isoformat(),
    }
    told = (
        "**Flaky, not a regression:** the job passed when it ran again on the same commit.\n\n"
        "- failed on 9a8b7c6 attempt 1, passed on attempt 2\n\n"
        "Flaky test: `tests/test_config.py`\n\n"
        f"No fix is proposed for a flaky failure, and the draft fix pull request #{pull['number']} is closed.\n"
    )
    assert repo.comments[issue["number"]] == [told]
    assert repo.comments[pull["number"]] == [told]
    assert pull["state"] == "closed"
    assert {lb["name"] for lb in issue["labels"]} == {"self-healing", "dependency_install", "flaky"}
    marker = read_marker(issue["body"])
    assert marker is not None and marker[1].gave_up  # no more fix attempts for it
    assert record.actions[-1].kind == "github_issue" and record.actions[-1].status == "updated"
    assert record.actions[-1].detail == (
        f"told issue #{issue['number']} the failure is flaky and closed draft pull request #{pull['number']}"
    )
    # The pass and the failure are in the history; the quarantine report lists the job.
    assert len(list_keys(s3, f"history/{REPO}/2026-11-20/")) == 2
    report = json.loads(s3.get_object(Bucket=BUCKET, Key=f"history/{REPO}/flaky.json")["Body"].read())
    assert [(j["job"], j["reruns_passed"]) for j in report["jobs"]] == [("test", 1)]
    # A second delivery of the same pass changes nothing.
    writes = len(github_stub.writes())
    again = handle_success_record(services(github_stub, s3, minutes=6), BUCKET, upload_success(s3, attempt=2))
    assert again["flaky"] == [] and len(github_stub.writes()) == writes


def test_a_failure_after_its_jobs_pass_on_the_same_commit_opens_a_labelled_issue_and_no_fix(
    s3: Any, github_stub: GitHubStub, repo: Repo
) -> None:
    handle_success_record(services(github_stub, s3), BUCKET, upload_success(s3, attempt=2))
    failed = analyze(s3, github_stub, upload_failure(s3, attempt=1), minutes=3)
    assert failed.flaky is not None and failed.flaky["reason"] == "passed_on_rerun"
    actions = {a.kind: a for a in failed.actions}
    assert (actions["github_pr"].status, actions["github_pr"].detail) == (
        "skipped",
        "no fix for a flaky failure (it passed on a re-run, or its failing tests are known to be flaky)",
    )
    [issue] = repo.issues
    assert repo.pulls == []
    assert {lb["name"] for lb in issue["labels"]} == {"self-healing", "dependency_install", "flaky"}
    assert (
        "**Flaky, not a regression:** the job passed when it ran again on the same commit.\n\n"
        "- failed on 9a8b7c6 attempt 1, passed on attempt 2\n\n"
        "Flaky test: `tests/test_config.py`\n\n## Root cause"
    ) in issue["body"]


def test_a_real_regression_still_gets_its_issue_and_fix(s3: Any, github_stub: GitHubStub, repo: Repo) -> None:
    handle_success_record(services(github_stub, s3), BUCKET, upload_success(s3, attempt=1, run="76", sha="1" * 40))
    failed = analyze(s3, github_stub, upload_failure(s3, attempt=1), minutes=3)
    assert failed.flaky is None
    assert {a.kind: a.status for a in failed.actions} == {
        "github_issue": "created",
        "github_pr": "created",
        "email": "dry_run",
    }
    assert "flaky" not in {lb["name"] for lb in repo.issues[0]["labels"]}


def test_a_transient_failure_is_rerun_once_within_the_bounds(s3: Any, github_stub: GitHubStub, repo: Repo) -> None:
    env = {"AUTO_RERUN": "true", "RERUN_MAX_PER_DAY": "2"}
    first = analyze(s3, github_stub, upload_failure(s3, 1, NETWORK, run="200"), env=env)
    rerun = {a.kind: a for a in first.actions}["github_rerun"]
    assert first.category == "network_or_flaky"
    assert (rerun.status, rerun.url) == ("created", f"https://github.com/{REPO}/actions/runs/200")
    assert (
        rerun.detail == "re-ran the failed jobs of run 200 (attempt 2): the failure looks transient (network_or_flaky)"
    )
    assert repo.reruns == [200]
    # The re-run failed again: attempt 2 is past RERUN_MAX_PER_RUN (1).
    second = analyze(s3, github_stub, upload_failure(s3, 2, NETWORK, run="200"), minutes=9, env=env)
    assert {a.kind: a for a in second.actions}["github_rerun"].detail == (
        "run 200 ran 2 times already (RERUN_MAX_PER_RUN is 1)"
    )
    # Another job of the same run and attempt: its failed jobs are re-run already.
    other = f"logs/{REPO}/200-1-lint.log"
    s3.put_object(
        Bucket=BUCKET,
        Key=other,
        Body=NETWORK,
        Metadata={"repo": REPO, "sha": SHA, "branch": "main", "run-id": "200", "job": "lint"},
    )
    third = analyze(s3, github_stub, other, minutes=10, env=env)
    assert {a.kind: a for a in third.actions}["github_rerun"].detail == "the failed jobs of run 200 are re-run already"
    # A second run the same day takes the last re-run of the day; a third is over the cap.
    analyze(s3, github_stub, upload_failure(s3, 1, NETWORK, run="201"), minutes=11, env=env)
    last = analyze(s3, github_stub, upload_failure(s3, 1, NETWORK, run="202"), minutes=12, env=env)
    assert {a.kind: a for a in last.actions}["github_rerun"].detail == (
        "daily cap of 2 re-runs reached (RERUN_MAX_PER_DAY)"
    )
    assert repo.reruns == [200, 201]


def test_reruns_are_off_unless_set(s3: Any, github_stub: GitHubStub, repo: Repo) -> None:
    record = analyze(s3, github_stub, upload_failure(s3, 1, NETWORK, run="300"))
    assert "github_rerun" not in {a.kind for a in record.actions} and repo.reruns == []


def test_a_rerun_github_refuses_is_a_failed_action(s3: Any, github_stub: GitHubStub, repo: Repo) -> None:
    github_stub.fail("POST", r"/rerun-failed-jobs$", 403, "Resource not accessible by integration")
    record = analyze(s3, github_stub, upload_failure(s3, 1, NETWORK, run="400"), env={"AUTO_RERUN": "true"})
    rerun = {a.kind: a for a in record.actions}["github_rerun"]
    assert (rerun.status, rerun.detail) == ("failed", "GitHub refused to re-run the failed jobs of run 400")


def test_the_success_record_path_through_the_s3_handler(s3: Any, github_stub: GitHubStub, repo: Repo,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:  # fmt: skip
    from chalice.test import Client

    from tests.conftest import ROOT, STAGE

    for name, value in {"LOGS_BUCKET": BUCKET, "GITHUB_TOKEN": TOKEN, "GITHUB_API_URL": github_stub.url}.items():
        monkeypatch.setenv(name, value)
    key = upload_success(s3, attempt=1)
    with Client(app, stage_name=STAGE, project_dir=str(ROOT)) as client:
        event = client.events.generate_s3_event(bucket=BUCKET, key=key)
        payload = client.lambda_.invoke("on_log_uploaded", event).payload
    assert payload == {"status": "not-a-fix", "detail": "branch main is not a self-healing branch",
                       "recorded": True, "flaky": []}  # fmt: skip
    [document] = [k for k in list_keys(s3, f"history/{REPO}/") if "/commits/" not in k]
    outcome = json.loads(s3.get_object(Bucket=BUCKET, Key=document)["Body"].read())
    assert (outcome["conclusion"], outcome["job"], outcome["workflow"], outcome["sha"]) == (
        "success",
        "test",
        "CI",
        SHA,
    )


def test_what_changed_between_two_commits_comes_from_the_compare_api(github_stub: GitHubStub, repo: Repo) -> None:
    from chalicelib.github.changes import commit_changes

    after = "b" * 40
    repo.files[after] = {**repo.files[SHA], "tests/test_config.py": ("file", b"def test_it(): pass\n")}
    changes = commit_changes(services(github_stub, None).settings, budget=2)
    assert changes(REPO, SHA, after) == frozenset({"tests/test_config.py"})
    assert changes(REPO, SHA, after) == frozenset({"tests/test_config.py"})  # asked once
    assert changes(REPO, SHA, "c" * 40) is None  # a commit GitHub does not have
    assert changes(REPO, after, SHA) is None  # the budget of two comparisons is spent
    asked = [r.path for r in github_stub.requests if "/compare/" in r.path]
    assert asked == [f"/repos/{REPO}/compare/{SHA}...{after}", f"/repos/{REPO}/compare/{SHA}...{'c' * 40}"]


def test_an_open_issue_gets_the_flaky_verdict_as_a_comment_at_once(
    s3: Any, github_stub: GitHubStub, repo: Repo
) -> None:
    repo.files["1" * 40] = repo.files[SHA]  # the commit before, with the same files
    repo.commits["1" * 40] = {**repo.commits[SHA], "sha": "1" * 40}
    first = analyze(s3, github_stub, upload_failure(s3, attempt=1, run="76", sha="1" * 40))
    assert first.flaky is None and {a.kind: a.status for a in first.actions}["github_pr"] == "created"
    [issue] = repo.issues
    handle_success_record(services(github_stub, s3, minutes=1), BUCKET, upload_success(s3, attempt=2))
    again = analyze(s3, github_stub, upload_failure(s3, attempt=1), minutes=3)  # within the hour
    assert again.fingerprint == first.fingerprint and again.flaky is not None
    # Its test passed on a re-run: the first failure, of the same test on the commit before, is
    # told first (its own draft fix closed), then the issue hears of this run.
    earlier, comment = repo.comments[issue["number"]]
    assert earlier == (
        "**Flaky, not a regression:** every test that failed is known to be flaky.\n\n"
        "- tests/test\\_config.py\\: failed on 9a8b7c6 attempt 1, passed on attempt 2\n\n"
        "Flaky test: `tests/test_config.py`\n\n"
        "No fix is proposed for a flaky failure, and the draft fix pull request #2 is closed.\n"
    )
    assert stored(s3, first.id).flaky is not None and repo.pulls[0]["state"] == "closed"
    assert comment.startswith(
        "Seen again in run 77 (2nd time) on `main`.\n\n"
        "**Flaky, not a regression:** the job passed when it ran again on the same commit.\n\n"
        "- failed on 9a8b7c6 attempt 1, passed on attempt 2\n\n"
        "Flaky test: `tests/test_config.py`\n\n```text\n"
    )
    assert "flaky" in {lb["name"] for lb in issue["labels"]}
    # The next flaky run within the hour only counts (the issue says it is flaky already).
    handle_success_record(services(github_stub, s3, minutes=4), BUCKET, upload_success(s3, attempt=2, run="78"))
    third = analyze(s3, github_stub, upload_failure(s3, attempt=1, run="78"), minutes=5)
    assert third.flaky is not None and len(repo.comments[issue["number"]]) == 2


def test_the_pull_requests_comment_marks_the_job_flaky_when_its_rerun_passes(
    s3: Any, github_stub: GitHubStub, repo: Repo
) -> None:
    repo.pulls.append(
        {
            "number": 5,
            "state": "open",
            "draft": False,
            "html_url": f"https://github.example/{REPO}/pull/5",
            "issue_url": f"{github_stub.url}/repos/{REPO}/issues/5",
            "head": {"ref": "feature/yaml", "sha": SHA},
            "base": {"ref": "main"},
        }
    )
    key = upload_failure(s3, attempt=1)
    head = s3.head_object(Bucket=BUCKET, Key=key)["Metadata"]
    s3.copy_object(
        Bucket=BUCKET,
        Key=key,
        CopySource={"Bucket": BUCKET, "Key": key},
        Metadata={**head, "pull-request": "5"},
        MetadataDirective="REPLACE",
    )
    failed = analyze(s3, github_stub, key)
    assert {a.kind: a.status for a in failed.actions}["github_pr_comment"] == "created"
    [before] = repo.comments[5]
    assert "#### test · `dependency_install`\n" in before
    handle_success_record(services(github_stub, s3, minutes=5), BUCKET, upload_success(s3, attempt=2))
    [after] = repo.comments[5]  # the same comment, edited in place
    assert "#### test · `dependency_install` · flaky\n\n**Flaky, not a regression:** the job passed" in after
    record = stored(s3, failed.id)
    assert [(a.kind, a.status) for a in record.actions[-2:]] == [
        ("github_issue", "updated"),
        ("github_pr_comment", "updated"),
    ]
