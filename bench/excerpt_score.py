"""Score the excerpt on ../shared/benchmarks (see its README for the rules)."""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from chalicelib.excerpt import build_excerpt
from chalicelib.logsource import iter_file_blocks

BIG = 1 << 40


def excerpt_lines(path: Path, budget: int) -> set[int]:
    ex = build_excerpt(lambda: iter_file_blocks(str(path), BIG), budget)
    assert ex.chars <= budget, (path, ex.chars)
    return {n for n, _ in ex.lines}


def tail_lines(path: Path, budget: int) -> set[int]:
    from chalicelib.cleaning import clean_line

    raw = path.read_bytes().split(b"\n")
    used, out = 0, set()
    for i in range(len(raw) - 1, -1, -1):
        cost = len(clean_line(raw[i])) + 1
        if used + cost > budget:
            break
        used += cost
        out.add(i + 1)
    return out


def logchunks(root: Path, budget: int, fn, verbose: bool = False) -> dict[str, float]:
    succ = first = recall = 0.0
    cases = sorted(p for p in (root / "logchunks").iterdir() if p.is_dir())
    fails = []
    for case in cases:
        label = json.loads((case / "label.json").read_text())
        chunk = set(label["chunk_line_numbers"])
        got = fn(case / "build.log", budget)
        ok = chunk <= got
        succ += ok
        first += label["chunk_start_line"] in got
        recall += len(chunk & got) / len(chunk)
        if not ok:
            fails.append((case.name, label["chunk_start_line"] in got, len(chunk & got), len(chunk)))
    n = len(cases)
    if verbose:
        for f in fails:
            print("  miss", *f)
    return {"success": succ / n, "first_line": first / n, "line_recall": recall / n}


def logdx(root: Path, budget: int, fn) -> float:
    total = 0.0
    cases = sorted(p for p in (root / "logdx").iterdir() if p.is_dir())
    for case in cases:
        truth = json.loads((case / "ground_truth.json").read_text())
        got = fn(case / "raw.log", budget)
        crit = [s for s in truth["required_signals"] if s.get("importance") == "critical"]
        shown = sum(any(any(a <= n <= b for n in got) for a, b in s.get("evidence_lines", [])) for s in crit)
        total += shown / len(crit) if crit else 1.0
    return total / len(cases)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--root", default=os.environ.get("BENCH_ROOT", "../shared/benchmarks"))
    ap.add_argument("--budget", type=int, default=8000)
    ap.add_argument("-v", action="store_true")
    args = ap.parse_args()
    root = Path(args.root)
    for name, fn in (("excerpt", excerpt_lines), ("tail", tail_lines)):
        t = time.time()
        lc = logchunks(root, args.budget, fn, args.v and name == "excerpt")
        dx = logdx(root, args.budget, fn)
        print(
            f"{name:8s} logchunks success {lc['success']:.3f} first {lc['first_line']:.3f} "
            f"recall {lc['line_recall']:.3f} | logdx {dx:.3f} | {time.time() - t:.1f}s"
        )


if __name__ == "__main__":
    main()
