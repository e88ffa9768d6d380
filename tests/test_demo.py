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
    first = next(iter(expected))
    assert f"(re-run of {first}'s job passed on the same commit: failed on " in result.stdout
    [note] = list(tmp_path.rglob("flaky.md"))
    assert note.read_text().startswith("**Flaky, not a regression:** the job passed when it ran again")
    flaky = [json.loads(p.read_text()) for p in (tmp_path / "analysis").rglob("*.json") if "_state" not in p.parts]
    assert [r["metadata"]["job"] for r in flaky if r["flaky"]] == [expected[first]["job"]]
    reports = list((tmp_path / "history").rglob("flaky.json"))
    assert sum(job["reruns_passed"] for r in reports for job in json.loads(r.read_text())["jobs"]) == 1
    records = [p for p in (tmp_path / "analysis").rglob("*.json") if "_state" not in p.parts]
    assert len(records) == len(expected)
    assert {json.loads(p.read_text())["category"] for p in records} == {m["category"] for m in expected.values()}
    assert len(list(tmp_path.rglob("issue.md"))) == len(expected)
    assert len(list(tmp_path.rglob("email.html"))) == len(expected)
