"""The service's exception hierarchy.

Library code raises these; third-party errors (botocore, SDKs) are translated into them at
the module boundary so handlers map a small, known set of failures to responses.
"""

from __future__ import annotations

from botocore.exceptions import BotoCoreError, ClientError

# What an AWS call can raise: the service's answer, or no answer (connection, timeout).
AWS_ERRORS = (ClientError, BotoCoreError)


class SelfHealingError(Exception):
    """Base class of every error the service raises on purpose."""


class BadInputError(SelfHealingError):
    """The caller sent something unusable (malformed JSON, a missing field, a bad key)."""


class PayloadTooLargeError(BadInputError):
    """A request body or a decompressed log is over its configured limit."""


class ConfigurationError(SelfHealingError):
    """A setting of this deployment is wrong (``EXCERPT_MAX_CHARS=8k``, an unknown provider).

    Never the caller's fault: the API answers 500 naming the setting, and the S3 event raises so
    that Lambda retries it and it reaches the failure destination instead of being dropped.
    """


class SecretUnavailableError(SelfHealingError):
    """A secret named by the settings (Secrets Manager, SSM) could not be read."""


class NotFoundError(SelfHealingError):
    """A log object or an analysis record does not exist."""


class LogReadError(SelfHealingError):
    """A log could not be read or decompressed (corrupt archive, unreadable file)."""


class StorageError(SelfHealingError):
    """The record store failed in a way a retry of the whole event may fix."""


class ActionError(SelfHealingError):
    """An action (issue, pull request, email) could not be carried out."""


# What S3 answers for a missing object or bucket, and for a conditional write that lost.
NOT_FOUND_CODES = frozenset({"404", "NoSuchKey", "NotFound", "NoSuchBucket"})
PRECONDITION_CODES = frozenset({"412", "PreconditionFailed", "ConditionalRequestConflict"})


def aws_not_found(exc: Exception) -> bool:
    """Whether an AWS error says the object (or its bucket) does not exist."""
    return aws_code(exc) in NOT_FOUND_CODES


def aws_precondition_failed(exc: Exception) -> bool:
    """Whether an AWS error says a conditional write lost (If-None-Match / If-Match)."""
    return aws_code(exc) in PRECONDITION_CODES


def aws_code(exc: Exception) -> str:
    """The error code AWS answered (``NoSuchKey``, ``Throttling``...), or the kind of failure."""
    if isinstance(exc, ClientError):
        return str(exc.response.get("Error", {}).get("Code", "")) or "error"
    return type(exc).__name__


def aws_message(exc: Exception) -> str:
    if isinstance(exc, ClientError):
        return str(exc.response.get("Error", {}).get("Message", ""))[:200]
    return str(exc)[:200]
