"""Sign-in for the deployed dashboard: the team's identity provider, or a team token.

Deployed (RECORDS_BUCKET set), every page but ``/health`` asks who is there:

- with an OpenID Connect provider (DASHBOARD_OIDC_ISSUER, DASHBOARD_OIDC_CLIENT_ID, the client
  secret by reference in DASHBOARD_OIDC_CLIENT_SECRET_SECRET), the person signs in there (the
  authorization code flow, state and nonce checked, the ID token's signature checked against the
  provider's keys) and is let in when the provider vouches for an address DASHBOARD_ALLOWED_EMAILS
  lists (``ana@acme.example`` or a whole ``@acme.example``);
- else with the token the stack stores as ``self-healing-ci/<stage>/dashboard-token``
  (DASHBOARD_TOKEN_SECRET; or DASHBOARD_TOKEN), compared in constant time.

Either way the session is a signed cookie (HttpOnly, Secure, SameSite=Lax for the provider's
redirect back, Strict for the token) for SESSION_HOURS. A deployed dashboard with neither, or a
provider with no allowed addresses, refuses to start: a configuration mistake never serves the
team's failures to anyone. Locally (``make dashboard``, records from a folder, on 127.0.0.1) no
sign-in is asked.
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
class Provider:
    """The team's OpenID Connect provider and who of its people may sign in."""

    issuer: str
    client_id: str
    client_secret: str
    allowed: tuple[str, ...]  # addresses, or "@domain" for a whole domain

    @property
    def metadata_url(self) -> str:
        return f"{self.issuer.rstrip('/')}/.well-known/openid-configuration"

    def admits(self, email: str, verified: bool) -> bool:
        """Whether the provider's word lets ``email`` in (an unverified address never does)."""
        address = email.strip().lower()
        if not verified or "@" not in address:
            return False
        return address in self.allowed or "@" + address.rsplit("@", 1)[1] in self.allowed


@dataclass(frozen=True)
class SignIn:
    """How a person signs in (a token, or the provider), and the key that signs their session."""

    token: str = ""
    provider: Provider | None = None

    @property
    def session_key(self) -> bytes:
        # Derived from the credential: every task signs alike, and a new one ends every session.
        secret = self.provider.client_secret if self.provider is not None else self.token
        return hashlib.sha256(b"self-healing-ci dashboard session\0" + secret.encode()).digest()

    def accepts(self, given: str) -> bool:
        if self.provider is not None or not self.token:
            return False  # with a provider, only the provider signs people in
        return hmac.compare_digest(given.strip().encode(), self.token.encode())


def sign_in_from_env(env: Mapping[str, str], read_secret: Callable[[str], str] | None = None) -> SignIn | None:
    """The sign-in a deployed dashboard needs (None locally). Raises SignInConfigError when a
    deployed one has no token, or its secret holds none, or a provider lacks a setting."""
    read = read_secret or _read_secret
    issuer = env.get("DASHBOARD_OIDC_ISSUER", "").strip()
    if issuer:
        return SignIn(provider=_provider(env, issuer, read))
    token = env.get("DASHBOARD_TOKEN", "").strip()
    secret_id = env.get("DASHBOARD_TOKEN_SECRET", "").strip()
    if not token and secret_id:
        token = read(secret_id).strip()
        if not token:
            raise SignInConfigError(f"the secret {secret_id} holds no dashboard token")
    if token:
        return SignIn(token)
    if env.get("RECORDS_BUCKET", "").strip():
        raise SignInConfigError(
            "a deployed dashboard needs its sign-in token: set DASHBOARD_TOKEN_SECRET (or DASHBOARD_TOKEN)"
        )
    return None


def _provider(env: Mapping[str, str], issuer: str, read: Callable[[str], str]) -> Provider:
    client_id = env.get("DASHBOARD_OIDC_CLIENT_ID", "").strip()
    secret = env.get("DASHBOARD_OIDC_CLIENT_SECRET", "").strip()
    secret_id = env.get("DASHBOARD_OIDC_CLIENT_SECRET_SECRET", "").strip()
    if not secret and secret_id:
        secret = read(secret_id).strip()
    allowed = tuple(a.strip().lower() for a in env.get("DASHBOARD_ALLOWED_EMAILS", "").split(",") if a.strip())
    missing = [
        name
        for name, value in (
            ("DASHBOARD_OIDC_CLIENT_ID", client_id),
            ("DASHBOARD_OIDC_CLIENT_SECRET_SECRET (or DASHBOARD_OIDC_CLIENT_SECRET)", secret),
            ("DASHBOARD_ALLOWED_EMAILS", allowed),
        )
        if not value
    ]
    if missing:
        raise SignInConfigError(f"sign-in through {issuer} needs {', '.join(missing)}")
    if not issuer.startswith("https://") and not issuer.startswith("http://127.0.0.1"):
        # A provider on this machine (a developer's Dex or Keycloak) may speak plain HTTP.
        raise SignInConfigError(f"DASHBOARD_OIDC_ISSUER must be an https:// address, got {issuer}")
    return Provider(issuer, client_id, secret, allowed)


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
