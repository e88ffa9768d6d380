"""The end of the loop: CI passed on a ``self-healing/*`` branch, so the failure is healed.

The workflow uploads a small success record, ``logs/<owner>/<repo>/<run>-<attempt>-<job>.success.json``
(``{"repo", "branch", "run_id", "sha"}``, or the same as S3 metadata). The issue of that
fingerprint gets a comment, its state is marked healed, and so is the analysis that proposed the fix.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

from github import GithubException

from chalicelib.errors import (
    ConfigurationError,
    NotFoundError,
    SelfHealingError,
)
from chalicelib.github.client import github_for_repo, translate
from chalicelib.github.issues import find_open_issue, healing_fingerprint_prefix, write_state
from chalicelib.ingest.metadata import RunMetadata
from chalicelib.ingest.success import read_success_record
from chalicelib.metrics import emit_healed
from chalicelib.record import Clock
from chalicelib.render import render
from chalicelib.settings import Settings
from chalicelib.store.records import RecordStore

if TYPE_CHECKING:  # the stubs are a dev dependency; boto3 returns these at run time
    from github.Repository import Repository
    from mypy_boto3_s3 import S3Client

log = logging.getLogger(__name__)
_MAX_RECORD = 16 * 1024


@dataclass(frozen=True)
class HealOutcome:
    status: str  # healed | not-a-fix | no-issue | not-confirmed | failed
    detail: str = ""
    analysis_id: str = ""


class Services(Protocol):
    """What marking a failure healed needs (the pipeline's Services has it all)."""

    @property
    def settings(self) -> Settings: ...
    @property
    def s3(self) -> S3Client | None: ...
    @property
    def store(self) -> RecordStore: ...
    @property
    def now(self) -> Clock: ...


def mark_healed(services: Services, bucket: str, key: str, meta: RunMetadata | None = None) -> HealOutcome:
    """Record that CI passed on a fix branch: comment, mark the issue's state and the analysis.
    ``meta`` is the success record's, when the caller read it already.

    Raises NotFoundError or BadInputError for an unusable success record, StorageError when S3 fails.
    """
    settings = services.settings
    if meta is None:
        if services.s3 is None:
            raise ConfigurationError("success records are read from the logs bucket: set LOGS_BUCKET")
        meta = read_success_record(services.s3, bucket, key)
    prefix = healing_fingerprint_prefix(meta.branch)
    if prefix is None:
        return HealOutcome("not-a-fix", f"branch {meta.branch or '?'} is not a self-healing branch")
    if not settings.github_configured or not meta.repo:
        return HealOutcome("failed", "GitHub is not configured or the repository is unknown")
    try:
        repo = github_for_repo(settings, meta.repo).get_repo(meta.repo)
        found = find_open_issue(repo, prefix)
        if found is None:
            return HealOutcome("no-issue", f"no open issue for fingerprint {prefix}")
        issue, fingerprint, state = found
        unconfirmed = _unconfirmed(repo, state.pr, meta)
        if unconfirmed:
            return HealOutcome("not-confirmed", unconfirmed)
        if not state.healed:
            state.healed = True
            issue.create_comment(render("healed.md.j2", branch=meta.branch, run=meta.run_id or "?", pr=state.pr))
            write_state(issue, fingerprint, state, extra_labels=("healed",))
    except GithubException as exc:
        reason = translate(exc, "marking the failure healed")
        log.warning("%s", reason)
        return HealOutcome("failed", str(reason))
    except SelfHealingError as exc:
        return HealOutcome("failed", str(exc))
    if state.analysis:
        _mark_record(services, state.analysis, meta, state.attempts)
    if settings.emit_metrics:
        emit_healed()
    return HealOutcome("healed", f"issue #{issue.number}", state.analysis)


def _unconfirmed(repo: Repository, number: int | None, meta: RunMetadata) -> str:
    """Why GitHub does not confirm that the run passed on the fix pull request's head ("" when
    it does): the record's word alone marks nothing healed. Raises GithubException."""
    if not number:
        return "no fix pull request is recorded for this failure"
    if not meta.sha:
        return "the success record names no commit"
    head = repo.get_pull(number).head
    if head.ref != meta.branch or (head.sha or "").lower() != meta.sha.lower():
        return f"pull request #{number}'s head is not {meta.branch} at {meta.sha[:12]}"
    return ""


def _mark_record(services: Services, analysis_id: str, meta: RunMetadata, attempts: int) -> None:
    try:
        record = services.store.get(analysis_id)
    except NotFoundError:
        log.warning("healed analysis %s is not stored", analysis_id)
        return
    record.healing = {
        "healed": True,
        "healed_at": services.now().isoformat(),
        "branch": meta.branch,
        "run_id": meta.run_id,
        "attempts": attempts,
    }
    services.store.save(record)
