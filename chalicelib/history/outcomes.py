"""The outcome history: every completed job of a repository, one small document per job run.

Layout, in the logs bucket (or the local folder, in the bucket's layout)::

    history/<owner>/<repo>/<yyyy-mm-dd>/<run_id>-<attempt>-<job id>.json   one job run's outcome
    history/<owner>/<repo>/<yyyy-mm-dd>.jsonl                             a finished day, compacted
    history/<owner>/<repo>/commits/<sha>/<job id>/<conclusion>-<run_id>-<attempt>.json  the same, by commit

A job run's document is written under a key its run, attempt, workflow and job decide, so a
redelivered event or a re-analysis rewrites the same document. A day that is over (older than
yesterday) is read from its documents once and then from its compacted file: a 14-day window
costs 13 reads and one day's listing. The bucket's lifecycle expires ``history/`` with ``logs/``
(infra/template.yaml). Each outcome is also kept under its commit: whether a job passed on a
re-run of a failure's commit (or a failure awaits a pass's verdict) is one listing away.
"""

from __future__ import annotations

import glob
import hashlib
import json
import logging
import os
import re
import tempfile
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, replace
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from chalicelib.errors import AWS_ERRORS, BadInputError, StorageError, aws_code, aws_not_found
from chalicelib.record import Analysis

if TYPE_CHECKING:  # the stubs are a dev dependency; boto3 returns these at run time
    from mypy_boto3_s3 import S3Client

log = logging.getLogger(__name__)
PREFIX = "history/"
CONCLUSIONS = ("success", "failure")
# How many failing test ids and named files one outcome keeps (a suite failing wholesale names
# hundreds; the first ones are enough to recognise the failure).
MAX_TESTS = 50
MAX_FILES = 20
_READERS = 16  # a day's documents are read this many at a time
_REPO = re.compile(r"[\w.-]{1,100}/[\w.-]{1,100}\Z")
_SHA = re.compile(r"[0-9a-fA-F]{7,64}")


def valid_repo(repo: str) -> bool:
    """Whether ``repo`` is ``owner/name`` (never ``.`` or ``..``: it becomes part of a path)."""
    return _REPO.match(repo) is not None and not {".", ".."} & set(repo.split("/"))


def job_identity(workflow: str, job: str) -> str:
    """One job of a workflow, however its name was spelled on the way (an event's display name,
    an S3 key's or metadata's cleaned copy): lower case, each run of other characters one dash."""
    return "/".join(re.sub(r"[^a-z0-9]+", "-", part.lower()).strip("-") for part in (workflow, job))


@dataclass(frozen=True)
class JobOutcome:
    """One completed run of one job: which job, which commit, how it ended, and for a failure the
    tests that failed, the files it named, its fingerprint and its analysis."""

    repo: str
    workflow: str
    job: str
    sha: str
    branch: str
    run_id: str
    attempt: int
    conclusion: str  # success | failure
    at: str  # when it was recorded (ISO 8601, UTC)
    tests: tuple[str, ...] = ()
    files: tuple[str, ...] = ()
    fingerprint: str = ""
    analysis: str = ""
    category: str = ""
    verdict: str = ""  # "flaky" once the failure's record says so

    @property
    def job_key(self) -> str:
        return job_identity(self.workflow, self.job)

    @property
    def failed(self) -> bool:
        return self.conclusion == "failure"

    @property
    def time(self) -> datetime:
        return datetime.fromisoformat(self.at)

    @property
    def job_hash(self) -> str:
        return hashlib.sha256(self.job_key.encode()).hexdigest()[:12]

    def name(self) -> str:
        """The document's name in its day: the run, the attempt and the job."""
        return f"{self.run_id or '0'}-{self.attempt}-{self.job_hash}"

    def commit_name(self) -> str:
        """Its name under its commit: by job, then conclusion, so a lookup lists only what it needs."""
        return f"{self.job_hash}/{self.conclusion}-{self.run_id or '0'}-{self.attempt}"

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["tests"], data["files"] = list(self.tests), list(self.files)
        return {k: v for k, v in data.items() if v not in ("", [], ())}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> JobOutcome:
        """Raises BadInputError for a document this service did not write."""
        try:
            outcome = cls(
                repo=str(data["repo"]),
                workflow=str(data.get("workflow") or ""),
                job=str(data["job"]),
                sha=str(data.get("sha") or ""),
                branch=str(data.get("branch") or ""),
                run_id=str(data.get("run_id") or ""),
                attempt=int(data.get("attempt") or 1),
                conclusion=str(data["conclusion"]),
                at=str(data["at"]),
                tests=tuple(str(t) for t in data.get("tests") or ())[:MAX_TESTS],
                files=tuple(str(f) for f in data.get("files") or ())[:MAX_FILES],
                fingerprint=str(data.get("fingerprint") or ""),
                analysis=str(data.get("analysis") or ""),
                category=str(data.get("category") or ""),
                verdict=str(data.get("verdict") or ""),
            )
            outcome.time  # noqa: B018 (an unreadable time is refused here, not when the detector sorts)
        except (KeyError, TypeError, ValueError) as exc:
            raise BadInputError(f"not a job outcome: {exc}") from exc
        if outcome.conclusion not in CONCLUSIONS or not valid_repo(outcome.repo) or not outcome.job:
            raise BadInputError(f"not a job outcome of a known repository and job: {outcome.repo!r}")
        return outcome


def day_prefix(repo: str, day: date) -> str:
    return f"{PREFIX}{repo}/{day:%Y-%m-%d}/"


def commit_prefix(repo: str, sha: str) -> str:
    return f"{PREFIX}{repo}/commits/{sha.lower()}/"


def compacted_key(repo: str, day: date) -> str:
    return f"{PREFIX}{repo}/{day:%Y-%m-%d}.jsonl"


def _parse(body: bytes, where: str) -> JobOutcome | None:
    try:
        return JobOutcome.from_dict(json.loads(body))
    except (ValueError, BadInputError) as exc:
        log.warning("skipping %s: %s", where, exc)
        return None


class OutcomeHistory:
    """Writes job outcomes and reads a repository's window of them; subclasses store the bytes.

    Every method raises StorageError when the store fails.
    """

    parallel = False  # whether a day's documents are worth reading concurrently (network round trips)

    def record(self, outcome: JobOutcome) -> str:
        """Store ``outcome`` in the partition of its own time; returns its key."""
        if not valid_repo(outcome.repo):
            raise BadInputError(f"outcomes are kept per repository; {outcome.repo!r} is not owner/name")
        key = f"{day_prefix(outcome.repo, outcome.time.date())}{outcome.name()}.json"
        body = json.dumps(outcome.to_dict(), sort_keys=True).encode()
        self._put(key, body)
        if _SHA.fullmatch(outcome.sha):
            self._put(f"{commit_prefix(outcome.repo, outcome.sha)}{outcome.commit_name()}.json", body)
        return key

    def mark_flaky(self, outcome: JobOutcome) -> None:
        """Rewrite ``outcome`` with its flaky verdict, also in its day's compacted file when that
        day is compacted already (its readers read that file, never the documents again)."""
        marked = replace(outcome, verdict="flaky")
        self.record(marked)
        key = compacted_key(outcome.repo, outcome.time.date())
        packed = self._get(key)
        if packed is None:
            return
        kept = [o for n, line in enumerate(packed.splitlines()) if (o := _parse(line, f"{key} line {n + 1}"))]
        lines = [json.dumps((marked if o.name() == marked.name() else o).to_dict(), sort_keys=True) for o in kept]
        self._put(key, "\n".join(lines).encode())

    def on_commit(self, repo: str, sha: str, like: JobOutcome, conclusion: str) -> list[JobOutcome]:
        """The outcomes of ``like``'s job on commit ``sha`` of ``repo`` that ended in ``conclusion``
        (one listing of just those, and their documents)."""
        if not _SHA.fullmatch(sha):
            return []
        keys = self._list(f"{commit_prefix(repo, sha)}{like.job_hash}/{conclusion}-")
        return [o for key in keys if (body := self._get(key)) is not None and (o := _parse(body, key))]

    def window(self, repo: str, today: date, days: int) -> list[JobOutcome]:
        """The outcomes of ``repo`` recorded in the ``days`` days up to ``today``, oldest first."""
        outcomes: list[JobOutcome] = []
        for offset in range(days - 1, -1, -1):
            outcomes.extend(self.day(repo, today - timedelta(days=offset), today))
        return sorted(outcomes, key=lambda o: (o.at, o.run_id, o.attempt))

    def day(self, repo: str, day: date, today: date) -> list[JobOutcome]:
        """One day's outcomes of ``repo``; a day before yesterday is compacted on first read."""
        finished = day < today - timedelta(days=1)
        if finished:
            packed = self._get(compacted_key(repo, day))
            if packed is not None:
                return [o for n, line in enumerate(packed.splitlines()) if (o := _parse(line, f"line {n + 1}"))]
        keys = self._list(day_prefix(repo, day))
        if self.parallel and len(keys) > 1:
            with ThreadPoolExecutor(max_workers=_READERS) as pool:
                bodies = list(pool.map(self._get, keys))
        else:
            bodies = [self._get(key) for key in keys]
        outcomes = [o for key, body in zip(keys, bodies, strict=True) if body is not None and (o := _parse(body, key))]
        if finished and outcomes:
            lines = "\n".join(json.dumps(o.to_dict(), sort_keys=True) for o in outcomes)
            self._put(compacted_key(repo, day), lines.encode())
        return outcomes

    def put_report(self, repo: str, report: dict[str, Any]) -> None:
        """Keep ``repo``'s latest quarantine report (chalicelib.history.flaky.detect)."""
        self._put(report_key(repo), json.dumps(report, sort_keys=True).encode())

    def get_report(self, repo: str) -> dict[str, Any] | None:
        body = self._get(report_key(repo))
        if body is None:
            return None
        report: dict[str, Any] = json.loads(body)
        return report

    def _list(self, prefix: str) -> list[str]:
        raise NotImplementedError

    def _get(self, key: str) -> bytes | None:
        raise NotImplementedError

    def _put(self, key: str, body: bytes) -> None:
        raise NotImplementedError


class S3OutcomeHistory(OutcomeHistory):
    parallel = True

    def __init__(self, s3: S3Client, bucket: str) -> None:
        self._s3, self._bucket = s3, bucket

    def _list(self, prefix: str) -> list[str]:
        try:
            pages = self._s3.get_paginator("list_objects_v2").paginate(Bucket=self._bucket, Prefix=prefix)
            return [obj["Key"] for page in pages for obj in page.get("Contents", []) if obj["Key"].endswith(".json")]
        except AWS_ERRORS as exc:
            raise StorageError(f"cannot list the outcomes under {prefix}: {aws_code(exc)}") from exc

    def _get(self, key: str) -> bytes | None:
        try:
            body: bytes = self._s3.get_object(Bucket=self._bucket, Key=key)["Body"].read()
        except AWS_ERRORS as exc:
            if aws_not_found(exc):
                return None
            raise StorageError(f"cannot read outcome {key}: {aws_code(exc)}") from exc
        return body

    def _put(self, key: str, body: bytes) -> None:
        try:
            self._s3.put_object(Bucket=self._bucket, Key=key, Body=body, ContentType="application/json")
        except AWS_ERRORS as exc:
            raise StorageError(f"cannot write outcome {key}: {aws_code(exc)}") from exc


class LocalOutcomeHistory(OutcomeHistory):
    """The history in a folder, in the bucket's layout (the demo, the command line)."""

    def __init__(self, root: Path) -> None:
        self._root = root

    def _list(self, prefix: str) -> list[str]:
        directory, _, start = prefix.rpartition("/")
        folder = self._root / directory
        found = folder.glob(f"{glob.escape(start)}*.json") if folder.is_dir() else []
        return sorted(f"{directory}/{p.name}" for p in found)

    def _get(self, key: str) -> bytes | None:
        try:
            return (self._root / key).read_bytes()
        except FileNotFoundError:
            return None
        except OSError as exc:
            raise StorageError(f"cannot read outcome {key}: {exc.strerror}") from exc

    def _put(self, key: str, body: bytes) -> None:
        path = self._root / key
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            handle, name = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
            with os.fdopen(handle, "wb") as out:
                out.write(body)
            os.replace(name, path)  # readers never see half a document
        except OSError as exc:
            raise StorageError(f"cannot write outcome {key}: {exc.strerror}") from exc


def passed_job(
    repo: str, workflow: str, job: str, sha: str, branch: str, run_id: str, attempt: int, at: str
) -> JobOutcome:
    """The outcome of a job that passed (a pass names no tests)."""
    return JobOutcome(repo, workflow, job, sha, branch, run_id, attempt, "success", at)


def report_key(repo: str) -> str:
    """Where a repository's quarantine report is kept (the dashboard reads it)."""
    return f"{PREFIX}{repo}/flaky.json"


def failure_outcome(analysis: Analysis) -> JobOutcome | None:
    """The outcome an analysed failure adds to its repository's history; None when its metadata
    does not say which repository and job it is."""
    meta = analysis.metadata
    if not valid_repo(meta.get("repo", "")) or not meta.get("job"):
        return None
    attempt = meta.get("run_attempt", "")
    return JobOutcome(
        repo=meta["repo"],
        workflow=meta.get("workflow", ""),
        job=meta["job"],
        sha=meta.get("sha", ""),
        branch=meta.get("branch", ""),
        run_id=meta.get("run_id", ""),
        attempt=int(attempt) if attempt.isdigit() else 1,
        conclusion="failure",
        at=analysis.created_at,
        tests=tuple(analysis.tests[:MAX_TESTS]),
        files=tuple(dict.fromkeys(f for t in analysis.tests if (f := t.partition("::")[0]) != t))[:MAX_FILES],
        fingerprint=analysis.fingerprint,
        analysis=analysis.id,
        category=analysis.category,
    )
