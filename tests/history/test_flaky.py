"""The flaky detector on histories built here: re-runs, matrix legs, flips, and real regressions."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from chalicelib.history.flaky import detect, flaky_tests, named_file, verdict
from chalicelib.history.outcomes import JobOutcome

REPO = "acme/api"
START = datetime(2026, 11, 1, tzinfo=UTC)
T1 = "tests/test_login.py::test_token_refresh"
T2 = "tests/test_cart.py::test_total"


class Timeline:
    """Outcomes of one repository, an hour apart, on commits named c1, c2, … (40 hex digits)."""

    def __init__(self) -> None:
        self.outcomes: list[JobOutcome] = []
        self.hour = 0

    def add(
        self, commit: int, ok: bool, tests: tuple[str, ...] = (), job: str = "test", attempt: int = 1, run: int = 0
    ) -> JobOutcome:
        self.hour += 1
        outcome = JobOutcome(
            repo=REPO,
            workflow="CI",
            job=job,
            sha=f"{commit:040x}",
            branch="main",
            run_id=str(run or 1000 + commit),
            attempt=attempt,
            conclusion="success" if ok else "failure",
            at=(START + timedelta(hours=self.hour)).isoformat(),
            tests=tests,
        )
        self.outcomes.append(outcome)
        return outcome

    @property
    def end(self) -> datetime:
        return START + timedelta(hours=self.hour)


def test_a_job_that_passes_on_rerun_of_the_same_commit_is_flaky_with_its_evidence() -> None:
    t = Timeline()
    failed = t.add(1, False, (T1,))
    t.add(1, True, attempt=2)
    found = verdict(failed, t.outcomes, t.end)
    assert found == {
        "verdict": "flaky",
        "reason": "passed_on_rerun",
        "evidence": ["failed on 0000000 attempt 1, passed on attempt 2"],
        "tests": [T1],
        "at": t.end.isoformat(),
    }
    assert flaky_tests(t.outcomes)[T1].flaky


def test_a_pass_in_another_run_of_the_same_commit_names_both_runs() -> None:
    t = Timeline()
    failed = t.add(0xABCDEF1, False, (T1,), run=501)
    t.add(0xABCDEF1, True, run=502)
    found = verdict(failed, t.outcomes, t.end)
    assert found is not None and found["evidence"] == ["failed on 0000000 in run 501, passed in run 502"]


def test_a_failure_with_no_pass_on_its_commit_and_unknown_tests_is_real() -> None:
    t = Timeline()
    t.add(1, True)
    failed = t.add(2, False, (T1,))
    t.add(3, True)  # fixed by the next commit: a regression, not a flip
    assert verdict(failed, t.outcomes, t.end) is None
    assert not flaky_tests(t.outcomes)[T1].flaky


def test_another_jobs_pass_on_the_same_commit_says_nothing() -> None:
    t = Timeline()
    failed = t.add(1, False, (T1,), job="test")
    t.add(1, True, job="lint")
    assert verdict(failed, t.outcomes, t.end) is None


def test_a_test_that_fails_passes_and_fails_again_with_nothing_changed_is_flaky_after_two_flips() -> None:
    t = Timeline()
    t.add(1, False, (T1,))
    t.add(2, True)
    t.add(3, True)
    failed = t.add(4, False, (T1,))
    history = flaky_tests(t.outcomes)[T1]
    assert history.flaky and history.flips == 2
    assert [e.text for e in history.evidence] == [
        "failed on 0000000, passed on 0000000, failed again on 0000000",
    ]
    found = verdict(failed, t.outcomes, t.end)
    assert found is not None and found["reason"] == "known_flaky_tests"
    assert found["evidence"] == [f"{T1}: failed on 0000000, passed on 0000000, failed again on 0000000"]


def test_a_regression_that_comes_back_is_broken_for_commits_in_a_row_and_stays_real() -> None:
    t = Timeline()
    for commit in range(1, 4):
        t.add(commit, False, (T1,))
    t.add(4, True)
    t.add(5, True)
    for commit in range(6, 9):
        t.add(commit, False, (T1,))
    assert not flaky_tests(t.outcomes)[T1].flaky


def test_a_change_to_the_tests_file_explains_a_flip_when_changes_are_known() -> None:
    t = Timeline()
    t.add(1, False, (T1,))
    t.add(2, True)
    t.add(3, False, (T1,))
    fixed_then_broken = {(f"{1:040x}", f"{2:040x}"): frozenset({"tests/test_login.py"})}

    def changes(repo: str, base: str, head: str) -> frozenset[str] | None:
        assert repo == REPO
        return fixed_then_broken.get((base, head), frozenset({"src/other.py"}))

    assert not flaky_tests(t.outcomes, changes)[T1].flaky
    assert flaky_tests(t.outcomes, lambda repo, base, head: frozenset({"README.md"}))[T1].flaky
    # Unknown changes (a commit GitHub no longer has) explain nothing: the outcomes decide.
    assert flaky_tests(t.outcomes, lambda repo, base, head: None)[T1].flaky


def test_a_failing_test_on_one_matrix_leg_is_flaky_only_if_it_also_fails_on_the_leg_that_passed() -> None:
    t = Timeline()
    t.add(1, False, (T1,), job="test (3.11)")
    t.add(1, True, job="test (3.12)")
    assert not flaky_tests(t.outcomes)[T1].flaky  # fails on 3.11 only: a real failure of that leg
    t.add(2, False, (T1,), job="test (3.12)")
    history = flaky_tests(t.outcomes)[T1]
    assert history.flaky
    assert [e.text for e in history.evidence] == ["failed on 0000000 in test (3.11), passed in test (3.12)"]


def test_known_flaky_needs_every_failing_test_to_be_flaky() -> None:
    t = Timeline()
    t.add(1, False, (T1,))
    t.add(1, True, attempt=2)
    both = t.add(2, False, (T1, T2))
    only_flaky = t.add(3, False, (T1,))
    assert verdict(both, t.outcomes, t.end) is None
    found = verdict(only_flaky, t.outcomes, t.end)
    assert found is not None and found["reason"] == "known_flaky_tests" and found["tests"] == [T1]


def test_the_report_ranks_flaky_tests_by_score_and_lists_flaky_jobs() -> None:
    t = Timeline()
    for commit in range(1, 7):  # T1 fails on every other commit, and passes on its re-runs
        if commit % 2:
            t.add(commit, False, (T1,))
            t.add(commit, True, attempt=2)
        else:
            t.add(commit, True)
    t.add(7, False, (T2,))
    t.add(7, True, attempt=2)
    report = detect(REPO, t.outcomes, t.end, 14).to_dict()
    assert [entry["test"] for entry in report["tests"]] == [T1, T2]
    first = report["tests"][0]
    assert (first["failures"], first["commits"], first["jobs"]) == (3, 3, ["test"])
    # Three failures against seven passes; each failure passed on its re-run: three flips.
    assert (first["failure_rate"], first["flips"]) == (0.3, 3)
    assert first["evidence"][0] == {
        "kind": "rerun",
        "text": "failed on 0000000 attempt 1, passed on attempt 2",
        "at": (START + timedelta(hours=2)).isoformat(),
        "runs": ["1001-1", "1001-2"],
    }
    [job] = report["jobs"]
    assert (job["workflow"], job["job"], job["reruns_passed"]) == ("CI", "test", 4)
    assert [e["runs"] for e in job["evidence"]] == [
        ["1001-1", "1001-2"],
        ["1003-1", "1003-2"],
        ["1005-1", "1005-2"],
        ["1007-1", "1007-2"],
    ]
    assert (report["repo"], report["window_days"], report["outcomes"]) == (REPO, 14, len(t.outcomes))


def test_an_old_flaky_test_scores_lower_than_a_recent_one() -> None:
    t = Timeline()
    t.add(1, False, (T1,))
    t.add(1, True, attempt=2)
    t.hour += 24 * 14
    latest = t.add(2, False, (T2,))
    t.add(2, True, attempt=2)
    report = detect(REPO, t.outcomes, latest.time, 30).to_dict()
    scores = {entry["test"]: entry["score"] for entry in report["tests"]}
    assert scores[T2] == 2.0 and scores[T1] == 0.5  # two weeks: a quarter of its weight


def test_a_test_id_names_its_file_only_when_it_names_one() -> None:
    assert named_file("tests/test_a.py::TestX::test_b") == "tests/test_a.py"
    assert named_file("spec/models/user_spec.rb::works") == "spec/models/user_spec.rb"
    assert named_file("com.acme.CartTest > totals") == ""
    assert named_file("TestCart/total") == ""
