"""Self-Healing CI: a Chalice app that explains failed CI jobs.

Only decorators and thin handlers live here: parse the input, call chalicelib.pipeline, map
the service's errors to responses.
"""

from __future__ import annotations

import logging
import os
from typing import Any

from chalice.app import Chalice, CloudWatchEvent, Cron, Response, S3Event, SQSEvent

from chalicelib import pipeline
from chalicelib.actions import digest
from chalicelib.api import auth
from chalicelib.api import request as api
from chalicelib.clients import s3_client, ses_client, sqs_client
from chalicelib.errors import BadInputError, ConfigurationError, InProgressError, SelfHealingError
from chalicelib.github import webhook
from chalicelib.ingest.metadata import is_success_record
from chalicelib.record import utc_now
from chalicelib.services import Services, build_changes, build_history, build_services, build_store
from chalicelib.settings import Settings

app = Chalice(app_name="self-healing-ci")
app.log.setLevel(logging.INFO)
logging.getLogger("chalicelib").setLevel(logging.INFO)

# The trigger's bucket is configuration read when Chalice loads the app with the stage's
# environment (deploy and package do that); clients are still created per invocation.
LOGS_BUCKET = os.environ.get("LOGS_BUCKET") or "self-healing-ci-logs"
# The prod stage puts the API behind API Gateway's usage plan (throttling): clients then send an
# x-api-key too. That key only meters; the bearer token checked in the handlers authenticates.
API_KEY_REQUIRED = os.environ.get("API_KEY_REQUIRED", "").lower() == "true"
# The queue of completed jobs the worker handles (the GitHub App's webhook fills it); each stage
# has its own (.chalice/config.json, infra/bind_stack.py).
JOBS_QUEUE = os.environ.get("JOBS_QUEUE_NAME") or "self-healing-ci-jobs"


def _json(body: dict[str, Any], status: int) -> Response:
    return Response(body=body, status_code=status, headers={"Content-Type": "application/json"})


def _error(exc: SelfHealingError, doing: str) -> Response:
    """The one place an error becomes a response (chalicelib/errors.py draws the tree): its status
    and code, and a message that never blames the caller for the service's own failure."""
    if isinstance(exc, ConfigurationError):
        app.log.error("configuration error %s: %s", doing, exc)
    elif exc.http_status >= 500:
        app.log.warning("%s failed: %s", doing, exc)
    return _json({"error": exc.error_code, "message": exc.public_message}, exc.http_status)


def _internal(doing: str) -> Response:
    app.log.exception("unexpected failure %s", doing)
    return _json({"error": "internal", "message": "internal error"}, 500)


def _header(name: str) -> str | None:
    request = app.current_request
    if request is None:
        return None
    value = request.headers.get(name)
    return str(value) if value is not None else None


def _as_bytes(body: str | bytes | None) -> bytes:
    return body.encode() if isinstance(body, str) else body or b""


def _remaining_ms(context: Any) -> int | None:
    remaining = getattr(context, "get_remaining_time_in_millis", None)
    return int(remaining()) if callable(remaining) else None


def _services(context: Any = None) -> Services:
    return build_services(Settings.from_env(), remaining_ms=_remaining_ms(context))


@app.on_s3_event(bucket=LOGS_BUCKET, prefix="logs/", events=["s3:ObjectCreated:*"])
def on_log_uploaded(event: S3Event) -> dict[str, Any]:
    """Analyze a newly uploaded CI log (or mark a fix healed); S3 retries the event if storage failed."""
    try:
        if is_success_record(event.key):
            return pipeline.handle_success_record(_services(event.context), event.bucket, event.key)
        outcome = pipeline.handle_log_created(_services(event.context), event.bucket, event.key)
    except ConfigurationError:
        # The deployment is wrong, not the log: raise, so Lambda retries and the event reaches
        # the failure destination once the setting is fixed (or is seen there).
        app.log.exception("configuration error; s3://%s/%s is not analyzed", event.bucket, event.key)
        raise
    except InProgressError as exc:
        # A second delivery of an event another invocation is analyzing: that one finishes it.
        app.log.info("s3://%s/%s: %s", event.bucket, event.key, exc)
        return {"status": "duplicate", "reason": str(exc)}
    except SelfHealingError as exc:
        if exc.http_status < 500:
            # Retrying cannot help: the object is gone or unreadable. Say so and drop the event.
            app.log.warning("not analyzing s3://%s/%s: %s", event.bucket, event.key, exc)
            return {"status": "rejected", "reason": str(exc)}
        app.log.exception("analyzing s3://%s/%s failed; the event will be retried", event.bucket, event.key)
        raise
    except Exception:
        app.log.exception("unexpected failure analyzing s3://%s/%s", event.bucket, event.key)
        raise
    if outcome is None:
        return {"status": "skipped"}
    return {"status": "duplicate" if outcome.duplicate else "analyzed", "id": outcome.analysis.id}


@app.schedule(Cron(0, 7, "*", "*", "?", "*"))
def daily_digest(event: CloudWatchEvent) -> dict[str, Any]:
    """Every morning at 07:00 UTC: yesterday's failures, what recurs, what healed."""
    settings = Settings.from_env()
    services = build_services(settings)
    try:
        return digest.send_digest(
            services.store,
            settings,
            ses_client(settings.ses_region or settings.region),
            digest.yesterday(utc_now()),
            services.history,
        )
    except ConfigurationError:
        app.log.exception("configuration error; the daily digest is not sent")
        raise
    except SelfHealingError as exc:
        app.log.warning("daily digest failed: %s", exc)
        return {"status": "failed", "reason": str(exc)}
    except Exception:
        app.log.exception("unexpected failure in the daily digest")
        raise


@app.route("/analyze", methods=["POST"], content_types=["application/json"], api_key_required=API_KEY_REQUIRED)
def analyze() -> Response:
    """Analyze a log sent inline (``log``) or already in the bucket (``s3_key``)."""
    try:
        settings = Settings.from_env()
        auth.check(settings, _header("authorization"))
        body = app.current_request.raw_body if app.current_request is not None else b""
        request = api.parse_analyze(_as_bytes(body), settings.max_body_bytes, settings.logs_prefix)
        services = build_services(settings, remaining_ms=_remaining_ms(app.lambda_context))
        if request.s3_key is not None:
            outcome = pipeline.analyze_s3_key(
                services, request.s3_key, request.metadata, request.act, request.failed_steps
            )
        else:
            outcome = pipeline.analyze_text(
                services, (request.log or "").encode(), request.metadata, request.act, failed_steps=request.failed_steps
            )
    except SelfHealingError as exc:
        return _error(exc, "in /analyze")
    except Exception:
        return _internal("in /analyze")
    return _json(outcome.analysis.to_dict(), 200)


@app.route("/analyses/{analysis_id}", methods=["GET"], api_key_required=API_KEY_REQUIRED)
def get_analysis(analysis_id: str) -> Response:
    """Return a stored analysis record."""
    try:
        auth.check(Settings.from_env(), _header("authorization"))
        api.check_analysis_id(analysis_id)
        analysis = _services().store.get(analysis_id)
    except SelfHealingError as exc:
        return _error(exc, f"reading analysis {analysis_id}")
    except Exception:
        return _internal(f"reading analysis {analysis_id}")
    return _json(analysis.to_dict(), 200)


@app.route("/repos/{owner}/{name}/flaky", methods=["GET"], api_key_required=API_KEY_REQUIRED)
def flaky_report(owner: str, name: str) -> Response:
    """The repository's quarantine report: its flaky tests by score, with their evidence runs."""
    try:
        settings = Settings.from_env()
        auth.check(settings, _header("authorization"))
        repo = api.check_repo(owner, name)
        request = app.current_request
        query: dict[str, str] = dict((request.query_params if request is not None else None) or {})
        days = api.window_days(query.get("days"), settings.flaky_window_days)
        report = pipeline.flaky_report(build_history(settings), repo, utc_now(), days, build_changes(settings))
    except SelfHealingError as exc:
        return _error(exc, f"reading the flaky tests of {owner}/{name}")
    except Exception:
        return _internal(f"reading the flaky tests of {owner}/{name}")
    return _json(report, 200)


@app.route("/github/webhook", methods=["POST"], content_types=["application/json"])
def github_webhook() -> Response:
    """The GitHub App's deliveries: checked by their signature (not the API token), then queued."""
    try:
        settings = Settings.from_env()
        request = app.current_request
        headers = {str(k).lower(): str(v) for k, v in (request.headers.items() if request is not None else [])}
        body = _as_bytes(request.raw_body if request is not None else b"")
        queue = sqs_client(settings.region) if settings.jobs_queue_url else None
        result = webhook.handle_delivery(
            headers,
            body,
            webhook.webhook_secret(settings),
            build_store(settings),
            build_history(settings),
            queue,
            settings.jobs_queue_url,
            utc_now,
        )
    except SelfHealingError as exc:
        return _error(exc, "in /github/webhook")
    except Exception:
        return _internal("in /github/webhook")
    return _json({"status": result.outcome}, result.status)


@app.on_sqs_message(queue=JOBS_QUEUE, batch_size=1)
def collect_job_logs(event: SQSEvent) -> None:
    """Download each queued failed job's log into the bucket; add each passed job to the outcome
    history (telling failures of its commit they were flaky). A failure raises, so SQS retries
    the message and, in the end, moves it to the dead-letter queue."""
    from chalicelib.github import joblogs  # PyGithub loads only for this worker

    settings = Settings.from_env()
    if not settings.logs_bucket:
        raise ConfigurationError("collected logs need a bucket: set LOGS_BUCKET")
    for record in event:
        try:
            job = webhook.FailedJob.from_message(record.body)
        except BadInputError:
            app.log.exception("dropping a message this service did not write")
            continue
        try:
            if not job.failed:
                services = _services(event.context)
                pipeline.record_success(services, job.passed(services.now()))
                continue
            joblogs.collect(settings, s3_client(settings.region), job, settings.logs_bucket)
        except SelfHealingError as exc:
            doing = "collecting the log" if job.failed else "recording the pass"
            app.log.warning("%s of job %s of %s failed: %s", doing, job.job_id, job.repo, exc)
            if settings.jobs_queue_url:
                webhook.back_off(sqs_client(settings.region), settings.jobs_queue_url, record.to_dict(), exc)
            raise
