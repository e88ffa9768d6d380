"""The offline engine's rules for build and tooling failures.

A missing dependency (with a deterministic fix plan for Python), a lint finding, a type error, a
compile error and a failed Docker build step: where each is and what it says.
"""

from __future__ import annotations

import functools
import json
import re
from importlib import resources
from typing import Any

from chalicelib.finding import (
    PYTEST_E,
    Finding,
    Handler,
    Lines,
    error_message,
    evidence_lines,
    first_match,
    generic_finding,
    sentence,
)


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


def dependency(lines: Lines, decisive: Lines, step: str) -> Finding | None:
    """A missing Python module or Node package.

    For Python, the distribution that provides the module and a plan to add it to requirements.txt.
    """
    found = first_match(lines, _PY_MODULE)
    if found:
        module = found[2].group(1)
        distribution = python_distribution(module)
        message = PYTEST_E.sub("", found[1]).strip()
        values = dict(module=module, distribution=distribution, message=message, path="requirements.txt")
        return Finding(
            summary=sentence("dependency_install_python", "summary", **values),
            root_cause=sentence("dependency_install_python", "root_cause", **values),
            suggested_fix=sentence("dependency_install_python", "fix", **values),
            confidence=0.9,
            evidence=evidence_lines(found[:2]),
            fix_plan={
                "kind": "append_line",
                "path": "requirements.txt",
                "line": distribution,
                "command": f"pip install {distribution}",
            },
        )
    found = first_match(lines, _NODE_MODULE)
    if found:
        module = found[2].group(1)
        package = "/".join(module.split("/")[:2]) if module.startswith("@") else module.split("/")[0]
        values = dict(module=package, message=found[1].strip())
        return Finding(
            summary=sentence("dependency_install_node", "summary", **values),
            root_cause=sentence("dependency_install_node", "root_cause", **values),
            suggested_fix=sentence("dependency_install_node", "fix", **values),
            confidence=0.85,
            evidence=evidence_lines(found[:2]),
        )
    return generic_finding("dependency_install", error_message(decisive, decisive), 0.6)


def lint(lines: Lines, decisive: Lines, step: str) -> Finding | None:
    """The first flake8-style (ruff, flake8) or ESLint finding: rule, file, line and column."""
    found = first_match(lines, _LINT_FLAKE8)
    if found:
        path, line, col, rule, msg = found[2].groups()
        location = f"{path}:{line}:{col}"
        evidence = evidence_lines(found[:2])
    else:
        eslint = first_match(lines, _LINT_ESLINT)
        if not eslint:
            message = error_message(decisive, decisive)
            text = message[1] if message else "see the evidence lines"
            return Finding(
                sentence("lint", "summary", rule="check", file="the code"),
                sentence("lint", "root_cause_no_rule", message=text),
                sentence("lint", "fix", location="the files named above"),
                0.6,
                evidence_lines(message),
            )
        line, col, msg, rule = eslint[2].groups()
        header = [(n, t) for n, t in lines if n < eslint[0] and _FILE_HEADER.match(t)]
        path = header[-1][1].strip() if header else "the file above"
        location = f"{path}:{line}:{col}"
        evidence = evidence_lines(header[-1] if header else None, eslint[:2])
    values = dict(rule=rule, file=path, location=location, message=msg)
    return Finding(
        sentence("lint", "summary", **values),
        sentence("lint", "root_cause", **values),
        sentence("lint", "fix", **values),
        0.85,
        evidence,
    )


def type_error(lines: Lines, decisive: Lines, step: str) -> Finding | None:
    """The first tsc or mypy error, with the two types when it names them; else a compile error."""
    found = first_match(lines, _TSC)
    if found:
        g = found[2].groups()
        path, line, col = g[0], g[1] or g[3], g[2] or g[4]
        location, msg = f"{path}:{line}:{col}", f"{g[5]}: {g[6]}"
    else:
        found = first_match(lines, _MYPY)
        if not found:
            return compile_error(lines, decisive, step)
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
        sentence("type_error", "summary", **values),
        sentence("type_error", variant, **values),
        sentence("type_error", "fix", **values),
        0.85,
        evidence_lines(found[:2]),
    )


def compile_error(lines: Lines, decisive: Lines, step: str) -> Finding | None:
    """The first compiler error with its location (gcc/clang, javac via Maven, rustc, go)."""
    for pattern in _COMPILE:
        found = first_match(lines, pattern)
        if found:
            g = found[2].groups()
            location = ":".join(x for x in g[:3] if x)
            message = g[3] if len(g) > 3 else ""
            if not message:
                rust = [(n, t) for n, t in lines if n < found[0] and _RUST_ERROR.match(t)]
                message = _RUST_ERROR.match(rust[-1][1]).group(1) if rust else "see the evidence"  # type: ignore[union-attr]
            values = dict(file=g[0], location=location, message=message)
            return Finding(
                sentence("compile", "summary", **values),
                sentence("compile", "root_cause", **values),
                sentence("compile", "fix", **values),
                0.8,
                evidence_lines(found[:2]),
            )
    message = error_message(decisive, decisive)
    text = message[1] if message else "see the evidence lines"
    return Finding(
        sentence("compile", "summary", file="the build"),
        sentence("compile", "root_cause_no_location", message=text),
        sentence("compile", "fix", location="the first error shown"),
        0.6,
        evidence_lines(message),
    )


def docker_build(lines: Lines, decisive: Lines, step: str) -> Finding | None:
    """The Dockerfile step that failed and BuildKit's error."""
    error = first_match(lines, _DOCKER_ERROR)
    steps = [(n, t) for n, t in lines if _DOCKER_STEP.match(t) and (not error or n <= error[0])]
    step_text = _DOCKER_STEP.match(steps[-1][1]).group(1) if steps else step  # type: ignore[union-attr]
    message = error[2].group(1) if error else (error_message(decisive, decisive) or (0, "see the evidence"))[1]
    values = dict(step=step_text, message=message)
    return Finding(
        sentence("docker_build", "summary", **values),
        sentence("docker_build", "root_cause", **values),
        sentence("docker_build", "fix", **values),
        0.8 if error else 0.6,
        evidence_lines(steps[-1] if steps else None, error[:2] if error else None),
    )


# The categories these rules answer (chalicelib.heuristic adds the others).
HANDLERS: dict[str, Handler] = {
    "dependency_install": dependency,
    "lint": lint,
    "type_error": type_error,
    "compile": compile_error,
    "docker_build": docker_build,
}
