"""Every answer the offline engine gives on the dev benchmark logs reads as a person would write it.

The logs are ../shared/benchmarks (or BENCH_ROOT), next to the project on a developer's machine;
where they are not, there is nothing to read and the test says so by skipping.
"""

from __future__ import annotations

import functools
import os
from pathlib import Path

import pytest

from chalicelib.engines.heuristic import analyze_offline
from chalicelib.excerpt.build import build_excerpt
from chalicelib.ingest.logsource import iter_file_blocks
from chalicelib.textlint import lint_text

ROOT = Path(os.environ.get("BENCH_ROOT", Path(__file__).resolve().parents[3] / "shared" / "benchmarks"))


def benchmark_logs() -> list[Path]:
    """The dev benchmark's logs, LogChunks' and LogDx's."""
    if not ROOT.is_dir():
        return []
    return sorted([*ROOT.glob("logchunks/*/build.log"), *ROOT.glob("logdx/*/raw.log")])


@pytest.mark.skipif(not benchmark_logs(), reason=f"no benchmark logs at {ROOT}")
def test_every_dev_benchmark_answer_reads_as_a_person_would_write_it() -> None:
    findings = []
    for path in benchmark_logs():
        ex = build_excerpt(functools.partial(iter_file_blocks, str(path), 1 << 40))
        finding = analyze_offline(ex.lines, ex.anchors, ex.failing_step_start, ex.fail_markers)
        for text, commands in ((finding.summary, False), (finding.root_cause, False), (finding.suggested_fix, True)):
            findings += [f"{path.parent.name}: {f}" for f in lint_text(text, commands=commands)]
    assert findings == []
