"""Lazily created, cached AWS clients.

Nothing is created at import time, so tests can start moto first and reset the cache between
tests. boto3 is imported here, not at module level elsewhere: the Lambda runtime provides it.
"""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # the stubs are a dev dependency; boto3 returns these at run time
    from mypy_boto3_s3 import S3Client
    from mypy_boto3_ses import SESClient
    from mypy_boto3_sqs import SQSClient


@functools.lru_cache(maxsize=4)
def s3_client(region: str) -> S3Client:
    """The S3 client for ``region``."""
    import boto3
    from botocore.config import Config

    client: S3Client = boto3.client("s3", region_name=region, config=Config(retries={"mode": "standard"}))
    return client


@functools.lru_cache(maxsize=4)
def ses_client(region: str) -> SESClient:
    """The SES client for ``region`` (SES may live in another region than the bucket)."""
    import boto3

    client: SESClient = boto3.client("ses", region_name=region)
    return client


@functools.lru_cache(maxsize=4)
def sqs_client(region: str) -> SQSClient:
    """The SQS client for ``region`` (the queue of failed jobs whose logs are to be collected)."""
    import boto3

    client: SQSClient = boto3.client("sqs", region_name=region)
    return client


@functools.lru_cache(maxsize=8)
def secrets_client(service: str, region: str) -> Any:
    """The Secrets Manager (``secretsmanager``) or SSM (``ssm``) client for ``region``."""
    import boto3

    return boto3.client(service, region_name=region)


def reset_clients() -> None:
    """Forget every cached client (tests call this after starting moto)."""
    s3_client.cache_clear()
    ses_client.cache_clear()
    sqs_client.cache_clear()
    secrets_client.cache_clear()
