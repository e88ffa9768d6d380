"""Compile the excerpt's hot modules with mypyc into chalicelib/excerpt/_compiled (see compiled.py there).

Does nothing when the build there matches the sources. Without a C compiler the package runs as
plain Python: this script then says so and exits 0, unless --required (CI) makes it an error.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shutil
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import IO

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
# The build reads the sources; it must not load an older build of them while it does.
os.environ["SELF_HEALING_PURE_PYTHON"] = "1"

from chalicelib.excerpt.compiled import BUILD_FOLDER, GROUP, MODULES, STAMP_FILE, build_stamp, current_build  # noqa: E402

# mypyc's note that it builds a list where the source passes a generator expression on: the
# second pass over a log once held the whole log in memory that way (tests/test_linefetch.py).
MATERIALIZED = b"Treating generator comprehension as list"
GENERATORS_AS_LISTS = "write a generator function (or a list where the items are few); the build is not used"


def build(package_dir: Path) -> None:
    """Compile MODULES into ``package_dir``/BUILD_FOLDER with their stamp; raises on any failure."""
    # Imported here: only a build needs them (and a machine without them still runs pure Python).
    from mypyc.build import mypycify
    from setuptools import Distribution

    stamp = build_stamp(package_dir)  # of the sources as they were when the build began
    with tempfile.TemporaryDirectory() as tmp:
        os.chdir(ROOT)  # mypyc names modules by their path from here: chalicelib/excerpt/x.py
        relative = package_dir.relative_to(ROOT)
        extensions = mypycify(
            [f"{relative}/{name}.py" for name in MODULES],
            opt_level="3",
            group_name=f"{'.'.join(relative.parts)}.{GROUP}",
            target_dir=f"{tmp}/c",
        )
        dist = Distribution({"name": "self-healing-ci-compiled", "ext_modules": extensions})
        command = dist.get_command_obj("build_ext")
        command.build_lib, command.build_temp = f"{tmp}/lib", f"{tmp}/temp"
        dist.run_command("build_ext")
        built = sorted(Path(tmp, "lib", *relative.parts).glob("*.so"))
        if len(built) != len(MODULES) + 1:
            raise RuntimeError(f"expected {len(MODULES) + 1} extension modules, mypyc built {len(built)}")
        out = package_dir / BUILD_FOLDER
        shutil.rmtree(out, ignore_errors=True)
        out.mkdir()
        for path in built:
            shutil.copy2(path, out / path.name)
        # The stamp last: a build stopped halfway has none and is never used.
        (out / STAMP_FILE).write_text(json.dumps(stamp, indent=1, sort_keys=True) + "\n")


@contextlib.contextmanager
def _output_to(log: IO[bytes]) -> Iterator[None]:
    """Send this process's stdout and stderr, and its children's (the C compiler), to ``log``."""
    sys.stdout.flush()
    sys.stderr.flush()
    saved = [os.dup(1), os.dup(2)]
    try:
        os.dup2(log.fileno(), 1)
        os.dup2(log.fileno(), 2)
        yield
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
        os.dup2(saved[0], 1)
        os.dup2(saved[1], 2)
        for fd in saved:
            os.close(fd)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--required", action="store_true", help="fail when the build fails (CI)")
    args = parser.parse_args(argv)
    package_dir = ROOT / "chalicelib" / "excerpt"
    if current_build(package_dir) is not None:
        return 0
    print(f"compiling {len(MODULES)} modules of {package_dir.name} with mypyc (about 20 s)...", flush=True)
    with tempfile.TemporaryFile() as log:
        try:
            with _output_to(log):  # the compiler's lines and mypyc's notes, shown only on failure
                build(package_dir)
            log.seek(0)
            if MATERIALIZED in log.read():
                raise RuntimeError(f"mypyc says {MATERIALIZED.decode()!r}: {GENERATORS_AS_LISTS}")
        except Exception as exc:  # any failure (no compiler, a mypyc error) leaves plain Python running
            shutil.rmtree(package_dir / BUILD_FOLDER, ignore_errors=True)
            log.seek(0)
            sys.stderr.write(log.read().decode(errors="replace")[-4000:])
            print(f"compiled build failed ({type(exc).__name__}: {exc}); plain Python runs instead", file=sys.stderr)
            return 1 if args.required else 0
    print(f"compiled build ready in {package_dir / BUILD_FOLDER}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
