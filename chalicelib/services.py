"""The composition root: every client, store, action and clock the pipeline uses, built once
per invocation from the settings. Tests build their own ``Services`` to inject fakes, clocks
and sleeps; nothing else in the package creates a client.
"""

from __future__ import annotations

import functools
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from chalicelib.actions.base import Action, DryRunEmail, DryRunFlakyNote, VerdictAction, dry_run_actions
from chalicelib.actions.notify import notification_actions
from chalicelib.clients import s3_client, ses_client
from chalicelib.engines.consult import ReadFiles
from chalicelib.engines.llm import sdk_client
from chalicelib.errors import NotFoundError
from chalicelib.excerpt.redact import Redactor
from chalicelib.history.flaky import Changes
from chalicelib.history.outcomes import LocalOutcomeHistory, OutcomeHistory, S3OutcomeHistory
from chalicelib.ingest.logbucket import LogBucket
from chalicelib.record import Clock, Sleep, utc_now
from chalicelib.secrets import READ_VALUES, cached_secret
from chalicelib.settings import Settings
from chalicelib.store.caps import DailyCaps, LocalDailyCaps, S3DailyCaps
from chalicelib.store.records import LocalRecordStore, RecordStore, S3RecordStore

if TYPE_CHECKING:  # the stubs are a dev dependency; boto3 returns these at run time
    from mypy_boto3_s3 import S3Client


@dataclass
class Services:
    """Everything the pipeline talks to, built once per invocation from settings."""

    settings: Settings
    store: RecordStore
    actions: list[Action]
    redactor: Redactor
    s3: S3Client | None = None
    now: Clock = field(default=utc_now)
    # When this invocation must be done (time.monotonic); the Lambda's remaining time.
    deadline: float = field(default_factory=lambda: time.monotonic() + 30.0)
    # Until when reading the log may go on (time.monotonic), in a Lambda; None reads it all.
    read_deadline: float | None = None
    llm_factory: Callable[[str, str, str | None], Any] = sdk_client
    sleep: Sleep = time.sleep
    caps: DailyCaps | None = None
    # Reads the repository's files a failure names (for the model's prompt); set with GitHub.
    read_files: ReadFiles | None = None
    # Every completed job of each repository (flaky verdicts, the quarantine report).
    history: OutcomeHistory | None = None
    # What changed between two commits (GitHub's compare), for telling a fix from a flip.
    changes: Changes | None = None
    # What tells an issue (and its fix) that a failure acted on before turned out flaky.
    verdict_actions: list[VerdictAction] = field(default_factory=list)

    def log_bucket(self, bucket: str) -> LogBucket:
        if self.s3 is None:
            raise NotFoundError("no logs bucket is configured (set LOGS_BUCKET)")
        return LogBucket(self.s3, bucket)


READ_SHARE = 0.5


def build_store(settings: Settings, s3: S3Client | None = None) -> RecordStore:
    """The record store alone (the bucket when LOGS_BUCKET is set, else the local folder), for
    paths that need nothing else: the webhook route only checks, deduplicates and queues."""
    if settings.logs_bucket:
        return S3RecordStore(
            s3 if s3 is not None else s3_client(settings.region), settings.logs_bucket, settings.analysis_prefix
        )
    return LocalRecordStore(Path(settings.local_dir), settings.analysis_prefix)


def build_history(settings: Settings, s3: S3Client | None = None) -> OutcomeHistory:
    """The outcome history, beside the records: the bucket when LOGS_BUCKET is set, else the folder."""
    if settings.logs_bucket:
        return S3OutcomeHistory(s3 if s3 is not None else s3_client(settings.region), settings.logs_bucket)
    return LocalOutcomeHistory(Path(settings.local_dir))


def build_changes(settings: Settings) -> Changes | None:
    """What changed between two commits (GitHub's compare API), when GitHub is configured; its
    credentials are read by reference here, as build_services reads them."""
    if not settings.github_configured:
        return None
    from chalicelib.github.changes import commit_changes  # PyGithub only where GitHub is configured

    return commit_changes(settings.with_secrets(functools.partial(cached_secret, settings)))


def build_services(
    settings: Settings,
    s3: S3Client | None = None,
    remaining_ms: int | None = None,
    now: Clock = utc_now,
    sleep: Sleep = time.sleep,
) -> Services:
    """Services for ``settings``: the S3 bucket when LOGS_BUCKET is set, else the local folder.

    ``remaining_ms`` is the Lambda's remaining time; without it the analysis gets 30 seconds.
    ``now`` and ``sleep`` go to every part that reads the time or waits (actions, the model).
    """
    # Secrets given by reference (LLM_API_KEY_SECRET, ...) are read here, once per warm container.
    settings = settings.with_secrets(functools.partial(cached_secret, settings))
    store = build_store(settings, s3)
    caps: DailyCaps
    if settings.logs_bucket:
        s3 = s3 if s3 is not None else s3_client(settings.region)
        caps = S3DailyCaps(s3, settings.logs_bucket, settings.analysis_prefix)
    else:
        caps = LocalDailyCaps(Path(settings.local_dir), settings.analysis_prefix)
    actions = configured_actions(store, settings, caps, now, sleep)
    redactor = Redactor(settings.runtime_secrets(), READ_VALUES)
    services = Services(settings, store, actions, redactor, s3, now=now, sleep=sleep, caps=caps)
    services.history = build_history(settings, s3)
    services.verdict_actions = verdict_actions(store, settings, caps, now)
    if settings.github_configured:
        from chalicelib.github.issues import source_files  # PyGithub only where GitHub is configured

        services.read_files = functools.partial(source_files, settings)
        services.changes = build_changes(settings)
    if remaining_ms is not None:
        start = time.monotonic()
        services.deadline = start + remaining_ms / 1000
        # Reading and decompressing a log may take this share of the time, no more: a 9 MB gzip
        # of 3 GB of text is read as far as that goes (the record says so); the rest is left
        # for the model, the record and the actions.
        services.read_deadline = start + READ_SHARE * remaining_ms / 1000
    return services


def verdict_actions(
    store: RecordStore, settings: Settings, caps: DailyCaps, now: Clock = utc_now
) -> list[VerdictAction]:
    """What tells a failure's issue it is flaky, as ACTIONS_MODE and CHANNELS_OFF ask."""
    if settings.actions_mode == "off" or "github_issue" in settings.channels_off:
        return []
    if settings.actions_mode == "auto" and settings.github_configured:
        from chalicelib.github.acting import github_verdict_actions

        return github_verdict_actions(settings, caps, now=now)
    return [DryRunFlakyNote(store, settings, now)]


def configured_actions(
    store: RecordStore, settings: Settings, caps: DailyCaps, now: Clock = utc_now, sleep: Sleep = time.sleep
) -> list[Action]:
    """What ACTIONS_MODE asks for: live actions for what is configured (auto), drafts for the
    rest; the channels CHANNELS_OFF names are left out either way."""
    return [a for a in _actions(store, settings, caps, now, sleep) if a.kind not in settings.channels_off]


def _actions(store: RecordStore, settings: Settings, caps: DailyCaps, now: Clock, sleep: Sleep) -> list[Action]:
    if settings.actions_mode == "off":
        return []
    if settings.actions_mode == "dry-run":
        return dry_run_actions(store, settings, now)
    actions: list[Action] = []
    if settings.github_configured:
        # Imported here: PyGithub loads only where GitHub is configured (a cold start spares ~200 ms).
        from chalicelib.github.acting import github_actions

        actions.extend(github_actions(settings, caps, now=now))
    else:
        actions.extend(a for a in dry_run_actions(store, settings, now) if a.kind != "email")
    # Mail goes last, so it can link the issue and pull request opened just before.
    notifications = notification_actions(
        settings, lambda: ses_client(settings.ses_region or settings.region), sleep, now
    )
    if not settings.mail_configured:
        actions.append(DryRunEmail(store, settings, now))
    actions.extend(notifications)
    return actions
