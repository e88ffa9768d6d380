"""Links in issues, pull requests and messages: built by the service from validated metadata.

Nothing a log or a model wrote becomes a link.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from chalicelib.record import Analysis
from chalicelib.settings import Settings

# Matched whole (fullmatch): "$" would also let a final newline through.
_REPO = re.compile(r"[\w.-]+/[\w.-]+")
_SHA = re.compile(r"[0-9a-f]{7,40}")
_RUN_ID = re.compile(r"[0-9]+")


def is_repo_name(value: str) -> bool:
    """Whether ``value`` is an ``owner/name`` a link or an API call may use."""
    return _REPO.fullmatch(value) is not None


def is_commit_sha(value: str) -> bool:
    """Whether ``value`` is a commit SHA (7 to 40 lowercase hex digits)."""
    return _SHA.fullmatch(value) is not None


@dataclass(frozen=True)
class Links:
    run: str
    commit: str
    log_object: str
    dashboard: str
    flaky_report: str = ""  # the repository's quarantine report on the dashboard


def build_links(analysis: Analysis, settings: Settings) -> Links:
    """Links the service builds itself from validated metadata, never taken from a log."""
    meta = analysis.metadata
    server = settings.github_server_url
    repo = meta.get("repo", "")
    good_repo = is_repo_name(repo)
    good_run = _RUN_ID.fullmatch(meta.get("run_id", "")) is not None
    run = f"{server}/{repo}/actions/runs/{meta['run_id']}" if good_repo and good_run else ""
    commit = f"{server}/{repo}/commit/{meta['sha']}" if good_repo and is_commit_sha(meta.get("sha", "")) else ""
    source = analysis.source
    log_object = (
        f"s3://{source.get('bucket')}/{source.get('key')}"
        if source.get("type") == "s3"
        else source.get("path") or f"inline log sha256:{source.get('sha256', '')[:12]}"
    )
    base = settings.dashboard_url
    dashboard = f"{base}/failures/{analysis.id}" if base else ""
    report = f"{base}/repos/{repo}/flaky" if base and good_repo else ""
    return Links(run, commit, log_object, dashboard, report)


def message_links(analysis: Analysis, settings: Settings) -> dict[str, str]:
    """Every link a notification may carry: built by the service, never read from text."""
    built: Links = build_links(analysis, settings)
    links = {"run": built.run, "commit": built.commit, "dashboard": built.dashboard, "issue": "", "pr": ""}
    for action in analysis.actions:
        if not action.url.startswith("https://"):
            continue  # drafts in S3 are not links for people
        if action.kind == "github_issue" and action.status in ("created", "updated"):
            links["issue"] = action.url
        elif action.kind == "github_pr" and action.status == "created":
            links["pr"] = action.url
    return links
