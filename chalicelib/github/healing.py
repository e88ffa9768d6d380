"""The end of the loop: CI passed on a ``self-healing/*`` branch, so the failure is healed.

The workflow uploads a small success record, ``logs/<owner>/<repo>/<run>-<attempt>-<job>.success.json``
(``{"repo", "branch", "run_id", "sha"}``, or the same as S3 metadata). The issue of that
fingerprint gets a comment, its state is marked healed, and so is the analysis that proposed the fix.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Protocol

from github import GithubException

from chalicelib.errors import (
    AWS_ERRORS,
    BadInputError,
    ConfigurationError,
    NotFoundError,
    SelfHealingError,
    StorageError,
    aws_code,
    aws_not_found,
)
from chalicelib.github.client import github_for_repo, translate
from chalicelib.github.issues import find_open_issue, healing_fingerprint_prefix, write_state
from chalicelib.ingest.metadata import RunMetadata, parse_key
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


def read_success_record(s3: S3Client, bucket: str, key: str) -> RunMetadata:
    """The run a success record describes; raises BadInputError or NotFoundError.

    The repository is the one of the key's prefix (the uploader's own): a body or metadata naming
    another one is refused, so one repository's upload can never mark another's failure healed.
    """
    own = parse_key(key).repo
    if not own:
        raise BadInputError(f"success record {key} is not under logs/<owner>/<repo>/")
    try:
        response = s3.get_object(Bucket=bucket, Key=key, Range=f"bytes=0-{_MAX_RECORD}")
    except AWS_ERRORS as exc:
        if aws_not_found(exc):
            raise NotFoundError(f"no success record s3://{bucket}/{key}") from exc
        raise StorageError(f"cannot read s3://{bucket}/{key}: {aws_code(exc)}") from exc
    meta = RunMetadata.from_mapping(response.get("Metadata", {}))
    body = response["Body"].read()
    if body.strip():
        try:
            data = json.loads(body)
        except ValueError as exc:
            raise BadInputError(f"success record {key} is not JSON") from exc
        if isinstance(data, dict):
            meta = meta.merged(RunMetadata.from_mapping(data))
    if meta.repo and meta.repo.lower() != own.lower():
        raise BadInputError(f"success record {key} names {meta.repo}; it may only speak for {own}")
    return replace(meta, repo=own).merged(parse_key(key))


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


def mark_healed(services: Services, bucket: str, key: str) -> HealOutcome:
    """Record that CI passed on a fix branch: comment, mark the issue's state and the analysis.

    Raises NotFoundError or BadInputError for an unusable success record, StorageError when S3 fails.
    """
    settings = services.settings
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
