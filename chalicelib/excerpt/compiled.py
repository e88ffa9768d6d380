"""The compiled build of the excerpt's hot modules, used only when it matches the sources.

An excerpt spends its time in per-line Python code (scanning, ranking, cleaning, redacting).
``make compiled`` (scripts/build_compiled.py) compiles those modules with mypyc, unchanged,
into ``chalicelib/excerpt/_compiled`` beside a stamp of the sources it compiled. When the package is
imported, that folder goes first on the package's path if the stamp matches the sources here
and this Python loads the build; otherwise the same modules run as plain Python, with the same
results, only slower. ``SELF_HEALING_PURE_PYTHON=1`` turns the build off.
"""

from __future__ import annotations

import hashlib
import importlib
import json
import logging
import os
import re
import sys
import sysconfig
from pathlib import Path

BUILD_FOLDER = "_compiled"
STAMP_FILE = "BUILD.json"
# mypyc puts a group's shared code in one extension module, chalicelib.excerpt.<GROUP>__mypyc.
GROUP = "hot"
# The modules an excerpt spends its time in, compiled together (calls between them stay native).
MODULES = (
    "build",
    "cleaning",
    "linefetch",
    "linescore",
    "logscan",
    "mentions",
    "planning",
    "re2spans",
    "redact",
)
PURE_PYTHON_VARIABLE = "SELF_HEALING_PURE_PYTHON"

_log = logging.getLogger(__name__)


# A module of this package that another one imports: "from chalicelib.excerpt.x import",
# "from chalicelib.excerpt import x", "import chalicelib.excerpt.x".
_IMPORT = re.compile(
    r"^\s*(?:from chalicelib\.excerpt(?:\.(\w+))? import ([\w, ()]+)|import chalicelib\.excerpt\.(\w+))", re.MULTILINE
)


def compiled_sources(package_dir: Path) -> list[Path]:
    """MODULES and every module of the package they import, directly or not: the build checked
    their types against those too, so a change to any of them makes it stale (and a change to
    any other module does not)."""
    seen: set[str] = set()
    todo = list(MODULES)
    while todo:
        name = todo.pop()
        path = package_dir / f"{name}.py"
        if name in seen or not path.is_file():
            continue
        seen.add(name)
        for module, names, plain in _IMPORT.findall(path.read_text()):
            todo.append(module or plain)
            if not module and not plain:
                todo.extend(part.strip(" ()") for part in names.split(","))
    return sorted(package_dir / f"{name}.py" for name in seen)


def source_digests(package_dir: Path) -> dict[str, str]:
    """The sha256 of each compiled module's source in ``package_dir``, and of what they import."""
    return {path.stem: hashlib.sha256(path.read_bytes()).hexdigest() for path in compiled_sources(package_dir)}


def build_stamp(package_dir: Path) -> dict[str, object]:
    """What a build of ``package_dir``'s sources for this Python records beside it."""
    return {
        "python": sys.implementation.cache_tag,
        "ext_suffix": sysconfig.get_config_var("EXT_SUFFIX"),
        "sources": source_digests(package_dir),
    }


def current_build(package_dir: Path) -> Path | None:
    """The build folder under ``package_dir`` if it was built from these sources for this Python."""
    folder = package_dir / BUILD_FOLDER
    try:
        stamp = json.loads((folder / STAMP_FILE).read_text())
    except (OSError, ValueError):
        return None  # never built (or half written): plain Python
    if stamp != build_stamp(package_dir):
        _log.info("compiled build in %s does not match the sources; running plain Python", folder)
        return None
    return folder


def use_current_build(package: str, path: list[str]) -> bool:
    """Put the current build first on ``path`` (the package's ``__path__``); whether it is in use.

    A build this machine cannot load (made for another system) is taken off again and logged.
    """
    if os.environ.get(PURE_PYTHON_VARIABLE, "") not in ("", "0"):
        return False
    folder = current_build(Path(path[-1]))  # the package's own folder (its only entry so far)
    if folder is None:
        return False
    path.insert(0, str(folder))
    try:
        importlib.import_module(f"{package}.{GROUP}__mypyc")
    except ImportError as exc:
        path.remove(str(folder))
        _log.warning("compiled build in %s does not load (%s); running plain Python", folder, exc)
        return False
    return True
