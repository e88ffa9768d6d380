"""The compiled build runs only when it was built from these sources and loads; else plain Python does."""

from __future__ import annotations

import functools
import importlib
import json
import os
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest

import chalicelib
import chalicelib.excerpt
from chalicelib.excerpt.build import build_excerpt
from chalicelib.excerpt.compiled import (
    BUILD_FOLDER,
    GROUP,
    MODULES,
    PURE_PYTHON_VARIABLE,
    STAMP_FILE,
    build_stamp,
    current_build,
)
from chalicelib.ingest.logsource import iter_file_blocks
from tests.conftest import EXAMPLES

LIBRARY = Path(chalicelib.__file__).parent
PACKAGE = LIBRARY / "excerpt"  # the package that owns the build
EXT_SUFFIX = sysconfig.get_config_var("EXT_SUFFIX")
BUILT = current_build(PACKAGE) is not None
needs_build = pytest.mark.skipif(
    not BUILT and os.environ.get("REQUIRE_COMPILED") != "1",
    reason="no compiled build (make compiled; .ci/run sets REQUIRE_COMPILED=1)",
)
# Tests that compare this process's modules with plain Python: not when it runs plain Python itself.
runs_build = pytest.mark.skipif(
    os.environ.get(PURE_PYTHON_VARIABLE, "") not in ("", "0"), reason=f"{PURE_PYTHON_VARIABLE} is set"
)


def _copy_package(root: Path, with_build: bool) -> Path:
    """A copy of the library under ``root`` (its sources, and the compiled build if asked); the
    copy's excerpt package."""
    skip = ["__pycache__"] + ([] if with_build else [BUILD_FOLDER])
    shutil.copytree(LIBRARY, root / "chalicelib", ignore=shutil.ignore_patterns(*skip))
    return root / "chalicelib" / "excerpt"


def _import_in(root: Path, pure: bool = False) -> tuple[list[str], str]:
    """(COMPILED and the file of chalicelib.excerpt.planning, stderr) as a fresh Python importing from ``root``."""
    env = {k: v for k, v in os.environ.items() if k != PURE_PYTHON_VARIABLE}
    if pure:
        env[PURE_PYTHON_VARIABLE] = "1"
    code = "import chalicelib.excerpt, chalicelib.excerpt.planning as p; print(chalicelib.excerpt.COMPILED, p.__file__)"
    done = subprocess.run([sys.executable, "-c", code], cwd=root, env=env, capture_output=True, text=True, check=True)
    return done.stdout.split(), done.stderr


def _fake_build(package: Path, stamp: dict[str, object]) -> Path:
    folder = package / BUILD_FOLDER
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir()
    (folder / STAMP_FILE).write_text(json.dumps(stamp))
    return folder


@needs_build
@runs_build
def test_the_build_of_these_sources_is_in_use() -> None:
    assert chalicelib.excerpt.COMPILED
    for name in MODULES:
        module = importlib.import_module(f"chalicelib.excerpt.{name}")
        assert module.__file__ is not None and module.__file__.endswith(EXT_SUFFIX), name
    assert chalicelib.excerpt.compiled.__file__.endswith(".py")  # what chooses the build is never compiled


def test_a_build_is_current_only_for_the_sources_and_python_it_was_made_for(tmp_path: Path) -> None:
    package = _copy_package(tmp_path, with_build=False)
    assert current_build(package) is None  # never built
    stamp = build_stamp(package)
    folder = _fake_build(package, stamp)
    assert current_build(package) == folder
    _fake_build(package, {**stamp, "ext_suffix": ".cpython-311-aarch64-linux-gnu.so"})
    assert current_build(package) is None
    for edited in ("planning.py", "triggers.py"):  # a compiled module, and one it imports (via redact)
        _fake_build(package, build_stamp(package))
        with (package / edited).open("a") as source:
            source.write("# edited after the build\n")
        assert current_build(package) is None, edited
    # A module the compiled ones do not import leaves the build current (the Lambda keeps it).
    folder = _fake_build(package, build_stamp(package))
    with (package.parent / "actions" / "notify.py").open("a") as source:
        source.write("# edited after the build\n")
    assert current_build(package) == folder
    (package / BUILD_FOLDER / STAMP_FILE).write_text("{not json")
    assert current_build(package) is None


def test_a_build_that_does_not_load_leaves_plain_python_and_says_why(tmp_path: Path) -> None:
    package = _copy_package(tmp_path, with_build=False)
    folder = _fake_build(package, build_stamp(package))
    (folder / f"{GROUP}__mypyc{EXT_SUFFIX}").write_bytes(b"\x7fELF built for another machine")
    (compiled, planning), stderr = _import_in(tmp_path)
    assert compiled == "False" and planning == str(package / "planning.py")
    assert "does not load" in stderr and str(folder) in stderr


@needs_build
def test_a_stale_build_is_not_used(tmp_path: Path) -> None:
    package = _copy_package(tmp_path, with_build=True)
    (compiled, planning), _ = _import_in(tmp_path)
    assert compiled == "True" and planning.endswith(EXT_SUFFIX)
    with (package / "cleaning.py").open("a") as source:
        source.write("# edited after the build\n")
    (compiled, planning), _ = _import_in(tmp_path)
    assert compiled == "False" and planning == str(package / "planning.py")


@needs_build
def test_the_pure_python_variable_turns_the_build_off(tmp_path: Path) -> None:
    package = _copy_package(tmp_path, with_build=True)
    (compiled, planning), _ = _import_in(tmp_path, pure=True)
    assert compiled == "False" and planning == str(package / "planning.py")


_DUMP = """
import json, sys
import chalicelib.excerpt
from chalicelib.excerpt.build import build_excerpt
from chalicelib.ingest.logsource import iter_file_blocks
out = {}
for path in sys.argv[1:]:
    ex = build_excerpt(lambda: iter_file_blocks(path, 1 << 30), 3000)
    out[path] = [ex.lines, ex.anchors, ex.fail_markers, ex.failing_step_start]
print(json.dumps({"compiled": chalicelib.excerpt.COMPILED, "excerpts": out}))
"""


@needs_build
@runs_build
def test_the_build_and_plain_python_give_the_same_excerpts() -> None:
    logs = sorted(str(path) for path in EXAMPLES.glob("*.log"))
    env = {**os.environ, PURE_PYTHON_VARIABLE: "1"}
    done = subprocess.run([sys.executable, "-c", _DUMP, *logs], env=env, capture_output=True, text=True, check=True)
    pure = json.loads(done.stdout)
    assert pure["compiled"] is False and len(pure["excerpts"]) == len(logs) >= 8
    for path in logs:
        ex = build_excerpt(functools.partial(iter_file_blocks, path, 1 << 30), 3000)
        here = json.loads(json.dumps([ex.lines, ex.anchors, ex.fail_markers, ex.failing_step_start]))
        assert here == pure["excerpts"][path], path
