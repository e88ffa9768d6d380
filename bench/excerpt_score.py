"""`make bench`: how well and how fast the excerpt finds the cause, on real logs.

Reads ../shared/benchmarks (see its README for the data and the scoring rules) and prints, per
set, the excerpt's score beside a tail baseline of the same budget; the classifier's category
accuracy on logdx and on the project's examples (the offline engine's); throughput over all logs; and the peak memory
of the command-line excerpt on a generated 1 GB log. A benchmark, not a test: it asserts nothing.
"""

from __future__ import annotations

import argparse
import functools
import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import chalicelib.excerpt  # noqa: E402
from chalicelib.engines.heuristic import analyze_offline  # noqa: E402
from chalicelib.excerpt.build import build_excerpt  # noqa: E402
from chalicelib.excerpt.cleaning import clean_line  # noqa: E402
from chalicelib.excerpt.compiled import PURE_PYTHON_VARIABLE  # noqa: E402
from chalicelib.excerpt.planning import forget_described_lines  # noqa: E402
from chalicelib.ingest.logsource import iter_file_blocks  # noqa: E402

NO_LIMIT = 1 << 40
LinesFn = Callable[[Path, int], set[int]]
# logdx labels use a few older names for the categories.
_ALIASES = {"compile_error": "compile", "lint_error": "lint", "type_check": "type_error"}


def excerpt_lines(path: Path, budget: int) -> set[int]:
    ex = build_excerpt(functools.partial(iter_file_blocks, str(path), NO_LIMIT), budget)
    if ex.chars > budget:
        raise AssertionError(f"{path}: excerpt of {ex.chars} chars is over the budget")
    return {n for n, _ in ex.lines}


def tail_lines(path: Path, budget: int) -> set[int]:
    raw = path.read_bytes().split(b"\n")
    if raw and raw[-1] == b"":
        raw.pop()
    used, out = 0, set()
    for index in range(len(raw) - 1, -1, -1):
        cost = len(clean_line(raw[index])) + 1
        if used + cost > budget:
            break
        used += cost
        out.add(index + 1)
    return out


def logchunks(root: Path, budget: int, fn: LinesFn) -> dict[str, float]:
    cases = sorted(p for p in (root / "logchunks").iterdir() if p.is_dir())
    success = first = recall = 0.0
    for case in cases:
        label = json.loads((case / "label.json").read_text())
        chunk = set(label["chunk_line_numbers"])
        got = fn(case / "build.log", budget)
        success += chunk <= got
        first += label["chunk_start_line"] in got
        recall += len(chunk & got) / len(chunk)
    n = len(cases)
    return {"success": success / n, "first_line": first / n, "line_recall": recall / n, "logs": n}


def logdx(root: Path, budget: int, fn: LinesFn) -> float:
    cases = sorted(p for p in (root / "logdx").iterdir() if p.is_dir())
    total = 0.0
    for case in cases:
        truth = json.loads((case / "ground_truth.json").read_text())
        got = fn(case / "raw.log", budget)
        critical = [s for s in truth["required_signals"] if s.get("importance") == "critical"]
        shown = sum(any(a <= n <= b for n in got for a, b in s.get("evidence_lines", [])) for s in critical)
        total += shown / len(critical) if critical else 1.0
    return total / len(cases)


def category_accuracy(pairs: list[tuple[Path, str]]) -> tuple[float, list[str]]:
    right, wrong = 0, []
    for path, expected in pairs:
        ex = build_excerpt(functools.partial(iter_file_blocks, str(path), NO_LIMIT))
        got = analyze_offline(ex.lines, ex.anchors, ex.failing_step_start, ex.fail_markers).category
        if got == expected:
            right += 1
        else:
            wrong.append(f"{path.parent.name if path.name == 'raw.log' else path.name}: {got} (expected {expected})")
    return right / len(pairs), wrong


PASSES = 5


def throughput(root: Path, budget: int, passes: int = PASSES) -> tuple[float, float]:
    """MB/s of the fastest of ``passes`` passes over all logs, each as cold as a new process."""
    files = sorted(root.glob("logchunks/*/build.log")) + sorted(root.glob("logdx/*/raw.log"))
    size = sum(f.stat().st_size for f in files)
    best = float("inf")
    for _ in range(passes):
        # What earlier passes learned of these very lines must not count.
        forget_described_lines()
        start = time.perf_counter()
        for path in files:
            build_excerpt(functools.partial(iter_file_blocks, str(path), NO_LIMIT), budget)
        best = min(best, time.perf_counter() - start)
    return size / best / 1e6, size / 1e6


def generate_log(path: Path, size: int) -> None:
    """A CI-like log of ``size`` bytes: mostly noise, some warnings, the cause near the end."""
    noise = [
        b"2026-11-20T09:14:%02d.1234567Z   Compiling module_%d v0.%d.0 (/home/runner/work/app/crates/m%d)\n",
        b"2026-11-20T09:14:%02d.1234567Z test suite::case_%d ... ok (%d ms) [worker %d]\n",
        b"2026-11-20T09:14:%02d.1234567Z warning: unused variable `x%d` at src/lib%d.rs:%d\n",
    ]
    written = 0
    i = 0
    with open(path, "wb") as out:
        out.write(b"2026-11-20T09:14:00.0000000Z ##[group]Run cargo test --workspace\n")
        while written < size - 4096:
            chunk = b"".join(noise[(i + k) % 3] % (k % 60, i + k, k % 97, k % 8) for k in range(2000))
            out.write(chunk)
            written += len(chunk)
            i += 2000
        out.write(b"2026-11-20T09:59:00.0Z thread 'suite::parser' panicked at 'assertion failed: left == right'\n")
        out.write(b"2026-11-20T09:59:01.0Z ##[error]Process completed with exit code 101.\n")


def generate_hostile_log(path: Path, size: int) -> None:
    """A log built to fill memory: distinct long error lines (digits too), then one line of a quarter of ``size``."""
    written = 0
    with open(path, "wb") as out:
        i = 0
        while written < size * 3 // 4:
            chunk = b"".join(
                b"error %d in unit_%x: %s\n" % (k, k * 7919, b"%08x" % (k * 2654435761 % (1 << 32)) * 70)
                for k in range(i, i + 2000)
            )
            out.write(chunk)
            written += len(chunk)
            i += 2000
        line = b"x error " * (1 << 17)
        for _ in range(size // 4 // len(line)):
            out.write(line)
        out.write(b"\nthread 'main' panicked at 'out of cheese'\n##[error]Process completed with exit code 101.\n")


# Run by a small parent, since a child starts with its parent's peak (Linux keeps ru_maxrss
# across fork and exec) and this benchmark's own process is large by now.
_MEASURE = """
import resource, subprocess, sys, time
start = time.perf_counter()
subprocess.run(sys.argv[1:], check=True, stdout=subprocess.DEVNULL)
print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, time.perf_counter() - start)
"""


def peak_rss_mb(size: int, generate: Callable[[Path, int], None] = generate_log) -> tuple[float, float]:
    """Peak RSS and speed of `python -m chalicelib excerpt` on a log of ``size`` bytes that ``generate`` writes."""
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "big.log"
        generate(path, size)
        report = subprocess.run(
            [sys.executable, "-c", _MEASURE, sys.executable, "-m", "chalicelib", "excerpt", "--jsonl", str(path)],
            cwd=ROOT,
            check=True,
            capture_output=True,
            text=True,
        ).stdout.split()
    peak_kb, elapsed = int(report[0]), float(report[1])
    return peak_kb / 1024, path_size_mb(size) / elapsed


def path_size_mb(size: int) -> float:
    return size / 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--root", default=os.environ.get("BENCH_ROOT", str(ROOT.parent / "shared" / "benchmarks")))
    parser.add_argument("--budget", type=int, default=8000)
    parser.add_argument("--big-log-mb", type=int, default=1024, help="size of the generated log (0 skips it)")
    parser.add_argument("--throughput-only", action="store_true", help="print only the MB/s over all logs")
    args = parser.parse_args()
    root = Path(args.root)
    if not (root / "logchunks").is_dir():
        sys.exit(f"no benchmark data at {root} (set BENCH_ROOT)")
    if args.throughput_only:
        print(f"{throughput(root, args.budget)[0]:.1f}")
        return
    print(f"excerpt budget {args.budget} chars")
    for name, fn in (("excerpt", excerpt_lines), ("tail", tail_lines)):
        lc = logchunks(root, args.budget, fn)
        dx = logdx(root, args.budget, fn)
        print(
            f"  {name:8s} logchunks ({lc['logs']:.0f} logs): success {lc['success']:.3f}  "
            f"first line {lc['first_line']:.3f}  line recall {lc['line_recall']:.3f}  |  "
            f"logdx critical signals {dx:.3f}"
        )
    dx_pairs = []
    for case in sorted(p for p in (root / "logdx").iterdir() if p.is_dir()):
        truth = json.loads((case / "ground_truth.json").read_text())["root_cause"]["category"]
        dx_pairs.append((case / "raw.log", _ALIASES.get(truth, truth)))
    manifest = json.loads((ROOT / "examples" / "manifest.json").read_text())
    example_pairs = [(ROOT / "examples" / k, v["category"]) for k, v in manifest.items() if not k.startswith("_")]
    for name, pairs in (("logdx", dx_pairs), ("examples", example_pairs)):
        accuracy, wrong = category_accuracy(pairs)
        print(f"  category accuracy on {name}: {accuracy:.3f} ({len(pairs)} logs)")
        for line in wrong:
            print(f"    {line}")
    mb_per_s, total_mb = throughput(root, args.budget)
    version = sys.version.split()[0]
    build = "compiled with mypyc" if chalicelib.excerpt.COMPILED else "plain Python"
    print(
        f"  throughput: {mb_per_s:.1f} MB/s over {total_mb:.0f} MB "
        f"(best of {PASSES} cold passes, {build}, Python {version}, one core)"
    )
    if chalicelib.excerpt.COMPILED:
        # The same code uncompiled, as a Lambda packaged without the build runs it.
        pure = subprocess.run(
            [sys.executable, __file__, "--root", str(root), "--budget", str(args.budget), "--throughput-only"],
            env={**os.environ, PURE_PYTHON_VARIABLE: "1"},
            capture_output=True,
            text=True,
            check=True,
        )
        print(f"  throughput as plain Python: {pure.stdout.strip()} MB/s")
    if args.big_log_mb:
        peak, speed = peak_rss_mb(args.big_log_mb * 1024 * 1024)
        print(f"  generated {args.big_log_mb} MiB log: peak RSS {peak:.0f} MB, {speed:.0f} MB/s end to end")
        hostile_mb = min(args.big_log_mb, 256)
        peak, speed = peak_rss_mb(hostile_mb * 1024 * 1024, generate_hostile_log)
        print(
            f"  hostile {hostile_mb} MiB log (distinct 600-char error lines, a {hostile_mb // 4} MiB line): "
            f"peak RSS {peak:.0f} MB, {speed:.0f} MB/s end to end"
        )


if __name__ == "__main__":
    main()
