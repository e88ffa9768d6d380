"""The analysis record: what was found, how, and what was done about it."""

from __future__ import annotations

import functools
import hashlib
import json
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from importlib import resources
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import jsonschema


SCHEMA_VERSION = 1


@dataclass
class ActionResult:
    kind: str  # github_issue | github_pr | email
    target: str
    status: str  # dry_run | created | updated | failed | skipped
    url: str = ""
    detail: str = ""
    at: str = ""


@dataclass
class Analysis:
    id: str
    created_at: str
    source: dict[str, Any]
    metadata: dict[str, str]
    category: str
    fingerprint: str
    summary: str
    root_cause: str
    evidence: list[dict[str, Any]]
    suggested_fix: str
    confidence: float
    engine: dict[str, Any]
    tokens: dict[str, int]
    cost_usd: float
    excerpt: dict[str, Any]
    edits: list[dict[str, str]] = field(default_factory=list)
    fix_plan: dict[str, str] | None = None
    actions: list[ActionResult] = field(default_factory=list)
    status: str = "acting"
    healing: dict[str, Any] | None = None
    occurrences: int = 1
    # The ids of the tests the log reports failing.
    tests: list[str] = field(default_factory=list)
    # Set when the outcome history shows the failure is flaky (chalicelib.history.flaky.verdict).
    flaky: dict[str, Any] | None = None
    schema_version: int = SCHEMA_VERSION

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2, ensure_ascii=False, sort_keys=True)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Analysis:
        values = dict(data)
        values["actions"] = [ActionResult(**a) for a in values.get("actions", [])]
        return cls(**values)

    def same_finding(self) -> dict[str, Any]:
        """The fields that depend only on the log and its metadata (not on when or how it arrived)."""
        keys = (
            "category",
            "fingerprint",
            "summary",
            "root_cause",
            "evidence",
            "suggested_fix",
            "confidence",
            "edits",
            "fix_plan",
            "excerpt",
        )
        return {k: getattr(self, k) for k in keys}


# The clock and the sleep every time-dependent part takes as an argument (services.py passes
# one of each), so tests can inject them.
Clock = Callable[[], datetime]
Sleep = Callable[[float], None]


def utc_now() -> datetime:
    """The wall clock, in UTC (the default Clock)."""
    return datetime.now(UTC)


def make_id(when: datetime, *identity: str) -> str:
    """``<yyyymmdd>-<16 hex>``: a deterministic id whose date names the record's partition."""
    digest = hashlib.sha256("\0".join(identity).encode()).hexdigest()[:16]
    return f"{when:%Y%m%d}-{digest}"


def record_key(prefix: str, analysis_id: str) -> str:
    """``analysis/<yyyy>/<mm>/<dd>/<id>.json`` for an id made by make_id."""
    day = analysis_id[:8]
    return f"{prefix}{day[:4]}/{day[4:6]}/{day[6:8]}/{analysis_id}.json"


@functools.lru_cache(maxsize=1)
def schema() -> dict[str, Any]:
    text = resources.files("chalicelib").joinpath("schemas/analysis.schema.json").read_text()
    loaded: dict[str, Any] = json.loads(text)
    return loaded


@functools.lru_cache(maxsize=1)
def _validator() -> jsonschema.protocols.Validator:
    # Built once: jsonschema.validate() checks the schema itself on every call, which cost more
    # than the whole offline analysis of a log.
    import jsonschema  # only where records are written: reading one needs no validator

    cls = jsonschema.validators.validator_for(schema())
    cls.check_schema(schema())
    validator: jsonschema.protocols.Validator = cls(schema())
    return validator


def validate(data: dict[str, Any]) -> None:
    """Raise jsonschema.ValidationError when ``data`` is not a valid analysis record."""
    import jsonschema

    error = jsonschema.exceptions.best_match(_validator().iter_errors(data))
    if error is not None:
        raise error
