"""Who may call the API: a bearer token, compared in constant time.

In the prod stage (``REQUIRE_AUTH=true``) every request needs ``Authorization: Bearer <token>``.
The token lives in AWS Secrets Manager (``API_TOKEN_SECRET``) or, for local use, in
``API_TOKEN``. An API key on top (API Gateway's usage plan) only throttles; it never authenticates.
"""

from __future__ import annotations

import hmac
import time
from collections.abc import Callable
from typing import Any

from chalicelib.errors import ConfigurationError, ForbiddenError, SecretUnavailableError, UnauthorizedError
from chalicelib.secrets import cached_secret, forget_cached_secrets, read_secret
from chalicelib.settings import Settings


def expected_token(
    settings: Settings, clock: Callable[[], float] = time.time, aws: Callable[[str], Any] | None = None
) -> str:
    """The API token; raises ConfigurationError when none is configured, SecretUnavailableError
    (naming the API token to the caller) when it can't be read."""
    if settings.api_token:
        return settings.api_token
    if not settings.api_token_secret:
        # A deployment mistake, not the caller's: no token can be right.
        raise ConfigurationError("REQUIRE_AUTH is on but no token is configured (set API_TOKEN_SECRET)")
    try:
        if aws is not None:
            return read_secret(settings, settings.api_token_secret, aws=aws)
        return cached_secret(settings, settings.api_token_secret, clock)
    except SecretUnavailableError as exc:
        raise SecretUnavailableError(str(exc), "its API token") from exc


def check(settings: Settings, authorization: str | None, aws: Callable[[str], Any] | None = None) -> None:
    """Raise UnauthorizedError or ForbiddenError unless ``authorization`` carries the token, and
    ConfigurationError when auth is required but no token is configured."""
    if not settings.require_auth:
        return
    # The service's own token first: without one, no caller can be right (a ConfigurationError).
    expected = expected_token(settings, aws=aws).encode()
    # The scheme is case-insensitive (RFC 9110, 11.1): "bearer" and "BEARER" are "Bearer".
    scheme, _, credentials = (authorization or "").strip().partition(" ")
    if scheme.lower() != "bearer" or not credentials.strip() or len(authorization or "") > 4096:
        raise UnauthorizedError("send Authorization: Bearer <token>")
    given = credentials.strip().encode()
    if not hmac.compare_digest(given, expected):
        raise ForbiddenError("the token is not valid")


def reset_cache() -> None:
    forget_cached_secrets()
