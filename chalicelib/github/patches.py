"""Apply proposed edits exactly, and refuse any change a careful reviewer would refuse.

Edits are ``{"path", "search", "replace"}``; every ``search`` must occur exactly once in the
file at the failing commit. The policy denies CI configuration, agent instruction files,
binaries, symlinks and escaping paths, caps the size of a change, checks that Python, JSON,
YAML and TOML still parse, and refuses changes that add network calls.
"""

from __future__ import annotations

import ast
import json
import re
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import PurePosixPath

import yaml

from chalicelib.errors import PatchRejectedError

# CI systems' configuration and coding agents' instruction files: never changed by the bot.
_DENIED_PREFIXES = (
    ".github/",
    ".gitlab/",
    ".circleci/",
    ".buildkite/",
    ".azure-pipelines/",
    ".gemini/",
    ".claude/",
    ".cursor/",
    ".devcontainer/",
    ".husky/",
    ".git/",
    ".chalice/",
    "infra/",
)
_DENIED_NAMES = {
    ".gitlab-ci.yml",
    "Jenkinsfile",
    ".travis.yml",
    "azure-pipelines.yml",
    "bitbucket-pipelines.yml",
    "appveyor.yml",
    ".drone.yml",
    "cloudbuild.yaml",
    "buildspec.yml",
    "AGENTS.md",
    "CLAUDE.md",
    "GEMINI.md",
    ".cursorrules",
    ".windsurfrules",
    "copilot-instructions.md",
    ".pre-commit-config.yaml",
    "Makefile.ci",
    ".gitmodules",
    ".gitattributes",
    "CODEOWNERS",
    ".npmrc",
    ".pypirc",
    ".netrc",
}
_BINARY_SUFFIXES = {
    ".png",
    ".jpg",
    ".jpeg",
    ".gif",
    ".ico",
    ".pdf",
    ".zip",
    ".gz",
    ".tar",
    ".jar",
    ".so",
    ".dll",
    ".exe",
    ".bin",
    ".whl",
    ".pyc",
    ".class",
    ".woff",
    ".woff2",
    ".ttf",
}
_NETWORK = re.compile(
    r"\b(?:curl|wget|nc|ncat|Invoke-WebRequest|iwr|Invoke-RestMethod)\b|https?://|\bfetch\(|"
    r"\b(?:requests|httpx|urllib\.request|aiohttp)\.\w+\(|\bsocket\.|\bXMLHttpRequest\b|\bnet\.(?:Dial|connect)"
)


@dataclass(frozen=True)
class PatchLimits:
    max_files: int = 5
    max_changed_lines: int = 60


@dataclass(frozen=True)
class FileChange:
    path: str
    old: str
    new: str


def check_path(path: str) -> str:
    """The normalized path, or PatchRejectedError when the policy forbids touching it."""
    if not path or "\\" in path or "\0" in path or path.startswith(("/", "~")) or re.match(r"^[A-Za-z]:", path):
        raise PatchRejectedError(f"{path!r}: only relative paths inside the repository may change")
    parts = PurePosixPath(path).parts
    if not parts or ".." in parts or "." in parts or any(p.startswith(" ") or p.endswith(" ") for p in parts):
        raise PatchRejectedError(f"{path!r}: paths with '..' or odd segments are refused")
    normalized = "/".join(parts)
    lowered = normalized.lower()
    if any((lowered + "/").startswith(prefix.lower()) for prefix in _DENIED_PREFIXES):
        raise PatchRejectedError(f"{normalized}: CI, agent and infrastructure configuration is never changed")
    if parts[-1] in _DENIED_NAMES or parts[-1].lower() in {n.lower() for n in _DENIED_NAMES}:
        raise PatchRejectedError(f"{normalized}: CI, agent and infrastructure configuration is never changed")
    if PurePosixPath(normalized).suffix.lower() in _BINARY_SUFFIXES:
        raise PatchRejectedError(f"{normalized}: binary files are never changed")
    return normalized


def apply_edits(originals: Mapping[str, str], edits: Sequence[Mapping[str, str]]) -> list[FileChange]:
    """Apply every edit to the fetched files; raises PatchRejectedError if any edit does not apply exactly."""
    current = {path: text for path, text in originals.items()}
    for edit in edits:
        path = check_path(edit["path"])
        if path not in current:
            raise PatchRejectedError(f"{path}: the file does not exist at the failing commit")
        search, replace = edit["search"], edit["replace"]
        count = current[path].count(search) if search else 0
        if count != 1:
            raise PatchRejectedError(f"{path}: the text to replace occurs {count} times, not exactly once")
        current[path] = current[path].replace(search, replace, 1)
    return [FileChange(p, originals[p], current[p]) for p in sorted(current) if current[p] != originals[p]]


def _changed_lines(change: FileChange) -> tuple[int, list[str]]:
    import difflib

    added: list[str] = []
    count = 0
    for line in difflib.unified_diff(change.old.splitlines(), change.new.splitlines(), lineterm="", n=0):
        if line.startswith(("+++", "---", "@@")):
            continue
        count += 1
        if line.startswith("+"):
            added.append(line[1:])
    return count, added


def _parses(change: FileChange) -> None:
    suffix = PurePosixPath(change.path).suffix.lower()
    try:
        if suffix == ".py":
            ast.parse(change.new, filename=change.path)
        elif suffix == ".json":
            json.loads(change.new)
        elif suffix in (".yml", ".yaml"):
            list(yaml.safe_load_all(change.new))
        elif suffix == ".toml":
            tomllib.loads(change.new)
    except (SyntaxError, ValueError, yaml.YAMLError) as exc:
        raise PatchRejectedError(f"{change.path}: the changed file no longer parses ({type(exc).__name__})") from exc


def validate_changes(changes: Sequence[FileChange], limits: PatchLimits) -> None:
    """Raise PatchRejectedError unless the whole change passes the policy."""
    if not changes:
        raise PatchRejectedError("the edits change nothing")
    if len(changes) > limits.max_files:
        raise PatchRejectedError(f"{len(changes)} files changed; at most {limits.max_files} are allowed")
    total = 0
    for change in changes:
        check_path(change.path)
        if "\0" in change.new:
            raise PatchRejectedError(f"{change.path}: binary content is never written")
        count, added = _changed_lines(change)
        total += count
        for line in added:
            if _NETWORK.search(line) and not _NETWORK.search(change.old):
                raise PatchRejectedError(f"{change.path}: the change adds a network call ({line.strip()[:60]!r})")
        _parses(change)
    if total > limits.max_changed_lines:
        raise PatchRejectedError(f"{total} changed lines; at most {limits.max_changed_lines} are allowed")


def append_line_edit(path: str, content: str, line: str) -> dict[str, str]:
    """The edit that appends ``line`` to a file (a missing requirement), unless it is listed already."""
    name = re.split(r"[<>=!~\[; ]", line, maxsplit=1)[0].lower().replace("_", "-")
    for existing in content.splitlines():
        listed = re.split(r"[<>=!~\[; #]", existing.strip(), maxsplit=1)[0].lower().replace("_", "-")
        if listed == name:
            raise PatchRejectedError(f"{path}: {line} is listed already; the environment does not install it")
    if not content:
        raise PatchRejectedError(f"{path}: the file is empty; a requirement cannot be appended safely")
    prefix = content if content.endswith("\n") else content + "\n"
    return {"path": path, "search": content, "replace": prefix + line + "\n"}
