"""Analysis records for the dashboard: from the S3 bucket or a local folder, newest first, cached.

Records live at ``analysis/<yyyy>/<mm>/<dd>/<id>.json``. A page reads day partitions from the
newest back until it has what it shows; each day's summaries are cached (today's briefly, older
days longer), so a busy bucket with 100,000 records is not read on every request.
"""

from __future__ import annotations

import json
import re
import statistics
import threading
import time
from collections import Counter, OrderedDict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any, Protocol

# Matched whole (fullmatch): "$" would also let a final newline through.
_ID = re.compile(r"[0-9]{8}-[0-9a-f]{16}")
_DAY = re.compile(r"([0-9]{4})/([0-9]{2})/([0-9]{2})/?")


@dataclass(frozen=True)
class Row:
    """What lists and charts need of one record."""

    id: str
    created_at: datetime
    repo: str
    branch: str
    job: str
    category: str
    summary: str
    root_cause: str
    fingerprint: str
    status: str  # healed | flaky | fix proposed | issue open | analyzed
    issue_url: str = ""
    pr_url: str = ""
    healed_at: datetime | None = None

    @property
    def day(self) -> date:
        return self.created_at.date()


def _parse_time(value: str) -> datetime | None:
    try:
        parsed = datetime.fromisoformat(value)
    except (TypeError, ValueError):
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def summarize(record: dict[str, Any]) -> Row | None:
    """A record's row; None for anything that is not a sound record."""
    created = _parse_time(record.get("created_at", ""))
    if created is None or not _ID.fullmatch(str(record.get("id", ""))):
        return None
    meta = record.get("metadata") or {}
    issue = pr = ""
    for action in record.get("actions") or []:
        url = str(action.get("url", ""))
        if not url.startswith("https://"):
            continue  # only links the service got from GitHub, never drafts in S3
        if action.get("kind") == "github_issue" and action.get("status") in ("created", "updated"):
            issue = url
        if action.get("kind") == "github_pr" and action.get("status") == "created":
            pr = url
    healing = record.get("healing") or {}
    healed_at = _parse_time(healing.get("healed_at", "")) if healing.get("healed") else None
    flaky = bool(record.get("flaky"))
    status = (
        "healed" if healed_at else "flaky" if flaky else "fix proposed" if pr else "issue open" if issue else "analyzed"
    )
    return Row(
        id=record["id"],
        created_at=created,
        repo=str(meta.get("repo", "")),
        branch=str(meta.get("branch", "")),
        job=str(meta.get("job", "")),
        category=str(record.get("category", "unknown")),
        summary=str(record.get("summary", "")),
        root_cause=str(record.get("root_cause", "")),
        fingerprint=str(record.get("fingerprint", "")),
        status=status,
        issue_url=issue,
        pr_url=pr,
        healed_at=healed_at,
    )


class Source(Protocol):
    def days(self) -> list[date]: ...
    def records(self, day: date) -> Iterator[dict[str, Any]]: ...
    def record(self, analysis_id: str) -> dict[str, Any] | None: ...
    def flaky_report(self, repo: str) -> dict[str, Any] | None: ...


# A repository's quarantine report, as the service keeps it (chalicelib.history.outcomes.report_key).
_REPO = re.compile(r"[\w.-]{1,100}/[\w.-]{1,100}")


def _report_key(repo: str) -> str:
    return f"history/{repo}/flaky.json"


def _record_key(prefix: str, analysis_id: str) -> str:
    day = analysis_id[:8]
    return f"{prefix}{day[:4]}/{day[4:6]}/{day[6:8]}/{analysis_id}.json"


class LocalSource:
    """The demo's ``out/`` (or any folder in the bucket's layout)."""

    def __init__(self, root: Path, prefix: str = "analysis/") -> None:
        self.root, self.prefix = root, prefix

    def days(self) -> list[date]:
        base = self.root / self.prefix
        found = []
        for path in base.glob("[0-9][0-9][0-9][0-9]/[0-9][0-9]/[0-9][0-9]"):
            match = _DAY.fullmatch(str(path.relative_to(base)).replace("\\", "/"))
            if match and path.is_dir():
                found.append(date(*map(int, match.groups())))
        return sorted(found, reverse=True)

    def records(self, day: date) -> Iterator[dict[str, Any]]:
        for path in sorted((self.root / self.prefix / f"{day:%Y/%m/%d}").glob("*.json")):
            try:
                yield json.loads(path.read_text())
            except (OSError, ValueError):
                continue

    def record(self, analysis_id: str) -> dict[str, Any] | None:
        path = self.root / _record_key(self.prefix, analysis_id)
        if not _ID.fullmatch(analysis_id) or not path.is_file():
            return None
        data: dict[str, Any] = json.loads(path.read_text())
        return data

    def flaky_report(self, repo: str) -> dict[str, Any] | None:
        path = self.root / _report_key(repo)
        if not _REPO.fullmatch(repo) or ".." in repo.split("/") or not path.is_file():
            return None
        data: dict[str, Any] = json.loads(path.read_text())
        return data


def _missing(exc: Exception) -> bool:
    """Whether an S3 error means the object is not there (or not ours to read)."""
    code = getattr(exc, "response", {}).get("Error", {}).get("Code", "")
    return code in ("NoSuchKey", "404", "AccessDenied")


class S3Source:
    """The records in the logs bucket (read-only: the task role can read ``analysis/`` only)."""

    def __init__(self, s3: Any, bucket: str, prefix: str = "analysis/") -> None:
        self.s3, self.bucket, self.prefix = s3, bucket, prefix

    def _prefixes(self, prefix: str) -> list[str]:
        out: list[str] = []
        for page in self.s3.get_paginator("list_objects_v2").paginate(Bucket=self.bucket, Prefix=prefix, Delimiter="/"):
            out.extend(p["Prefix"] for p in page.get("CommonPrefixes", []))
        return out

    def days(self) -> list[date]:
        found = []
        for year in self._prefixes(self.prefix):
            for month in self._prefixes(year):
                for day in self._prefixes(month):
                    match = _DAY.fullmatch(day[len(self.prefix) :])
                    if match:
                        found.append(date(*map(int, match.groups())))
        return sorted(found, reverse=True)

    def records(self, day: date) -> Iterator[dict[str, Any]]:
        prefix = f"{self.prefix}{day:%Y/%m/%d}/"
        for page in self.s3.get_paginator("list_objects_v2").paginate(Bucket=self.bucket, Prefix=prefix):
            for obj in page.get("Contents", []):
                name = obj["Key"][len(prefix) :]
                if "/" in name or not name.endswith(".json"):
                    continue  # drafts and state live in subfolders
                body = self.s3.get_object(Bucket=self.bucket, Key=obj["Key"])["Body"].read()
                try:
                    yield json.loads(body)
                except ValueError:
                    continue

    def record(self, analysis_id: str) -> dict[str, Any] | None:
        if not _ID.fullmatch(analysis_id):
            return None
        try:
            body = self.s3.get_object(Bucket=self.bucket, Key=_record_key(self.prefix, analysis_id))["Body"].read()
        except Exception as exc:
            if _missing(exc):
                return None
            raise
        data: dict[str, Any] = json.loads(body)
        return data

    def flaky_report(self, repo: str) -> dict[str, Any] | None:
        if not _REPO.fullmatch(repo) or ".." in repo.split("/"):
            return None
        try:
            body = self.s3.get_object(Bucket=self.bucket, Key=_report_key(repo))["Body"].read()
        except Exception as exc:
            if _missing(exc):
                return None
            raise
        data: dict[str, Any] = json.loads(body)
        return data


@dataclass(frozen=True)
class Filters:
    repo: str = ""
    category: str = ""
    status: str = ""

    def match(self, row: Row) -> bool:
        return (
            (not self.repo or row.repo == self.repo)
            and (not self.category or row.category == self.category)
            and (not self.status or row.status == self.status)
        )


@dataclass
class Trends:
    days: list[date]
    per_day: dict[date, Counter[str]]
    top: list[tuple[str, int, str, str, str]]  # fingerprint, count, repo, summary, latest id
    proposed: int
    healed: int
    median_hours_to_heal: float | None
    categories: list[str] = field(default_factory=list)
    flaky: int = 0  # failures found flaky: not in the counts above

    @property
    def total(self) -> int:
        return sum(sum(counts.values()) for counts in self.per_day.values())

    @property
    def heal_rate(self) -> float | None:
        return self.healed / self.proposed if self.proposed else None


class Records:
    """Cached, newest-first access to the rows and records of a source."""

    def __init__(
        self,
        source: Source,
        today_ttl: float = 30.0,
        past_ttl: float = 600.0,
        clock: Callable[[], float] = time.monotonic,
        today: Callable[[], date] | None = None,
    ) -> None:
        self.source = source
        self._ttl = (today_ttl, past_ttl)
        self._clock = clock
        self._today = today or (lambda: datetime.now(UTC).date())
        self._days: tuple[float, list[date]] | None = None
        self._rows: dict[date, tuple[float, list[Row]]] = {}
        self._records: OrderedDict[str, dict[str, Any]] = OrderedDict()
        self._lock = threading.Lock()

    def days(self) -> list[date]:
        now = self._clock()
        if self._days is None or now - self._days[0] > self._ttl[0]:
            self._days = (now, self.source.days())
        return self._days[1]

    def rows(self, day: date) -> list[Row]:
        now = self._clock()
        ttl = self._ttl[0] if day >= self._today() - timedelta(days=1) else self._ttl[1]
        with self._lock:
            cached = self._rows.get(day)
            if cached and now - cached[0] <= ttl:
                return cached[1]
        rows = sorted(
            (r for r in map(summarize, self.source.records(day)) if r), key=lambda r: r.created_at, reverse=True
        )
        with self._lock:
            self._rows[day] = (now, rows)
        return rows

    def recent(self, filters: Filters, page: int, per_page: int = 25) -> tuple[list[Row], bool]:
        """One page of rows, newest first, and whether there is a next page."""
        wanted = page * per_page + 1
        found: list[Row] = []
        for day in self.days():
            found.extend(r for r in self.rows(day) if filters.match(r))
            if len(found) >= wanted:
                break
        start = (page - 1) * per_page
        return found[start : start + per_page], len(found) > page * per_page

    def count(self, filters: Filters, days: int = 30) -> int:
        """How many rows match ``filters`` in the last ``days`` days (their partitions are cached)."""
        return sum(1 for row in self.window(days) if filters.match(row))

    def window(self, days: int) -> list[Row]:
        since = self._today() - timedelta(days=days - 1)
        return [r for day in self.days() if day >= since for r in self.rows(day)]

    def record(self, analysis_id: str) -> dict[str, Any] | None:
        with self._lock:
            if analysis_id in self._records:
                self._records.move_to_end(analysis_id)
                return self._records[analysis_id]
        record = self.source.record(analysis_id)
        if record is not None:
            with self._lock:
                self._records[analysis_id] = record
                while len(self._records) > 256:
                    self._records.popitem(last=False)
        return record

    def flaky_report(self, repo: str) -> dict[str, Any] | None:
        """The repository's quarantine report, as the service last wrote it (None: none yet)."""
        return self.source.flaky_report(repo)

    def occurrences(self, row: Row, days: int = 30, limit: int = 20) -> list[Row]:
        same = [r for r in self.window(days) if r.fingerprint == row.fingerprint and r.repo == row.repo]
        return [r for r in same if r.id != row.id][:limit]

    def facets(self, days: int = 30) -> tuple[list[str], list[str]]:
        rows = self.window(days)
        return sorted({r.repo for r in rows if r.repo}), sorted({r.category for r in rows})

    def trends(self, days: int = 30) -> Trends:
        today = self._today()
        span = [today - timedelta(days=n) for n in range(days - 1, -1, -1)]
        rows = self.window(days)
        per_day: dict[date, Counter[str]] = {d: Counter() for d in span}
        fingerprints: Counter[tuple[str, str]] = Counter()
        latest: dict[tuple[str, str], Row] = {}
        flaky = 0
        for row in rows:
            if row.status == "flaky":
                flaky += 1  # passed on a re-run or known flaky: no regression to chart
                continue
            if row.day in per_day:
                per_day[row.day][row.category] += 1
            key = (row.repo, row.fingerprint)
            fingerprints[key] += 1
            if key not in latest or row.created_at > latest[key].created_at:
                latest[key] = row
        top = [
            (fp, n, repo, latest[(repo, fp)].summary, latest[(repo, fp)].id)
            for (repo, fp), n in fingerprints.most_common(8)
        ]
        proposed = [r for r in rows if r.status in ("fix proposed", "healed")]
        healed = [r for r in proposed if r.healed_at]
        hours = [(r.healed_at - r.created_at).total_seconds() / 3600 for r in healed if r.healed_at]
        categories = sorted({c for counts in per_day.values() for c in counts})
        return Trends(
            span,
            per_day,
            top,
            len(proposed),
            len(healed),
            statistics.median(hours) if hours else None,
            categories,
            flaky,
        )
