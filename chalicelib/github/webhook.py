"""The GitHub App's webhook: verify a delivery, and queue each failed job for its log.

GitHub signs each delivery's body with the webhook secret (``X-Hub-Signature-256: sha256=<hex
HMAC-SHA256>``); nothing is parsed before the signature is checked, in constant time. A delivery
id seen before is acknowledged without work (GitHub redelivers on timeouts). The route answers
within GitHub's 10 seconds because it only checks and queues: a worker
(chalicelib.github.joblogs) downloads the log.

Events: ``ping`` is answered; ``workflow_job`` completed with ``failure`` or ``timed_out`` is
queued for its log; a successful one is queued too (the worker adds it to the outcome history
and tells the failures of the same job and commit they were flaky), or without a queue recorded
in the history at once; anything else is accepted and ignored.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from chalicelib.errors import (
    AWS_ERRORS,
    BadInputError,
    ConfigurationError,
    SecretUnavailableError,
    StorageError,
    UnauthorizedError,
    aws_code,
)
from chalicelib.history.outcomes import JobOutcome, OutcomeHistory, passed_job
from chalicelib.ingest.metadata import FailedSteps
from chalicelib.secrets import read_secret
from chalicelib.settings import Settings
from chalicelib.store.records import RecordStore

if TYPE_CHECKING:  # the stubs are a dev dependency; boto3 returns these at run time
    from mypy_boto3_sqs import SQSClient

log = logging.getLogger(__name__)
FAILED = ("failure", "timed_out")
# GitHub redelivers for days at most: a delivery id is remembered this long.
DELIVERY_MEMORY = timedelta(days=7)


@dataclass(frozen=True)
class FailedJob:
    """What the worker needs to collect one failed job's log (a queue message)."""

    repo: str
    job_id: int
    job_name: str
    run_id: int
    run_attempt: int
    sha: str
    branch: str
    workflow: str
    run_url: str
    conclusion: str
    installation_id: int | None = None
    # When the steps GitHub concluded failed ran (FailedSteps.encode): a step allowed to fail
    # (continue-on-error) concludes a success, though its log reads like a failure.
    failed_steps: str = ""

    @property
    def failed(self) -> bool:
        return self.conclusion in FAILED

    def passed(self, at: datetime) -> JobOutcome:
        """This passed job's entry in the outcome history (a failure's comes with its analysis)."""
        return passed_job(
            self.repo,
            self.workflow,
            self.job_name,
            self.sha,
            self.branch,
            str(self.run_id),
            self.run_attempt,
            at.isoformat(),
        )

    def to_message(self) -> str:
        return json.dumps(asdict(self), sort_keys=True)

    @classmethod
    def from_message(cls, body: str) -> FailedJob:
        """Raises BadInputError for a message this service did not write."""
        try:
            data = json.loads(body)
            return cls(**{k: data[k] for k in cls.__dataclass_fields__ if k in data})
        except (ValueError, TypeError, KeyError) as exc:
            raise BadInputError(f"not a failed-job message: {exc}") from exc


@dataclass(frozen=True)
class WebhookResult:
    status: int
    outcome: str  # pong | queued | recorded | duplicate | ignored


def webhook_secret(settings: Settings, aws: Callable[[str], Any] | None = None) -> str:
    """The webhook secret; raises ConfigurationError when none is set, SecretUnavailableError."""
    if settings.github_webhook_secret:
        return settings.github_webhook_secret
    if settings.github_webhook_secret_id:
        try:
            return read_secret(settings, settings.github_webhook_secret_id, aws=aws)
        except SecretUnavailableError as exc:
            raise SecretUnavailableError(str(exc), "its GitHub webhook secret") from exc
    raise ConfigurationError("the GitHub webhook has no secret (set GITHUB_WEBHOOK_SECRET or GITHUB_WEBHOOK_SECRET_ID)")


def verify_signature(secret: str, body: bytes, signature: str | None) -> None:
    """Raise UnauthorizedError unless ``signature`` is ``sha256=`` + the HMAC of ``body``."""
    if not signature or not signature.startswith("sha256="):
        raise UnauthorizedError("the delivery is not signed (X-Hub-Signature-256)")
    expected = "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    if not hmac.compare_digest(expected.encode(), signature.strip().encode()):
        raise UnauthorizedError("the delivery's signature does not match the webhook secret")


def handle_delivery(
    headers: Mapping[str, str],
    body: bytes,
    secret: str,
    store: RecordStore,
    history: OutcomeHistory,
    queue: SQSClient | None,
    queue_url: str,
    now: Callable[[], datetime],
) -> WebhookResult:
    """Check, deduplicate and act on one delivery. Raises UnauthorizedError (bad or no
    signature), BadInputError (a body that is no JSON object), StorageError (S3 or SQS failed:
    GitHub then shows the delivery as failed, and it can be redelivered)."""
    verify_signature(secret, body, headers.get("x-hub-signature-256"))
    event = headers.get("x-github-event", "")
    delivery = headers.get("x-github-delivery", "")
    try:
        payload = json.loads(body)
    except ValueError as exc:
        raise BadInputError("the delivery's body is not JSON") from exc
    if not isinstance(payload, dict):
        raise BadInputError("the delivery's body is not a JSON object")
    if event == "ping":
        return WebhookResult(200, "pong")
    if event != "workflow_job" or payload.get("action") != "completed":
        return WebhookResult(202, "ignored")
    job = _failed_job(payload)
    if job is None:
        return WebhookResult(202, "ignored")
    stamp = now()
    if delivery and not store.claim(f"deliveries/{delivery}", stamp, stamp + DELIVERY_MEMORY):
        log.info("delivery %s was handled before", delivery)
        return WebhookResult(200, "duplicate")
    if queue is None or not queue_url:
        if job.failed:
            raise ConfigurationError("failed jobs have no queue (set JOBS_QUEUE_URL)")
        try:
            history.record(job.passed(stamp))
        except StorageError:
            store.release(f"deliveries/{delivery}")  # a redelivery must be able to record it
            raise
        return WebhookResult(202, "recorded")
    try:
        queue.send_message(QueueUrl=queue_url, MessageBody=job.to_message())
    except AWS_ERRORS as exc:
        store.release(f"deliveries/{delivery}")  # a redelivery must be able to queue it
        raise StorageError(f"cannot queue job {job.job_id}: {aws_code(exc)}") from exc
    return WebhookResult(202, "queued")


def _failed_job(payload: Mapping[str, Any]) -> FailedJob | None:
    """The job a completed ``workflow_job`` event describes; None when a field is missing."""
    job = payload.get("workflow_job")
    repo = payload.get("repository")
    if not isinstance(job, dict) or not isinstance(repo, dict):
        return None
    try:
        installation = payload.get("installation")
        return FailedJob(
            repo=str(repo["full_name"]),
            job_id=int(job["id"]),
            job_name=str(job["name"]),
            run_id=int(job["run_id"]),
            run_attempt=int(job.get("run_attempt") or 1),
            sha=str(job.get("head_sha") or ""),
            branch=str(job.get("head_branch") or ""),
            workflow=str(job.get("workflow_name") or ""),
            run_url=str(job.get("html_url") or ""),
            conclusion=str(job.get("conclusion") or ""),
            installation_id=int(installation["id"]) if isinstance(installation, dict) else None,
            failed_steps=failed_steps(job.get("steps")).encode(),
        )
    except (KeyError, TypeError, ValueError):
        return None


# A step's conclusion after continue-on-error: a step allowed to fail concludes "success".
_STEP_FAILED = ("failure", "timed_out", "cancelled")


def failed_steps(steps: object) -> FailedSteps:
    """The times of the steps a job's ``steps`` list (webhook or jobs API) says failed; a step
    without both times, or with times that are not ISO 8601, is left out."""
    windows: list[tuple[datetime, datetime]] = []
    for step in steps if isinstance(steps, list) else []:
        if not isinstance(step, dict) or step.get("conclusion") not in _STEP_FAILED:
            continue
        try:
            windows.append(
                (datetime.fromisoformat(str(step["started_at"])), datetime.fromisoformat(str(step["completed_at"])))
            )
        except (KeyError, ValueError):
            continue
    return FailedSteps.of(windows)


# The first retry of a failed collection waits this long, each next one twice as long (SQS's own
# retry would come back after the visibility timeout every time); GitHub's reset time wins.
FIRST_RETRY_SECONDS = 30
MAX_VISIBILITY_SECONDS = 12 * 3600


def retry_delay(receive_count: int, retry_after: float | None) -> int:
    """Seconds until a failed message is handed out again: GitHub's reset time when it gave one,
    else 30 s doubled per attempt; at most SQS's 12 hours."""
    if retry_after is not None:
        return int(min(max(retry_after, 1), MAX_VISIBILITY_SECONDS))
    return int(min(FIRST_RETRY_SECONDS * 2 ** max(receive_count - 1, 0), MAX_VISIBILITY_SECONDS))


def back_off(queue: SQSClient, queue_url: str, message: Mapping[str, Any], error: Exception) -> None:
    """Delay the failed message's next delivery (best effort: without it, SQS retries after the
    visibility timeout); after maxReceiveCount deliveries SQS moves it to the dead-letter queue."""
    attributes = message.get("attributes") or {}
    count = int(attributes.get("ApproximateReceiveCount") or 1)
    delay = retry_delay(count, getattr(error, "retry_after", None))
    try:
        queue.change_message_visibility(
            QueueUrl=queue_url, ReceiptHandle=str(message["receiptHandle"]), VisibilityTimeout=delay
        )
    except AWS_ERRORS as exc:
        log.warning("could not delay the retry of a failed collection: %s", aws_code(exc))
