"""`make demo`'s script, end to end: one line per example and the files a user opens afterwards."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from tests.conftest import ROOT, manifest


def test_demo_runs_offline_and_writes_records_and_drafts(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "scripts/demo.py", "--out", str(tmp_path)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    expected = manifest()
    for name, meta in expected.items():
        [line] = [entry for entry in lines if entry.startswith(f"{name}: ")]
        assert line.startswith(f"{name}: {meta['category']} — ")
    assert "duplicate, no new record" in result.stdout
    records = [p for p in tmp_path.rglob("*.json") if "_state" not in p.parts]
    assert len(records) == len(expected)
    assert {json.loads(p.read_text())["category"] for p in records} == {m["category"] for m in expected.values()}
    assert len(list(tmp_path.rglob("issue.md"))) == len(expected)
    assert len(list(tmp_path.rglob("email.html"))) == len(expected)
