"""The offline engine: a specific root cause and, where one is deterministic, a fix.

It reads the excerpt's lines with rules per category (which test failed and why, which module
is missing, which lint rule at which place) and fills the sentences of
``templates/heuristic_messages.json``. No network, no key, same answer every time.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from chalicelib.build_rules import HANDLERS as BUILD_HANDLERS
from chalicelib.classify import Classification
from chalicelib.finding import (
    Finding,
    Handler,
    Lines,
    error_message,
    evidence_lines,
    first_match,
    generic_finding,
    sentence,
    shortened,
)

_TEST_NAME = tuple(
    re.compile(p)
    for p in (
        r"FAILED (\S+::\S+)",
        r"--- FAIL: (\S+)",
        r"^_{3,} (\S.*?) _{3,}$",
        r"^\s*● (.+?)\s*$",
        r"^(\w+)\(([\w.$]+)\)\s+Time elapsed.*<<< (?:FAILURE|ERROR)!",
        r"^---- (\S+) stdout ----",
        r"test (\S+) \.\.\. FAILED",
        r"^\s*FAIL:? (\S+)",
        r"^\s*\d+\) (\S.*)$",
        r"not ok \d+ - (.+)$",
    )
)
_VARIABLE = tuple(
    re.compile(p)
    for p in (
        r"KeyError: '([A-Z][A-Z0-9_]{2,})'",
        r"\b([A-Z][A-Z0-9_]{2,}) (?:is not set|is required|must be set|is empty|not found in environment)",
        r"(?:environment variable|env var|secret)s? [`'\"]?([A-Z][A-Z0-9_]{2,})",
        r"Input required and not supplied: (\S+)",
    )
)
_HOST = tuple(
    re.compile(p)
    for p in (
        r"host='([^']+)'",
        r"Could not resolve host:? ([\w.-]+)",
        r"https?://([\w.-]+)",
        r"(?:connect|connection) to ([\w.-]+\.\w+)",
        r"getaddrinfo \w+ ([\w.-]+)",
    )
)
_MEMORY = re.compile(r"(?i)out of memory|OOMKilled|\bKilled\b|exit code 137|MemoryError|Cannot allocate memory")
_STEP = tuple(
    re.compile(p)
    for p in (
        r"The command \"(.+)\" (?:exited|failed)",
        r"^Run (.+)$",
        r"^\$ (.+)$",
        r"^===== (?:.*/)?\d+_(.+)\.txt =====$",
    )
)


def step_name(lines: Lines, failing_step_start: int | None) -> str:
    """The failing step or command as the log names it."""
    ordered = sorted(lines, key=lambda nt: (nt[0] != failing_step_start, nt[0]))
    for pattern in _STEP:
        found = first_match(ordered, pattern)
        if found:
            return shortened(found[2].group(1))[:120]
    return "the failing command"


def analyze_offline(
    lines: Lines,
    classification: Classification,
    anchors: Sequence[int] = (),
    failing_step_start: int | None = None,
) -> Finding:
    """Build the finding for an excerpt that ``classify`` has already labelled."""
    category = classification.category
    by_anchor = sorted(lines, key=lambda nt: min((abs(nt[0] - a) for a in anchors), default=0))
    decisive = list(classification.evidence) or by_anchor[:1]
    handler = _HANDLERS.get(category, _unknown)
    finding = handler(lines, decisive, step_name(lines, failing_step_start)) or _unknown(lines, decisive, "")
    finding.confidence = round(min(classification.confidence, finding.confidence), 2)
    return finding


def _test_failure(lines: Lines, decisive: Lines, step: str, key: str = "test_assertion") -> Finding | None:
    test = None
    for pattern in _TEST_NAME:
        found = first_match(lines, pattern)
        if found:
            test = found
            break
    message = error_message(lines, decisive)
    name = test[2].group(1) if test else ""
    if test and test[2].re.pattern.startswith("^(\\w+)\\("):
        name = f"{test[2].group(2)}.{test[2].group(1)}"
    msg = message[1] if message else "see the evidence lines"
    rerun = f"pytest '{name}'" if "::" in name else step
    update = "npx jest -u" if "jest" in " ".join(t for _, t in lines).lower() else "the snapshot update command"
    if name:
        root = sentence(key, "root_cause", test=name, message=msg)
    else:
        root = sentence(
            key, "root_cause_no_test" if key == "test_assertion" else "root_cause", test="a test", message=msg
        )
    return Finding(
        summary=sentence(key, "summary", test=name or "a test"),
        root_cause=root,
        suggested_fix=sentence(key, "fix", rerun=rerun, update=update),
        confidence=0.85 if name and message else 0.6,
        evidence=evidence_lines(test[:2] if test else None, message),
    )


def _snapshot(lines: Lines, decisive: Lines, step: str) -> Finding | None:
    return _test_failure(lines, decisive, step, key="snapshot_diff")


def _timeout(lines: Lines, decisive: Lines, step: str) -> Finding | None:
    memory = first_match(lines, _MEMORY)
    key = "timeout_or_oom_memory" if memory else "timeout_or_oom_time"
    chosen = memory[:2] if memory else (decisive[0] if decisive else None)
    values = dict(step=step, message=chosen[1].strip() if chosen else "")
    return Finding(
        sentence(key, "summary", **values),
        sentence(key, "root_cause", **values),
        sentence(key, "fix", **values),
        0.8,
        evidence_lines(chosen),
    )


def _network(lines: Lines, decisive: Lines, step: str) -> Finding | None:
    host = "a remote host"
    for _lineno, text in decisive:
        for pattern in _HOST:
            match = pattern.search(text)
            if match:
                host = match.group(1)
                break
        else:
            continue
        break
    message = decisive[0] if decisive else None
    values = dict(host=host, message=message[1].strip() if message else "")
    return Finding(
        sentence("network_or_flaky", "summary", **values),
        sentence("network_or_flaky", "root_cause", **values),
        sentence("network_or_flaky", "fix", **values),
        0.7,
        evidence_lines(message),
    )


_READ_AT = re.compile(r'File "([^"]+)", line (\d+)|\(?((?:[\w.-]+/)*[\w.-]+\.(?:py|js|mjs|ts|rb|go|java|php|sh)):(\d+)')


def _permission(lines: Lines, decisive: Lines, step: str) -> Finding | None:
    for pattern in _VARIABLE:
        found = first_match(lines, pattern)
        if found:
            values = dict(name=found[2].group(1), message=found[1].strip())
            key = "permission_or_secret_variable"
            # The frame nearest the error names the code that reads the variable.
            near = sorted((abs(n - found[0]), n, t) for n, t in lines if abs(n - found[0]) <= 15)
            location = next((m for _, _, t in near for m in [_READ_AT.search(t)] if m), None)
            variant = "root_cause"
            if location:
                g = location.groups()
                values["location"] = f"{g[0]}:{g[1]}" if g[0] else f"{g[2]}:{g[3]}"
                variant = "root_cause_read_at"
            return Finding(
                sentence(key, "summary", **values),
                sentence(key, variant, **values),
                sentence(key, "fix", **values),
                0.8,
                evidence_lines(found[:2]),
            )
    return generic_finding("permission_or_secret", decisive[0] if decisive else None, 0.7)


def _unknown(lines: Lines, decisive: Lines, step: str) -> Finding:
    return generic_finding("unknown", decisive[0] if decisive else None, 0.3)


def _actions_config(lines: Lines, decisive: Lines, step: str) -> Finding:
    return generic_finding("github_actions_config", decisive[0] if decisive else None, 0.75)


def _infrastructure(lines: Lines, decisive: Lines, step: str) -> Finding:
    return generic_finding("infrastructure", decisive[0] if decisive else None, 0.7)


_HANDLERS: dict[str, Handler] = {
    **BUILD_HANDLERS,
    "test_assertion": _test_failure,
    "snapshot_diff": _snapshot,
    "timeout_or_oom": _timeout,
    "network_or_flaky": _network,
    "permission_or_secret": _permission,
    "github_actions_config": _actions_config,
    "infrastructure": _infrastructure,
}
