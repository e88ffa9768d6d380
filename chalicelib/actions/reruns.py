"""Which failures are worth re-running automatically (AUTO_RERUN), and the re-run's draft.

A failure qualifies when its category is transient (the network, the runner's infrastructure)
or its flaky verdict says every failing test is known to be flaky; a job that already passed on
a re-run needs none. chalicelib.github.rerun asks GitHub; without GitHub the draft says what
would be done.
"""

from __future__ import annotations

from chalicelib.actions.links import build_links, is_repo_name
from chalicelib.record import ActionResult, Analysis, Clock, utc_now
from chalicelib.settings import Settings

TRANSIENT = frozenset({"network_or_flaky", "infrastructure"})


def rerun_reason(analysis: Analysis) -> str:
    """Why the failure's jobs are worth running again ("" when they are not)."""
    if analysis.flaky and analysis.flaky.get("reason") == "passed_on_rerun":
        return ""
    if analysis.flaky and analysis.flaky.get("reason") == "known_flaky_tests":
        return "every failing test is known to be flaky"
    if analysis.category in TRANSIENT:
        return f"the failure looks transient ({analysis.category})"
    return ""


def rerun_applies(analysis: Analysis, settings: Settings) -> bool:
    meta = analysis.metadata
    return (
        settings.auto_rerun
        and is_repo_name(meta.get("repo", ""))
        and meta.get("run_id", "").isdigit()
        and bool(rerun_reason(analysis))
    )


def attempt_of(analysis: Analysis) -> int:
    attempt = analysis.metadata.get("run_attempt", "")
    return int(attempt) if attempt.isdigit() else 1


class DryRunRerun:
    kind = "github_rerun"

    def __init__(self, settings: Settings, now: Clock = utc_now) -> None:
        self._settings, self._now = settings, now

    def applies(self, analysis: Analysis) -> bool:
        return rerun_applies(analysis, self._settings)

    def run(self, analysis: Analysis) -> ActionResult:
        target = analysis.metadata["repo"]
        run_id, attempt = analysis.metadata["run_id"], attempt_of(analysis)
        if attempt > self._settings.rerun_max_per_run:
            detail = (
                f"run {run_id} ran {attempt} times already (RERUN_MAX_PER_RUN is {self._settings.rerun_max_per_run})"
            )
            return ActionResult(self.kind, target, "skipped", "", detail, self._now().isoformat())
        url = build_links(analysis, self._settings).run
        detail = f"would re-run the failed jobs of run {run_id}: {rerun_reason(analysis)}"
        return ActionResult(self.kind, target, "dry_run", url, detail, self._now().isoformat())
