"""The offline engine: a specific root cause and, where one is deterministic, a fix.

It reads the excerpt's lines with rules per category (which test failed and why, which module
is missing, which lint rule at which place) and fills the sentences of
``templates/heuristic_messages.json``. No network, no key, same answer every time.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from importlib import resources
from typing import Any

from chalicelib.classify import Classification

Lines = Sequence[tuple[int, str]]
MAX_MESSAGE = 300


@dataclass
class Finding:
    summary: str
    root_cause: str
    suggested_fix: str
    confidence: float
    evidence: list[tuple[int, str]]
    edits: list[dict[str, str]] = field(default_factory=list)
    fix_plan: dict[str, str] | None = None


@functools.lru_cache(maxsize=1)
def _messages() -> dict[str, dict[str, str]]:
    text = resources.files("chalicelib").joinpath("templates/heuristic_messages.json").read_text()
    data: dict[str, dict[str, str]] = json.loads(text)
    return data


@functools.lru_cache(maxsize=1)
def _distributions() -> dict[str, str]:
    text = resources.files("chalicelib").joinpath("data/python_distributions.json").read_text()
    data: dict[str, str] = json.loads(text)
    return data


def python_distribution(module: str) -> str:
    """The PyPI distribution that provides ``module`` (``yaml`` → ``PyYAML``)."""
    table = _distributions()
    parts = module.split(".")
    for size in range(len(parts), 0, -1):
        name = ".".join(parts[:size])
        if name in table:
            return table[name]
    return parts[0].replace("_", "-")


def _first(lines: Lines, pattern: re.Pattern[str]) -> tuple[int, str, re.Match[str]] | None:
    for lineno, text in lines:
        match = pattern.search(text)
        if match:
            return lineno, text, match
    return None


def _short(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= MAX_MESSAGE else text[: MAX_MESSAGE - 1] + "…"


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
_PY_MODULE = re.compile(r"No module named '?([\w.]+)'?")
_NODE_MODULE = re.compile(r"Cannot find (?:module|package) '([^'./][^']*)'")
_LINT_FLAKE8 = re.compile(r"^(\S+?):(\d+):(\d+): ([A-Z]+\d+) (.*)$")
_LINT_ESLINT = re.compile(r"^\s*(\d+):(\d+)\s+(?:error|warning)\s+(.*?)\s{2,}([@\w/-]+)\s*$")
_FILE_HEADER = re.compile(r"^(/?[\w./-]+\.\w+)\s*$")
_TSC = re.compile(r"^(\S+?)(?:\((\d+),(\d+)\)|:(\d+):(\d+))(?::| -) error (TS\d+): (.*)$")
_MYPY = re.compile(r"^(\S+?):(\d+)(?::\d+)?: error: (.*?)(?:\s+\[([\w-]+)\])?$")
_TYPE_PAIR = tuple(
    re.compile(p)
    for p in (
        r"Type '(.+?)' is not assignable to type '(.+?)'",
        r"expression has type \"(.+?)\", variable has type \"(.+?)\"",
        r"has incompatible type \"(.+?)\"; expected \"(.+?)\"",
        r"Argument of type '(.+?)' is not assignable to parameter of type '(.+?)'",
    )
)
_COMPILE = tuple(
    re.compile(p)
    for p in (
        r"^(\S+?\.\w+):(\d+):(?:(\d+):)? (?:fatal )?error:? (.*)$",
        r"^\[ERROR\] (\S+\.\w+):\[(\d+),(\d+)\] (.*)$",
        r"^\s*--> (\S+?):(\d+):(\d+)$",
        r"^(\S+\.go):(\d+):(\d+): (.*)$",
    )
)
_RUST_ERROR = re.compile(r"^error(?:\[E\d+\])?: (.*)$")
_DOCKER_STEP = re.compile(r"^#\d+ \[[^\]]*\] ((?:RUN|COPY|ADD|FROM) .*)$")
_DOCKER_ERROR = re.compile(r"(?:ERROR: )?(failed to solve: .*|executor failed running .*|COPY failed: .*)$")
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
        found = _first(ordered, pattern)
        if found:
            return _short(found[2].group(1))[:120]
    return "the failing command"


_RECEIVED = re.compile(r"^\s*(?:Received|Actual)\b.*$")
_PYTEST_E = re.compile(r"^E\s+")


def _message(lines: Lines, fallback: Lines) -> tuple[int, str] | None:
    for pattern in _ASSERT_MESSAGE:
        found = _first(lines, pattern)
        if found:
            text = found[2].group(1)
            if text.startswith("Expected"):
                received = _first([(n, t) for n, t in lines if found[0] < n <= found[0] + 3], _RECEIVED)
                if received:
                    text = f"{text.strip()}, {received[1].strip()}"
            return found[0], _short(text)
    for lineno, text in fallback:
        if text.strip():
            return lineno, _short(_PYTEST_E.sub("", text))
    return None


def _fill(key: str, variant: str, **values: Any) -> str:
    template = _messages()[key][variant]
    return template.format(**{k: _short(str(v)) for k, v in values.items()})


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


def _evidence(*found: tuple[int, str] | None) -> list[tuple[int, str]]:
    seen: dict[int, str] = {}
    for item in found:
        if item:
            seen.setdefault(item[0], item[1])
    return sorted(seen.items())


def _test_failure(lines: Lines, decisive: Lines, step: str, key: str = "test_assertion") -> Finding | None:
    test = None
    for pattern in _TEST_NAME:
        found = _first(lines, pattern)
        if found:
            test = found
            break
    message = _message(lines, decisive)
    name = test[2].group(1) if test else ""
    if test and test[2].re.pattern.startswith("^(\\w+)\\("):
        name = f"{test[2].group(2)}.{test[2].group(1)}"
    msg = message[1] if message else "see the evidence lines"
    rerun = f"pytest '{name}'" if "::" in name else step
    update = "npx jest -u" if "jest" in " ".join(t for _, t in lines).lower() else "the snapshot update command"
    if name:
        root = _fill(key, "root_cause", test=name, message=msg)
    else:
        root = _fill(key, "root_cause_no_test" if key == "test_assertion" else "root_cause", test="a test", message=msg)
    return Finding(
        summary=_fill(key, "summary", test=name or "a test"),
        root_cause=root,
        suggested_fix=_fill(key, "fix", rerun=rerun, update=update),
        confidence=0.85 if name and message else 0.6,
        evidence=_evidence(test[:2] if test else None, message),
    )


def _snapshot(lines: Lines, decisive: Lines, step: str) -> Finding | None:
    return _test_failure(lines, decisive, step, key="snapshot_diff")


def _dependency(lines: Lines, decisive: Lines, step: str) -> Finding | None:
    found = _first(lines, _PY_MODULE)
    if found:
        module = found[2].group(1)
        distribution = python_distribution(module)
        message = _PYTEST_E.sub("", found[1]).strip()
        values = dict(module=module, distribution=distribution, message=message, path="requirements.txt")
        return Finding(
            summary=_fill("dependency_install_python", "summary", **values),
            root_cause=_fill("dependency_install_python", "root_cause", **values),
            suggested_fix=_fill("dependency_install_python", "fix", **values),
            confidence=0.9,
            evidence=_evidence(found[:2]),
            fix_plan={
                "kind": "append_line",
                "path": "requirements.txt",
                "line": distribution,
                "command": f"pip install {distribution}",
            },
        )
    found = _first(lines, _NODE_MODULE)
    if found:
        module = found[2].group(1)
        package = "/".join(module.split("/")[:2]) if module.startswith("@") else module.split("/")[0]
        values = dict(module=package, message=found[1].strip())
        return Finding(
            summary=_fill("dependency_install_node", "summary", **values),
            root_cause=_fill("dependency_install_node", "root_cause", **values),
            suggested_fix=_fill("dependency_install_node", "fix", **values),
            confidence=0.85,
            evidence=_evidence(found[:2]),
        )
    return _generic("dependency_install", _message(decisive, decisive), 0.6)


def _lint(lines: Lines, decisive: Lines, step: str) -> Finding | None:
    found = _first(lines, _LINT_FLAKE8)
    if found:
        path, line, col, rule, msg = found[2].groups()
        location = f"{path}:{line}:{col}"
        evidence = _evidence(found[:2])
    else:
        eslint = _first(lines, _LINT_ESLINT)
        if not eslint:
            message = _message(decisive, decisive)
            text = message[1] if message else "see the evidence lines"
            return Finding(
                _fill("lint", "summary", rule="check", file="the code"),
                _fill("lint", "root_cause_no_rule", message=text),
                _fill("lint", "fix", location="the files named above"),
                0.6,
                _evidence(message),
            )
        line, col, msg, rule = eslint[2].groups()
        header = [(n, t) for n, t in lines if n < eslint[0] and _FILE_HEADER.match(t)]
        path = header[-1][1].strip() if header else "the file above"
        location = f"{path}:{line}:{col}"
        evidence = _evidence(header[-1] if header else None, eslint[:2])
    values = dict(rule=rule, file=path, location=location, message=msg)
    return Finding(
        _fill("lint", "summary", **values),
        _fill("lint", "root_cause", **values),
        _fill("lint", "fix", **values),
        0.85,
        evidence,
    )


def _type_error(lines: Lines, decisive: Lines, step: str) -> Finding | None:
    found = _first(lines, _TSC)
    if found:
        g = found[2].groups()
        path, line, col = g[0], g[1] or g[3], g[2] or g[4]
        location, msg = f"{path}:{line}:{col}", f"{g[5]}: {g[6]}"
    else:
        found = _first(lines, _MYPY)
        if not found:
            return _compile(lines, decisive, step)
        path, line, msg, code = found[2].groups()
        location = f"{path}:{line}"
        msg = f"{msg} [{code}]" if code else msg
    values: dict[str, Any] = dict(file=path, location=location, message=msg)
    variant = "root_cause"
    for pattern in _TYPE_PAIR:
        pair = pattern.search(found[1])
        if pair:
            values.update(actual=pair.group(1), expected=pair.group(2))
            variant = "root_cause_types"
            break
    return Finding(
        _fill("type_error", "summary", **values),
        _fill("type_error", variant, **values),
        _fill("type_error", "fix", **values),
        0.85,
        _evidence(found[:2]),
    )


def _compile(lines: Lines, decisive: Lines, step: str) -> Finding | None:
    for pattern in _COMPILE:
        found = _first(lines, pattern)
        if found:
            g = found[2].groups()
            location = ":".join(x for x in g[:3] if x)
            message = g[3] if len(g) > 3 else ""
            if not message:
                rust = [(n, t) for n, t in lines if n < found[0] and _RUST_ERROR.match(t)]
                message = _RUST_ERROR.match(rust[-1][1]).group(1) if rust else "see the evidence"  # type: ignore[union-attr]
            values = dict(file=g[0], location=location, message=message)
            return Finding(
                _fill("compile", "summary", **values),
                _fill("compile", "root_cause", **values),
                _fill("compile", "fix", **values),
                0.8,
                _evidence(found[:2]),
            )
    message = _message(decisive, decisive)
    text = message[1] if message else "see the evidence lines"
    return Finding(
        _fill("compile", "summary", file="the build"),
        _fill("compile", "root_cause_no_location", message=text),
        _fill("compile", "fix", location="the first error shown"),
        0.6,
        _evidence(message),
    )


def _docker(lines: Lines, decisive: Lines, step: str) -> Finding | None:
    error = _first(lines, _DOCKER_ERROR)
    steps = [(n, t) for n, t in lines if _DOCKER_STEP.match(t) and (not error or n <= error[0])]
    step_text = _DOCKER_STEP.match(steps[-1][1]).group(1) if steps else step  # type: ignore[union-attr]
    message = error[2].group(1) if error else (_message(decisive, decisive) or (0, "see the evidence"))[1]
    values = dict(step=step_text, message=message)
    return Finding(
        _fill("docker_build", "summary", **values),
        _fill("docker_build", "root_cause", **values),
        _fill("docker_build", "fix", **values),
        0.8 if error else 0.6,
        _evidence(steps[-1] if steps else None, error[:2] if error else None),
    )


def _timeout(lines: Lines, decisive: Lines, step: str) -> Finding | None:
    memory = _first(lines, _MEMORY)
    key = "timeout_or_oom_memory" if memory else "timeout_or_oom_time"
    chosen = memory[:2] if memory else (decisive[0] if decisive else None)
    values = dict(step=step, message=chosen[1].strip() if chosen else "")
    return Finding(
        _fill(key, "summary", **values),
        _fill(key, "root_cause", **values),
        _fill(key, "fix", **values),
        0.8,
        _evidence(chosen),
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
        _fill("network_or_flaky", "summary", **values),
        _fill("network_or_flaky", "root_cause", **values),
        _fill("network_or_flaky", "fix", **values),
        0.7,
        _evidence(message),
    )


_READ_AT = re.compile(r'File "([^"]+)", line (\d+)|\(?((?:[\w.-]+/)*[\w.-]+\.(?:py|js|mjs|ts|rb|go|java|php|sh)):(\d+)')


def _permission(lines: Lines, decisive: Lines, step: str) -> Finding | None:
    for pattern in _VARIABLE:
        found = _first(lines, pattern)
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
                _fill(key, "summary", **values),
                _fill(key, variant, **values),
                _fill(key, "fix", **values),
                0.8,
                _evidence(found[:2]),
            )
    return _generic("permission_or_secret", decisive[0] if decisive else None, 0.7)


def _generic(key: str, message: tuple[int, str] | None, confidence: float) -> Finding:
    values = dict(message=message[1].strip() if message else "no error line was found")
    return Finding(
        _fill(key, "summary", **values),
        _fill(key, "root_cause", **values),
        _fill(key, "fix", **values),
        confidence,
        _evidence(message),
    )


def _unknown(lines: Lines, decisive: Lines, step: str) -> Finding:
    return _generic("unknown", decisive[0] if decisive else None, 0.3)


def _actions_config(lines: Lines, decisive: Lines, step: str) -> Finding:
    return _generic("github_actions_config", decisive[0] if decisive else None, 0.75)


def _infrastructure(lines: Lines, decisive: Lines, step: str) -> Finding:
    return _generic("infrastructure", decisive[0] if decisive else None, 0.7)


Handler = Callable[[Lines, Lines, str], Finding | None]
_HANDLERS: dict[str, Handler] = {
    "test_assertion": _test_failure,
    "snapshot_diff": _snapshot,
    "dependency_install": _dependency,
    "lint": _lint,
    "type_error": _type_error,
    "compile": _compile,
    "docker_build": _docker,
    "timeout_or_oom": _timeout,
    "network_or_flaky": _network,
    "permission_or_secret": _permission,
    "github_actions_config": _actions_config,
    "infrastructure": _infrastructure,
}
