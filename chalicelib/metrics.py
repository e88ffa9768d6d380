"""The service's own metrics, in CloudWatch's embedded metric format (EMF).

One JSON line on standard output per analysis: Lambda ships it to CloudWatch Logs, which turns
it into metrics. No API call on the hot path, nothing to batch, nothing to retry.
"""

from __future__ import annotations

import json
import sys
import time
from typing import TextIO

from chalicelib.record import Analysis

NAMESPACE = "SelfHealingCI"


def _line(dimension_sets: list[list[str]], metrics: dict[str, tuple[float, str]], dimensions: dict[str, str]) -> str:
    document: dict[str, object] = {
        "_aws": {
            "Timestamp": int(time.time() * 1000),
            "CloudWatchMetrics": [
                {
                    "Namespace": NAMESPACE,
                    "Dimensions": dimension_sets,
                    "Metrics": [{"Name": name, "Unit": unit} for name, (_, unit) in metrics.items()],
                }
            ],
        },
        **dimensions,
        **{name: value for name, (value, _) in metrics.items()},
    }
    return json.dumps(document, separators=(",", ":"))


def emit_analysis(analysis: Analysis, out: TextIO | None = None) -> None:
    """Analyses by category; LLM tokens and cost; issues and pull requests opened."""
    stream = out or sys.stdout
    stream.write(_line([["Category"]], {"Analyses": (1, "Count")}, {"Category": analysis.category}) + "\n")
    opened = {(a.kind, a.status) for a in analysis.actions}
    totals = {
        "LlmTokens": (analysis.tokens.get("prompt", 0) + analysis.tokens.get("completion", 0), "Count"),
        "LlmCostUSD": (analysis.cost_usd, "None"),
        "IssuesOpened": (int(("github_issue", "created") in opened), "Count"),
        "PullRequestsOpened": (int(("github_pr", "created") in opened), "Count"),
    }
    stream.write(_line([[]], totals, {}) + "\n")
    stream.flush()


def emit_healed(out: TextIO | None = None) -> None:
    stream = out or sys.stdout
    stream.write(_line([[]], {"Healed": (1, "Count")}, {}) + "\n")
    stream.flush()
