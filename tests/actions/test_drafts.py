"""The dry-run drafts: a fix pull request is drafted only when the live path would open it."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import pytest

from chalicelib.actions.base import DryRunPullRequest, DryRunPullRequestComment
from chalicelib.ingest.metadata import RunMetadata
from chalicelib.record import Analysis
from chalicelib.settings import Settings
from chalicelib.store.records import LocalRecordStore
from tests.support.records import sample

NOW = datetime(2026, 11, 26, 10, 0, tzinfo=UTC)


def draft(tmp_path: Path, analysis: Analysis) -> tuple[str, str, bool]:
    analysis = replace(analysis, metadata=RunMetadata(repo="acme/api").to_dict())
    store = LocalRecordStore(tmp_path)
    result = DryRunPullRequest(store, Settings.from_env({}), lambda: NOW).run(analysis)
    drafted = any(p.name == "pr.md" for p in tmp_path.rglob("*"))
    return result.status, result.detail, drafted


@pytest.mark.parametrize(
    ("edits", "detail"),
    [
        (
            [{"path": ".github/workflows/ci.yml", "search": "run: make", "replace": "run: make deploy"}],
            "fix rejected: .github/workflows/ci.yml: "
            "hidden files and folders (CI, tool and agent settings) never change",
        ),
        (
            [{"path": "../../etc/passwd", "search": "root", "replace": "toor"}],
            "fix rejected: '../../etc/passwd': paths with '..' or odd segments are refused",
        ),
        (
            [{"path": "/etc/passwd", "search": "root", "replace": "toor"}],
            "fix rejected: '/etc/passwd': only relative paths inside the repository may change",
        ),
        (
            [{"path": "AGENTS.md", "search": "a", "replace": "b"}],
            "fix rejected: AGENTS.md: files that CI, build tools or agents run or obey never change",
        ),
        (
            [{"path": "src/a.py", "search": "", "replace": "x = 1\n" * 500}],
            "fix rejected: 500 changed lines; at most 60 are allowed",
        ),
        (
            [{"path": f"src/m{i}.py", "search": "a = 1", "replace": "a = 2"} for i in range(6)],
            "fix rejected: 6 files changed; at most 5 are allowed",
        ),
    ],
)
def test_a_fix_the_policy_refuses_gets_no_draft_and_the_reason_is_recorded(
    tmp_path: Path, edits: list[dict[str, str]], detail: str
) -> None:
    assert draft(tmp_path, replace(sample(), edits=edits)) == ("skipped", detail, False)


def test_a_fix_the_policy_takes_is_drafted(tmp_path: Path) -> None:
    analysis = replace(sample(), edits=[{"path": "src/a.py", "search": "x = 1", "replace": "x = 2"}])
    status, detail, drafted = draft(tmp_path, analysis)
    assert (status, drafted) == ("dry_run", True)
    assert detail == "would open draft pull request from self-healing/01234567-manual"


def test_a_planned_requirement_the_failure_names_is_drafted(tmp_path: Path) -> None:
    analysis = replace(
        sample(),
        excerpt={"lines": [[3, "ModuleNotFoundError: No module named 'yaml'"]]},
        fix_plan={"kind": "append_line", "path": "requirements.txt", "line": "PyYAML"},
    )
    status, detail, drafted = draft(tmp_path, analysis)
    assert (status, drafted) == ("dry_run", True)
    assert detail == "would open draft pull request from self-healing/01234567-manual"


def test_a_pull_requests_failure_drafts_the_comment_it_would_get(tmp_path: Path) -> None:
    metadata = RunMetadata(repo="acme/api", run_id="77", job="test (3.11)", pull_request="12").to_dict()
    analysis = replace(
        sample(),
        metadata=metadata,
        category="test_assertion",
        root_cause="test_login fails: assert 500 == 200",
        suggested_fix="Make the login handler return 200.",
        evidence=[{"line": 41, "text": "E       assert 500 == 200"}],
    )
    action = DryRunPullRequestComment(LocalRecordStore(tmp_path), Settings.from_env({}), lambda: NOW)
    assert action.applies(analysis) and not action.applies(replace(analysis, metadata={"repo": "acme/api"}))
    result = action.run(analysis)
    assert (result.status, result.detail) == ("dry_run", "would comment on pull request #12")
    [draft] = list(tmp_path.rglob("pr-comment.md"))
    assert draft.read_text() == (
        "### Self-Healing CI: 1 failing job\n\n"
        "#### test \\(3.11\\) · `test_assertion`\n\n"
        "test\\_login fails\\: assert 500 == 200\n\n"
        "```text\n    41 | E       assert 500 == 200\n```\n\n"
        "**Suggested fix:** Make the login handler return 200.\n\n"
        "Run: https://github.com/acme/api/actions/runs/77\n"
    )
