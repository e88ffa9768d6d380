"""The service's own logs above debug level never hold raw log text or the prompt."""

from __future__ import annotations

import logging
from typing import Any

import pytest

from chalicelib.ingest.metadata import RunMetadata
from chalicelib.pipeline import analyze_text
from chalicelib.services import build_services
from chalicelib.settings import Settings
from tests.conftest import BUCKET
from tests.support.llm_stub import ChatStub, Reply


def test_info_logs_carry_ids_not_content(s3: Any, chat_stub: ChatStub, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    marker = "UNIQUE-LOG-LINE-7f3a: assert totals == 90"
    log = f"##[group]Run pytest\nE   AssertionError: {marker}\n##[error]Process completed with exit code 1.\n"
    chat_stub.script(Reply(status=503), Reply(content="not json"), Reply(content="{}"))
    settings = Settings.from_env(
        {
            "LOGS_BUCKET": BUCKET,
            "PROVIDER": "openai",
            "LLM_API_KEY": "sk-" + "k" * 30,
            "LLM_BASE_URL": chat_stub.url + "/v1",
            "LLM_RETRIES": "1",
        }
    )
    services = build_services(settings, s3, sleep=lambda seconds: None)
    analyze_text(services, log.encode(), RunMetadata(repo="acme/x"), True)
    loud = [r.getMessage() for r in caplog.records if r.levelno >= logging.INFO]
    assert loud, "the service says something at INFO"
    for message in loud:
        assert "UNIQUE-LOG-LINE-7f3a" not in message
        assert "senior CI engineer" not in message and "LOG-DATA-" not in message
        assert "k" * 30 not in message
