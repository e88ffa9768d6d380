"""What the service does with an analysis: a GitHub issue, a fix pull request, an email.

Each action has one interface; the dry-run implementations here write exactly what would be
sent next to the record (``issue.md``, ``pr.md``, ``email.txt``, ``email.html``), so a team
can read the drafts before giving the service any credentials.
"""

from __future__ import annotations

import difflib
from typing import Any, Protocol

from chalicelib.actions.issue_state import IssueState, marker
from chalicelib.actions.links import build_links, message_links
from chalicelib.actions.patches import PatchLimits, check_proposal, failure_words
from chalicelib.actions.reruns import DryRunRerun
from chalicelib.errors import PatchRejectedError
from chalicelib.ingest.metadata import HEALING_BRANCH_PREFIX
from chalicelib.record import ActionResult, Analysis, Clock, utc_now
from chalicelib.render import render
from chalicelib.settings import Settings
from chalicelib.store.records import RecordStore


class Action(Protocol):
    kind: str

    def applies(self, analysis: Analysis) -> bool: ...

    def run(self, analysis: Analysis) -> ActionResult: ...


ISSUE_LABEL = "self-healing"
FLAKY_LABEL = "flaky"
FLAKY_NO_FIX = "no fix for a flaky failure (it passed on a re-run, or its failing tests are known to be flaky)"


def issue_labels(analysis: Analysis) -> list[str]:
    """The labels of the failure's issue: the service's, the category, and ``flaky`` when it is."""
    return [ISSUE_LABEL, analysis.category, *([FLAKY_LABEL] if analysis.flaky else [])]


def fix_branch(analysis: Analysis) -> str:
    return f"{HEALING_BRANCH_PREFIX}{analysis.fingerprint[:8]}-{analysis.metadata.get('run_id') or 'manual'}"


def proposed_edits(analysis: Analysis) -> list[dict[str, str]]:
    """The edits a fix would make, as far as they are known without the repository's files: a
    planned line to append stands as an edit that adds it."""
    edits = [dict(edit) for edit in analysis.edits]
    plan = analysis.fix_plan
    if not edits and plan and plan.get("kind") == "append_line":
        edits.append({"path": plan["path"], "search": "", "replace": plan["line"] + "\n"})
    return edits


def fix_diff(analysis: Analysis) -> str:
    """A unified diff of the fix, for the pull request draft."""
    chunks: list[str] = []
    for edit in analysis.edits:
        diff = difflib.unified_diff(
            edit["search"].splitlines(),
            edit["replace"].splitlines(),
            f"a/{edit['path']}",
            f"b/{edit['path']}",
            lineterm="",
        )
        chunks.append("\n".join(diff))
    plan = analysis.fix_plan
    if plan and plan["kind"] == "append_line":
        chunks.append(f"--- a/{plan['path']}\n+++ b/{plan['path']}\n@@ end of file @@\n+{plan['line']}")
    return "\n".join(chunks)


class DryRunIssue:
    kind = "github_issue"

    def __init__(self, store: RecordStore, settings: Settings, now: Clock = utc_now) -> None:
        self._store, self._settings, self._now = store, settings, now

    def applies(self, analysis: Analysis) -> bool:
        return True

    def run(self, analysis: Analysis) -> ActionResult:
        links = build_links(analysis, self._settings)
        title = render("issue_title.txt.j2", a=analysis).strip()
        state = IssueState(base=analysis.metadata.get("branch", ""), analysis=analysis.id)
        body = render("issue.md.j2", a=analysis, links=links, marker=marker(analysis.fingerprint, state))
        labels = ", ".join(issue_labels(analysis))
        draft = f"Title: {title}\nLabels: {labels}\n\n{body}"
        url = self._store.put_artifact(analysis.id, "issue.md", draft, "text/markdown")
        target = analysis.metadata.get("repo") or "unknown repository"
        return ActionResult(self.kind, target, "dry_run", url, f"would open issue: {title}", self._now().isoformat())


class DryRunPullRequest:
    kind = "github_pr"

    def __init__(self, store: RecordStore, settings: Settings, now: Clock = utc_now) -> None:
        self._store, self._settings, self._now = store, settings, now

    def applies(self, analysis: Analysis) -> bool:
        return bool(analysis.edits or analysis.fix_plan)

    def run(self, analysis: Analysis) -> ActionResult:
        target = analysis.metadata.get("repo") or "unknown repository"
        if analysis.flaky:
            return ActionResult(self.kind, target, "skipped", "", FLAKY_NO_FIX, self._now().isoformat())
        try:
            # The live path's checks, on the edits alone: this draft is what would be opened.
            check_proposal(proposed_edits(analysis), PatchLimits.from_settings(self._settings), failure_words(analysis))
        except PatchRejectedError as exc:
            return ActionResult(self.kind, target, "skipped", "", f"fix rejected: {exc}", self._now().isoformat())
        branch = fix_branch(analysis)
        body = render("pr.md.j2", a=analysis, branch=branch, diff=fix_diff(analysis), issue=None)
        url = self._store.put_artifact(analysis.id, "pr.md", body, "text/markdown")
        return ActionResult(
            self.kind, target, "dry_run", url, f"would open draft pull request from {branch}", self._now().isoformat()
        )


def pr_comment_section(analysis: Analysis, settings: Settings, now: Clock) -> dict[str, Any]:
    """One failing job's section of a pull request's comment (chalicelib/templates/pr_comment.md.j2):
    what failed, why, the evidence and fix, and the links to the run, the issue and the fix pull
    request this analysis opened or found (their actions ran before)."""
    links = build_links(analysis, settings)
    issue_url, fix = (
        next((a.url for a in analysis.actions if a.kind == kind and a.url.startswith("https://")), "")
        for kind in ("github_issue", "github_pr")
    )
    return {
        "job": analysis.metadata.get("job") or analysis.metadata.get("workflow") or "job",
        "category": analysis.category,
        "root_cause": analysis.root_cause,
        "evidence": analysis.evidence[:PR_COMMENT_EVIDENCE_LINES],
        "suggested_fix": analysis.suggested_fix,
        "flaky": analysis.flaky,
        "run": links.run,
        "issue": issue_url,
        "fix": fix,
        "analysis": analysis.id,
        "at": now().isoformat(),
    }


PR_COMMENT_EVIDENCE_LINES = 8


class DryRunPullRequestComment:
    """The comment the pull request would get, as a draft (``pr-comment.md``)."""

    kind = "github_pr_comment"

    def __init__(self, store: RecordStore, settings: Settings, now: Clock = utc_now) -> None:
        self._store, self._settings, self._now = store, settings, now

    def applies(self, analysis: Analysis) -> bool:
        return str(analysis.metadata.get("pull_request", "")).isdigit()

    def run(self, analysis: Analysis) -> ActionResult:
        section = pr_comment_section(analysis, self._settings, self._now)
        body = render("pr_comment.md.j2", jobs=[section], marker="")
        url = self._store.put_artifact(analysis.id, "pr-comment.md", body, "text/markdown")
        number = analysis.metadata["pull_request"]
        target = analysis.metadata.get("repo") or "unknown repository"
        detail = f"would comment on pull request #{number}"
        return ActionResult(self.kind, target, "dry_run", url, detail, self._now().isoformat())


class VerdictAction(Protocol):
    """Tells an already-acted-on failure's issue (and fix) that a later run showed it is flaky."""

    kind: str

    def tell(self, analysis: Analysis) -> list[ActionResult]: ...


class DryRunFlakyNote:
    """The comment the failure's issue would get once it is known to be flaky (``flaky.md``)."""

    kind = "github_issue"

    def __init__(self, store: RecordStore, settings: Settings, now: Clock = utc_now) -> None:
        self._store, self._settings, self._now = store, settings, now

    def tell(self, analysis: Analysis) -> list[ActionResult]:
        links = build_links(analysis, self._settings)
        body = render("flaky_verdict.md.j2", v=analysis.flaky, pr=None, report=links.flaky_report)
        url = self._store.put_artifact(analysis.id, "flaky.md", body, "text/markdown")
        target = analysis.metadata.get("repo") or "unknown repository"
        detail = "would comment on the issue that the failure is flaky and label it flaky"
        return [ActionResult(self.kind, target, "dry_run", url, detail, self._now().isoformat())]


class DryRunEmail:
    kind = "email"

    def __init__(self, store: RecordStore, settings: Settings, now: Clock = utc_now) -> None:
        self._store, self._settings, self._now = store, settings, now

    def applies(self, analysis: Analysis) -> bool:
        return True

    def run(self, analysis: Analysis) -> ActionResult:
        links = message_links(analysis, self._settings)
        subject = " ".join(render("email_subject.txt.j2", a=analysis).split())
        recipients = ", ".join(self._settings.mail_to) or "(no MAIL_TO set)"
        sender = self._settings.mail_from or "(no MAIL_FROM set)"
        text = render("email.txt.j2", a=analysis, links=links)
        html = render("email.html.j2", a=analysis, links=links)
        preview = f"From: {sender}\nTo: {recipients}\nSubject: {subject}\n\n{text}"
        url = self._store.put_artifact(analysis.id, "email.txt", preview, "text/plain; charset=utf-8")
        self._store.put_artifact(analysis.id, "email.html", html, "text/html; charset=utf-8")
        return ActionResult(self.kind, recipients, "dry_run", url, f"would send: {subject}", self._now().isoformat())


def dry_run_actions(store: RecordStore, settings: Settings, now: Clock = utc_now) -> list[Action]:
    """Drafts of everything, written next to the record."""
    actions: list[Action] = [
        DryRunIssue(store, settings, now),
        DryRunPullRequest(store, settings, now),
        DryRunPullRequestComment(store, settings, now),
    ]
    if settings.auto_rerun:
        actions.append(DryRunRerun(settings, now))
    actions.append(DryRunEmail(store, settings, now))
    return actions
