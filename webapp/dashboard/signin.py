"""Sign-in for the deployed dashboard: a team token, kept in Secrets Manager.

Deployed (RECORDS_BUCKET set), every page but ``/health`` asks for the token the stack stores as
``self-healing-ci/<stage>/dashboard-token`` (DASHBOARD_TOKEN_SECRET; or DASHBOARD_TOKEN), compared
in constant time; a match gets a session cookie (signed, HttpOnly, Secure, SameSite=Strict) for
SESSION_HOURS. Without a token configured a deployed dashboard refuses to start: a configuration
mistake never serves the team's failures to anyone. Locally (``make dashboard``, records from a
folder, on 127.0.0.1) no sign-in is asked.
"""

from __future__ import annotations

import hashlib
import hmac
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

SESSION_HOURS = 12


class SignInConfigError(RuntimeError):
    """The deployed dashboard has no token to check sign-ins against."""


@dataclass(frozen=True)
class SignIn:
    """The token a person signs in with, and the key that signs their session cookie."""

    token: str

    @property
    def session_key(self) -> bytes:
        # Derived from the token: every task signs alike, and a new token ends every session.
        return hashlib.sha256(b"self-healing-ci dashboard session\0" + self.token.encode()).digest()

    def accepts(self, given: str) -> bool:
        return hmac.compare_digest(given.strip().encode(), self.token.encode())


def sign_in_from_env(env: Mapping[str, str], read_secret: Callable[[str], str] | None = None) -> SignIn | None:
    """The sign-in a deployed dashboard needs (None locally). Raises SignInConfigError when a
    deployed one has no token, or its secret holds none."""
    token = env.get("DASHBOARD_TOKEN", "").strip()
    secret_id = env.get("DASHBOARD_TOKEN_SECRET", "").strip()
    if not token and secret_id:
        token = (read_secret or _read_secret)(secret_id).strip()
        if not token:
            raise SignInConfigError(f"the secret {secret_id} holds no dashboard token")
    if token:
        return SignIn(token)
    if env.get("RECORDS_BUCKET", "").strip():
        raise SignInConfigError(
            "a deployed dashboard needs its sign-in token: set DASHBOARD_TOKEN_SECRET (or DASHBOARD_TOKEN)"
        )
    return None


def _read_secret(secret_id: str) -> str:
    import boto3

    region = os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION")
    answer: dict[str, Any] = boto3.client("secretsmanager", region_name=region).get_secret_value(SecretId=secret_id)
    return str(answer.get("SecretString", ""))


def session_lifetime() -> timedelta:
    return timedelta(hours=SESSION_HOURS)


def safe_next(target: str | None) -> str:
    """Where to go after signing in: a path of this site only (never another host)."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/"
    return target
