"""The daily digest: yesterday's failures by repository and category, what recurs, what healed,
which were flaky (not counted as regressions), and each repository's flaky tests to quarantine."""

from __future__ import annotations

import logging
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from chalicelib.actions.notify import mime_message, valid_addresses
from chalicelib.errors import AWS_ERRORS, ActionError, SelfHealingError, aws_code
from chalicelib.history.outcomes import OutcomeHistory
from chalicelib.render import render
from chalicelib.settings import Settings
from chalicelib.store.records import RecordStore

log = logging.getLogger(__name__)
LOOKBACK_DAYS = 7  # a fix usually heals days after its failure


@dataclass
class Digest:
    day: date
    total: int = 0
    by_repo: dict[str, Counter[str]] = field(default_factory=dict)
    top: list[tuple[str, int, str, str]] = field(default_factory=list)  # fingerprint, count, repo, summary
    healed: int = 0
    categories: Counter[str] = field(default_factory=Counter)
    flaky: int = 0  # failures found flaky: in the total, not among the regressions
    quarantine: dict[str, list[dict[str, Any]]] = field(default_factory=dict)  # repo -> its flakiest tests


QUARANTINE_TESTS = 5  # flaky tests listed per repository


def build_digest(store: RecordStore, day: date, history: OutcomeHistory | None = None) -> Digest:
    """Aggregate the records of ``day`` (and, with ``history``, the quarantine report of each
    repository seen); raises StorageError if the store can't be read."""
    digest = Digest(day)
    fingerprints: Counter[str] = Counter()
    about: dict[str, tuple[str, str]] = {}
    flaky_repos: set[str] = set()
    today = day.isoformat()
    for record in store.list_day(day):
        digest.total += 1
        digest.healed += (record.healing or {}).get("healed_at", "")[:10] == today
        repo = record.metadata.get("repo") or "unknown"
        if record.flaky:
            digest.flaky += 1
            flaky_repos.add(repo)
            continue
        digest.by_repo.setdefault(repo, Counter())[record.category] += 1
        digest.categories[record.category] += 1
        fingerprints[record.fingerprint] += 1
        about[record.fingerprint] = (repo, record.summary)
    digest.top = [(fp, n, *about[fp]) for fp, n in fingerprints.most_common(5)]
    if history is not None:
        _quarantine(digest, history, {*digest.by_repo, *flaky_repos} - {"unknown"})
    for back in range(1, LOOKBACK_DAYS):  # the day itself was read above
        for record in store.list_day(day - timedelta(days=back)):
            digest.healed += (record.healing or {}).get("healed_at", "")[:10] == today
    return digest


def _quarantine(digest: Digest, history: OutcomeHistory, repos: set[str]) -> None:
    """The flakiest tests of each repository the day saw, from its last quarantine report."""
    for repo in sorted(repos):
        try:
            report = history.get_report(repo) or {}
        except SelfHealingError as exc:  # the digest still goes out without the list
            log.warning("no quarantine report for %s: %s", repo, exc)
            continue
        tests = report.get("tests") or []
        if tests:
            digest.quarantine[repo] = tests[:QUARANTINE_TESTS]


def _render(digest: Digest) -> tuple[str, str, str]:
    flaky = f" ({digest.flaky} flaky)" if digest.flaky else ""
    subject = f"[CI digest] {digest.day.isoformat()}: {digest.total} failure(s){flaky}, {digest.healed} healed"
    return (subject, render("digest.txt.j2", d=digest), render("digest.html.j2", d=digest))


def send_digest(
    store: RecordStore, settings: Settings, ses: Any, day: date, history: OutcomeHistory | None = None
) -> dict[str, Any]:
    """Build and send (or, without mail settings, store a preview of) the digest of ``day``."""
    digest = build_digest(store, day, history)
    subject, text, html = _render(digest)
    if not settings.mail_configured:
        store.put_state(f"digests/{day.isoformat()}", {"subject": subject, "text": text, "html": html})
        return {"status": "dry_run", "failures": digest.total, "healed": digest.healed}
    extra = {"ConfigurationSetName": settings.ses_configuration_set} if settings.ses_configuration_set else {}
    try:
        to = valid_addresses(settings.mail_to)
        raw = mime_message(settings.mail_from, to, subject, text, html)
        ses.send_raw_email(Source=settings.mail_from, RawMessage={"Data": raw}, **extra)
    except AWS_ERRORS as exc:
        raise ActionError(f"SES refused the digest ({aws_code(exc)})") from exc
    return {"status": "sent", "failures": digest.total, "healed": digest.healed}


def yesterday(now: datetime) -> date:
    return (now - timedelta(days=1)).date()
