"""The patch policy: which proposed changes a fix pull request may make, on an allow-list.

Edits are ``{"path", "search", "replace"}``; every ``search`` must occur exactly once in the
file at the failing commit. A fix may change source and test files, and the dependency lists of
the dependency manifests; everything else is refused with the reason:

- paths: relative, inside the repository, no hidden files or folders (tool, CI and agent
  settings live there: ``.github/``, ``.ci/``, ``.vscode/``, ``.claude/``, ``.envrc``), none of the
  files CI or build tools run or read as instructions (``conftest.py``, ``setup.py``,
  ``Makefile``, ``action.yml``, ``*.config.js``, shell scripts, ``AGENTS.md``, …), no lockfile,
  no binary; data files (JSON, YAML, TOML, XML) only under a test folder;
- size: at most N files, M changed lines, B bytes added, and no added line over 400 characters;
- added lines, always judged on their own: no network call (however spelled: ``'c'+'url'``,
  ``c''url``, ``http.client``, ``dig``) and no command or decoded code run from them;
- dependency manifests (``requirements*.txt``, ``package.json``, ``pyproject.toml``,
  ``Cargo.toml``, ``go.mod``): each added line is a dependency with a version and nothing else
  (no URL, path, git source, index or alias), and a new dependency must be one the failure names
  (what was removed, or a word of the failure's lines): a typosquat is not;
- with the whole files (when opening the pull request): Python, JSON, YAML and TOML still parse,
  and a manifest changes in its dependency sections only.

The dry run checks the edits as the live path does, except the last point, which needs the files
(``check_proposal``); the draft says so.
"""

from __future__ import annotations

import ast
import difflib
import json
import re
import tomllib
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import Any

import yaml

from chalicelib.errors import PatchRejectedError
from chalicelib.record import Analysis
from chalicelib.settings import Settings

# Files CI, build tools or coding agents run or read as instructions, whatever their folder.
_RUN_BY_TOOLS = {
    name.lower()
    for name in (
        "conftest.py",
        "setup.py",
        "noxfile.py",
        "tasks.py",
        "fabfile.py",
        "dodo.py",
        "manage.py",
        "Makefile",
        "GNUmakefile",
        "makefile",
        "Rakefile",
        "Gemfile",
        "Gruntfile.js",
        "gulpfile.js",
        "Dockerfile",
        "Containerfile",
        "Vagrantfile",
        "Jenkinsfile",
        "Procfile",
        "action.yml",
        "action.yaml",
        "azure-pipelines.yml",
        "bitbucket-pipelines.yml",
        "appveyor.yml",
        "cloudbuild.yaml",
        "buildspec.yml",
        "build.gradle",
        "build.gradle.kts",
        "settings.gradle",
        "settings.gradle.kts",
        "pom.xml",
        "build.sbt",
        "CMakeLists.txt",
        "meson.build",
        "BUILD",
        "BUILD.bazel",
        "WORKSPACE",
        "tox.ini",
        "setup.cfg",
        "pytest.ini",
        "AGENTS.md",
        "CLAUDE.md",
        "GEMINI.md",
        "copilot-instructions.md",
        "CODEOWNERS",
        "SECURITY.md",
    )
}
_TOOL_CONFIG = re.compile(r"(?i)^[\w.-]+\.config\.(?:js|cjs|mjs|ts|cts|mts)$|^(?:babel|jest|vite|webpack)\.\w+\.js$")
_SCRIPT_SUFFIXES = {".sh", ".bash", ".zsh", ".fish", ".ps1", ".psm1", ".bat", ".cmd"}
_LOCKFILES = {
    "package-lock.json",
    "npm-shrinkwrap.json",
    "yarn.lock",
    "pnpm-lock.yaml",
    "bun.lockb",
    "poetry.lock",
    "pipfile.lock",
    "pdm.lock",
    "uv.lock",
    "cargo.lock",
    "go.sum",
    "gemfile.lock",
    "composer.lock",
    "packages.lock.json",
    "flake.lock",
    "mix.lock",
}
_SOURCE_SUFFIXES = {
    *(".py .pyi .pyx .js .jsx .mjs .cjs .ts .tsx .mts .cts .go .rs .java .kt .scala .groovy .rb .php").split(),
    *(".cs .fs .vb .c .cc .cpp .cxx .h .hh .hpp .hxx .m .mm .swift .dart .ex .exs .erl .hrl .hs .lhs").split(),
    *(".clj .cljs .cljc .el .lisp .lua .r .jl .pl .pm .t .sql .vue .svelte .css .scss .sass .less").split(),
    *(".html .htm .md .rst .txt .tex").split(),
}
_DATA_SUFFIXES = {".json", ".yml", ".yaml", ".toml", ".xml", ".csv", ".ini", ".cfg", ".snap"}
_TEST_FOLDERS = {"test", "tests", "spec", "specs", "__tests__", "testdata", "fixtures", "__snapshots__"}
_BINARY_SUFFIXES = {
    *(".png .jpg .jpeg .gif .ico .pdf .zip .gz .tar .jar .so .dll .exe .bin .whl .pyc .class").split(),
    *(".woff .woff2 .ttf").split(),
}
_REQUIREMENTS = re.compile(r"(?i)^(?:requirements|constraints)[\w.-]*\.(?:txt|in)$")
_MANIFESTS = {"package.json", "pyproject.toml", "cargo.toml", "go.mod"}

# Network calls as programs and libraries spell them. Tools are matched where a command starts
# (a line's start, after "|", ";", "&&", "$(" or a backtick): Ruby's "hash.dig(:a)" or a
# comment saying "ssh" is no call. A program's own way to start one is _EXECUTES' concern.
_NETWORK = re.compile(
    r"(?i)(?:^|[|;&`]|\$\(|\bxargs\s|\bsudo\s|\bexec\s)\s*(?:curl|wget|nc|ncat|netcat|socat|telnet|ftp|tftp|"
    r"scp|sftp|rsync|ssh|dig|nslookup|invoke-webrequest|iwr|invoke-restmethod|irm|bitsadmin|certutil)"
    r"(?=\s|[\"',)\]]|$)|"
    r"\b(?:curl|wget)\b|\b[a-z][\w+.-]*://|\bfetch\s*\(|\bxmlhttprequest\b|\bnew\s+websocket\b|"
    r"\b(?:requests|httpx|aiohttp|urllib\d?(?:\.request)?|http|https|axios|socket|ftplib|smtplib|telnetlib)"
    r"\.\w+\s*\(|\baxios\s*\(|\bhttp\.client\b|\burlopen\b|\bhttplib\b|\bnet/http\b|\bnet\.(?:dial|connect)\b|"
    r"\b(?:httpclient|webclient|urlconnection|httpurlconnection|okhttpclient|urlsession)\b|\bnet::http\b|"
    r"\bopen-uri\b|\bfaraday\b|\breqwest::|\bcurl_init\b|\bfsockopen\b|\bresolve_?txt\b|\bdns\.\w+\s*\("
)
# A network call written in pieces: quotes, "+", backslashes and carets taken out ("'c'+'url'",
# "c''url", "c^url") leave the word whole.
_NETWORK_JOINED = re.compile(r"(?i)\b(?:curl|wget|netcat|nslookup|invoke-webrequest)\b|://")
# Running a command or code built at run time, in the languages a fix touches ("re.compile(",
# "regex.exec(" and "obj.system(" are methods, not this).
_EXECUTES = re.compile(
    r"(?i)(?<![.\w])(?:eval|exec|execfile|__import__|system|popen|passthru|shell_exec|proc_open|spawn)\s*\(|"
    r"\bsubprocess\b|\bchild_process\b|\bos\.(?:system|popen|exec\w*|spawn\w*)\b|\bruntime\.getruntime\b|"
    r"\bprocessbuilder\b|\bimportlib\b|\bnew\s+function\s*\(|\|\s*(?:ba|z|da)?sh\b|\bsh\s+-c\b|"
    r"\bbase64\s+(?:-d|--decode)\b|\b(?:b64decode|frombase64string)\b.*\b(?:eval|exec)\b"
)
_OBFUSCATION = re.compile(r"[\"'\\^`]")
_CONCATENATION = re.compile(r"\s*[+.]\s*(?=[\"'])|(?<=[\"'])\s*[+.]\s*")
MAX_LINE_CHARS = 400

# A dependency with a version: a name, extras, a version range or a tag; no URL, path, git
# source or alias (":" "/" "#" "@" "\\" are how those are written).
_VERSION = r"[\w.*^~<>=!|, -]*"
_PY_REQUIREMENT = re.compile(
    r"^(?P<name>[A-Za-z0-9][\w.-]*)\s*(?:\[[\w,.\s-]*\])?\s*" + _VERSION + r"(?:;\s*[\w\s.<>=!'\"()-]+)?$"
)
_NPM_ENTRY = re.compile(r'^"(?P<name>(?:@[\w.-]+/)?[\w.-]+)"\s*:\s*"' + _VERSION + r'"\s*,?$')
_TOML_STRING = re.compile(r'^"(?P<spec>[^"\\]*)"\s*,?$')
_TOML_ENTRY = re.compile(
    r'^(?P<name>[\w.-]+)\s*=\s*(?:"' + _VERSION + r'"|\{(?P<table>[^{}]*)\})\s*,?$|^\[(?P<section>[\w.-]+)\]$'
)
_TOML_TABLE_KEYS = {"version", "features", "optional", "default-features", "extras", "python", "markers", "package"}
_GO_REQUIRE = re.compile(r"^(?:require\s+)?(?:\(|\)|(?P<name>[\w.-]+(?:/[\w.~-]+)+)\s+v[\w.+-]+(?:\s*//\s*indirect)?)$")
_NAME_SEPARATORS = re.compile(r"[-_.]+")
_WORDS = re.compile(r"[@\w./-]+")


@dataclass(frozen=True)
class PatchLimits:
    max_files: int = 5
    max_changed_lines: int = 60
    max_added_bytes: int = 8192

    @classmethod
    def from_settings(cls, settings: Settings) -> PatchLimits:
        return cls(settings.patch_max_files, settings.patch_max_lines, settings.patch_max_bytes)


@dataclass(frozen=True)
class FileChange:
    path: str
    old: str
    new: str


def readable_path(path: str) -> str:
    """The normalized path of a file inside the repository that is no hidden file (``.env``,
    tool settings) nor binary: one a model may read. Raises PatchRejectedError."""
    if not path or "\\" in path or "\0" in path or path.startswith(("/", "~")) or re.match(r"^[A-Za-z]:", path):
        raise PatchRejectedError(f"{path!r}: only relative paths inside the repository may change")
    parts = PurePosixPath(path).parts
    if not parts or ".." in parts or "." in parts or any(p.startswith(" ") or p.endswith(" ") for p in parts):
        raise PatchRejectedError(f"{path!r}: paths with '..' or odd segments are refused")
    normalized = "/".join(parts)
    if any(part.startswith(".") for part in parts):
        raise PatchRejectedError(f"{normalized}: hidden files and folders (CI, tool and agent settings) never change")
    if PurePosixPath(normalized).suffix.lower() in _BINARY_SUFFIXES:
        raise PatchRejectedError(f"{normalized}: binary files never change")
    return normalized


def check_path(path: str) -> str:
    """The normalized path, or PatchRejectedError when the allow-list does not take it."""
    normalized = readable_path(path)
    parts = normalized.split("/")
    name = parts[-1].lower()
    suffix = PurePosixPath(name).suffix
    if name in _LOCKFILES:
        raise PatchRejectedError(f"{normalized}: lockfiles never change (their hashes vouch for what is installed)")
    if name in _RUN_BY_TOOLS or _TOOL_CONFIG.match(name) or suffix in _SCRIPT_SUFFIXES:
        raise PatchRejectedError(f"{normalized}: files that CI, build tools or agents run or obey never change")
    if manifest_kind(normalized) or suffix in _SOURCE_SUFFIXES:
        return normalized
    if suffix in _DATA_SUFFIXES and _TEST_FOLDERS.intersection(p.lower() for p in parts[:-1]):
        return normalized
    raise PatchRejectedError(
        f"{normalized}: only source files, test files and dependency manifests may change (not {suffix or name})"
    )


def manifest_kind(path: str) -> str:
    """``requirements``, ``package.json``, ``pyproject.toml``, ``cargo.toml``, ``go.mod`` or ``""``."""
    name = PurePosixPath(path).name.lower()
    if _REQUIREMENTS.match(name) or (PurePosixPath(path).parent.name == "requirements" and name.endswith(".txt")):
        return "requirements"
    return name if name in _MANIFESTS else ""


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


def check_proposal(
    edits: Sequence[Mapping[str, str]], limits: PatchLimits, named: Collection[str] = ()
) -> list[FileChange]:
    """What can be checked without the repository's files (the dry run): each edit's ``search``
    stands for the file and ``replace`` for the change. Raises PatchRejectedError."""
    changes = [FileChange(check_path(e["path"]), e["search"], e["replace"]) for e in edits]
    validate_changes(changes, limits, named, whole_files=False)
    return changes


def validate_changes(
    changes: Sequence[FileChange], limits: PatchLimits, named: Collection[str] = (), whole_files: bool = True
) -> None:
    """Raise PatchRejectedError unless the whole change passes the policy. ``named``: the words of
    the failure (a new dependency must be one of them); ``whole_files``: the changes hold the
    files, so that they still parse and manifests change only in their dependency sections."""
    if not changes or all(c.old == c.new for c in changes):
        raise PatchRejectedError("the edits change nothing")
    files = {c.path for c in changes}
    if len(files) > limits.max_files:
        raise PatchRejectedError(f"{len(files)} files changed; at most {limits.max_files} are allowed")
    known = {_dependency_name(word) for word in named}
    total_lines = total_bytes = 0
    for change in changes:
        check_path(change.path)
        if "\0" in change.new:
            raise PatchRejectedError(f"{change.path}: binary content is never written")
        count, added, removed = _diff(change)
        total_lines += count
        total_bytes += sum(len(line.encode()) + 1 for line in added)
        for line in added:
            _check_added_line(change.path, line)
        kind = manifest_kind(change.path)
        if kind:
            _check_dependency_lines(change, kind, added, removed, known)
        if whole_files:
            _parses(change)
            if kind:
                _check_manifest_sections(change, kind)
    if total_lines > limits.max_changed_lines:
        raise PatchRejectedError(f"{total_lines} changed lines; at most {limits.max_changed_lines} are allowed")
    if total_bytes > limits.max_added_bytes:
        raise PatchRejectedError(f"{total_bytes} bytes added; at most {limits.max_added_bytes} are allowed")


def _diff(change: FileChange) -> tuple[int, list[str], list[str]]:
    added: list[str] = []
    removed: list[str] = []
    count = 0
    for line in difflib.unified_diff(change.old.splitlines(), change.new.splitlines(), lineterm="", n=0):
        if line.startswith(("+++", "---", "@@")):
            continue
        count += 1
        (added if line.startswith("+") else removed).append(line[1:])
    return count, added, removed


def _check_added_line(path: str, line: str) -> None:
    if len(line) > MAX_LINE_CHARS:
        raise PatchRejectedError(f"{path}: an added line has {len(line)} characters; at most {MAX_LINE_CHARS}")
    joined = _OBFUSCATION.sub("", _CONCATENATION.sub("", line))
    if _NETWORK.search(line) or _NETWORK_JOINED.search(joined):
        raise PatchRejectedError(f"{path}: the change adds a network call ({line.strip()[:60]!r})")
    if _EXECUTES.search(line):
        raise PatchRejectedError(f"{path}: the change runs a command or code built at run time ({line.strip()[:60]!r})")


def _dependency_name(name: str) -> str:
    return _NAME_SEPARATORS.sub("-", name.strip().lower())


def _check_dependency_lines(
    change: FileChange, kind: str, added: Iterable[str], removed: Iterable[str], named: set[str]
) -> None:
    """Each added line is a dependency with a version; a new one must be named by the failure."""
    old_lines = [*removed, *change.old.splitlines()]
    before = {_dependency_name(n) for line in old_lines for n in _names(kind, line.strip()) or ()}
    for line in added:
        text = line.strip()
        if not text or text.startswith(("#", "//")):
            continue
        names = _names(kind, text)
        if names is None:
            raise PatchRejectedError(f"{change.path}: only dependencies with a version may be added, not {text[:60]!r}")
        for name in names:
            if _dependency_name(name) not in before and _dependency_name(name) not in named:
                raise PatchRejectedError(f"{change.path}: a new dependency the failure does not name ({name})")


def _names(kind: str, text: str) -> list[str] | None:
    """The dependency names a manifest line declares ([] for structure), None when the line is
    not a plain dependency with a version."""
    if kind == "requirements":
        if not text or text.startswith("#"):
            return []
        match = _PY_REQUIREMENT.match(text.split(" #", 1)[0].strip())
        return [match.group("name")] if match else None
    if kind == "package.json":
        if text in ("{", "}", "},", "[", "]", "],") or re.match(r'^"\w+"\s*:\s*\{$', text):
            return []
        match = _NPM_ENTRY.match(text)
        return [match.group("name")] if match else None
    if kind in ("pyproject.toml", "cargo.toml"):
        if text in ("[", "]", "],") or re.match(r"^[\w.-]+\s*=\s*\[$", text):
            return []
        string = _TOML_STRING.match(text)
        if string:
            requirement = _PY_REQUIREMENT.match(string.group("spec").strip())
            return [requirement.group("name")] if requirement else None
        entry = _TOML_ENTRY.match(text)
        if entry is None:
            return None
        if entry.group("section"):
            return []
        table = entry.group("table")
        if table is not None:
            keys = {k.strip() for k in re.findall(r"([\w-]+)\s*=", table)}
            if not keys <= _TOML_TABLE_KEYS or re.search(r"[:/#@\\]", table):
                return None
        return [entry.group("name")]
    if kind == "go.mod":
        match = _GO_REQUIRE.match(text)
        if match is None:
            return None
        return [match.group("name")] if match.group("name") else []
    return None


# Where each manifest lists its dependencies: nothing else in it may change.
_DEPENDENCY_SECTIONS: dict[str, tuple[tuple[str, ...], ...]] = {
    "package.json": (("dependencies",), ("devDependencies",), ("peerDependencies",), ("optionalDependencies",)),
    "pyproject.toml": (
        ("project", "dependencies"),
        ("project", "optional-dependencies"),
        ("dependency-groups",),
        ("tool", "poetry", "dependencies"),
        ("tool", "poetry", "dev-dependencies"),
        ("tool", "poetry", "group"),
    ),
    "cargo.toml": (("dependencies",), ("dev-dependencies",), ("build-dependencies",), ("target",)),
}


def _check_manifest_sections(change: FileChange, kind: str) -> None:
    if kind not in _DEPENDENCY_SECTIONS:
        return  # requirements and go.mod: every line is checked as a dependency line already
    old, new = _load(change.path, change.old), _load(change.path, change.new)
    for section in _DEPENDENCY_SECTIONS[kind]:
        _pop(old, section)
        _pop(new, section)
    if old != new:
        raise PatchRejectedError(f"{change.path}: only the dependency sections of a manifest may change")


def _load(path: str, text: str) -> dict[str, Any]:
    data = json.loads(text) if path.lower().endswith(".json") else tomllib.loads(text)
    if not isinstance(data, dict):
        raise PatchRejectedError(f"{path}: not a manifest (its top level is not an object)")
    return data


def _pop(data: dict[str, Any], section: tuple[str, ...]) -> None:
    for key in section[:-1]:
        inner = data.get(key)
        if not isinstance(inner, dict):
            return
        data = inner
    data.pop(section[-1], None)


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


def failure_words(analysis: Analysis) -> frozenset[str]:
    """What a new dependency must be one of: the words of the log's lines the analysis quotes,
    and the requirement the offline engine derived from them (a model's prose does not count)."""
    texts = [str(text) for _, text in analysis.excerpt.get("lines", [])]
    texts += [str(item["text"]) for item in analysis.evidence]
    if analysis.fix_plan and analysis.fix_plan.get("line"):
        texts.append(re.split(r"[<>=!~\[; ]", analysis.fix_plan["line"], maxsplit=1)[0])
    words: set[str] = set()
    for text in texts:
        for word in _WORDS.findall(text):
            words.add(word.strip("./-"))
            words.update(part for part in re.split(r"[/.]", word) if part)
    return frozenset(w for w in words if w)


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
