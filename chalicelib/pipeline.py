"""The path every log takes: read → excerpt → classify → analyze → store → act.

The S3 event handler, ``POST /analyze`` and the command line all call into here, with the
clients and settings they were given, so each path gives the same analysis for the same log.
"""

from __future__ import annotations

import hashlib
import json
import logging
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from chalicelib.engines.consult import ENGINE, consult_model
from chalicelib.engines.fingerprint import fingerprint
from chalicelib.engines.heuristic import analyze_offline
from chalicelib.errors import (
    ActionsPendingError,
    ConfigurationError,
    InProgressError,
    LogReadError,
    NotFoundError,
    SelfHealingError,
)
from chalicelib.excerpt.build import build_excerpt
from chalicelib.excerpt.planning import baseline_keys
from chalicelib.history.flaky import Changes, detect, verdict
from chalicelib.history.outcomes import JobOutcome, OutcomeHistory, failure_outcome, passed_job
from chalicelib.ingest.logsource import TimeBoundBlocks, iter_bytes_blocks, iter_file_blocks
from chalicelib.ingest.metadata import (
    NO_FAILED_STEPS,
    FailedSteps,
    RunMetadata,
    from_log_head,
    green_log_keys,
    is_green_log,
    is_sidecar,
    is_success_record,
    parse_key,
)
from chalicelib.ingest.success import read_success_record
from chalicelib.metrics import emit_analysis
from chalicelib.record import ActionResult, Analysis, make_id, validate
from chalicelib.services import Services

log = logging.getLogger(__name__)
BlockSource = Callable[[], Iterable[bytes]]
_HEAD_BYTES = 64 * 1024
_DONE = {"dry_run", "created", "updated"}


@dataclass(frozen=True)
class Outcome:
    analysis: Analysis
    duplicate: bool


class _HeadCapture:
    """A block source that keeps the start of the log from the first pass over it.

    The excerpt reads the log twice (scan, then fetch); the head, where CI systems print the
    commit and branch, comes with the first pass instead of a third read.
    """

    def __init__(self, blocks: BlockSource) -> None:
        self._blocks, self._head = blocks, bytearray()
        self._first = True

    def __call__(self) -> Iterable[bytes]:
        if not self._first:
            return self._blocks()
        self._first = False
        return self._capture(self._blocks())

    def _capture(self, stream: Iterable[bytes]) -> Iterator[bytes]:
        for block in stream:
            if len(self._head) < _HEAD_BYTES:
                self._head += block[: _HEAD_BYTES - len(self._head)]
            yield block

    def text(self) -> str:
        return self._head.decode("utf-8", "replace")


def _baseline(services: Services, bucket: str | None, metadata: RunMetadata) -> frozenset[bytes]:
    """Line keys of the job's latest green log, when the CI keeps one; empty otherwise."""
    if not bucket or services.s3 is None:
        return frozenset()
    logs = services.log_bucket(bucket)
    for key in green_log_keys(services.settings.logs_prefix, metadata):
        try:
            logs.head(key)
            return baseline_keys(logs.blocks(key, services.settings.max_log_bytes)())
        except NotFoundError:
            continue
        except SelfHealingError as exc:
            # A baseline only sharpens the excerpt; without it the analysis is still sound.
            log.warning("ignoring green log %s: %s", key, exc)
            return frozenset()
    return frozenset()


def analyze(
    blocks: BlockSource,
    metadata: RunMetadata,
    services: Services,
    baseline: frozenset[bytes] = frozenset(),
    failed_steps: FailedSteps = NO_FAILED_STEPS,
) -> dict[str, Any]:
    """The finding for one log, as the record's fields; raises LogReadError (also for a log with
    no text) or PayloadTooLargeError. ``failed_steps`` tell the failing step from steps allowed
    to fail, when the CI said which failed."""
    settings = services.settings
    bounded = TimeBoundBlocks(blocks, services.read_deadline, time.monotonic)
    source = _HeadCapture(bounded)
    excerpt = build_excerpt(source, settings.excerpt_max_chars, services.redactor, baseline, failed_steps.seconds())
    if not any(text.strip() for _, text in excerpt.lines):
        # Nothing to explain: a record would only say "unknown" and open an issue about nothing.
        what = "is empty" if excerpt.total_bytes == 0 else f"holds no readable text ({excerpt.total_bytes} bytes)"
        raise LogReadError(f"the log {what}; nothing was analyzed")
    if not (metadata.repo and metadata.sha and metadata.branch):  # the head can only fill these
        metadata = metadata.merged(from_log_head(source.text()))
    finding = analyze_offline(
        excerpt.lines, excerpt.anchors, excerpt.failing_step_start, excerpt.fail_markers, excerpt.allowed_failures
    )
    redact = services.redactor.redact
    fields: dict[str, Any] = {
        "metadata": metadata.to_dict(),
        "category": finding.category,
        "fingerprint": fingerprint(finding.category, finding.identity, metadata.repo),
        "summary": redact(finding.summary)[:300],
        "root_cause": redact(finding.root_cause)[:2000],
        "evidence": [{"line": n, "text": redact(t)} for n, t in finding.evidence],
        "suggested_fix": redact(finding.suggested_fix)[:4000],
        "confidence": finding.confidence,
        "engine": dict(ENGINE),
        "tokens": {"prompt": 0, "completion": 0},
        "cost_usd": 0.0,
        "excerpt": {
            "lines": [[n, t] for n, t in excerpt.lines],
            "chars": excerpt.chars,
            "total_lines": excerpt.total_lines,
            "total_bytes": excerpt.total_bytes,
            "failing_step_start": excerpt.failing_step_start,
            "fail_markers": excerpt.fail_markers,
            **(
                {"allowed_failures": [list(span) for span in excerpt.allowed_failures]}
                if excerpt.allowed_failures
                else {}
            ),
            **({"read_limit": {"reason": "time", "bytes": bounded.read_bytes}} if bounded.read_bytes else {}),
        },
        "edits": finding.edits,
        "fix_plan": finding.fix_plan,
        "tests": [redact(t)[:500] for t in finding.tests],
    }
    if settings.provider != "heuristic" or settings.provider_fallbacks:
        consult_model(services, metadata, excerpt, finding.category, fields["fingerprint"]).apply(fields)
    return fields


def _count_occurrence(services: Services, analysis: Analysis) -> int:
    """How many analyses of this repository had this fingerprint, this one included (best effort)."""
    name = f"seen/{analysis.metadata.get('repo') or '_'}/{analysis.fingerprint}"
    try:
        state = services.store.get_state(name) or {}
        count = int(state.get("count", 0)) + 1
        services.store.put_state(name, {"count": count, "last": analysis.id})
    except SelfHealingError as exc:
        log.warning("occurrence count unavailable: %s", exc)
        return 1
    return count


def _claim(services: Services, analysis_id: str) -> bool:
    """Take the work on ``analysis_id`` until this invocation's deadline (at most
    STALE_CLAIM_SECONDS): of concurrent deliveries one analyzes, asks the model and counts; a
    claim left by a crashed or timed-out invocation expires with it, so its retry takes over."""
    now = services.now()
    seconds = min(max(services.deadline - time.monotonic(), 1.0), services.settings.stale_claim_seconds)
    return services.store.claim(analysis_id, now, now + timedelta(seconds=seconds))


@contextmanager
def _holding_claim(services: Services, analysis_id: str) -> Iterator[None]:
    """Release the claim on ``analysis_id`` when the work is done or failed with the reason
    raised: a retry need not wait (a crash leaves it to expire at this invocation's deadline)."""
    try:
        yield
    finally:
        try:
            services.store.release(analysis_id)
        except SelfHealingError as exc:
            log.warning("could not release the claim on %s: %s", analysis_id, exc)


def run(
    services: Services,
    analysis_id: str,
    source: dict[str, Any],
    blocks: BlockSource,
    metadata: RunMetadata,
    act: bool,
    persist: bool = True,
    baseline: Callable[[], frozenset[bytes]] = frozenset,
    failed_steps: FailedSteps = NO_FAILED_STEPS,
) -> Outcome:
    """Analyze once per id, store the record, then act; a repeated id returns the stored record.

    With ``persist`` false (the command line without --act) nothing is read or written.
    """
    store = services.store
    if not persist and not act:
        fields = analyze(blocks, metadata, services, baseline(), failed_steps)
        analysis = Analysis(
            id=analysis_id, created_at=services.now().isoformat(), source=source, status="complete", **fields
        )
        validate(analysis.to_dict())
        return Outcome(analysis, duplicate=False)
    try:
        existing: Analysis | None = store.get(analysis_id)
    except NotFoundError:
        existing = None
    if existing is not None and existing.status != "acting":
        log.info("analysis %s exists (status %s); not repeating it", analysis_id, existing.status)
        return Outcome(existing, duplicate=True)
    # Claimed before the model is asked or anything counted: a duplicate does neither.
    if not _claim(services, analysis_id):
        if existing is not None:
            log.info("analysis %s is acting in another invocation", analysis_id)
            return Outcome(existing, duplicate=True)
        raise InProgressError(f"analysis {analysis_id} is in progress in another invocation; nothing to repeat")
    with _holding_claim(services, analysis_id):
        if existing is None:
            # Another invocation may have finished (and let its claim go) since the record was
            # read: look again before the model is asked.
            try:
                done = store.get(analysis_id)
                if done.status != "acting":
                    return Outcome(done, duplicate=True)
                existing = done
            except NotFoundError:
                pass
        if existing is None:
            fields = analyze(blocks, metadata, services, baseline(), failed_steps)
            analysis = Analysis(
                id=analysis_id,
                created_at=services.now().isoformat(),
                source=source,
                status="acting" if act else "complete",
                **fields,
            )
            analysis.occurrences = _count_occurrence(services, analysis)
            validate(analysis.to_dict())
            if not store.create(analysis):
                log.info("analysis %s was created concurrently; not repeating it", analysis_id)
                return Outcome(store.get(analysis_id), duplicate=True)
        else:
            analysis = existing
            log.warning("resuming the actions of analysis %s", analysis_id)
        if act:
            if analysis.flaky is None:
                # After the record exists: a pass of the same job recorded meanwhile is seen
                # here, or its handler finds this record (chalicelib.history explains the order).
                _judge(services, analysis)
            complete = _act(analysis, services)
            analysis.status = "complete" if complete else "acting"
            validate(analysis.to_dict())
            store.save(analysis)
            if not complete:
                # Succeeding here would leave the rest undone for good: S3 does not redeliver a
                # handled event. Its retry finds the record acting and resumes the actions.
                raise ActionsPendingError(f"analysis {analysis_id}: time ran out before every action ran")
    if persist and services.settings.emit_metrics:
        emit_analysis(analysis)
    log.info("analysis %s: category=%s fingerprint=%s", analysis.id, analysis.category, analysis.fingerprint)
    return Outcome(analysis, duplicate=False)


# How old a repository's quarantine report may be before an outcome reads the whole window again
# to redo it; a verdict just made redoes it at once. A burst of failures reads the window once.
REPORT_SECONDS = 300


def _judge(services: Services, analysis: Analysis) -> None:
    """Add the failure to its repository's outcome history and set its flaky verdict: from the
    outcomes of its commit (did its job pass on a re-run?) and the repository's quarantine report
    (are all its failing tests known to be flaky?). Best effort: without the history the failure
    is treated as real."""
    history, outcome = services.history, failure_outcome(analysis)
    if history is None or outcome is None:
        return
    try:
        history.record(outcome)
        if not (outcome.sha or outcome.tests):
            return  # no commit to have re-run, no test to have flipped: the history can't tell
        # Did its job pass on this commit (another attempt, another run)?
        commit = history.on_commit(outcome.repo, outcome.sha, outcome, "success")
        report = _report(services, outcome.repo)
        refreshed = report is None
        if report is None:
            report = _refresh(services, outcome.repo, {analysis.id})
        analysis.flaky = verdict(outcome, commit, services.now(), services.changes, _known_flaky(report))
        if analysis.flaky is not None:
            history.record(replace(outcome, verdict="flaky"))
            if not refreshed:  # its tests may have just turned flaky: tell the earlier failures
                _refresh(services, outcome.repo, {analysis.id})
    except SelfHealingError as exc:
        log.warning("no flaky verdict for %s: %s", analysis.id, exc)


def _report(services: Services, repo: str) -> dict[str, Any] | None:
    """``repo``'s quarantine report if it is recent (REPORT_SECONDS), else None: redo it."""
    if services.history is None:
        return None
    report = services.history.get_report(repo)
    try:
        made = datetime.fromisoformat(str((report or {}).get("generated_at", "")))
    except ValueError:
        return None
    return report if (services.now() - made).total_seconds() < REPORT_SECONDS else None


def _known_flaky(report: dict[str, Any]) -> dict[str, str]:
    """The report's flaky tests, each with its latest evidence."""
    known: dict[str, str] = {}
    for entry in report.get("tests") or []:
        evidence = entry.get("evidence") or [{}]
        known[str(entry.get("test", ""))] = str(evidence[-1].get("text", ""))
    return known


def _refresh(services: Services, repo: str, skip: set[str]) -> dict[str, Any]:
    """Read ``repo``'s window, write its quarantine report, and tell the earlier failures whose
    failing tests all turned out flaky; the report."""
    if services.history is None:
        return {}
    window = services.history.window(repo, services.now().date(), services.settings.flaky_window_days)
    report = detect(repo, window, services.now(), services.settings.flaky_window_days, services.changes)
    written = report.to_dict()
    services.history.put_report(repo, written)
    _tell_earlier(services, window, skip, {str(entry["test"]) for entry in report.tests})
    return written


def flaky_report(
    history: OutcomeHistory, repo: str, now: datetime, days: int, changes: Changes | None = None
) -> dict[str, Any]:
    """``repo``'s quarantine report over the last ``days`` days; raises StorageError."""
    return detect(repo, history.window(repo, now.date(), days), now, days, changes).to_dict()


@dataclass(frozen=True)
class SuccessOutcome:
    """What a job's pass changed: the failures of the same job and commit it showed flaky."""

    recorded: bool
    flaky: list[str]


def record_success(services: Services, success: JobOutcome) -> SuccessOutcome:
    """Add a passed job to the history; each failure of the same job on the same commit that was
    analysed (a re-run passed) gets its flaky verdict, and its issue and fix are told.

    Raises StorageError when the history can't be written or read, ActionsPendingError while
    such a failure's analysis is still acting (a retry finds it done).
    """
    history = services.history
    if history is None:
        return SuccessOutcome(False, [])
    history.record(success)
    # Most passes follow no failure of their job on their commit: one listing tells.
    failures = [f for f in history.on_commit(success.repo, success.sha, success, "failure") if f.analysis]
    judged = [f.analysis for f in failures if _tell_flaky(services, f, [*failures, success])]
    if judged:
        _refresh(services, success.repo, set(judged))
    return SuccessOutcome(True, judged)


# Earlier failures told per invocation that their tests turned out flaky (each may cost a few
# GitHub calls); the next outcome of the repository tells the rest.
EARLIER_LIMIT = 10


def _tell_earlier(services: Services, window: list[JobOutcome], skip: set[str], flaky_now: set[str]) -> list[str]:
    """Tell the window's earlier failures whose failing tests are all in ``flaky_now`` (the
    history showed it since they were acted on); newest first, at most EARLIER_LIMIT. Best
    effort: a failure whose analysis is still acting is left for a later outcome."""
    told: list[str] = []
    for failure in reversed(window):
        if len(told) >= EARLIER_LIMIT:
            break
        if not (failure.failed and failure.analysis and failure.tests) or failure.verdict:
            continue
        if failure.analysis in skip or not set(failure.tests) <= flaky_now:
            continue
        try:
            if _tell_flaky(services, failure, window):
                told.append(failure.analysis)
        except ActionsPendingError as exc:
            log.info("%s", exc)
    return told


def _tell_flaky(services: Services, failure: JobOutcome, window: list[JobOutcome]) -> bool:
    """Set the verdict on ``failure``'s record and tell its issue; False when there was nothing to do."""
    try:
        analysis = services.store.get(failure.analysis)
    except NotFoundError:
        log.info("flaky failure %s has no record", failure.analysis)
        return False
    if analysis.flaky is not None:
        _mark_outcome(services, failure)  # its record says so already: no need to read it again
        return False
    if not _claim(services, analysis.id):
        raise ActionsPendingError(f"analysis {analysis.id} is acting; its flaky verdict waits for a retry")
    with _holding_claim(services, analysis.id):
        analysis = services.store.get(failure.analysis)  # as its last holder left it
        found = verdict(failure, window, services.now(), services.changes)
        if analysis.flaky is not None or found is None:
            return False
        analysis.flaky = found
        for action in services.verdict_actions:
            try:
                analysis.actions.extend(action.tell(analysis))
            except SelfHealingError as exc:
                log.warning("telling %s it is flaky failed: %s", analysis.id, exc)
                analysis.actions.append(
                    ActionResult(action.kind, failure.repo, "failed", "", str(exc), services.now().isoformat())
                )
        validate(analysis.to_dict())
        services.store.save(analysis)
    _mark_outcome(services, failure)
    log.info("analysis %s is flaky: %s", analysis.id, "; ".join(found["evidence"]))
    return True


def _mark_outcome(services: Services, failure: JobOutcome) -> None:
    if services.history is not None:
        services.history.mark_flaky(failure)


# The least time an action is started with; each external call also has its own timeout.
ACTION_SECONDS = 1.0


def _act(analysis: Analysis, services: Services) -> bool:
    """Run the actions not done yet; False when some had to wait for lack of time."""
    done = {a.kind for a in analysis.actions if a.status in _DONE}
    analysis.actions = [a for a in analysis.actions if a.kind in done]
    complete = True
    for action in services.actions:
        if action.kind in done or not action.applies(analysis):
            continue
        if services.deadline - time.monotonic() < ACTION_SECONDS:
            # Left for the retry of this event (the record stays "acting" and is resumed).
            result = ActionResult(
                action.kind,
                analysis.metadata.get("repo", ""),
                "skipped",
                "",
                "not enough time left in this invocation",
                services.now().isoformat(),
            )
            analysis.actions.append(result)
            complete = False
            continue
        try:
            result = action.run(analysis)
        except SelfHealingError as exc:
            log.warning("action %s for %s failed: %s", action.kind, analysis.id, exc)
            result = ActionResult(
                action.kind, analysis.metadata.get("repo", ""), "failed", "", str(exc), services.now().isoformat()
            )
        except Exception as exc:
            log.exception("action %s for %s crashed", action.kind, analysis.id)
            result = ActionResult(
                action.kind,
                analysis.metadata.get("repo", ""),
                "failed",
                "",
                f"internal error ({type(exc).__name__})",
                services.now().isoformat(),
            )
        analysis.actions.append(result)
    return complete


def success_outcome(meta: RunMetadata, at: str) -> JobOutcome | None:
    """The outcome a success record adds to the history; None without a repository and job."""
    if not meta.repo or not meta.job:
        return None
    attempt = int(meta.run_attempt) if meta.run_attempt.isdigit() else 1
    return passed_job(meta.repo, meta.workflow, meta.job, meta.sha, meta.branch, meta.run_id, attempt, at)


def handle_success_record(services: Services, bucket: str, key: str) -> dict[str, Any]:
    """The S3 event path for a success record: the pass joins the history (failures of the same
    job and commit become flaky), then a fix branch's pass heals its failure.

    Raises ConfigurationError without a bucket, BadInputError or NotFoundError for an unusable
    record, StorageError, ActionsPendingError (a failure it concerns is still acting: retry).
    """
    if services.s3 is None:
        raise ConfigurationError("success records are read from the logs bucket: set LOGS_BUCKET")
    meta = read_success_record(services.s3, bucket, key)
    outcome = success_outcome(meta, services.now().isoformat())
    flaky = record_success(services, outcome) if outcome is not None else SuccessOutcome(False, [])
    from chalicelib.github import healing  # PyGithub loads only for success records

    healed = healing.mark_healed(services, bucket, key, meta)
    return {"status": healed.status, "detail": healed.detail, "recorded": flaky.recorded, "flaky": flaky.flaky}


def handle_log_created(services: Services, bucket: str, key: str) -> Outcome | None:
    """The S3 event path for one new object; None when the object is not a log to analyze."""
    prefix = services.settings.logs_prefix
    if (
        not key.startswith(prefix)
        or is_sidecar(key)
        or is_success_record(key)
        or is_green_log(key)
        or key.endswith("/")
    ):
        log.info("skipping s3://%s/%s: not a log", bucket, key)
        return None
    logs = services.log_bucket(bucket)
    obj = logs.head(key)
    metadata = obj.metadata.merged(logs.sidecar(key)).merged(parse_key(key))
    source = {"type": "s3", "bucket": bucket, "key": key, "etag": obj.etag, "size": obj.size}
    analysis_id = make_id(obj.last_modified, "s3", bucket, key, obj.etag)
    blocks = logs.blocks(key, services.settings.max_log_bytes)
    return run(
        services,
        analysis_id,
        source,
        blocks,
        metadata,
        True,
        baseline=lambda: _baseline(services, bucket, metadata),
        failed_steps=obj.failed_steps,
    )


def analyze_s3_key(
    services: Services, key: str, metadata: RunMetadata, act: bool, failed_steps: FailedSteps = NO_FAILED_STEPS
) -> Outcome:
    """``POST /analyze`` with ``s3_key``: acting shares the event path's id, so it acts only once.
    ``failed_steps`` given here stand for the object's own."""
    bucket = services.settings.logs_bucket
    logs = services.log_bucket(bucket)
    obj = logs.head(key)
    metadata = metadata.merged(obj.metadata).merged(logs.sidecar(key)).merged(parse_key(key))
    source = {"type": "s3", "bucket": bucket, "key": key, "etag": obj.etag, "size": obj.size}
    if act:
        analysis_id = make_id(obj.last_modified, "s3", bucket, key, obj.etag)
    else:
        analysis_id = make_id(services.now(), "manual", bucket, key, obj.etag, json.dumps(metadata.to_dict()))
    blocks = logs.blocks(key, services.settings.max_log_bytes)
    return run(
        services,
        analysis_id,
        source,
        blocks,
        metadata,
        act,
        baseline=lambda: _baseline(services, bucket, metadata),
        failed_steps=failed_steps if failed_steps.windows else obj.failed_steps,
    )


def analyze_text(
    services: Services,
    data: bytes,
    metadata: RunMetadata,
    act: bool,
    name: str = "request",
    failed_steps: FailedSteps = NO_FAILED_STEPS,
) -> Outcome:
    """``POST /analyze`` with ``log``: the same log and metadata on the same day is one analysis."""
    digest = hashlib.sha256(data).hexdigest()
    source = {"type": "inline", "size": len(data), "sha256": digest}
    steps = (failed_steps.encode(),) if failed_steps.windows else ()  # ids as before without them
    analysis_id = make_id(services.now(), "inline", digest, json.dumps(metadata.to_dict()), str(act), *steps)
    limit = services.settings.max_log_bytes

    def blocks() -> Iterator[bytes]:
        return iter_bytes_blocks(data, name, limit)

    return run(services, analysis_id, source, blocks, metadata, act, failed_steps=failed_steps)


def analyze_file(
    services: Services,
    path: str,
    metadata: RunMetadata,
    act: bool,
    baseline_path: str | None = None,
    failed_steps: FailedSteps = NO_FAILED_STEPS,
) -> Outcome:
    """The command line's path: a local file, streamed; ``baseline_path`` is a green run's log."""
    file = Path(path)
    limit = services.settings.max_log_bytes
    try:
        stat = file.stat()
    except OSError as exc:
        raise LogReadError(f"{path}: cannot read file ({exc.strerror or exc})") from exc
    source = {"type": "file", "path": str(file), "size": stat.st_size}
    identity = (str(file.resolve()), str(stat.st_size), str(stat.st_mtime_ns), json.dumps(metadata.to_dict()), str(act))
    steps = (failed_steps.encode(),) if failed_steps.windows else ()  # ids as before without them
    analysis_id = make_id(services.now(), "file", *identity, *steps)

    def blocks() -> Iterator[bytes]:
        return iter_file_blocks(path, limit)

    def baseline() -> frozenset[bytes]:
        return baseline_keys(iter_file_blocks(baseline_path, limit)) if baseline_path else frozenset()

    return run(
        services, analysis_id, source, blocks, metadata, act, persist=act, baseline=baseline, failed_steps=failed_steps
    )
