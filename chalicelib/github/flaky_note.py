"""A failure found flaky after it was acted on: its issue, its fix and its pull request's comment are told.

A job's re-run often passes minutes after its failure was analysed and its issue (and fix pull
request) opened. When the pass arrives, the issue gets the verdict as a comment and the ``flaky``
label, a draft fix pull request of the service for it is closed with the same comment (no fix is
proposed for a flaky failure), and the pull request's comment shows the job as flaky.
"""

from __future__ import annotations

from github import GithubException

from chalicelib.actions.base import fix_branch
from chalicelib.actions.links import build_links
from chalicelib.github.client import translate
from chalicelib.github.issues import GitHubAction, GitHubSession
from chalicelib.github.pr_comment import GitHubPullRequestComment
from chalicelib.record import ActionResult, Analysis
from chalicelib.render import render


class GitHubFlakyNote(GitHubAction):
    kind = "github_issue"

    def __init__(self, session: GitHubSession) -> None:
        super().__init__(session)
        self._comment = GitHubPullRequestComment(session)

    def applies(self, analysis: Analysis) -> bool:
        return bool(analysis.flaky) and bool(analysis.metadata.get("repo"))

    def tell(self, analysis: Analysis) -> list[ActionResult]:
        """The issue's result, then the pull request comment's (when the run had a pull request)."""
        results = [self.run(analysis)]
        if self._comment.applies(analysis):
            results.append(self._comment.run(analysis))
        return results

    def _run(self, analysis: Analysis) -> ActionResult:
        session = self.session
        found = session.lookup(analysis)
        if found.issue is None:
            return self._result(analysis, "skipped", detail="no open issue for this failure to tell it is flaky")
        issue, pr = found.issue, found.state.pr
        closing = None
        if pr and not found.state.healed:
            try:
                pull = found.repo.get_pull(pr)
            except GithubException as exc:
                raise translate(exc, f"finding pull request #{pr}") from exc
            # Only the draft this failure's analysis opened, still open and still a draft: a fix
            # proposed for another (real) run of the same failure stays, and so does one a
            # person took over.
            if pull.state == "open" and pull.draft and pull.head.ref == fix_branch(analysis):
                closing = pull
        links = build_links(analysis, session.settings)
        body = render(
            "flaky_verdict.md.j2",
            v=analysis.flaky,
            pr=closing.number if closing is not None else None,
            report=links.flaky_report,
        )
        session.comment(issue, body, f"issue #{issue.number}")
        if closing is not None:
            session.comment(closing, body, f"pull request #{closing.number}")
            try:
                closing.edit(state="closed")
            except GithubException as exc:
                raise translate(exc, f"closing pull request #{closing.number}") from exc
            found.state.gave_up = True  # no more fix attempts for a flaky failure
        session.save_state(issue, found, flaky=True)
        detail = f"told issue #{issue.number} the failure is flaky"
        if closing is not None:
            detail += f" and closed draft pull request #{closing.number}"
        return self._result(analysis, "updated", issue.html_url, detail)
