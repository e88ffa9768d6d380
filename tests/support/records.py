"""A valid analysis record to start a test from."""

from __future__ import annotations

from chalicelib.record import Analysis


def sample(analysis_id: str = "20261126-0123456789abcdef") -> Analysis:
    return Analysis(
        id=analysis_id,
        created_at="2026-11-26T10:00:00+00:00",
        source={"type": "inline", "size": 1, "sha256": "ab"},
        metadata={"repo": "a/b"},
        category="lint",
        fingerprint="0123456789abcdef",
        summary="s",
        root_cause="r",
        evidence=[{"line": 1, "text": "x"}],
        suggested_fix="f",
        confidence=0.5,
        engine={"name": "heuristic", "provider": "heuristic", "model": "rules-v1"},
        tokens={"prompt": 0, "completion": 0},
        cost_usd=0.0,
        excerpt={"lines": [[1, "x"]], "chars": 2, "total_lines": 1, "total_bytes": 1},
    )
