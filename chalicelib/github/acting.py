"""The live GitHub actions of one invocation, in the order they run, sharing one session."""

from __future__ import annotations

from collections.abc import Callable

from github import Github

from chalicelib.actions.base import Action, VerdictAction
from chalicelib.github.check_run import GitHubCheckRun
from chalicelib.github.client import github_for_repo
from chalicelib.github.flaky_note import GitHubFlakyNote
from chalicelib.github.issues import GitHubIssue, GitHubPullRequest, GitHubSession
from chalicelib.github.pr_comment import GitHubPullRequestComment
from chalicelib.github.rerun import GitHubRerun
from chalicelib.record import Clock, utc_now
from chalicelib.settings import Settings
from chalicelib.store.caps import DailyCaps


def github_actions(
    settings: Settings,
    caps: DailyCaps,
    factory: Callable[[Settings, str], Github] = github_for_repo,
    now: Clock = utc_now,
) -> list[Action]:
    """The issue, fix pull request and pull request comment actions, sharing one session (and
    one clock) per invocation; the comment comes after the issue and the fix, as it links them; a
    re-run (AUTO_RERUN) last."""
    session = GitHubSession(settings, caps, factory, now)
    return [
        GitHubIssue(session),
        GitHubPullRequest(session),
        GitHubPullRequestComment(session),
        GitHubCheckRun(session),
        GitHubRerun(session),
    ]


def github_verdict_actions(
    settings: Settings,
    caps: DailyCaps,
    factory: Callable[[Settings, str], Github] = github_for_repo,
    now: Clock = utc_now,
) -> list[VerdictAction]:
    """What tells GitHub that a failure acted on before is flaky (its issue, fix and comment)."""
    return [GitHubFlakyNote(GitHubSession(settings, caps, factory, now))]
