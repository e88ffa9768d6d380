"""What changed between two commits, from GitHub's compare API, for the flaky detector.

The detector asks only about the commits a test started to pass on or failed again on
(chalicelib.history.flaky); each answer is kept for the invocation, and at most ``budget``
comparisons are asked for. An answer GitHub can't give (a commit gone, the budget spent, a
failure) is None: the detector then goes by the outcomes alone.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from github import Github, GithubException

from chalicelib.errors import SelfHealingError
from chalicelib.github.client import github_for_repo, translate
from chalicelib.history.flaky import Changes
from chalicelib.settings import Settings

log = logging.getLogger(__name__)
BUDGET = 20  # comparisons per invocation: each is one API call


def commit_changes(
    settings: Settings, factory: Callable[[Settings, str], Github] = github_for_repo, budget: int = BUDGET
) -> Changes:
    """A Changes callable backed by ``GET /repos/{owner}/{repo}/compare/{base}...{head}``."""
    answers: dict[tuple[str, str, str], frozenset[str] | None] = {}

    def changes(repo: str, base: str, head: str) -> frozenset[str] | None:
        key = (repo, base, head)
        if key in answers:
            return answers[key]
        if len(answers) >= budget:
            return None
        try:
            comparison = factory(settings, repo).get_repo(repo).compare(base, head)
            files: frozenset[str] | None = frozenset(f.filename for f in comparison.files)
        except GithubException as exc:
            log.info("no comparison of %s..%s: %s", base[:12], head[:12], translate(exc, "comparing commits"))
            files = None
        except SelfHealingError as exc:
            log.info("no comparison of %s..%s: %s", base[:12], head[:12], exc)
            files = None
        answers[key] = files
        return files

    return changes
