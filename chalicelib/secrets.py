"""Secrets the settings name in AWS Secrets Manager or SSM Parameter Store, read at call time.

Kept apart from the GitHub client so that the API (its bearer token) does not load PyGithub.
Values are never logged.
"""

from __future__ import annotations

import functools
import time
from collections.abc import Callable
from typing import Any

from chalicelib.clients import secrets_client
from chalicelib.errors import AWS_ERRORS, SecretUnavailableError, aws_code
from chalicelib.settings import Settings

# Every secret value this process has read: redaction removes them by value (see services).
READ_VALUES: set[str] = set()


def read_secret(
    settings: Settings, secret_id: str = "", parameter: str = "", aws: Callable[[str], Any] | None = None
) -> str:
    """A secret from Secrets Manager (``secret_id``) or SSM Parameter Store (``parameter``).

    Raises SecretUnavailableError when it cannot be read or is empty.
    """
    # One cached client per service and region, shared by every secret read.
    aws = aws or functools.partial(secrets_client, region=settings.region)
    try:
        if secret_id:
            value = aws("secretsmanager").get_secret_value(SecretId=secret_id).get("SecretString", "")
        else:
            value = aws("ssm").get_parameter(Name=parameter, WithDecryption=True)["Parameter"]["Value"]
    except AWS_ERRORS as exc:
        raise SecretUnavailableError(f"cannot read secret {secret_id or parameter}: {aws_code(exc)}") from exc
    if not value:
        raise SecretUnavailableError(f"secret {secret_id or parameter} is empty")
    secret = str(value).strip()
    READ_VALUES.add(secret)
    return secret


# A secret read by id is kept this long in a warm container: a rotated one is picked up within
# five minutes, without a cold start, and an invocation reads it at most once.
SECRET_TTL_SECONDS = 300.0


@functools.lru_cache(maxsize=16)
def _cached(secret_id: str, region: str, period: int) -> str:
    return read_secret(Settings(region=region), secret_id)


def cached_secret(settings: Settings, secret_id: str, clock: Callable[[], float] = time.time) -> str:
    """A Secrets Manager secret, kept for SECRET_TTL_SECONDS; raises SecretUnavailableError."""
    return _cached(secret_id, settings.region, int(clock() // SECRET_TTL_SECONDS))


def forget_cached_secrets() -> None:
    _cached.cache_clear()
