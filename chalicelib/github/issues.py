"""Live GitHub actions: one issue per failure, validated draft fix pull requests, a bounded loop.

An issue carries a hidden marker with the failure's fingerprint and the healing state
(how often it was seen, fix attempts, the pull request, whether CI passed on the fix). A new
failure with the same fingerprint comments on that issue instead of opening another.
"""

from __future__ import annotations

import fnmatch
import logging
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from github import Github, GithubException, InputGitTreeElement
from github.Issue import Issue
from github.PullRequest import PullRequest
from github.Repository import Repository

from chalicelib.actions.base import FLAKY_LABEL, FLAKY_NO_FIX, ISSUE_LABEL, fix_branch, issue_labels
from chalicelib.actions.issue_state import MARKER, IssueState, marker, read_marker
from chalicelib.actions.links import build_links, is_commit_sha, is_repo_name
from chalicelib.actions.patches import (
    PatchLimits,
    append_line_edit,
    apply_edits,
    check_path,
    failure_words,
    readable_path,
    validate_changes,
)
from chalicelib.errors import GitHubError, PatchRejectedError, SelfHealingError
from chalicelib.github.client import github_for_repo, translate
from chalicelib.ingest.metadata import HEALING_BRANCH_PREFIX
from chalicelib.record import ActionResult, Analysis, Clock, utc_now
from chalicelib.render import render
from chalicelib.settings import Settings
from chalicelib.store.caps import DailyCaps

log = logging.getLogger(__name__)
LABEL = ISSUE_LABEL
HEAL_PREFIX = HEALING_BRANCH_PREFIX
_HEAL_BRANCH = re.compile(r"^self-healing/([0-9a-f]{8})-")
_SCAN_LIMIT = 300
COMMENT_INTERVAL = timedelta(hours=1)


def _parse_time(value: str) -> datetime | None:
    try:
        return datetime.fromisoformat(value) if value else None
    except ValueError:
        return None


def write_state(issue: Issue, fingerprint: str, state: IssueState, extra_labels: tuple[str, ...] = ()) -> None:
    """Store ``state`` in the issue's marker; raises GitHubError."""
    body = MARKER.sub(lambda _: marker(fingerprint, state), issue.body or "", count=1)
    changes: dict[str, Any] = {"body": body}
    if extra_labels:
        changes["labels"] = [*(label.name for label in issue.labels), *extra_labels]
    try:
        issue.edit(**changes)
    except GithubException as exc:
        raise translate(exc, f"updating issue #{issue.number}") from exc


def find_open_issue(repo: Repository, prefix: str) -> tuple[Issue, str, IssueState] | None:
    """The open self-healing issue whose marker's fingerprint starts with ``prefix``, with its
    fingerprint and state; only the newest _SCAN_LIMIT issues are read (pages stop there).

    Raises GithubException as PyGithub does.
    """
    for index, issue in enumerate(repo.get_issues(state="open", labels=[LABEL]), start=1):
        parsed = read_marker(issue.body)
        if parsed and parsed[0].startswith(prefix):
            return issue, parsed[0], parsed[1]
        if index >= _SCAN_LIMIT:
            return None  # before the next page is asked for
    return None


def healing_fingerprint_prefix(branch: str) -> str | None:
    """The fingerprint prefix a ``self-healing/<fp8>-<run>`` branch was made for."""
    match = _HEAL_BRANCH.match(branch)
    return match.group(1) if match else None


def ordinal(n: int) -> str:
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


@dataclass
class _Found:
    repo: Repository
    issue: Issue | None = None
    fingerprint: str = ""
    state: IssueState = field(default_factory=IssueState)


class GitHubSession:
    """The GitHub side of one analysis: one client, one lookup of its issue, shared by the actions."""

    def __init__(
        self,
        settings: Settings,
        caps: DailyCaps,
        factory: Callable[[Settings, str], Github] = github_for_repo,
        now: Clock = utc_now,
    ) -> None:
        self.settings, self.caps, self._factory, self.now = settings, caps, factory, now
        self._cache: dict[str, _Found] = {}

    def lookup(self, analysis: Analysis) -> _Found:
        """The repository and the open issue of this failure (or of the fix it is an attempt of)."""
        if analysis.id in self._cache:
            return self._cache[analysis.id]
        repo_name = analysis.metadata["repo"]
        try:
            repo = self._factory(self.settings, repo_name).get_repo(repo_name)
        except GithubException as exc:
            raise translate(exc, f"opening {repo_name}") from exc
        prefix = healing_fingerprint_prefix(analysis.metadata.get("branch", "")) or analysis.fingerprint
        try:
            match = find_open_issue(repo, prefix)
        except GithubException as exc:
            raise translate(exc, "listing open self-healing issues") from exc
        found = _Found(repo, *match) if match is not None else _Found(repo)
        self._cache[analysis.id] = found
        return found

    def save_state(self, issue: Issue, found: _Found, flaky: bool = False) -> None:
        """Write the issue's marker (and its ``flaky`` label, the first time a run shows it)."""
        labelled = any(label.name == FLAKY_LABEL for label in issue.labels)
        write_state(issue, found.fingerprint, found.state, (FLAKY_LABEL,) if flaky and not labelled else ())

    def comment(self, target: Issue | PullRequest, body: str, what: str) -> None:
        # A pull request's create_comment is a review comment; its conversation is an issue comment.
        post = target.create_issue_comment if hasattr(target, "create_issue_comment") else target.create_comment
        try:
            post(body)
        except GithubException as exc:
            raise translate(exc, f"commenting on {what}") from exc

    def take_cap(self, analysis: Analysis) -> bool:
        try:
            return self.caps.take(analysis.metadata["repo"], "actions", self.settings.daily_action_cap, self.now())
        except SelfHealingError as exc:
            log.warning("daily cap unavailable (%s); acting conservatively", exc)
            return False


def _evidence(analysis: Analysis) -> list[dict[str, Any]]:
    return analysis.evidence or [{"line": n, "text": t} for n, t in analysis.excerpt["lines"][-5:]]


class GitHubAction:
    """An action on GitHub: a GitHub failure is recorded as a failed action, not raised."""

    kind = ""

    def __init__(self, session: GitHubSession) -> None:
        self.session = session

    def run(self, analysis: Analysis) -> ActionResult:
        try:
            return self._run(analysis)
        except SelfHealingError as exc:
            return self._result(analysis, "failed", detail=str(exc))

    def _run(self, analysis: Analysis) -> ActionResult:
        raise NotImplementedError

    def _result(self, analysis: Analysis, status: str, url: str = "", detail: str = "") -> ActionResult:
        """This action's result, stamped by the session's clock."""
        repo = analysis.metadata.get("repo", "")
        return ActionResult(self.kind, repo, status, url, detail[:500], self.session.now().isoformat())

    def _over_cap(self, analysis: Analysis) -> ActionResult | None:
        """A skipped result once the repository's daily cap of new issues and PRs is used up."""
        if self.session.take_cap(analysis):
            return None
        cap = self.session.settings.daily_action_cap
        return self._result(analysis, "skipped", detail=f"daily cap of {cap} new issues and PRs reached")


class GitHubIssue(GitHubAction):
    kind = "github_issue"

    def applies(self, analysis: Analysis) -> bool:
        return is_repo_name(analysis.metadata.get("repo", ""))

    def _run(self, analysis: Analysis) -> ActionResult:
        session = self.session
        found = session.lookup(analysis)
        links = build_links(analysis, session.settings)
        run = analysis.metadata.get("run_id") or "?"
        if found.issue is not None:
            found.state.seen += 1
            # The counter always moves; a comment at most hourly, so a failure repeated 100 times
            # in a burst is one issue with a count, not a hundred notifications.
            now = session.now()
            last = _parse_time(found.state.last_comment)
            # A failure newly found flaky always says so: the issue's readers decide on it.
            newly_flaky = bool(analysis.flaky) and FLAKY_LABEL not in {label.name for label in found.issue.labels}
            if last is None or now - last >= COMMENT_INTERVAL or newly_flaky:
                body = render(
                    "issue_seen_again.md.j2",
                    run=run,
                    ordinal=ordinal(found.state.seen),
                    branch=analysis.metadata.get("branch", ""),
                    evidence=_evidence(analysis),
                    links=links,
                    flaky=analysis.flaky,
                )
                session.comment(found.issue, body, f"issue #{found.issue.number}")
                found.state.last_comment = now.isoformat()
            session.save_state(found.issue, found, flaky=bool(analysis.flaky))
            return self._result(
                analysis,
                "updated",
                found.issue.html_url,
                f"seen again: {ordinal(found.state.seen)} time, issue #{found.issue.number}",
            )
        elsewhere = self._not_an_issue_branch(found.repo, analysis.metadata.get("branch", ""))
        if elsewhere:
            return self._result(analysis, "skipped", detail=elsewhere)
        capped = self._over_cap(analysis)
        if capped is not None:
            return capped
        state = IssueState(base=analysis.metadata.get("branch", ""), analysis=analysis.id)
        title = render("issue_title.txt.j2", a=analysis).strip()
        body = render("issue.md.j2", a=analysis, links=links, marker=marker(analysis.fingerprint, state))
        try:
            issue = found.repo.create_issue(title=title, body=body, labels=issue_labels(analysis))
        except GithubException as exc:
            raise translate(exc, "opening an issue") from exc
        found.issue, found.fingerprint, found.state = issue, analysis.fingerprint, state
        return self._result(analysis, "created", issue.html_url, f"opened issue #{issue.number}")

    def _not_an_issue_branch(self, repo: Repository, branch: str) -> str:
        """Why a failure on ``branch`` opens no issue ("" when it does): issues are for the
        branches that matter (ISSUE_BRANCHES, else the default branch); a pull request's failure
        is answered on the pull request, and any failure stays on the record and the dashboard.
        An unknown branch, or a fix's, opens one."""
        if not branch or branch.startswith(HEAL_PREFIX):
            return ""
        try:
            patterns = self.session.settings.issue_branches or (repo.default_branch,)
        except GithubException as exc:
            raise translate(exc, "reading the repository's default branch") from exc
        if any(fnmatch.fnmatchcase(branch, pattern) for pattern in patterns):
            return ""
        return f"no issue for a failure on {branch}: issues are for {', '.join(patterns)} (ISSUE_BRANCHES)"


class GitHubPullRequest(GitHubAction):
    kind = "github_pr"

    def applies(self, analysis: Analysis) -> bool:
        meta = analysis.metadata
        return bool(
            (analysis.edits or analysis.fix_plan)
            and is_commit_sha(meta.get("sha", ""))
            and meta.get("branch")
            and is_repo_name(meta.get("repo", ""))
        ) or meta.get("branch", "").startswith(HEAL_PREFIX)

    def _run(self, analysis: Analysis) -> ActionResult:
        session = self.session
        found = session.lookup(analysis)
        branch = analysis.metadata.get("branch", "")
        healing = branch.startswith(HEAL_PREFIX)
        if found.issue is not None and (found.state.gave_up or found.state.healed):
            return self._result(analysis, "skipped", detail="healing of this failure has ended")
        if healing and found.issue is not None and found.state.attempts >= session.settings.heal_max_attempts:
            return self._give_up(analysis, found, found.issue, branch)
        if analysis.flaky and not healing:
            return self._result(analysis, "skipped", detail=FLAKY_NO_FIX)
        if not (analysis.edits or analysis.fix_plan) or not analysis.metadata.get("sha"):
            return self._result(analysis, "skipped", detail="no fix is known for this failure")
        if not healing and found.issue is not None and found.state.pr:
            return self._result(analysis, "skipped", detail=f"a fix is already proposed in #{found.state.pr}")
        base = found.state.base if healing and found.state.base else branch
        try:
            changes = self._changes(found.repo, analysis)
        except PatchRejectedError as exc:
            if found.issue is not None:
                session.comment(found.issue, render("issue_fix_rejected.md.j2", reason=str(exc)), "the issue")
            return self._result(analysis, "skipped", detail=f"fix rejected: {exc}")
        capped = self._over_cap(analysis)
        if capped is not None:
            return capped
        head = fix_branch(analysis)
        pr = self._open(found, analysis, changes, head, base)
        if found.issue is not None:
            found.state.attempts += 1
            found.state.pr = pr.number
            found.state.base = base
            session.save_state(found.issue, found)
        return self._result(analysis, "created", pr.html_url, f"draft PR #{pr.number} from {head} into {base}")

    def _changes(self, repo: Repository, analysis: Analysis) -> list[Any]:
        edits = list(analysis.edits)
        paths = sorted({e["path"] for e in edits} | ({analysis.fix_plan["path"]} if analysis.fix_plan else set()))
        files: dict[str, str] = {}
        for path in paths:
            files[path] = self._fetch(repo, path, analysis.metadata["sha"])
        if analysis.fix_plan and not edits:
            plan = analysis.fix_plan
            edits = [append_line_edit(plan["path"], files[plan["path"]], plan["line"])]
        changes = apply_edits(files, edits)
        validate_changes(changes, PatchLimits.from_settings(self.session.settings), failure_words(analysis))
        return changes

    @staticmethod
    def _fetch(repo: Repository, path: str, sha: str) -> str:
        check_path(path)
        try:
            content = repo.get_contents(path, ref=sha)
        except GithubException as exc:
            if exc.status == 404:
                raise PatchRejectedError(f"{path}: the file does not exist at the failing commit") from exc
            raise translate(exc, f"reading {path}") from exc
        if isinstance(content, list) or content.type != "file":
            raise PatchRejectedError(f"{path}: not a regular file (a directory or a symlink)")
        try:
            return bytes(content.decoded_content).decode("utf-8")
        except UnicodeDecodeError as exc:
            raise PatchRejectedError(f"{path}: binary files are never changed") from exc

    def _open(self, found: _Found, analysis: Analysis, changes: list[Any], head: str, base: str) -> PullRequest:
        repo = found.repo
        try:
            parent = repo.get_git_commit(analysis.metadata["sha"])
            elements = [
                InputGitTreeElement(c.path, "100644", "blob", sha=repo.create_git_blob(c.new, "utf-8").sha)
                for c in changes
            ]
            tree = repo.create_git_tree(elements, base_tree=parent.tree)
            title = f"[self-healing] fix {analysis.category}: {analysis.summary[:80]}"
            commit = repo.create_git_commit(title, tree, [parent])
            # A new ref only: the service never moves an existing branch, so it never force-pushes.
            repo.create_git_ref(f"refs/heads/{head}", commit.sha)
        except GithubException as exc:
            raise translate(exc, f"creating branch {head}") from exc
        diff = "\n".join(_unified(c) for c in changes)
        body = render(
            "pr.md.j2",
            a=analysis,
            branch=head,
            diff=diff,
            issue=found.issue.number if found.issue is not None else None,
        )
        try:
            return repo.create_pull(base=base, head=head, title=title, body=body, draft=True)
        except GithubException as exc:
            raise translate(exc, f"opening a draft pull request from {head}") from exc

    def _give_up(self, analysis: Analysis, found: _Found, issue: Issue, branch: str) -> ActionResult:
        session = self.session
        body = render(
            "heal_gave_up.md.j2",
            attempts=found.state.attempts,
            branch=branch,
            run=analysis.metadata.get("run_id") or "?",
            evidence=_evidence(analysis),
            root_cause=analysis.root_cause,
        )
        session.comment(issue, body, f"issue #{issue.number}")
        if found.state.pr:
            try:
                session.comment(found.repo.get_pull(found.state.pr), body, f"pull request #{found.state.pr}")
            except GithubException as exc:
                raise translate(exc, f"finding pull request #{found.state.pr}") from exc
        found.state.gave_up = True
        session.save_state(issue, found)
        return self._result(analysis, "skipped", detail=f"healing gave up after {found.state.attempts} attempt(s)")


_SOURCE_PATH = re.compile(
    r"(?:^|[\s(\"'`])(?:\./)?((?:[\w.-]+/)*[\w-][\w.-]*\.(?:py|pyi|js|jsx|mjs|ts|tsx|go|rs|java|kt|rb|php|cs|c|cc|cpp|h"
    r"|hpp|swift|scala|json|ya?ml|toml|cfg|ini|txt|gradle|xml))(?=[:\s(),\"'`]|$)"
)


def source_files(
    settings: Settings,
    repo_name: str,
    sha: str,
    lines: list[tuple[int, str]],
    limit: int = 3,
    factory: Callable[[Settings, str], Github] = github_for_repo,
) -> dict[str, str]:
    """The repository files the excerpt names, at the failing commit, for the model to read.

    Best effort: a file that can't be fetched is left out; raises nothing.
    """
    wanted: list[str] = []
    for _, text in lines:
        for match in _SOURCE_PATH.finditer(text):
            path = match.group(1)
            try:
                path = readable_path(path)
            except PatchRejectedError:
                continue
            if path not in wanted:
                wanted.append(path)
    files: dict[str, str] = {}
    if not wanted:
        return files
    try:
        repo = factory(settings, repo_name).get_repo(repo_name)
    except (GithubException, SelfHealingError) as exc:
        log.info("no source context: %s", exc)
        return files
    for path in wanted:
        if len(files) >= limit:
            break
        try:
            content = repo.get_contents(path, ref=sha)
        except GithubException:
            continue
        if isinstance(content, list) or content.type != "file" or (content.size or 0) > 200_000:
            continue
        try:
            files[path] = bytes(content.decoded_content).decode("utf-8")
        except UnicodeDecodeError:
            continue
    return files


def _unified(change: Any) -> str:
    import difflib

    return "\n".join(
        difflib.unified_diff(
            change.old.splitlines(), change.new.splitlines(), f"a/{change.path}", f"b/{change.path}", lineterm=""
        )
    )


__all__ = ["GitHubAction", "GitHubError", "GitHubIssue", "GitHubPullRequest", "GitHubSession"]
