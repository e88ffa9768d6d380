"""The hidden marker of a self-healing issue: the failure's fingerprint and its healing state."""

from __future__ import annotations

import json
import re
from dataclasses import asdict, dataclass

MARKER = re.compile(r"<!-- self-healing-ci fingerprint:([0-9a-f]{16}) state:(\{[^<>]*\}) -->")


@dataclass
class IssueState:
    """What the hidden marker of an issue remembers."""

    seen: int = 1
    attempts: int = 0
    pr: int | None = None
    base: str = ""
    analysis: str = ""
    healed: bool = False
    gave_up: bool = False
    last_comment: str = ""


def marker(fingerprint: str, state: IssueState) -> str:
    return f"<!-- self-healing-ci fingerprint:{fingerprint} state:{json.dumps(asdict(state), sort_keys=True)} -->"


def read_marker(body: str | None) -> tuple[str, IssueState] | None:
    """The fingerprint and state in an issue body, if it has a sound marker."""
    match = MARKER.search(body or "")
    if not match:
        return None
    try:
        data = json.loads(match.group(2))
        known = {k: v for k, v in data.items() if k in IssueState.__dataclass_fields__}
        return match.group(1), IssueState(**known)
    except (ValueError, TypeError):
        return match.group(1), IssueState()
