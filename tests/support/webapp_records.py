"""Records for dashboard tests and the benchmark, in the bucket's layout."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

CATEGORIES = ["test_assertion", "lint", "type_error", "dependency_install", "docker_build", "timeout_or_oom"]


def make_record(
    n: int,
    when: datetime,
    repo: str = "acme/api",
    category: str = "lint",
    fingerprint: str = "",
    healed: bool = False,
    summary: str = "",
    with_pr: bool = False,
) -> dict[str, Any]:
    analysis_id = f"{when:%Y%m%d}-{hashlib.sha256(str(n).encode()).hexdigest()[:16]}"
    actions: list[dict[str, str]] = [
        {
            "kind": "github_issue",
            "target": repo,
            "status": "created",
            "url": f"https://github.com/{repo}/issues/{n}",
            "detail": "",
            "at": "",
        }
    ]
    if with_pr or healed:
        actions.append(
            {
                "kind": "github_pr",
                "target": repo,
                "status": "created",
                "url": f"https://github.com/{repo}/pull/{n}",
                "detail": "",
                "at": "",
            }
        )
    return {
        "schema_version": 1,
        "id": analysis_id,
        "created_at": when.isoformat(),
        "status": "complete",
        "source": {"type": "inline", "size": 1, "sha256": "x"},
        "metadata": {"repo": repo, "branch": "main", "job": "test", "run_id": str(n), "status": "failure"},
        "category": category,
        "fingerprint": fingerprint or hashlib.sha256(f"fp{n}".encode()).hexdigest()[:16],
        "summary": summary or f"failure number {n}",
        "root_cause": f"root cause {n}",
        "evidence": [{"line": 10, "text": f"error {n}"}],
        "suggested_fix": "fix it",
        "confidence": 0.8,
        "engine": {"name": "heuristic", "provider": "heuristic", "model": "rules-v1"},
        "tokens": {"prompt": 0, "completion": 0},
        "cost_usd": 0.0,
        "excerpt": {"lines": [[10, f"error {n}"]], "chars": 10, "total_lines": 100, "total_bytes": 1000},
        "edits": [],
        "fix_plan": None,
        "actions": actions,
        "occurrences": 1,
        "healing": {"healed": True, "healed_at": (when + timedelta(hours=3)).isoformat()} if healed else None,
    }


def write(root: Path, record: dict[str, Any]) -> None:
    day = record["id"][:8]
    path = root / "analysis" / day[:4] / day[4:6] / day[6:8] / f"{record['id']}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(record))


def populate(root: Path, count: int, days: int, now: datetime | None = None) -> list[dict[str, Any]]:
    """``count`` records spread over the last ``days`` days; some recur, some healed."""
    now = now or datetime.now(UTC)
    out = []
    for n in range(count):
        when = now - timedelta(days=n % days, minutes=n % 1440)
        record = make_record(
            n,
            when,
            repo=f"acme/repo{n % 5}",
            category=CATEGORIES[n % len(CATEGORIES)],
            fingerprint=f"{n % 50:016x}",
            healed=n % 7 == 0,
            with_pr=n % 3 == 0,
        )
        write(root, record)
        out.append(record)
    return out
