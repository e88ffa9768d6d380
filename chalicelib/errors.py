"""The service's exception tree, in one place.

Library code raises these; third-party errors (botocore, PyGithub, the LLM SDKs) are translated
into them at the module that calls the library, so app.py maps one small, known set of failures
to responses, in one function. Each error knows the HTTP status and the short code a caller
gets (``http_status``, ``error_code``)::

    SelfHealingError                 500 internal
    ├── BadInputError                400 bad_request     the caller's request is unusable
    │   └── PayloadTooLargeError     413 too_large       a body or a decompressed log over its limit
    ├── UnauthorizedError            401 unauthorized    no credentials
    ├── ForbiddenError               403 forbidden       credentials that are not the right ones
    ├── NotFoundError                404 not_found       a log object or a record that does not exist
    ├── InProgressError              409 in_progress     another invocation is analyzing the same log
    ├── LogReadError                 422 unreadable_log  a corrupt archive, an unreadable file
    ├── ConfigurationError           500 configuration   a wrong setting of this deployment
    ├── StorageError                 503 unavailable     the record store failed; a retry may fix it
    ├── ActionsPendingError          503 actions_pending the record is stored; its actions wait for a retry
    ├── SecretUnavailableError       503 unavailable     a secret the settings name can't be read
    ├── ProviderError                502 provider        a model provider failed (rate limit, 5xx, timeout)
    ├── InvalidAnswerError           502 invalid_answer  a model's output is not the JSON asked for
    ├── PatchRejectedError           422 patch_rejected  a proposed fix breaks the patch policy
    └── ActionError                  502 action_failed   an issue, pull request or message failed
        ├── GitHubError              502 github          GitHub refused or failed a request
        └── RetryableError           503 unavailable     throttled or 5xx: worth another try

A 5xx never blames the caller: ConfigurationError says why (naming the setting),
SecretUnavailableError says which secret in words (never its name), the others say the service is
unavailable; all are logged.
"""

from __future__ import annotations

from typing import ClassVar

from botocore.exceptions import BotoCoreError, ClientError

# What an AWS call can raise: the service's answer, or no answer (connection, timeout).
AWS_ERRORS = (ClientError, BotoCoreError)


class SelfHealingError(Exception):
    """Base class of every error the service raises on purpose."""

    http_status: ClassVar[int] = 500
    error_code: ClassVar[str] = "internal"

    @property
    def public_message(self) -> str:
        """What a caller reads: the message of a 4xx; of a 5xx, never the service's internals."""
        return str(self) if self.http_status < 500 else "the service is unavailable; try again"


class BadInputError(SelfHealingError):
    """The caller sent something unusable (malformed JSON, a missing field, a bad key)."""

    http_status = 400
    error_code = "bad_request"


class PayloadTooLargeError(BadInputError):
    """A request body or a decompressed log is over its configured limit."""

    http_status = 413
    error_code = "too_large"


class UnauthorizedError(SelfHealingError):
    """No credentials (401)."""

    http_status = 401
    error_code = "unauthorized"


class ForbiddenError(SelfHealingError):
    """Credentials that are not the right ones (403)."""

    http_status = 403
    error_code = "forbidden"


class NotFoundError(SelfHealingError):
    """A log object or an analysis record does not exist."""

    http_status = 404
    error_code = "not_found"


class InProgressError(SelfHealingError):
    """Another invocation holds the claim on this analysis (a duplicate delivery, a repeated request)."""

    http_status = 409
    error_code = "in_progress"


class LogReadError(SelfHealingError):
    """A log could not be read or decompressed (corrupt archive, unreadable file)."""

    http_status = 422
    error_code = "unreadable_log"


class ConfigurationError(SelfHealingError):
    """A setting of this deployment is wrong (``EXCERPT_MAX_CHARS=8k``, an unknown provider).

    Never the caller's fault: the API answers 500 naming the setting, and the S3 event raises so
    that Lambda retries it and it reaches the failure destination instead of being dropped.
    """

    http_status = 500
    error_code = "configuration"

    @property
    def public_message(self) -> str:
        return f"the service is misconfigured: {self}"


class StorageError(SelfHealingError):
    """The record store failed in a way a retry of the whole event may fix."""

    http_status = 503
    error_code = "unavailable"


class ActionsPendingError(SelfHealingError):
    """The analysis is stored, but time ran out before every action ran: a retry of the same event
    or request runs the rest (the S3 handler raises, so Lambda retries)."""

    http_status = 503
    error_code = "actions_pending"

    @property
    def public_message(self) -> str:
        return "the analysis is stored; its actions ran out of time and run when this request is retried"


class SecretUnavailableError(SelfHealingError):
    """A secret named by the settings (Secrets Manager, SSM) could not be read; ``purpose`` says
    which one in words a caller may read (the message itself names the secret and stays in logs)."""

    http_status = 503
    error_code = "unavailable"

    def __init__(self, message: str, purpose: str = "a secret it needs") -> None:
        super().__init__(message)
        self.purpose = purpose

    @property
    def public_message(self) -> str:
        return f"the service cannot read {self.purpose} right now; try again"


class ProviderError(SelfHealingError):
    """A provider failed: rate limited, down, too slow, refused the key or the request."""

    http_status = 502
    error_code = "provider"

    def __init__(self, message: str, retryable: bool, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retryable = retryable
        self.retry_after = retry_after


class InvalidAnswerError(SelfHealingError):
    """The model's output is not the JSON object it was asked for."""

    http_status = 502
    error_code = "invalid_answer"


class PatchRejectedError(SelfHealingError):
    """The proposed change breaks the patch policy; the reason says which rule."""

    http_status = 422
    error_code = "patch_rejected"


class ActionError(SelfHealingError):
    """An action (issue, pull request, email) could not be carried out."""

    http_status = 502
    error_code = "action_failed"


class GitHubError(ActionError):
    """GitHub refused or failed a request; ``status`` is GitHub's HTTP status."""

    error_code = "github"

    def __init__(self, message: str, status: int | None) -> None:
        super().__init__(message)
        self.status = status


class RetryableError(ActionError):
    """A failure worth another try (throttling, 5xx)."""

    http_status = 503
    error_code = "unavailable"

    def __init__(self, message: str, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


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
