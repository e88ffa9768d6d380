"""Links are built by the service from validated metadata; nothing a log says becomes one."""

from __future__ import annotations

import pytest

from chalicelib.actions.links import build_links, is_commit_sha, is_repo_name, message_links
from chalicelib.record import ActionResult
from chalicelib.settings import Settings
from tests.support.records import sample

SETTINGS = Settings.from_env({"DASHBOARD_URL": "https://ci.example.com/", "GITHUB_SERVER_URL": "https://ghe.example"})


def test_valid_metadata_gives_run_commit_and_dashboard_links() -> None:
    analysis = sample()
    analysis.metadata = {"repo": "acme/shop", "run_id": "42", "sha": "3f9c2a1"}
    links = build_links(analysis, SETTINGS)
    assert links.run == "https://ghe.example/acme/shop/actions/runs/42"
    assert links.commit == "https://ghe.example/acme/shop/commit/3f9c2a1"
    assert links.dashboard == f"https://ci.example.com/failures/{analysis.id}"


@pytest.mark.parametrize("repo", ["evil.com/x/y", "acme shop/x", "acme/shop\n", "https://evil.com", ""])
def test_a_repo_that_is_not_owner_slash_name_gives_no_link(repo: str) -> None:
    analysis = sample()
    analysis.metadata = {"repo": repo, "run_id": "42", "sha": "3f9c2a1"}
    links = build_links(analysis, SETTINGS)
    assert not is_repo_name(repo) and links.run == "" and links.commit == ""


@pytest.mark.parametrize("sha", ["3F9C2A1", "3f9c", "3f9c2a1/../x", ""])
def test_a_sha_that_is_not_a_commit_gives_no_commit_link(sha: str) -> None:
    analysis = sample()
    analysis.metadata = {"repo": "acme/shop", "run_id": "42", "sha": sha}
    links = build_links(analysis, SETTINGS)
    assert not is_commit_sha(sha) and links.commit == "" and links.run.endswith("/runs/42")


def test_messages_link_only_what_github_created() -> None:
    analysis = sample()
    analysis.actions = [
        ActionResult("github_issue", "acme/shop", "created", url="https://github.com/acme/shop/issues/7"),
        ActionResult("github_pr", "acme/shop", "dry_run", url="s3://bucket/drafts/pr.md"),
    ]
    links = message_links(analysis, SETTINGS)
    assert links["issue"] == "https://github.com/acme/shop/issues/7" and links["pr"] == ""
