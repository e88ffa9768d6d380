"""Parse and check ``POST /analyze`` bodies before any analysis starts."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from chalicelib.errors import BadInputError, PayloadTooLargeError
from chalicelib.ingest.metadata import NO_FAILED_STEPS, FailedSteps, RunMetadata

_ALLOWED = {
    "log",
    "s3_key",
    "act",
    "repo",
    "sha",
    "branch",
    "run_id",
    "run_attempt",
    "run_url",
    "workflow",
    "job",
    "actor",
    "author_email",
    "failed_steps",
}
# How many unknown field names an error lists: a body of 200,000 keys gets a short answer.
_LISTED = 5
_ID = re.compile(r"[0-9]{8}-[0-9a-f]{16}")  # matched whole: "$" would let a final newline through


@dataclass(frozen=True)
class AnalyzeRequest:
    log: str | None
    s3_key: str | None
    metadata: RunMetadata
    act: bool
    failed_steps: FailedSteps = NO_FAILED_STEPS


def check_size(body: bytes, max_bytes: int) -> None:
    """Raise PayloadTooLargeError when ``body`` is over ``max_bytes``."""
    if len(body) > max_bytes:
        raise PayloadTooLargeError(f"request body is {len(body)} bytes; the limit is {max_bytes} (MAX_BODY_BYTES)")


def parse_analyze(body: bytes, max_bytes: int, logs_prefix: str = "logs/") -> AnalyzeRequest:
    """The request in ``body``; raises PayloadTooLargeError or BadInputError with a clear message."""
    check_size(body, max_bytes)
    if not body.strip():
        raise BadInputError('request body is empty; send JSON with "log" or "s3_key"')
    try:
        data: Any = json.loads(body)
    except (ValueError, UnicodeDecodeError) as exc:
        raise BadInputError(f"request body is not valid JSON: {exc}") from exc
    except RecursionError as exc:  # the decoder recurses once per nested array or object
        raise BadInputError("request body is nested too deeply; send a flat JSON object") from exc
    if not isinstance(data, dict):
        raise BadInputError("request body must be a JSON object")
    unknown = sorted(set(data) - _ALLOWED)
    if unknown:
        more = f" and {len(unknown) - _LISTED} more" if len(unknown) > _LISTED else ""
        listed = ", ".join(repr(name[:40]) for name in unknown[:_LISTED])
        raise BadInputError(f"unknown field(s): {listed}{more}; known: {', '.join(sorted(_ALLOWED))}")
    log, key = data.get("log"), data.get("s3_key")
    if (log is None) == (key is None):
        raise BadInputError('send exactly one of "log" (the log text) or "s3_key" (a key in the logs bucket)')
    if log is not None and (not isinstance(log, str) or not log.strip()):
        raise BadInputError('"log" must be a non-empty string')
    if log is not None:
        _check_unicode(log, "log")
    if key is not None:
        if not isinstance(key, str) or not key.startswith(logs_prefix) or ".." in key.split("/") or "\0" in key:
            raise BadInputError(f"\"s3_key\" must be a key under {logs_prefix!r} without '..' segments")
        _check_unicode(key, "s3_key")
    act = data.get("act", False)
    if not isinstance(act, bool):
        raise BadInputError('"act" must be true or false')
    meta_fields = {k: v for k, v in data.items() if k not in ("log", "s3_key", "act", "failed_steps")}
    steps = (
        FailedSteps.from_mapping({"failed_steps": data["failed_steps"]}) if "failed_steps" in data else NO_FAILED_STEPS
    )
    return AnalyzeRequest(log, key, RunMetadata.from_mapping(meta_fields), act, steps)


def _check_unicode(text: str, name: str) -> None:
    """Raise BadInputError when ``text`` holds a lone surrogate (JSON's "\\ud800" escape decodes to
    one): no UTF-8 text can hold it, so nothing downstream could store or show it."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise BadInputError(
            f'"{name}" holds an unpaired UTF-16 surrogate escape at character {exc.start}; send UTF-8 text'
        ) from exc


def check_analysis_id(analysis_id: str) -> str:
    """Raise BadInputError unless ``analysis_id`` has the form ``yyyymmdd-<16 hex>``."""
    if _ID.fullmatch(analysis_id) is None:
        raise BadInputError("analysis id must look like 20260101-0123456789abcdef")
    return analysis_id


_REPO_PART = re.compile(r"[\w.-]{1,100}")
MAX_WINDOW_DAYS = 90


def check_repo(owner: str, name: str) -> str:
    """``owner/name`` from a path's two parts; raises BadInputError for anything else."""
    if not (_REPO_PART.fullmatch(owner) and _REPO_PART.fullmatch(name)) or ".." in (owner, name):
        raise BadInputError("the repository must be owner/name (letters, digits, '.', '_' and '-')")
    return f"{owner}/{name}"


def window_days(value: str | None, default: int) -> int:
    """The ``days`` query parameter: a whole number from 1 to MAX_WINDOW_DAYS (``default`` when
    absent); raises BadInputError."""
    if value is None or value == "":
        return default
    if not value.isdigit() or not 1 <= int(value) <= MAX_WINDOW_DAYS:
        raise BadInputError(f"days must be a whole number from 1 to {MAX_WINDOW_DAYS}")
    return int(value)
