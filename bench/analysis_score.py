"""`make bench`: how right the offline analysis is on real logs (not just the excerpt).

Runs the same analysis as `python -m chalicelib analyze --json` over ../shared/benchmarks (see
its README, "How analyses are scored here") and prints, for each half of the repositories and
for all of them:

- evidence@1 / evidence@any: the analysis' first / any evidence line lies in the labeled cause;
- category accuracy on logdx;
- "same failure": over pairs of logchunks logs of one repository, precision and recall of "same
  fingerprint" against "the labeled chunks are equal once digit runs and hex ids are replaced";
- calibration: precision (right = evidence@any) of answers with confidence >= 0.6, the share
  answered ``unknown``;
- the excerpt at 2,000 characters: logchunks success and first line;
- text-lint findings in the answers; milliseconds per log.

The repositories are split into two halves by a hash of their name (``--half``), so a rule can
be written on one half and checked on the other. A benchmark, not a test: it asserts nothing.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import re
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from itertools import combinations
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from chalicelib.excerpt.build import build_excerpt  # noqa: E402
from chalicelib.excerpt.planning import forget_described_lines  # noqa: E402
from chalicelib.ingest.logsource import iter_file_blocks  # noqa: E402
from chalicelib.ingest.metadata import RunMetadata  # noqa: E402
from chalicelib.textlint import lint_text  # noqa: E402

NO_LIMIT = 1 << 40
CONFIDENT = 0.6
SHORT_BUDGET = 2000
_ALIASES = {"compile_error": "compile", "lint_error": "lint", "type_check": "type_error"}
_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]|\[[0-9;]*m")
# A hex id of 7+ characters, with its "0x" when it has one: without it, "0x7ffc5335" would be
# read as digit runs between the letters x, f and c, and the same address printed in two runs
# would differ in where its letters fall (the README defines hex ids as replaced whole).
_IDS = re.compile(r"\b(?:0x)?[0-9a-f]{7,}\b|\d+", re.IGNORECASE)


@dataclass
class Case:
    """One benchmark log and what its label says."""

    name: str
    dataset: str
    repo: str
    path: Path
    cause_lines: frozenset[int]
    category: str = ""
    chunk_key: str = ""
    chunk_first: int = 0
    answer: dict[str, Any] = field(default_factory=dict)
    short_lines: frozenset[int] = frozenset()
    seconds: float = 0.0
    excerpt_seconds: float = 0.0
    half: str = ""


def assign_halves(cases: list[Case]) -> None:
    """Put each repository in half A or B: per dataset, repositories ordered by a hash of their
    name alternate, so each half has as many repositories of each dataset (stable across runs)."""
    for dataset in ("logchunks", "logdx"):
        repos = sorted(
            {c.repo for c in cases if c.dataset == dataset}, key=lambda r: hashlib.sha256(r.encode()).digest()
        )
        halves = {repo: "AB"[index % 2] for index, repo in enumerate(repos)}
        for case in cases:
            if case.dataset == dataset:
                case.half = halves[case.repo]


def chunk_identity(text: str) -> str:
    """The labeled chunk with run-varying parts replaced, as the benchmark README defines it."""
    return " ".join(_IDS.sub("#", _ANSI.sub("", text)).split())


def load_cases(root: Path) -> list[Case]:
    cases = []
    for case in sorted(p for p in (root / "logchunks").iterdir() if p.is_dir()):
        label = json.loads((case / "label.json").read_text())
        cases.append(
            Case(
                case.name,
                "logchunks",
                label["repository"],
                case / "build.log",
                frozenset(label["chunk_line_numbers"]),
                chunk_key=chunk_identity(label["chunk"]),
                chunk_first=label["chunk_start_line"],
            )
        )
    for case in sorted(p for p in (root / "logdx").iterdir() if p.is_dir()):
        truth = json.loads((case / "ground_truth.json").read_text())
        info = json.loads((case / "case.json").read_text())
        lines = {
            n
            for signal in truth["required_signals"]
            if signal.get("importance") in ("critical", "important")
            for a, b in signal.get("evidence_lines", [])
            for n in range(a, b + 1)
        }
        category = truth["root_cause"]["category"]
        cases.append(
            Case(case.name, "logdx", info["repo"], case / "raw.log", frozenset(lines), _ALIASES.get(category, category))
        )
    return cases


def _analyze(case: Case) -> Case:
    # Imported in the worker: the pool's processes start from a fresh interpreter.
    from chalicelib.pipeline import analyze
    from chalicelib.services import build_services
    from chalicelib.settings import Settings

    services = _analyze.__dict__.get("services")
    if services is None:
        services = build_services(Settings.from_env({"OUT_DIR": os.devnull}))
        _analyze.__dict__["services"] = services
    # The short excerpt first, untimed: the two timed runs below then both read a log this process
    # has read once (timed first, either would pay ~0.2 ms more for touching the file's bytes first,
    # and the ratio would measure the order, not the analysis).
    short = build_excerpt(lambda: iter_file_blocks(str(case.path), NO_LIMIT), SHORT_BUDGET)
    case.short_lines = frozenset(n for n, _ in short.lines)
    # Both timed as cold as a new log: what earlier logs taught the excerpt of line shapes is forgotten.
    forget_described_lines()
    start = time.perf_counter()
    case.answer = analyze(lambda: iter_file_blocks(str(case.path), NO_LIMIT), RunMetadata(), services)
    case.seconds = time.perf_counter() - start
    forget_described_lines()
    start = time.perf_counter()
    build_excerpt(lambda: iter_file_blocks(str(case.path), NO_LIMIT))
    case.excerpt_seconds = time.perf_counter() - start
    case.answer.pop("excerpt", None)
    return case


def _ratio(num: float, den: float) -> str:
    return f"{num / den:.3f}" if den else "  -  "


def report(cases: list[Case], title: str) -> list[str]:
    lines = [f"{title} ({len(cases)} logs)"]
    for dataset in ("logchunks", "logdx"):
        part = [c for c in cases if c.dataset == dataset]
        if not part:
            continue
        at1 = sum(bool(c.answer["evidence"]) and c.answer["evidence"][0]["line"] in c.cause_lines for c in part)
        anyl = sum(any(e["line"] in c.cause_lines for e in c.answer["evidence"]) for c in part)
        lines.append(f"  {dataset:9s} evidence@1 {_ratio(at1, len(part))}  evidence@any {_ratio(anyl, len(part))}")
    dx = [c for c in cases if c.dataset == "logdx"]
    if dx:
        right = sum(c.answer["category"] == c.category for c in dx)
        lines.append(f"  logdx category accuracy {_ratio(right, len(dx))} ({right}/{len(dx)})")
    lc = [c for c in cases if c.dataset == "logchunks"]
    by_repo: dict[str, list[Case]] = {}
    for c in lc:
        by_repo.setdefault(c.repo, []).append(c)
    same_fp = same_both = same_label = 0
    for group in by_repo.values():
        for a, b in combinations(group, 2):
            fp = a.answer["fingerprint"] == b.answer["fingerprint"]
            label = a.chunk_key == b.chunk_key
            same_fp += fp
            same_label += label
            same_both += fp and label
    lines.append(
        f"  same failure: precision {_ratio(same_both, same_fp)} recall {_ratio(same_both, same_label)} "
        f"({same_fp} pairs share a fingerprint, {same_label} share a labeled chunk)"
    )
    confident = [c for c in cases if c.answer["confidence"] >= CONFIDENT]
    right = sum(any(e["line"] in c.cause_lines for e in c.answer["evidence"]) for c in confident)
    unknown = sum(c.answer["category"] == "unknown" for c in cases)
    lines.append(
        f"  calibration: precision at confidence >= {CONFIDENT} {_ratio(right, len(confident))} "
        f"({len(confident)} answers), unknown {_ratio(unknown, len(cases))}"
    )
    if lc:
        success = sum(c.cause_lines <= c.short_lines for c in lc)
        first = sum(c.chunk_first in c.short_lines for c in lc)
        lines.append(
            f"  excerpt at {SHORT_BUDGET} chars: logchunks success {_ratio(success, len(lc))} "
            f"first line {_ratio(first, len(lc))}"
        )
    findings = [f for c in cases for f in answer_findings(c)]
    lines.append(f"  text-lint findings: {len(findings)}")
    ms = sorted(c.seconds * 1000 for c in cases)
    ratio = sorted(c.seconds / c.excerpt_seconds for c in cases if c.excerpt_seconds > 0)
    lines.append(
        f"  offline analysis: median {ms[len(ms) // 2]:.0f} ms per log, max {ms[-1]:.0f} ms; "
        f"{ratio[len(ratio) // 2]:.2f}x the excerpt alone (median)"
    )
    return lines


def answer_findings(case: Case) -> Iterator[str]:
    for key in ("summary", "root_cause", "suggested_fix"):
        for finding in lint_text(case.answer[key], commands=key == "suggested_fix"):
            yield f"{case.name} {key}: {finding}"


def import_ms(tries: int = 5) -> float:
    """Milliseconds a fresh interpreter takes to import the Chalice app (best of ``tries``)."""
    code = "import time; t = time.perf_counter(); import app; print((time.perf_counter() - t) * 1000)"
    runs = [
        subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
        for _ in range(tries)
    ]
    return min(float(run.stdout) for run in runs)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--root", default=os.environ.get("BENCH_ROOT", str(ROOT.parent / "shared" / "benchmarks")))
    parser.add_argument("--half", choices=("A", "B"), help="only the repositories of one half")
    parser.add_argument("--details", metavar="FILE", help="write each log's answer and score as JSON lines")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    args = parser.parse_args()
    root = Path(args.root)
    if not (root / "logchunks").is_dir():
        sys.exit(f"no benchmark data at {root} (set BENCH_ROOT)")
    cases = load_cases(root)
    assign_halves(cases)
    cases = [c for c in cases if args.half in (None, c.half)]
    with ProcessPoolExecutor(max_workers=args.workers) as pool:
        cases = list(pool.map(_analyze, cases, chunksize=4))
    print("analysis (offline engine) on the benchmark logs")
    for half in ("A", "B"):
        part = [c for c in cases if c.half == half]
        if part:
            print("\n".join(report(part, f" half {half}")))
    if args.half is None:
        print("\n".join(report(cases, " all")))
    print(f" import of app (a cold start's share): {import_ms():.0f} ms, best of 5")
    categories = Counter(c.answer["category"] for c in cases)
    print(" categories given: " + ", ".join(f"{k} {v}" for k, v in categories.most_common()))
    findings = [f for c in cases for f in answer_findings(c)]
    for finding in findings[:20]:
        print(f"   {finding}")
    if args.details:
        with open(args.details, "w") as out:
            for c in cases:
                row = {
                    "name": c.name,
                    "half": c.half,
                    "repo": c.repo,
                    "cause": sorted(c.cause_lines)[:3],
                    "category": c.category,
                    "answer": c.answer,
                    "at1": bool(c.answer["evidence"]) and c.answer["evidence"][0]["line"] in c.cause_lines,
                }
                out.write(json.dumps(row) + "\n")


if __name__ == "__main__":
    main()
