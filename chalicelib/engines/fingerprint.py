"""A stable identity for "the same failure" across runs.

What varies between runs of the same failure (timestamps, durations, ids, temp paths, run
numbers, counts, line numbers of frames) is normalized away; what names the failure (the test,
the error message, the category) is kept.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable

_RULES: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(p, re.IGNORECASE), r)
    for p, r in (
        (r"\d{4}-\d\d-\d\d[T ]\d\d:\d\d:\d\d(?:[.,]\d+)?(?:Z|[+-]\d\d:?\d\d)?", "<ts>"),
        (r"\b\d{1,2}:\d\d:\d\d(?:[.,]\d+)?\b", "<time>"),
        (r"\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b", "<uuid>"),
        (r"\b0x[0-9a-f]+\b", "<hex>"),
        (r"\b(?=[0-9a-f]*\d)(?=[0-9a-f]*[a-f])[0-9a-f]{7,}\b", "<hex>"),
        (r"(?:/tmp|/var/folders|/private/var|[a-z]:\\users\\[^\\\s]+\\appdata\\local\\temp)[^\s'\":]*", "<tmp>"),
        (r"\btmp[\w.-]{4,}", "<tmp>"),
        (r"\b\d+(?:\.\d+)?\s?(?:ms|µs|us|ns|s|sec|secs|seconds?|m|min|mins|minutes?|h|hours?)\b", "<dur>"),
        (r"\(\d+(?:\.\d+)?\s?(?:ms|s)\)", "<dur>"),
        (r"\b\d+(?:\.\d+)?\s?(?:[kmgt]i?b|bytes)\b", "<size>"),
        # Counts ("3 failed", "12 passed"), not identifiers ("case 5 failed"): a count follows
        # no word of its own.
        (
            r"(?<![A-Za-z] )(?<![\w.])\d+\s+(?=(?:tests?|passed|failed|failing|errors?|warnings?|files?|examples?|"
            r"failures?|skipped|pending|assertions?|problems?|snapshots?|suites?|total)\b)",
            "<n> ",
        ),
        (r"\b(?:run|attempt|build|job|pid|#)\s?#?\d+\b", "<id>"),
        (r"<\d+\.\d+\.\d+>", "<pid>"),
        (r":\d+(?::\d+)?\b", ":<l>"),
        (r"\bline \d+\b", "line <l>"),
        # A line reference in a link or a link checker's report: "#L12", "[L0410]".
        (r"(?<=[#\[])L\d+\b", "L<l>"),
        (r"\d{5,}", "<num>"),
        (r"\s+", " "),
    )
)


def normalize(text: str) -> str:
    """The run-independent form of one log line."""
    for pattern, replacement in _RULES:
        text = pattern.sub(replacement, text)
    return text.strip()


def fingerprint(category: str, identity: Iterable[str], repo: str = "") -> str:
    """A 16-hex-digit id of the category, the repository and the failure's normalized identity
    (chalicelib.engines.explain: the failing test, or the error's kind, code, file and message)."""
    parts = [category, repo, *(normalize(part) for part in identity)]
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()[:16]
