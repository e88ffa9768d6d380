"""Collect a failed job's whole log from GitHub into the logs bucket (the queue's worker).

``GET /repos/{owner}/{repo}/actions/jobs/{job_id}/logs`` answers with a redirect to a short-lived
download URL; the log is fetched from there, gzip'd and written under the upload contract's key
``logs/<owner>/<repo>/<run_id>-<attempt>-<job display name>.log.gz`` with every field the event
gave as object metadata. The S3 trigger then analyzes it as any uploaded log.
"""

from __future__ import annotations

import gzip
import logging
import re
import time
from collections.abc import Callable
from typing import TYPE_CHECKING

import requests
from github import Github, GithubException

from chalicelib.errors import AWS_ERRORS, GitHubError, RetryableError, StorageError, aws_code
from chalicelib.github.client import TIMEOUT_SECONDS, github_for_repo, translate
from chalicelib.github.webhook import FailedJob
from chalicelib.ingest.metadata import valid_value
from chalicelib.settings import Settings

if TYPE_CHECKING:  # the stubs are a dev dependency; boto3 returns these at run time
    from mypy_boto3_s3 import S3Client

log = logging.getLogger(__name__)
# A job's display name in a key: what the key contract and S3 metadata take (ASCII, no "/").
_UNSAFE = re.compile(r"[^\w .:@#+=,()\[\]-]", re.ASCII)


def job_key(prefix: str, job: FailedJob) -> str:
    """Where the job's log goes; matrix legs differ by their display names ("test (3.11)")."""
    name = _UNSAFE.sub("-", job.job_name).strip() or f"job-{job.job_id}"
    return f"{prefix}{job.repo}/{job.run_id}-{job.run_attempt}-{name}.log.gz"


def collect(
    settings: Settings, s3: S3Client, job: FailedJob, bucket: str, clock: Callable[[], float] = time.time
) -> str:
    """Download the job's log and write it to the bucket; the key written.

    Raises GitHubError (404: the log expired or is not visible; 401/403), RetryableError (rate
    limits and 5xx, worth the queue's retry) or StorageError.
    """
    try:
        gh = github_for_repo(settings, job.repo)
        headers, _ = gh.requester.requestBlobAndCheck("GET", f"/repos/{job.repo}/actions/jobs/{job.job_id}/logs")
    except GithubException as exc:
        error = translate(exc, f"asking GitHub for the log of job {job.job_id}")
        if exc.status in (429, 500, 502, 503, 504) or "rate limit" in str(error):
            raise RetryableError(str(error), _reset_after(exc, clock())) from exc
        raise error from exc
    location = headers.get("location")
    if not location:
        raise GitHubError(f"GitHub gave no download location for the log of job {job.job_id}", None)
    try:
        response = requests.get(location, timeout=TIMEOUT_SECONDS)
    except requests.RequestException as exc:
        raise RetryableError(f"downloading the log of job {job.job_id}: {type(exc).__name__}") from exc
    if response.status_code >= 500:
        raise RetryableError(f"downloading the log of job {job.job_id}: HTTP {response.status_code}")
    if response.status_code != 200:
        raise GitHubError(f"downloading the log of job {job.job_id}: HTTP {response.status_code}", response.status_code)
    key = job_key(settings.logs_prefix, job)
    metadata = _metadata(job)
    pull = _pull_request(gh, job)
    if pull:
        metadata["pull-request"] = pull
    try:
        s3.put_object(
            Bucket=bucket,
            Key=key,
            Body=gzip.compress(response.content),
            ContentType="text/plain",
            ContentEncoding="gzip",
            Metadata=metadata,
        )
    except AWS_ERRORS as exc:
        raise StorageError(f"cannot write s3://{bucket}/{key}: {aws_code(exc)}") from exc
    log.info("collected the log of job %s of %s into %s", job.job_id, job.repo, key)
    return key


def _pull_request(gh: Github, job: FailedJob) -> str:
    """The number of the pull request the job's run belongs to ("" for none, or when GitHub can't
    say: the log is worth more than the link, so this never fails the collection)."""
    try:
        _, run = gh.requester.requestJsonAndCheck("GET", f"/repos/{job.repo}/actions/runs/{job.run_id}")
    except GithubException as exc:
        log.info("no pull request for run %s of %s: %s", job.run_id, job.repo, translate(exc, "reading the run"))
        return ""
    pulls = run.get("pull_requests") if isinstance(run, dict) else None
    if not isinstance(pulls, list):
        return ""
    numbers = [str(p["number"]) for p in pulls if isinstance(p, dict) and isinstance(p.get("number"), int)]
    return numbers[0] if numbers else ""


def _metadata(job: FailedJob) -> dict[str, str]:
    """The event's fields as S3 object metadata (dashes, ASCII), each held to its field's rule."""
    fields = {
        "repo": job.repo,
        "sha": job.sha,
        "branch": job.branch,
        "run-id": str(job.run_id),
        "run-attempt": str(job.run_attempt),
        "run-url": job.run_url,
        "workflow": _UNSAFE.sub("-", job.workflow),
        "job": _UNSAFE.sub("-", job.job_name),
        "job-id": str(job.job_id),
        "failed-steps": job.failed_steps,
    }
    return {k: v for k, v in fields.items() if v and v.isascii() and valid_value(k.replace("-", "_"), v)}


def _reset_after(exc: GithubException, now: float) -> float | None:
    """Seconds until GitHub takes requests again: its Retry-After, or its rate limit's reset time."""
    headers = {k.lower(): v for k, v in (exc.headers or {}).items()}
    try:
        if headers.get("retry-after"):
            return float(headers["retry-after"])
        if headers.get("x-ratelimit-reset"):
            return max(float(headers["x-ratelimit-reset"]) - now, 1.0)
    except ValueError:
        return None
    return None
