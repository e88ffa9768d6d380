"""Shared fixtures: moto for AWS (started before any client exists) and the Chalice test client."""

from __future__ import annotations

import functools
import json
import socket
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto import mock_aws

from chalicelib.engines.finding import Finding
from chalicelib.engines.heuristic import analyze_offline
from chalicelib.excerpt.build import build_excerpt
from chalicelib.ingest.logsource import iter_bytes_blocks
from chalicelib.record import Clock, utc_now
from chalicelib.services import Services, build_services
from chalicelib.settings import Settings

pytest_plugins = [
    "tests.support.llm_stub",
    "tests.support.github_stub",
    "tests.support.receiver_stub",
    "tests.support.oidc_stub",
]

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples"
STAGE = "dev"
BUCKET = json.loads((ROOT / ".chalice" / "config.json").read_text())["stages"][STAGE]["environment_variables"][
    "LOGS_BUCKET"
]


@pytest.fixture(autouse=True)
def _offline(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """No test reaches the network: fake AWS credentials, and sockets only to loopback."""
    for name, value in (
        ("AWS_ACCESS_KEY_ID", "testing"),
        ("AWS_SECRET_ACCESS_KEY", "testing"),
        ("AWS_SESSION_TOKEN", "testing"),
        ("AWS_DEFAULT_REGION", "us-east-1"),
        ("AWS_EC2_METADATA_DISABLED", "true"),
    ):
        monkeypatch.setenv(name, value)
    for name in (
        "AWS_PROFILE",
        "LOGS_BUCKET",
        "LLM_API_KEY",
        "GITHUB_TOKEN",
        "MAIL_FROM",
        "MAIL_TO",
        "OUT_DIR",
        "PROVIDER",
        "PROVIDER_FALLBACKS",
        "LLM_BASE_URL",
        "LLM_MODEL",
        "GROQ_API_KEY",
        "OPENAI_API_KEY",
        "HF_TOKEN",
        "OPENAI_BASE_URL",
        "GROQ_BASE_URL",
    ):
        monkeypatch.delenv(name, raising=False)
    real_connect = socket.socket.connect

    def guarded(sock: socket.socket, address: Any) -> Any:
        host = address[0] if isinstance(address, tuple) else address
        if isinstance(host, str) and host not in ("127.0.0.1", "::1", "localhost") and not host.startswith("/"):
            raise RuntimeError(f"test tried to reach the network: {address!r}")
        return real_connect(sock, address)

    monkeypatch.setattr(socket.socket, "connect", guarded)
    yield


@functools.cache
def _test_s3_client() -> Any:
    # Created once: making a boto3 client costs ~0.1 s, and moto intercepts every client's calls
    # while a mock is active (each test's mock starts from empty backends).
    return boto3.client("s3", region_name="us-east-1")


@pytest.fixture
def s3() -> Iterator[Any]:
    """A moto S3 with the dev stage's logs bucket, empty at the start of each test.

    The service's own cached clients (chalicelib.clients) are kept across tests too: moto answers
    them whatever test created them.
    """
    with mock_aws():
        client = _test_s3_client()
        client.create_bucket(Bucket=BUCKET)
        yield client


Hook = Callable[[Any, str, Callable[..., Any]], None]


@pytest.fixture
def botocore_hook() -> Iterator[Hook]:
    """Register a handler on a client's botocore events (the network edge) for this test only:
    the clients outlive the test, their handlers must not."""
    registered: list[tuple[Any, str, Callable[..., Any]]] = []

    def hook(client: Any, event: str, handler: Callable[..., Any]) -> None:
        client.meta.events.register(event, handler)
        registered.append((client, event, handler))

    yield hook
    for client, event, handler in registered:
        client.meta.events.unregister(event, handler)


MakeServices = Callable[..., Services]


@pytest.fixture
def make_services(s3: Any) -> MakeServices:
    """Services on the moto bucket for the given settings, with no waiting between retries.

    ``make_services(PROVIDER="groq", ...)`` sets environment values; ``now=`` injects a clock.
    """

    def make(now: Clock = utc_now, **env: str) -> Services:
        settings = Settings.from_env({"LOGS_BUCKET": BUCKET, **env})
        return build_services(settings, s3, now=now, sleep=lambda seconds: None)

    return make


def example(name: str) -> bytes:
    return (EXAMPLES / name).read_bytes()


def finding_for(name: str) -> Finding:
    """The offline engine's finding for the example log ``name``, through excerpt and classifier."""
    data = example(name)
    ex = build_excerpt(lambda: iter_bytes_blocks(data, name, 1 << 30))
    return analyze_offline(ex.lines, ex.anchors, ex.failing_step_start, ex.fail_markers)


def manifest() -> dict[str, dict[str, str]]:
    data = json.loads((EXAMPLES / "manifest.json").read_text())
    return {k: v for k, v in data.items() if not k.startswith("_")}


def upload_example(s3: Any, name: str, key: str | None = None, **extra: str) -> str:
    """Put an example log in the bucket under the upload contract, with its S3 metadata."""
    meta = manifest()[name]
    key = key or f"logs/{meta['repo']}/{meta['run_id']}-1-{meta['job']}.log"
    s3_meta = {
        "repo": meta["repo"],
        "sha": meta["sha"],
        "branch": meta["branch"],
        "run-id": meta["run_id"],
        "workflow": meta["workflow"],
        "job": meta["job"],
        **extra,
    }
    s3.put_object(Bucket=BUCKET, Key=key, Body=example(name), Metadata=s3_meta)
    return key


def list_keys(s3: Any, prefix: str) -> list[str]:
    keys: list[str] = []
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=BUCKET, Prefix=prefix):
        keys.extend(obj["Key"] for obj in page.get("Contents", []))
    return sorted(keys)
