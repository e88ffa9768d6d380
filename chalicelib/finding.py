"""What the offline engine finds, and the helpers its rules share to read lines and word it.

Each rule (chalicelib.heuristic, chalicelib.build_rules) reads the excerpt's numbered lines and
fills the sentences of ``templates/heuristic_messages.json`` for its category.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from importlib import resources
from typing import Any

Lines = Sequence[tuple[int, str]]
MAX_MESSAGE = 300


@dataclass
class Finding:
    """A rule's answer: what failed, why, the fix, how sure, and the lines that show it."""

    summary: str
    root_cause: str
    suggested_fix: str
    confidence: float
    evidence: list[tuple[int, str]]
    edits: list[dict[str, str]] = field(default_factory=list)
    fix_plan: dict[str, str] | None = None


# A category's rule: (the excerpt's lines, the lines that decided the category, the failing
# step) -> its finding, or None to leave the category to the generic rule.
Handler = Callable[[Lines, Lines, str], "Finding | None"]


@functools.lru_cache(maxsize=1)
def _messages() -> dict[str, dict[str, str]]:
    text = resources.files("chalicelib").joinpath("templates/heuristic_messages.json").read_text()
    data: dict[str, dict[str, str]] = json.loads(text)
    return data


def first_match(lines: Lines, pattern: re.Pattern[str]) -> tuple[int, str, re.Match[str]] | None:
    """(line number, text, match) of the first line ``pattern`` is found in, if any."""
    for lineno, text in lines:
        match = pattern.search(text)
        if match:
            return lineno, text, match
    return None


def shortened(text: str) -> str:
    """``text`` on one line, its spaces collapsed, cut at MAX_MESSAGE characters."""
    text = " ".join(text.split())
    return text if len(text) <= MAX_MESSAGE else text[: MAX_MESSAGE - 1] + "…"


_ASSERT_MESSAGE = tuple(
    re.compile(p)
    for p in (
        r"^E\s+(\S.*)$",
        r"((?:\w+\.)*AssertionError\b.*)$",
        r"panicked at '?(.+?)'?(?:, \S+:\d+:\d+)?$",
        r"(Failed asserting .*)$",
        r"^\s*(Expected\b.*)$",
        r"(expected .{1,120} (?:but|got) .*)$",
        r"((?:\w+\.)*\w+(?:Error|Exception)\b:.*)$",
    )
)
_RECEIVED = re.compile(r"^\s*(?:Received|Actual)\b.*$")
PYTEST_E = re.compile(r"^E\s+")


def error_message(lines: Lines, fallback: Lines) -> tuple[int, str] | None:
    """The line that says what went wrong, shortened, and its number.

    An assertion or an exception (Jest's Expected with its Received); else the first non-blank
    ``fallback`` line.
    """
    for pattern in _ASSERT_MESSAGE:
        found = first_match(lines, pattern)
        if found:
            text = found[2].group(1)
            if text.startswith("Expected"):
                received = first_match([(n, t) for n, t in lines if found[0] < n <= found[0] + 3], _RECEIVED)
                if received:
                    text = f"{text.strip()}, {received[1].strip()}"
            return found[0], shortened(text)
    for lineno, text in fallback:
        if text.strip():
            return lineno, shortened(PYTEST_E.sub("", text))
    return None


def sentence(key: str, variant: str, **values: Any) -> str:
    """The ``variant`` sentence of category ``key``, filled with ``values`` (each shortened).

    Raises KeyError for a key, variant or placeholder the templates lack.
    """
    template = _messages()[key][variant]
    return template.format(**{k: shortened(str(v)) for k, v in values.items()})


def evidence_lines(*found: tuple[int, str] | None) -> list[tuple[int, str]]:
    """The given (line number, text) pairs, None left out, each line once, in line order."""
    seen: dict[int, str] = {}
    for item in found:
        if item:
            seen.setdefault(item[0], item[1])
    return sorted(seen.items())


def generic_finding(key: str, message: tuple[int, str] | None, confidence: float) -> Finding:
    """Category ``key``'s finding that only quotes ``message``: for when no rule knows more."""
    values = dict(message=message[1].strip() if message else "no error line was found")
    return Finding(
        sentence(key, "summary", **values),
        sentence(key, "root_cause", **values),
        sentence(key, "fix", **values),
        confidence,
        evidence_lines(message),
    )
