"""What a log is about: repository, commit, branch, run, workflow, job.

Three sources, later ones filling only what earlier ones left empty: the request or the S3
object metadata, a sidecar ``<key>.json``, the key itself
(``logs/<owner>/<repo>/<run_id>-<attempt>-<job>.log[.gz]``) and the first lines of the log.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, fields, replace
from datetime import UTC, datetime, timedelta
from typing import Any

import re2

from chalicelib.errors import BadInputError

_KEY = re.compile(
    r"^(?P<prefix>[^/]+)/(?P<owner>[^/]+)/(?P<repo>[^/]+)/"
    r"(?P<run_id>\d+)-(?P<attempt>\d+)-(?P<job>[^/]+?)(?P<kind>\.success\.json|\.log(?:\.gz)?|\.zip|\.json)$"
)
_SHA = re.compile(r"\b[0-9a-f]{40}\b")
# Where CI systems print the commit, branch and repository near a log's start. Each pattern is
# searched only when the head holds one of its words (found in one RE2 pass over the head's bytes,
# a third of the time of a substring search per word), and most heads hold few of them.
_SHA_VARS = ("GITHUB_SHA", "CI_COMMIT_SHA", "TRAVIS_COMMIT", "GIT_COMMIT")
_BRANCH_VARS = ("GITHUB_REF_NAME", "CI_COMMIT_REF_NAME", "TRAVIS_BRANCH", "BRANCH_NAME")
_REPO_VARS = ("GITHUB_REPOSITORY", "TRAVIS_REPO_SLUG", "CI_PROJECT_PATH")
_HINTS: tuple[tuple[str, tuple[str, ...], re.Pattern[str]], ...] = (
    ("sha", ("HEAD is now at",), re.compile(r"HEAD is now at ([0-9a-f]{7,40})")),
    ("sha", ("git checkout",), re.compile(r"git checkout -qf ([0-9a-f]{40})")),
    ("sha", _SHA_VARS, re.compile(rf"^\s*(?:{'|'.join(_SHA_VARS)})=([0-9a-f]{{40}})", re.M)),
    ("branch", _BRANCH_VARS, re.compile(rf"^\s*(?:{'|'.join(_BRANCH_VARS)})=(\S+)", re.M)),
    ("branch", ("git clone",), re.compile(r"git clone .*--branch=(\S+)")),
    ("repo", _REPO_VARS, re.compile(rf"^\s*(?:{'|'.join(_REPO_VARS)})=([\w.-]+/[\w.-]+)", re.M)),
    ("repo", ("git clone",), re.compile(r"git clone .*github\.com/([\w.-]+/[\w.-]+?)(?:\.git)?\s")),
)
_SAFE_VALUE = re.compile(r"^[\w .:/@#+=,()\[\]-]{0,300}$")
# One rule per field, whatever the source (request, S3 metadata, sidecar, key, log head): values
# end up in issue titles, comments, branch names and links. A branch is a git ref name as
# ``git check-ref-format`` takes it, without the characters Markdown or a shell would read.
_FIELD_RULES = {
    "repo": re.compile(r"^[\w.-]{1,100}/[\w.-]{1,100}$"),
    "sha": re.compile(r"^[0-9a-fA-F]{7,64}$"),
    "branch": re.compile(r"^(?![./-])(?!.*(?:\.\.|//|@\{|\.lock$|[./]$))[\w./@+-]{1,255}$"),
    "run_id": re.compile(r"^\d{1,20}$"),
    "run_attempt": re.compile(r"^\d{1,6}$"),
    "pull_request": re.compile(r"^\d{1,9}$"),
    "run_url": re.compile(r"^https?://[\w.:/@#+=,()%~-]{1,300}$"),
    "author_email": re.compile(r"^[\w.+-]{1,64}@[\w-]+(?:\.[\w-]+)+$"),
}
# The branches the service's fix pull requests come from (github.issues names them).
HEALING_BRANCH_PREFIX = "self-healing/"
# S3 object metadata uses dashes, JSON bodies underscores; both spellings are accepted.
ALIASES = {
    "run-id": "run_id",
    "run-url": "run_url",
    "run-attempt": "run_attempt",
    "author-email": "author_email",
    "pull-request": "pull_request",
}


@dataclass(frozen=True)
class RunMetadata:
    repo: str = ""
    sha: str = ""
    branch: str = ""
    run_id: str = ""
    run_attempt: str = ""
    run_url: str = ""
    workflow: str = ""
    job: str = ""
    actor: str = ""
    author_email: str = ""
    pull_request: str = ""  # the number of the pull request the run belongs to
    status: str = "failure"

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any]) -> RunMetadata:
        """Take the known fields of ``data`` (S3 metadata, sidecar or request body).

        Raises BadInputError when a value is not a short plain string.
        """
        known = {f.name for f in fields(cls)}
        values: dict[str, str] = {}
        for raw_name, value in data.items():
            name = ALIASES.get(raw_name.lower(), raw_name.lower().replace("-", "_"))
            if name not in known or value is None or value == "":
                continue
            if isinstance(value, bool) or not isinstance(value, (str, int)):
                raise BadInputError(f"metadata field {raw_name!r} must be a string")
            text = str(value).strip()
            if not valid_value(name, text):
                raise BadInputError(f"metadata field {raw_name!r} has unexpected characters")
            values[name] = text
        return cls(**values)

    def merged(self, other: RunMetadata) -> RunMetadata:
        """Fill this object's empty fields from ``other``."""
        updates = {k: v for k, v in other.to_dict().items() if v and not getattr(self, k)}
        updates.pop("status", None)
        return replace(self, **updates)

    def to_dict(self) -> dict[str, str]:
        # Flat strings: no deep copy (dataclasses.asdict copies each value, 10x the time).
        return {f.name: getattr(self, f.name) for f in _FIELDS}


_FIELDS = fields(RunMetadata)


def valid_value(name: str, text: str) -> bool:
    """Whether ``text`` may stand in metadata field ``name`` (empty is always valid)."""
    if not text:
        return True
    rule = _FIELD_RULES.get(name)
    return _SAFE_VALUE.match(text) is not None and (rule is None or rule.match(text) is not None)


def _kept(values: Mapping[str, str]) -> RunMetadata:
    """The values that pass their field's rule; the others are dropped (text nobody vouches for)."""
    return RunMetadata(**{k: v for k, v in values.items() if valid_value(k, v)})


def parse_key(key: str) -> RunMetadata:
    """Derive what the upload contract's key says; an odd key (or value) yields empty fields."""
    match = _KEY.match(key)
    if not match:
        return RunMetadata()
    status = "success" if match["kind"] == ".success.json" else "failure"
    return _kept(
        {
            "repo": f"{match['owner']}/{match['repo']}",
            "run_id": match["run_id"],
            "run_attempt": match["attempt"],
            "job": match["job"],
            "status": status,
        }
    )


def is_sidecar(key: str) -> bool:
    """Whether ``key`` is metadata for another object rather than a log."""
    return key.endswith(".json") and not key.endswith(".success.json")


def is_success_record(key: str) -> bool:
    return key.endswith(".success.json")


def is_green_log(key: str) -> bool:
    """Whether ``key`` is a successful run's log kept as a baseline (``.../green/...``)."""
    return "/green/" in key


def green_log_keys(prefix: str, metadata: RunMetadata) -> list[str]:
    """Where the latest successful log of the same repository, workflow and job is kept.

    ``logs/<owner>/<repo>/green/<workflow>/<job>.log.gz`` (or ``.log``); empty without repo and job.
    """
    if not metadata.repo or not metadata.job or ".." in metadata.repo.split("/"):
        return []
    base = f"{prefix}{metadata.repo}/green/{metadata.workflow or '_'}/{metadata.job}"
    return [f"{base}.log.gz", f"{base}.log"]


# The steps of a GitHub Actions job that GitHub concluded failed, as S3 object metadata carries
# them (``failed-steps``): each step's ISO 8601 ``started_at/completed_at``, comma-separated.
FAILED_STEPS_FIELD = "failed-steps"
MAX_FAILED_STEPS = 4
# Log lines carry the runner's time to the 100 ns, the steps GitHub's to the second (and
# either may round): a step's window is widened by this much on each side.
STEP_SLACK = timedelta(seconds=1)


@dataclass(frozen=True)
class FailedSteps:
    """When the steps GitHub concluded failed ran (UTC), for telling them from steps that failed
    but were allowed to (``continue-on-error``): the job's log shows both alike."""

    windows: tuple[tuple[datetime, datetime], ...] = ()

    @classmethod
    def of(cls, windows: Iterable[tuple[datetime, datetime]]) -> FailedSteps:
        """The first MAX_FAILED_STEPS windows, in UTC (a time without a zone is taken as UTC)."""
        kept = [(_utc(start), _utc(end)) for start, end in windows][:MAX_FAILED_STEPS]
        return cls(tuple(kept))

    @classmethod
    def parse(cls, text: str, name: str = FAILED_STEPS_FIELD) -> FailedSteps:
        """Read ``encode``'s form. Raises BadInputError, naming the field ``name``, for anything
        else or an end before its start."""
        windows: list[tuple[datetime, datetime]] = []
        for part in filter(None, (p.strip() for p in text.split(","))):
            start, slash, end = part.partition("/")
            try:
                window = (_utc(datetime.fromisoformat(start)), _utc(datetime.fromisoformat(end)))
            except ValueError:
                window = None
            if not slash or window is None:
                raise BadInputError(f"{name} must be ISO 8601 started_at/completed_at pairs, not {part[:60]!r}")
            if window[1] < window[0]:
                raise BadInputError(f"{name}: a step ends before it starts ({part[:60]!r})")
            windows.append(window)
        if len(windows) > MAX_FAILED_STEPS:
            raise BadInputError(f"{name} lists {len(windows)} steps; at most {MAX_FAILED_STEPS}")
        return cls(tuple(windows))

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any]) -> FailedSteps:
        """The ``failed-steps`` (or ``failed_steps``) field of S3 metadata; empty without one.
        Raises BadInputError as ``parse`` does."""
        for name, value in data.items():
            if name.lower().replace("_", "-") == FAILED_STEPS_FIELD:
                if not isinstance(value, str):
                    raise BadInputError(f"metadata field {name!r} must be a string")
                return cls.parse(value, name)
        return cls()

    def encode(self) -> str:
        """``2026-09-26T10:00:02Z/2026-09-26T10:01:00Z,...``, to the second (ASCII, as S3 metadata
        takes it; the slack ``seconds`` adds covers the fraction)."""
        return ",".join(f"{start:%Y-%m-%dT%H:%M:%SZ}/{end:%Y-%m-%dT%H:%M:%SZ}" for start, end in self.windows)

    def seconds(self) -> list[tuple[bytes, bytes]]:
        """Each window widened by STEP_SLACK, as the excerpt compares log lines' times: UTC
        ``YYYY-MM-DDTHH:MM:SS`` bytes."""
        return [
            (f"{start - STEP_SLACK:%Y-%m-%dT%H:%M:%S}".encode(), f"{end + STEP_SLACK:%Y-%m-%dT%H:%M:%S}".encode())
            for start, end in self.windows
        ]


NO_FAILED_STEPS = FailedSteps()


def _utc(moment: datetime) -> datetime:
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


@functools.cache
def _hint_words() -> re2._Regexp:
    words = sorted({word for _, hinted, _ in _HINTS for word in hinted})
    return re2.compile("|".join(re.escape(word) for word in words))


def from_log_head(head: str) -> RunMetadata:
    """Commit, branch and repository as CI systems print them near the start of a log.

    The log is text anyone who can push can write: values that break their field's rule are
    dropped, and so is a branch of the service's own fixes (only an upload's key or metadata may
    say a run is a healing attempt).
    """
    found: dict[str, str] = {}
    present = {match.group().decode() for match in _hint_words().finditer(head.encode())}
    for name, words, hint in _HINTS:
        if name in found or not present.intersection(words):
            continue
        match = hint.search(head)
        if match and valid_value(name, match.group(1)):
            found[name] = match.group(1)
    if found.get("branch", "").startswith(HEALING_BRANCH_PREFIX):
        del found["branch"]
    return RunMetadata(**found)
