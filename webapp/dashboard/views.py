"""What a failure page shows beyond the record's own text: links to the run and the commit, the
proposed change as a diff, and code spans in prose."""

from __future__ import annotations

import difflib
import re
from typing import Any

from markupsafe import Markup, escape

_REPO = re.compile(r"^[\w.-]+/[\w.-]+$")
_SHA = re.compile(r"^[0-9a-fA-F]{7,64}$")
_RUN = re.compile(r"^\d{1,20}$")
_CODE = re.compile(r"`([^`\n]{1,200})`")


def links(record: dict[str, Any], server: str) -> dict[str, str]:
    """The run and the commit on GitHub, built from the record's checked metadata (never a URL
    taken from a log): empty where the metadata does not say."""
    meta = record.get("metadata") or {}
    repo, sha, run = str(meta.get("repo", "")), str(meta.get("sha", "")), str(meta.get("run_id", ""))
    good_repo = _REPO.match(repo) is not None
    run_url = str(meta.get("run_url", ""))
    if not run_url.startswith(f"{server}/{repo}/") or not good_repo:
        run_url = f"{server}/{repo}/actions/runs/{run}" if good_repo and _RUN.match(run) else ""
    return {
        "run": run_url,
        "commit": f"{server}/{repo}/commit/{sha}" if good_repo and _SHA.match(sha) else "",
    }


def proposed_change(record: dict[str, Any]) -> str:
    """The fix the analysis proposes, as a unified diff ("" when it proposes none)."""
    chunks: list[str] = []
    for edit in record.get("edits") or []:
        path = str(edit.get("path", ""))
        diff = difflib.unified_diff(
            str(edit.get("search", "")).splitlines(),
            str(edit.get("replace", "")).splitlines(),
            f"a/{path}",
            f"b/{path}",
            lineterm="",
        )
        chunks.append("\n".join(diff))
    plan = record.get("fix_plan") or {}
    if not chunks and plan.get("kind") == "append_line":
        chunks.append(f"--- a/{plan['path']}\n+++ b/{plan['path']}\n@@ end of file @@\n+{plan['line']}")
    return "\n".join(chunks)


def code_spans(text: object) -> Markup:
    """Prose with its `code` spans shown as code (every part escaped, as everywhere)."""
    parts = _CODE.split(str(text))  # prose, code, prose, code, ..., prose
    code = Markup("<code>{}</code>")
    return Markup("").join(code.format(part) if index % 2 else escape(part) for index, part in enumerate(parts))
