"""Job outcomes for tests that need a history (the detector's own tests build theirs in place)."""

from __future__ import annotations

from datetime import datetime

from chalicelib.history.outcomes import JobOutcome


def job_outcome(
    at: datetime,
    ok: bool,
    tests: tuple[str, ...] = (),
    repo: str = "acme/shop",
    sha: str = "c" * 40,
    attempt: int = 1,
    run_id: str = "9",
    job: str = "test",
) -> JobOutcome:
    """One run of the ``CI`` workflow's ``job`` on ``main``: passed (``ok``) or failed naming ``tests``."""
    return JobOutcome(
        repo=repo,
        workflow="CI",
        job=job,
        sha=sha,
        branch="main",
        run_id=run_id,
        attempt=attempt,
        conclusion="success" if ok else "failure",
        at=at.isoformat(),
        tests=tests,
    )
