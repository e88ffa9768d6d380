"""The daily digest: yesterday's failures by repository and category, what recurs, what healed."""

from __future__ import annotations

import logging
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from chalicelib.actions.notify import mime_message, valid_addresses
from chalicelib.errors import AWS_ERRORS, ActionError, aws_code
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


def build_digest(store: RecordStore, day: date) -> Digest:
    """Aggregate the records of ``day``; raises StorageError if the store can't be read."""
    digest = Digest(day)
    fingerprints: Counter[str] = Counter()
    about: dict[str, tuple[str, str]] = {}
    today = day.isoformat()
    for record in store.list_day(day):
        digest.total += 1
        digest.healed += (record.healing or {}).get("healed_at", "")[:10] == today
        repo = record.metadata.get("repo") or "unknown"
        digest.by_repo.setdefault(repo, Counter())[record.category] += 1
        digest.categories[record.category] += 1
        fingerprints[record.fingerprint] += 1
        about[record.fingerprint] = (repo, record.summary)
    digest.top = [(fp, n, *about[fp]) for fp, n in fingerprints.most_common(5)]
    for back in range(1, LOOKBACK_DAYS):  # the day itself was read above
        for record in store.list_day(day - timedelta(days=back)):
            digest.healed += (record.healing or {}).get("healed_at", "")[:10] == today
    return digest


def _render(digest: Digest) -> tuple[str, str, str]:
    subject = f"[CI digest] {digest.day.isoformat()}: {digest.total} failure(s), {digest.healed} healed"
    return (subject, render("digest.txt.j2", d=digest), render("digest.html.j2", d=digest))


def send_digest(store: RecordStore, settings: Settings, ses: Any, day: date) -> dict[str, Any]:
    """Build and send (or, without mail settings, store a preview of) the digest of ``day``."""
    digest = build_digest(store, day)
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
