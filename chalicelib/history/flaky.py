"""Flaky or real: which failures passed on a re-run, and which tests flip with nothing changed.

Read from a repository's outcome history (chalicelib.history.outcomes), three kinds of evidence:

- **re-run**: a job failed and passed on the same commit (another attempt, or another run). The
  job is flaky on that commit, and so is every test its failing run named.
- **matrix leg**: a test failed on one leg of a matrix (``test (3.11)``) while another leg of the
  same job (``test (3.12)``) passed on the same commit, and the test has failed on that other
  leg too. A test that fails on one leg only is a real failure of that leg, not a flaky one.
- **flips**: in one job on one branch, commit after commit, a test failed, passed, then failed
  again (two flips); neither the commits it started to pass on and to fail again on changed the
  file it names (when ``changes`` can tell), nor was either failure one of PERSISTENT failing
  commits in a row. A regression that a later commit fixed flips
  once and is real; one that comes back is broken for commits in a row, each time.

A test with none of these is a real failure. Each flaky test is scored for the quarantine list:
the flips and commits it failed on, halved for each week since it last failed.
"""

from __future__ import annotations

import itertools
import re
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from chalicelib.history.outcomes import JobOutcome

# What changed between two commits of a repository (repo, base, head): the paths, or None when
# that can't be told (a commit gone, no answer). Given, it tells a fix from a flip.
Changes = Callable[[str, str, str], frozenset[str] | None]
HALF_LIFE_DAYS = 7.0
MAX_EVIDENCE = 5
# A test failing on this many commits in a row is broken, not unlucky: at a 30% failure rate,
# three in a row happen 3% of the time (and a re-run would have passed).
PERSISTENT = 3
_LEG = re.compile(r"^(?P<base>.*?)\s*\((?P<leg>[^()]*)\)\s*$")
# The sentences evidence is told in (filled from the outcomes' fields).
SENTENCES = {
    "rerun_attempt": "failed on {sha} attempt {failed}, passed on attempt {passed}",
    "rerun_run": "failed on {sha} in run {failed}, passed in run {passed}",
    "matrix": "failed on {sha} in {failed}, passed in {passed}",
    "flip": "failed on {first}, passed on {passed}, failed again on {again}",
}


@dataclass(frozen=True)
class Evidence:
    """One observation that shows flakiness, with the runs it comes from."""

    kind: str  # rerun | matrix | flip
    text: str
    at: str  # when the later of its outcomes was recorded
    runs: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "text": self.text, "at": self.at, "runs": list(self.runs)}


@dataclass
class TestHistory:
    """What the window says of one test id: its failures, the passes of the jobs it failed in."""

    test: str
    failures: int = 0
    passes: int = 0
    flips: int = 0
    commits: set[str] = field(default_factory=set)
    jobs: set[str] = field(default_factory=set)
    last_failed: str = ""
    evidence: list[Evidence] = field(default_factory=list)

    @property
    def flaky(self) -> bool:
        return bool(self.evidence)

    @property
    def failure_rate(self) -> float:
        runs = self.failures + self.passes
        return round(self.failures / runs, 3) if runs else 0.0

    def score(self, now: datetime) -> float:
        age = max((now - datetime.fromisoformat(self.last_failed)).total_seconds() / 86400, 0.0)
        decay: float = 0.5 ** (age / HALF_LIFE_DAYS)
        return round((self.flips + len(self.commits)) * decay, 2)

    def to_dict(self, now: datetime) -> dict[str, Any]:
        return {
            "test": self.test,
            "score": self.score(now),
            "failure_rate": self.failure_rate,
            "failures": self.failures,
            "passes": self.passes,
            "flips": self.flips,
            "commits": len(self.commits),
            "last_seen": self.last_failed,
            "jobs": sorted(self.jobs),
            "evidence": [e.to_dict() for e in self.evidence[-MAX_EVIDENCE:]],
        }


@dataclass
class FlakyReport:
    """A repository's flaky jobs and tests over a window, most disruptive first."""

    repo: str
    generated_at: str
    window_days: int
    outcomes: int
    tests: list[dict[str, Any]]
    jobs: list[dict[str, Any]]

    def to_dict(self) -> dict[str, Any]:
        return {
            "repo": self.repo,
            "generated_at": self.generated_at,
            "window_days": self.window_days,
            "outcomes": self.outcomes,
            "tests": self.tests,
            "jobs": self.jobs,
        }


def _short(sha: str) -> str:
    return sha[:7] if sha else "an unknown commit"


def _leg(job: str) -> tuple[str, str]:
    """A matrix job's base name and leg ("test (3.11)" → ("test", "3.11")); a plain job has no leg."""
    match = _LEG.match(job)
    return (match["base"], match["leg"]) if match else (job, "")


def rerun_evidence(failed: JobOutcome, passed: JobOutcome) -> Evidence:
    """The sentence for a job that failed and passed on one commit."""
    if failed.run_id and failed.run_id == passed.run_id:
        text = SENTENCES["rerun_attempt"].format(sha=_short(failed.sha), failed=failed.attempt, passed=passed.attempt)
    else:
        text = SENTENCES["rerun_run"].format(sha=_short(failed.sha), failed=failed.run_id, passed=passed.run_id)
    runs = (f"{failed.run_id}-{failed.attempt}", f"{passed.run_id}-{passed.attempt}")
    return Evidence("rerun", text, max(failed.at, passed.at), runs)


class History:
    """The outcomes of one repository's window, indexed for the questions the detector asks."""

    def __init__(self, outcomes: Iterable[JobOutcome]) -> None:
        self.outcomes = sorted(outcomes, key=lambda o: (o.at, o.run_id, o.attempt))
        self.passes: dict[tuple[str, str], list[JobOutcome]] = defaultdict(list)  # (job key, sha)
        self.by_job: dict[str, list[JobOutcome]] = defaultdict(list)
        self.legs: dict[tuple[str, str], set[str]] = defaultdict(set)  # (workflow, base) -> job keys
        for outcome in self.outcomes:
            self.by_job[outcome.job_key].append(outcome)
            if not outcome.failed and outcome.sha:
                self.passes[(outcome.job_key, outcome.sha)].append(outcome)
            base, leg = _leg(outcome.job)
            if leg:
                self.legs[(outcome.workflow, base)].add(outcome.job_key)

    def passed_on_rerun(self, failed: JobOutcome) -> JobOutcome | None:
        """A pass of the same job on the same commit (another attempt or run), if any."""
        if not failed.sha:
            return None
        return next(
            (
                p
                for p in self.passes.get((failed.job_key, failed.sha), [])
                if (p.run_id, p.attempt) != (failed.run_id, failed.attempt)
            ),
            None,
        )

    def other_legs(self, failed: JobOutcome) -> list[str]:
        base, leg = _leg(failed.job)
        if not leg:
            return []
        return sorted(self.legs[(failed.workflow, base)] - {failed.job_key})


def _tests(history: History, changes: Changes | None, only: Iterable[str] | None = None) -> dict[str, TestHistory]:
    """Each test that failed in the window (or each of ``only``), with its counts and evidence."""
    found: dict[str, TestHistory] = {}
    wanted = set(only) if only is not None else None
    failed_in: dict[str, set[str]] = defaultdict(set)  # test -> job keys it failed in
    for outcome in history.outcomes:
        for test in outcome.tests if outcome.failed else ():
            failed_in[test].add(outcome.job_key)
    for test, jobs in failed_in.items():
        if wanted is not None and test not in wanted:
            continue
        entry = found[test] = TestHistory(test)
        for job in jobs:
            _job_history(entry, history, history.by_job[job], changes)
        _matrix(entry, history, failed_in)
    return found


def _job_history(entry: TestHistory, history: History, outcomes: Sequence[JobOutcome], changes: Changes | None) -> None:
    """Count one job's failures and passes of ``entry.test``; add its re-run and flip evidence."""
    states: dict[str, list[tuple[str, str, JobOutcome]]] = defaultdict(list)  # branch -> [(sha, F|P, outcome)]
    for outcome in outcomes:
        if outcome.failed and entry.test in outcome.tests:
            entry.failures += 1
            entry.commits.add(outcome.sha or f"run {outcome.run_id}")
            entry.jobs.add(outcome.job)
            entry.last_failed = max(entry.last_failed, outcome.at)
            passed = history.passed_on_rerun(outcome)
            if passed is not None:
                entry.flips += 1
                entry.evidence.append(rerun_evidence(outcome, passed))
            state = "F"
        elif not outcome.failed:
            entry.passes += 1
            state = "P"
        else:
            continue  # a failure that does not name the test says nothing of it
        if outcome.sha:
            states[outcome.branch].append((outcome.sha, state, outcome))
    for sequence in states.values():
        _flips(entry, _by_commit(sequence), changes)


def _by_commit(sequence: list[tuple[str, str, JobOutcome]]) -> list[tuple[str, str, JobOutcome]]:
    """One state per commit, in the order commits were first seen (a commit that both failed and
    passed is a re-run, already counted, and breaks no sequence)."""
    order: dict[str, list[tuple[str, JobOutcome]]] = {}
    for sha, state, outcome in sequence:
        order.setdefault(sha, []).append((state, outcome))
    result = []
    for sha, seen in order.items():
        states = {s for s, _ in seen}
        if len(states) == 1:
            result.append((sha, states.pop(), seen[-1][1]))
    return result


def _flips(entry: TestHistory, commits: list[tuple[str, str, JobOutcome]], changes: Changes | None) -> None:
    """Count state changes; a failure, passes, and a failure again with nothing of the test
    changed from the first failure to the next is evidence."""
    for (_, before, _), (_, after, _) in itertools.pairwise(commits):
        entry.flips += before != after
    failures = [index for index, (_, state, _) in enumerate(commits) if state == "F"]
    for first, again in itertools.pairwise(failures):
        if again == first + 1:
            continue  # failed on consecutive commits: nothing passed in between
        if _persistent(commits, first) or _persistent(commits, again):
            continue  # broken for several commits in a row: a regression (and its return), not chance
        start, passed, end = commits[first][2], commits[first + 1][2], commits[again][2]
        if changes is not None and (
            _touched(changes, entry, start, passed) or _touched(changes, entry, commits[again - 1][2], end)
        ):
            continue  # the commit it passed (or failed again) on changed its files: a fix, a regression
        text = SENTENCES["flip"].format(first=_short(start.sha), passed=_short(passed.sha), again=_short(end.sha))
        runs = tuple(f"{o.run_id}-{o.attempt}" for o in (start, passed, end))
        entry.evidence.append(Evidence("flip", text, end.at, runs))


def _persistent(commits: list[tuple[str, str, JobOutcome]], index: int) -> bool:
    """Whether the failure at ``index`` is one of PERSISTENT or more failing commits in a row."""
    start = end = index
    while start > 0 and commits[start - 1][1] == "F":
        start -= 1
    while end + 1 < len(commits) and commits[end + 1][1] == "F":
        end += 1
    return end - start + 1 >= PERSISTENT


def named_file(test: str) -> str:
    """The file a test id names (``tests/test_a.py::test_b`` → ``tests/test_a.py``; "" for none)."""
    head, sep, _ = test.partition("::")
    return head if sep and "." in head.rsplit("/", 1)[-1] else ""


def _touched(changes: Changes, entry: TestHistory, base: JobOutcome, head: JobOutcome) -> bool:
    """Whether the file the test names is known to have changed between the two outcomes'
    commits (an unknown change explains nothing: the outcomes alone decide, as without
    ``changes``)."""
    named = named_file(entry.test)
    if not named:
        return False  # the test names no file: no change can explain it
    changed = changes(base.repo, base.sha, head.sha)
    return changed is not None and named in changed


def _matrix(entry: TestHistory, history: History, failed_in: dict[str, set[str]]) -> None:
    """Evidence from matrix legs: failed on one leg, passed on another that it also fails on."""
    for outcome in history.outcomes:
        if not outcome.failed or entry.test not in outcome.tests or not outcome.sha:
            continue
        for leg in history.other_legs(outcome):
            if leg not in failed_in[entry.test]:
                continue  # it never failed on that leg: a failure of this leg alone
            passed = history.passes.get((leg, outcome.sha))
            if passed:
                text = SENTENCES["matrix"].format(sha=_short(outcome.sha), failed=outcome.job, passed=passed[0].job)
                runs = (f"{outcome.run_id}-{outcome.attempt}", f"{passed[0].run_id}-{passed[0].attempt}")
                entry.evidence.append(Evidence("matrix", text, max(outcome.at, passed[0].at), runs))
                entry.flips += 1


def flaky_tests(outcomes: Iterable[JobOutcome], changes: Changes | None = None) -> dict[str, TestHistory]:
    """Every test that failed in the window, with its counts and evidence (flaky when it has some)."""
    return _tests(History(outcomes), changes)


def detect(
    repo: str, outcomes: Sequence[JobOutcome], now: datetime, window_days: int, changes: Changes | None = None
) -> FlakyReport:
    """The quarantine report of ``repo``: flaky tests by score, flaky jobs by re-runs that passed."""
    history = History(outcomes)
    tests = [t for t in _tests(history, changes).values() if t.flaky]
    tests.sort(key=lambda t: (-t.score(now), t.test))
    jobs: dict[str, dict[str, Any]] = {}
    for outcome in history.outcomes:
        passed = history.passed_on_rerun(outcome) if outcome.failed else None
        if passed is None:
            continue
        job = jobs.setdefault(
            outcome.job_key, {"workflow": outcome.workflow, "job": outcome.job, "reruns_passed": 0, "evidence": []}
        )
        job["reruns_passed"] += 1
        job["evidence"].append(rerun_evidence(outcome, passed).to_dict())
    ranked = sorted(jobs.values(), key=lambda j: (-j["reruns_passed"], j["job"]))
    for job in ranked:
        job["evidence"] = job["evidence"][-MAX_EVIDENCE:]
    return FlakyReport(
        repo, now.isoformat(), window_days, len(history.outcomes), [t.to_dict(now) for t in tests], ranked
    )


def verdict(
    failure: JobOutcome,
    outcomes: Sequence[JobOutcome],
    now: datetime,
    changes: Changes | None = None,
    known: Mapping[str, str] | None = None,
) -> dict[str, Any] | None:
    """The flaky verdict for ``failure`` (None: a real failure, as far as the history tells).

    Flaky when its job passed on a re-run of the same commit, or when every test it names is
    known to be flaky: ``known`` (test id -> its latest evidence, from a quarantine report) when
    given, else what ``outcomes`` show.
    """
    history = History([*outcomes, failure] if failure not in outcomes else outcomes)
    passed = history.passed_on_rerun(failure)
    if passed is not None:
        evidence = rerun_evidence(failure, passed)
        return {
            "verdict": "flaky",
            "reason": "passed_on_rerun",
            "evidence": [evidence.text],
            "tests": list(failure.tests),
            "at": now.isoformat(),
        }
    if not failure.tests:
        return None
    if known is None:
        found = _tests(history, changes, failure.tests)
        known = {t: entry.evidence[-1].text for t, entry in found.items() if entry.flaky}
    if not all(t in known for t in failure.tests):
        return None
    return {
        "verdict": "flaky",
        "reason": "known_flaky_tests",
        "evidence": [f"{t}: {known[t]}" for t in failure.tests][:MAX_EVIDENCE],
        "tests": list(failure.tests),
        "at": now.isoformat(),
    }
