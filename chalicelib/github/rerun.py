"""Bounded automatic re-runs through GitHub (``POST …/actions/runs/{run_id}/rerun-failed-jobs``).

Which failures qualify is chalicelib.actions.reruns' policy. Bounds: a run is re-run at most
RERUN_MAX_PER_RUN times (its attempt number says how often it was), once per attempt whatever
number of its jobs failed, and at most RERUN_MAX_PER_DAY times per repository and day. Every
re-run, and every one a bound refused, is an action result on the record.
"""

from __future__ import annotations

import logging

from github import GithubException

from chalicelib.actions.links import build_links
from chalicelib.actions.reruns import attempt_of, rerun_applies, rerun_reason
from chalicelib.errors import GitHubError, SelfHealingError
from chalicelib.github.client import translate
from chalicelib.github.issues import GitHubAction
from chalicelib.record import ActionResult, Analysis

log = logging.getLogger(__name__)


class GitHubRerun(GitHubAction):
    kind = "github_rerun"

    def applies(self, analysis: Analysis) -> bool:
        return rerun_applies(analysis, self.session.settings)

    def _run(self, analysis: Analysis) -> ActionResult:
        session = self.session
        settings = session.settings
        meta = analysis.metadata
        run_id, attempt = meta["run_id"], attempt_of(analysis)
        if attempt > settings.rerun_max_per_run:
            return self._result(
                analysis,
                "skipped",
                detail=f"run {run_id} ran {attempt} times already (RERUN_MAX_PER_RUN is {settings.rerun_max_per_run})",
            )
        # One re-run per attempt of a run, however many of its jobs failed (and were analysed).
        if not self._take(analysis, f"rerun:{run_id}:{attempt}", 1):
            return self._result(analysis, "skipped", detail=f"the failed jobs of run {run_id} are re-run already")
        if not self._take(analysis, "rerun", settings.rerun_max_per_day):
            return self._result(
                analysis,
                "skipped",
                detail=f"daily cap of {settings.rerun_max_per_day} re-runs reached (RERUN_MAX_PER_DAY)",
            )
        try:
            run = session.lookup(analysis).repo.get_workflow_run(int(run_id))
            accepted = run.rerun_failed_jobs()  # PyGithub answers False (not an exception) for a refusal
        except GithubException as exc:
            raise translate(exc, f"re-running the failed jobs of run {run_id}") from exc
        if not accepted:
            raise GitHubError(f"GitHub refused to re-run the failed jobs of run {run_id}", None)
        url = build_links(analysis, settings).run
        detail = f"re-ran the failed jobs of run {run_id} (attempt {attempt + 1}): {rerun_reason(analysis)}"
        return self._result(analysis, "created", url, detail)

    def _take(self, analysis: Analysis, kind: str, limit: int) -> bool:
        """Count one ``kind`` for the repository today; False at the cap, and when the count can't
        be read (no re-run is better than one over the bound)."""
        try:
            return self.session.caps.take(analysis.metadata["repo"], kind, limit, self.session.now())
        except SelfHealingError as exc:
            log.warning("re-run cap unavailable (%s); not re-running", exc)
            return False
