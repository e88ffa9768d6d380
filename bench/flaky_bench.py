"""`make bench`, flaky part: the detector on generated outcome histories whose truth is known.

Each generated repository has a default branch with a commit every few hours, one workflow with
a lint job, a two-leg test matrix and a build, and these failures:

- flaky tests, each failing on a run with its own probability (1 to 30%), on any leg;
- real regressions: a commit breaks a test (on both legs, or on one leg only) and a later commit
  fixes it; both commits change the test's file;
- a regression that is fixed and comes back (both times with a change to the test's file), each
  time broken for one to six commits;
- lint failures (no test named), fixed by the next commit.

A failed job is re-run (attempt 2) with some probability, as teams do; a re-run draws the flaky
tests again, and a regression fails again.

Scored:
- flaky tests: of the tests that failed, which the detector calls flaky at the window's end
  (precision, recall), and the recall over the flaky tests that showed two flips (failed, passed,
  failed again) or passed on a re-run: those must be found;
- "real regression" verdicts: of the failed job runs that name tests, those called real (not
  flaky) when each failure arrived (what its first issue said), and as its record ends up (a
  later pass of the same job on the same commit, or later outcomes showing every test it names
  flaky, make it flaky: the service tells it then).

Both with the commits' changed files (GitHub's compare, as the live service asks it) and without.
"""

from __future__ import annotations

import argparse
import itertools
import random
import sys
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT)]

from chalicelib.history.flaky import Changes, flaky_tests, verdict  # noqa: E402
from chalicelib.history.outcomes import JobOutcome  # noqa: E402

LEGS = ("test (3.11)", "test (3.12)")
START = datetime(2026, 10, 1, tzinfo=UTC)


@dataclass
class Repo:
    name: str
    outcomes: list[JobOutcome] = field(default_factory=list)
    changed: dict[str, set[str]] = field(default_factory=dict)  # sha -> files
    order: list[str] = field(default_factory=list)  # shas in commit order
    flaky: set[str] = field(default_factory=set)
    real: set[str] = field(default_factory=set)

    def changes(self, repo: str, base: str, head: str) -> frozenset[str] | None:
        if base not in self.changed or head not in self.changed:
            return None
        start, end = sorted((self.order.index(base), self.order.index(head)))
        return frozenset(f for sha in self.order[start + 1 : end + 1] for f in self.changed[sha])


def _test(module: int, case: int) -> str:
    return f"tests/test_mod{module}.py::test_case_{case}"


def generate(seed: int, repos: int, commits: int, rerun_rate: float) -> list[Repo]:
    """``repos`` repositories of ``commits`` commits each, with known flaky and real failures."""
    rng = random.Random(seed)
    result = []
    for number in range(repos):
        repo = Repo(f"org{number}/service{number}")
        tests = [_test(m, c) for m in range(20) for c in range(10)]
        rng.shuffle(tests)
        flaky = {t: rng.choice((0.01, 0.02, 0.05, 0.1, 0.2, 0.3)) for t in tests[:6]}
        flaky_legs = {t: rng.choice((LEGS, LEGS[:1])) for t in flaky}
        # Regressions: (test, legs, broken at, fixed at); one comes back after its fix.
        regressions: list[tuple[str, tuple[str, ...], int, int]] = []
        for test in tests[6:10]:
            start = rng.randrange(1, commits - 8)
            legs = LEGS if rng.random() < 0.7 else (rng.choice(LEGS),)
            regressions.append((test, legs, start, start + rng.randint(1, 6)))
        back = tests[10]
        first = rng.randrange(1, commits // 2 - 6)
        regressions.append((back, LEGS, first, first + rng.randint(1, 6)))
        again = first + rng.randint(8, commits // 2)
        regressions.append((back, LEGS, again, again + rng.randint(1, 6)))
        lint_broken = set(rng.sample(range(commits), max(1, commits // 15)))
        repo.flaky, repo.real = set(flaky), {r[0] for r in regressions}
        at = START
        for index in range(commits):
            sha = f"{number:04x}{index:036x}"
            repo.order.append(sha)
            changed = {f"src/module{rng.randrange(40)}.py"}
            for test, _, broken, fixed in regressions:
                if index in (broken, fixed):
                    changed.add(test.split("::")[0])
            repo.changed[sha] = changed
            run = f"{number * 100000 + index}"
            at += timedelta(hours=rng.uniform(1, 8))
            jobs = {"lint": index in lint_broken, "build": False, **dict.fromkeys(LEGS, False)}
            for job in jobs:
                attempt = 1
                while True:
                    failing: list[str] = []
                    if job in LEGS:
                        failing += [t for t, p in flaky.items() if job in flaky_legs[t] and rng.random() < p]
                        failing += [t for t, legs, b, f in regressions if job in legs and b <= index < f]
                    failed = bool(failing) or jobs[job]
                    at += timedelta(minutes=rng.uniform(1, 20))
                    repo.outcomes.append(
                        JobOutcome(
                            repo=repo.name,
                            workflow="CI",
                            job=job,
                            sha=sha,
                            branch="main",
                            run_id=run,
                            attempt=attempt,
                            conclusion="failure" if failed else "success",
                            at=at.isoformat(),
                            tests=tuple(sorted(set(failing))),
                            files=tuple(sorted({t.split("::")[0] for t in failing})),
                        )
                    )
                    if not failed or attempt >= 2 or rng.random() >= rerun_rate:
                        break
                    attempt += 1
        result.append(repo)
    return result


def observed_flips(repo: Repo, test: str) -> int:
    """How many flips of ``test`` the history shows, in the job that shows most: a failure and a
    pass on one commit, and from its first failure on, each change between failing and passing
    commit after commit. (A single failure between passes shows one flip, its return to passing:
    the same as a regression a commit fixed.)"""
    most = 0
    for leg in LEGS:
        states: dict[str, set[str]] = defaultdict(set)
        for o in repo.outcomes:
            if o.job == leg and (not o.failed or test in o.tests):
                states[o.sha].add("F" if o.failed else "P")
        flips, sequence = 0, []
        for sha in repo.order:
            seen = states.get(sha, set())
            flips += len(seen) == 2
            if len(seen) == 1:
                sequence.append(next(iter(seen)))
        if "F" in sequence:
            tail = sequence[sequence.index("F") :]
            flips += sum(a != b for a, b in itertools.pairwise(tail))
        most = max(most, flips)
    return most


def ratio(hit: int, total: int) -> str:
    return f"{hit / total:.3f} ({hit}/{total})" if total else "n/a"


def score(repos: list[Repo], with_changes: bool) -> list[str]:
    tp = fp = fn = 0
    observable = found_observable = 0
    real_recorded = [0, 0, 0]  # called real and real, called real, truly real
    real_live = [0, 0, 0]
    for repo in repos:
        changes: Changes | None = repo.changes if with_changes else None
        tests = flaky_tests(repo.outcomes, changes)
        for test, entry in tests.items():
            truly = test in repo.flaky
            tp += entry.flaky and truly
            fp += entry.flaky and not truly
            fn += truly and not entry.flaky
            if truly and observed_flips(repo, test) >= 2:
                observable += 1
                found_observable += entry.flaky
        seen: list[JobOutcome] = []
        end = datetime.fromisoformat(repo.outcomes[-1].at)
        for outcome in repo.outcomes:
            seen.append(outcome)
            if not outcome.failed or not outcome.tests:
                continue
            truly_real = any(t in repo.real for t in outcome.tests)
            live = verdict(outcome, seen, datetime.fromisoformat(outcome.at), changes) is None
            # What its record ends up saying: the verdict it arrived with, unless a later pass of
            # the same job on the same commit, or later outcomes showing all its tests flaky, made
            # it flaky (the service tells it then, within the window: the generated histories
            # span about two weeks, as the default window does).
            recorded = live and verdict(outcome, repo.outcomes, end, changes) is None
            for counts, called in ((real_recorded, recorded), (real_live, live)):
                counts[0] += called and truly_real
                counts[1] += called
                counts[2] += truly_real
    label = "with changed files" if with_changes else "without changed files"
    return [
        f"flaky tests ({label}): precision {ratio(tp, tp + fp)}, recall {ratio(tp, tp + fn)}, "
        f"recall once two flips were seen {ratio(found_observable, observable)}",
        f"real-regression verdicts ({label}), as the records end up: "
        f"precision {ratio(real_recorded[0], real_recorded[1])}, "
        f"recall {ratio(real_recorded[0], real_recorded[2])}",
        f"real-regression verdicts ({label}), when each failure arrived: "
        f"precision {ratio(real_live[0], real_live[1])}, "
        f"recall {ratio(real_live[0], real_live[2])}",
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repos", type=int, default=20)
    parser.add_argument("--commits", type=int, default=80)
    parser.add_argument("--rerun-rate", type=float, default=0.5)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    repos = generate(args.seed, args.repos, args.commits, args.rerun_rate)
    total = sum(len(r.outcomes) for r in repos)
    print(f"flaky: {args.repos} generated repositories, {total} job outcomes, re-run rate {args.rerun_rate}")
    for with_changes in (True, False):
        for line in score(repos, with_changes):
            print(f"flaky: {line}")


if __name__ == "__main__":
    main()
