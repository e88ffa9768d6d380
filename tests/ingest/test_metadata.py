from __future__ import annotations

import pytest

from chalicelib.errors import BadInputError
from chalicelib.ingest.metadata import (
    FailedSteps,
    RunMetadata,
    from_log_head,
    is_sidecar,
    is_success_record,
    parse_key,
)


def test_key_contract() -> None:
    meta = parse_key("logs/acme/payments-api/9182736401-2-test (3.11).log.gz")
    assert (meta.repo, meta.run_id, meta.run_attempt, meta.job, meta.status) == (
        "acme/payments-api",
        "9182736401",
        "2",
        "test (3.11)",
        "failure",
    )
    assert parse_key("logs/acme/x/5-1-build.success.json").status == "success"
    assert parse_key("logs/odd.log") == RunMetadata()


def test_sidecars_and_success_records() -> None:
    assert is_sidecar("logs/a/b/1-1-j.log.json") and not is_sidecar("logs/a/b/1-1-j.success.json")
    assert is_success_record("logs/a/b/1-1-j.success.json")


def test_from_mapping_accepts_both_spellings_and_checks_values() -> None:
    meta = RunMetadata.from_mapping(
        {"run-id": "42", "Run-Url": "https://github.com/a/b/actions/runs/42", "repo": "a/b"}
    )
    assert (meta.run_id, meta.run_url, meta.repo) == ("42", "https://github.com/a/b/actions/runs/42", "a/b")
    with pytest.raises(BadInputError, match="must be a string"):
        RunMetadata.from_mapping({"repo": {"x": 1}})
    with pytest.raises(BadInputError, match="unexpected characters"):
        RunMetadata.from_mapping({"branch": "main\n<script>"})


def test_merge_fills_only_empty_fields() -> None:
    first = RunMetadata(repo="a/b", branch="")
    merged = first.merged(RunMetadata(repo="x/y", branch="dev", sha="abc1234"))
    assert (merged.repo, merged.branch, merged.sha) == ("a/b", "dev", "abc1234")


def test_from_log_head() -> None:
    head = (
        "HEAD is now at 3f9c2a1 Merge pull request\n"
        "git clone --depth=50 --branch=release https://github.com/acme/widgets.git acme/widgets\n"
    )
    meta = from_log_head(head)
    assert (meta.sha, meta.branch, meta.repo) == ("3f9c2a1", "release", "acme/widgets")


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("branch", "main`![x](https://evil.example/p.png)`"),
        ("branch", "a..b"),
        ("branch", "-rf"),
        ("branch", "feature/x.lock"),
        ("branch", "refs@{1}"),
        ("branch", "main name"),
        ("repo", "acme"),
        ("repo", "a/b/c"),
        ("sha", "xyz1234"),
        ("run_id", "12a"),
        ("run_url", "javascript:alert(1)"),
        ("author_email", "not-an-email"),
    ],
)
def test_every_source_holds_a_value_to_its_fields_rule(name: str, value: str) -> None:
    with pytest.raises(BadInputError, match="unexpected characters"):
        RunMetadata.from_mapping({name: value})


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("branch", "release/2.4"),
        ("branch", "dependabot/npm_and_yarn/lodash-4.17.21"),
        ("branch", "user@fix+1"),
        ("sha", "3f9c2a1"),
        ("sha", "A1B2C3D4E5F60718293A4B5C6D7E8F9012345678"),
        ("run_url", "https://github.com/a/b/actions/runs/42/attempts/2"),
        ("author_email", "dev.one+ci@example.co.uk"),
    ],
)
def test_ordinary_values_pass_their_fields_rule(name: str, value: str) -> None:
    assert getattr(RunMetadata.from_mapping({name: value}), name) == value


def test_the_log_head_cannot_inject_markdown_or_claim_a_healing_branch() -> None:
    assert from_log_head("GITHUB_REF_NAME=main`![x](https://evil.example/p.png)`\n").branch == ""
    assert from_log_head("GITHUB_REF_NAME=self-healing/0123abcd-7\n").branch == ""
    assert from_log_head("GITHUB_REF_NAME=feature/ok\nGITHUB_SHA=" + "a" * 40 + "\n").branch == "feature/ok"


def test_a_key_with_an_odd_value_keeps_the_rest() -> None:
    meta = parse_key("logs/acme/api/12-1-build `x`.log")
    assert (meta.repo, meta.run_id, meta.job) == ("acme/api", "12", "")


def test_failed_steps_read_githubs_times_in_any_zone_and_widen_them_by_a_second() -> None:
    # The jobs API gives the server's zone with milliseconds, the webhook UTC; both say the same.
    api = FailedSteps.parse("2026-09-26T03:00:03.000-07:00/2026-09-26T03:01:00.000-07:00")
    webhook = FailedSteps.parse("2026-09-26T10:00:03Z/2026-09-26T10:01:00Z")
    assert api == webhook
    assert webhook.encode() == "2026-09-26T10:00:03Z/2026-09-26T10:01:00Z"
    assert webhook.seconds() == [(b"2026-09-26T10:00:02", b"2026-09-26T10:01:01")]
    two = FailedSteps.parse(
        " 2026-09-26T10:00:03Z/2026-09-26T10:01:00Z, 2026-09-26T10:02:00+00:00/2026-09-26T10:02:30Z"
    )
    assert two.encode() == "2026-09-26T10:00:03Z/2026-09-26T10:01:00Z,2026-09-26T10:02:00Z/2026-09-26T10:02:30Z"
    assert FailedSteps.parse("") == FailedSteps()


def test_failed_steps_come_from_s3_metadata_in_either_spelling() -> None:
    times = "2026-09-26T10:00:03Z/2026-09-26T10:01:00Z"
    assert FailedSteps.from_mapping({"failed-steps": times}) == FailedSteps.parse(times)
    assert FailedSteps.from_mapping({"Failed_Steps": times}) == FailedSteps.parse(times)
    assert FailedSteps.from_mapping({"repo": "o/r"}) == FailedSteps()
    # They are no run metadata: the record's metadata does not change with them.
    assert RunMetadata.from_mapping({"repo": "o/r", "failed-steps": times}) == RunMetadata(repo="o/r")


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("2026-09-26T10:00:03Z", "ISO 8601 started_at/completed_at pairs, not '2026-09-26T10:00:03Z'"),
        ("yesterday/today", "not 'yesterday/today'"),
        ("2026-09-26T10:01:00Z/2026-09-26T10:00:03Z", "a step ends before it starts ('2026-09-26T10:01:00Z/2026-"),
        (",".join(["2026-09-26T10:00:03Z/2026-09-26T10:01:00Z"] * 5), "lists 5 steps; at most 4"),
    ],
)
def test_failed_steps_that_are_no_times_are_refused_with_the_reason(text: str, says: str) -> None:
    with pytest.raises(BadInputError) as caught:
        FailedSteps.parse(text)
    assert says in str(caught.value)
    with pytest.raises(BadInputError, match="'failed-steps' must be a string"):
        FailedSteps.from_mapping({"failed-steps": 3})
