"""The answer beside the commit: a "Self-Healing CI" check run with annotations.

GitHub shows a check run on the commit and on its pull request; its annotations sit on the
lines the failure names (``path:line`` in the evidence, paths from the repository's root).
Only a GitHub App may create check runs, so the action applies when the service acts as one.
"""

from __future__ import annotations

import re

from github import GithubException

from chalicelib.actions.links import is_commit_sha, is_repo_name
from chalicelib.github.client import translate
from chalicelib.github.issues import GitHubAction
from chalicelib.record import ActionResult, Analysis
from chalicelib.render import one_line

NAME = "Self-Healing CI"
MAX_ANNOTATIONS = 50  # GitHub takes at most 50 per request
# "src/app.py:12", "./src/app.py:12:5", "Cart.cs(12,5)": a path with an extension and a line (a
# Windows path is no repository path: nothing after a backslash is taken).
_PLACE = re.compile(r"(?<![\w/.\\-])(?:\./)?(?P<path>[\w@+-][\w./@+-]*\.\w{1,10})(?::|\()(?P<line>\d{1,7})\b")


def annotations_of(analysis: Analysis) -> list[dict[str, str | int]]:
    """One annotation per place the evidence names, in order, at most MAX_ANNOTATIONS."""
    seen: set[tuple[str, int]] = set()
    found: list[dict[str, str | int]] = []
    for item in analysis.evidence:
        for match in _PLACE.finditer(str(item["text"])):
            path, line = match.group("path"), int(match.group("line"))
            if ".." in path.split("/") or (path, line) in seen or line == 0:
                continue
            seen.add((path, line))
            found.append(
                {
                    "path": path,
                    "start_line": line,
                    "end_line": line,
                    "annotation_level": "failure",
                    "title": f"{analysis.category}: {one_line(analysis.summary, 200)}",
                    "message": one_line(str(item["text"]), 1000),
                }
            )
    return found[:MAX_ANNOTATIONS]


class GitHubCheckRun(GitHubAction):
    """Create the check run of the failure on its commit."""

    kind = "github_check_run"

    def applies(self, analysis: Analysis) -> bool:
        meta = analysis.metadata
        return bool(
            self.session.settings.github_app_id
            and is_repo_name(meta.get("repo", ""))
            and is_commit_sha(meta.get("sha", ""))
        )

    def _run(self, analysis: Analysis) -> ActionResult:
        found = self.session.lookup(analysis)
        notes = annotations_of(analysis)
        output: dict[str, str | list[dict[str, str | int]]] = {
            "title": one_line(f"{analysis.category}: {analysis.summary}", 250),
            "summary": one_line(analysis.root_cause, 60000),
            "text": one_line(analysis.suggested_fix, 60000),
            "annotations": notes,
        }
        try:
            check = found.repo.create_check_run(
                NAME,
                analysis.metadata["sha"],
                status="completed",
                conclusion="failure",
                output=output,
            )
        except GithubException as exc:
            raise translate(exc, "creating the check run") from exc
        return self._result(
            analysis,
            "created",
            check.html_url,
            f"check run with {len(notes)} annotation(s) on {analysis.metadata['sha'][:12]}",
        )
