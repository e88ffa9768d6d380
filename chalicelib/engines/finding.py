"""What the offline engine finds, and the helpers that word it.

chalicelib.engines.explain fills the sentences of ``templates/heuristic_messages.json`` with the fields
of the decisive failure statement; these helpers load, fill and cut them.
"""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass, field
from importlib import resources
from typing import Any

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
    category: str = "unknown"
    # What identifies this failure across runs (chalicelib.engines.fingerprint hashes it).
    identity: list[str] = field(default_factory=list)
    # The ids of the tests the log reports failing (the flaky-test history is kept by them).
    tests: list[str] = field(default_factory=list)


@functools.lru_cache(maxsize=1)
def messages() -> dict[str, dict[str, str]]:
    """The engine's sentence templates, by category key and variant."""
    text = resources.files("chalicelib").joinpath("templates/heuristic_messages.json").read_text()
    data: dict[str, dict[str, str]] = json.loads(text)
    return data


def shortened(text: str) -> str:
    """``text`` on one line, its spaces collapsed, cut at a word's end within MAX_MESSAGE characters."""
    text = " ".join(text.split())
    if len(text) <= MAX_MESSAGE:
        return text
    cut = text[: MAX_MESSAGE - 2]
    space = cut.rfind(" ")
    # A word is never cut in half; a line with no space near its end loses its last word.
    return (cut[:space] if space > MAX_MESSAGE // 2 else cut).rstrip(" ,;:") + " …"


def sentence(key: str, variant: str, **values: Any) -> str:
    """The ``variant`` sentence of category ``key``, filled with ``values`` (each shortened).

    Raises KeyError for a key, variant or placeholder the templates lack.
    """
    template = messages()[key][variant]
    return template.format(**{k: shortened(str(v)) for k, v in values.items()})


def evidence_lines(*found: tuple[int, str] | None) -> list[tuple[int, str]]:
    """The given (line number, text) pairs, None left out, each line once, in line order."""
    seen: dict[int, str] = {}
    for item in found:
        if item:
            seen.setdefault(item[0], item[1])
    return sorted(seen.items())
