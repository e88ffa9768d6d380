"""A PyGithub client for one repository: a token or a GitHub App installation, any API URL.

Secrets may live in AWS Secrets Manager or SSM Parameter Store (the settings name them); they
are read at call time, never logged. PyGithub's own retries and throttling are off: failures
are recorded on the analysis and retried when the same failure arrives again.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from github import Auth, Github, GithubException, GithubIntegration

from chalicelib.errors import GitHubError
from chalicelib.secrets import read_secret
from chalicelib.settings import Settings

TIMEOUT_SECONDS = 10


def translate(exc: GithubException, doing: str) -> GitHubError:
    """A PyGithub error as a short, token-free reason."""
    status = exc.status
    data = exc.data if isinstance(exc.data, dict) else {}
    message = str(data.get("message", ""))[:200]
    lowered = message.lower()
    if status == 401:
        reason = "the GitHub credentials were refused (401)"
    elif status in (403, 429) and ("rate limit" in lowered or status == 429):
        reason = f"GitHub rate limit ({status}): {message}"
    elif status == 403 and "workflow" in lowered:
        reason = "the token lacks the workflows permission (403)"
    elif status == 403:
        reason = f"GitHub forbade it (403): {message}"
    elif status == 404:
        reason = "not found on GitHub (404): the repository, file or commit is missing or not visible"
    elif status == 422:
        reason = f"GitHub rejected it (422): {message}"
    elif status >= 500:
        reason = f"GitHub failed ({status})"
    else:
        reason = f"GitHub answered {status}: {message}"
    return GitHubError(f"{doing}: {reason}", status)


def github_for_repo(settings: Settings, repo: str, aws: Callable[[str], Any] | None = None) -> Github:
    """An authenticated client able to act on ``repo`` (owner/name).

    Raises SecretUnavailableError or GitHubError (e.g. the App is not installed there).
    """
    common: dict[str, Any] = {
        "base_url": settings.github_api_url,
        "timeout": TIMEOUT_SECONDS,
        "retry": None,
        "seconds_between_requests": None,
        "seconds_between_writes": None,
    }
    token = settings.github_token
    if not token and (settings.github_token_secret or settings.github_token_parameter):
        token = read_secret(settings, settings.github_token_secret, settings.github_token_parameter, aws)
    if token:
        return Github(auth=Auth.Token(token), **common)
    key = settings.github_app_private_key
    if not key and settings.github_app_private_key_secret:
        key = read_secret(settings, settings.github_app_private_key_secret, "", aws)
    if not settings.github_app_id or not key:
        raise GitHubError("no GitHub credentials are configured", None)
    app_auth = Auth.AppAuth(settings.github_app_id, key)
    owner, name = repo.split("/", 1)
    try:
        integration = GithubIntegration(auth=app_auth, **common)
        installation = integration.get_repo_installation(owner, name)
    except GithubException as exc:
        raise translate(exc, f"finding the GitHub App installation on {repo}") from exc
    return Github(auth=app_auth.get_installation_auth(installation.id), **common)
