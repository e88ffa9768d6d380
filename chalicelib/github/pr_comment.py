"""The answer on the pull request: one comment per pull request, updated in place.

When a failed job belongs to a pull request, the service keeps one comment on it (found by a
hidden marker), listing each failing job with its category, root cause, evidence, fix and
links (the run, the issue, the fix pull request when there is one). A later failure of another
job adds its section; the same job failing again replaces its own.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from typing import Any

from github import GithubException
from github.IssueComment import IssueComment
from github.PullRequest import PullRequest

from chalicelib.actions.base import pr_comment_section
from chalicelib.actions.links import is_repo_name
from chalicelib.github.client import translate
from chalicelib.github.issues import HEAL_PREFIX, GitHubAction
from chalicelib.record import ActionResult, Analysis
from chalicelib.render import render

# The comment's state: base64 of JSON, so no text of a log can close the HTML comment.
_MARKER = re.compile(r"<!-- self-healing-ci:pull-request ([A-Za-z0-9+/=]+) -->")
MAX_JOBS = 20  # sections kept; a comment stays well under GitHub's 65,536 characters


def _marker(jobs: dict[str, dict[str, Any]]) -> str:
    encoded = base64.b64encode(json.dumps(jobs, sort_keys=True).encode()).decode()
    return f"<!-- self-healing-ci:pull-request {encoded} -->"


def read_jobs(body: str | None) -> dict[str, dict[str, Any]] | None:
    """The job sections a comment of this service holds; None for any other comment."""
    match = _MARKER.search(body or "")
    if match is None:
        return None
    try:
        data = json.loads(base64.b64decode(match.group(1), validate=True))
    except (binascii.Error, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


class GitHubPullRequestComment(GitHubAction):
    """Post or update the pull request's comment for a failure that belongs to one."""

    kind = "github_pr_comment"

    def applies(self, analysis: Analysis) -> bool:
        meta = analysis.metadata
        return (
            str(meta.get("pull_request", "")).isdigit()
            and is_repo_name(meta.get("repo", ""))
            and not meta.get("branch", "").startswith(HEAL_PREFIX)
        )

    def _run(self, analysis: Analysis) -> ActionResult:
        found = self.session.lookup(analysis)
        number = int(analysis.metadata["pull_request"])
        try:
            pull = found.repo.get_pull(number)
            existing = self._find(pull)
        except GithubException as exc:
            raise translate(exc, f"reading pull request #{number}") from exc
        jobs = read_jobs(existing.body) if existing is not None else {}
        section = pr_comment_section(analysis, self.session.settings, self.session.now)
        jobs = {**(jobs or {}), section["job"]: section}
        ordered = sorted(jobs.values(), key=lambda j: str(j.get("at", "")))[-MAX_JOBS:]
        kept = {str(j["job"]): j for j in ordered}
        body = render("pr_comment.md.j2", jobs=ordered, marker=_marker(kept))
        try:
            if existing is None:
                comment = pull.create_issue_comment(body)
                return self._result(analysis, "created", comment.html_url, f"commented on pull request #{number}")
            existing.edit(body)
        except GithubException as exc:
            raise translate(exc, f"commenting on pull request #{number}") from exc
        return self._result(analysis, "updated", existing.html_url, f"updated the comment on pull request #{number}")

    @staticmethod
    def _find(pull: PullRequest) -> IssueComment | None:
        for comment in pull.get_issue_comments():
            if read_jobs(comment.body) is not None:
                return comment
        return None
