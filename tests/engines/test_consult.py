"""Asking the model (chalicelib.engines.consult) through the pipeline: what the record says of the engine."""

from __future__ import annotations

import json
from typing import Any

from chalicelib.ingest.metadata import RunMetadata
from chalicelib.pipeline import analyze_s3_key, analyze_text
from chalicelib.services import Services, build_services
from chalicelib.settings import Settings
from tests.conftest import BUCKET, example
from tests.support.llm_stub import GOOD_ANSWER, ChatStub, Reply
from tests.support.logs import ALLOWED_THEN_FAILED, TEST_STEP_TIMES


def services(s3: Any, stub: ChatStub, **env: str) -> Services:
    base = {
        "LOGS_BUCKET": BUCKET,
        "PROVIDER": "openai",
        "LLM_API_KEY": "sk-test-key-0123456789",
        "LLM_BASE_URL": stub.url + "/v1",
        "LLM_MODEL": "gpt-4o-mini",
    }
    return build_services(Settings.from_env({**base, **env}), s3, sleep=lambda seconds: None)


def test_model_answer_fills_the_record_with_tokens_cost_and_latency(s3: Any, chat_stub: ChatStub) -> None:
    outcome = analyze_text(
        services(s3, chat_stub), example("pytest-assertion.log"), RunMetadata(repo="acme/api"), False
    )
    record = outcome.analysis
    assert record.engine["name"] == "llm" and record.engine["provider"] == "openai"
    assert record.engine["model"] == "gpt-4o-mini" and record.engine["latency_ms"] >= 0
    assert record.tokens == {"prompt": 1200, "completion": 150}
    assert record.cost_usd == round((1200 * 0.15 + 150 * 0.60) / 1e6, 6)
    assert record.root_cause == GOOD_ANSWER["root_cause"]
    assert record.evidence  # evidence lines still come from the log itself


def test_no_key_means_offline_engine_with_the_reason(s3: Any, chat_stub: ChatStub) -> None:
    outcome = analyze_text(services(s3, chat_stub, LLM_API_KEY=""), example("ruff-lint.log"), RunMetadata(), False)
    assert outcome.analysis.engine["name"] == "heuristic"
    assert outcome.analysis.engine["fallback_reason"] == "openai: no API key is set"
    assert chat_stub.received == []


def test_provider_down_keeps_the_offline_analysis(s3: Any, chat_stub: ChatStub) -> None:
    chat_stub.script(*[Reply(503) for _ in range(3)])
    svc = services(s3, chat_stub)
    outcome = analyze_text(svc, example("ruff-lint.log"), RunMetadata(), False)
    assert outcome.analysis.engine["name"] == "heuristic"
    assert "server error (503)" in outcome.analysis.engine["fallback_reason"]
    assert "F401" in outcome.analysis.root_cause


def test_secrets_in_the_models_answer_are_redacted_and_such_edits_dropped(s3: Any, chat_stub: ChatStub) -> None:
    token = "ghp_" + "Q" * 36
    answer = {
        **GOOD_ANSWER,
        "suggested_fix": f"use token {token}",
        "edits": [{"path": "config.py", "search": "TOKEN = ''", "replace": f"TOKEN = '{token}'"}],
    }
    chat_stub.script(Reply(content=json.dumps(answer)))
    outcome = analyze_text(services(s3, chat_stub), example("pytest-assertion.log"), RunMetadata(), True)
    record = outcome.analysis
    assert token not in record.to_json()
    assert record.edits == [] and "edits dropped" in record.engine["fallback_reason"]
    drafts = [
        s3.get_object(Bucket=BUCKET, Key=a.url.split(BUCKET + "/")[1])["Body"].read().decode()
        for a in record.actions
        if a.url.startswith("s3://")
    ]
    assert drafts and not any(token in d for d in drafts)


def test_valid_edits_are_kept_for_the_pull_request_step(s3: Any, chat_stub: ChatStub) -> None:
    edit = {
        "path": "app/auth.py",
        "search": "secret = os.environ['SESSION_SECRET']",
        "replace": "secret = os.environ.get('SESSION_SECRET', 'test')",
    }
    chat_stub.script(Reply(content=json.dumps({**GOOD_ANSWER, "edits": [edit]})))
    outcome = analyze_text(services(s3, chat_stub), example("pytest-assertion.log"), RunMetadata(), False)
    assert outcome.analysis.edits == [edit] and outcome.analysis.fix_plan is None


def test_the_same_failure_costs_one_model_call(s3: Any, chat_stub: ChatStub) -> None:
    svc = services(s3, chat_stub)
    first = analyze_text(svc, example("pytest-assertion.log"), RunMetadata(repo="acme/api", run_id="1"), False)
    again = analyze_text(svc, example("pytest-assertion.log"), RunMetadata(repo="acme/api", run_id="2"), False)
    assert first.analysis.fingerprint == again.analysis.fingerprint
    assert len(chat_stub.received) == 1
    assert again.analysis.engine["cached"] is True and again.analysis.root_cause == GOOD_ANSWER["root_cause"]
    assert again.analysis.tokens == {"prompt": 0, "completion": 0}


def test_daily_llm_cap_per_repository(s3: Any, chat_stub: ChatStub) -> None:
    svc = services(s3, chat_stub, DAILY_LLM_CAP="1")
    analyze_text(svc, example("pytest-assertion.log"), RunMetadata(repo="acme/api"), False)
    capped = analyze_text(svc, example("ruff-lint.log"), RunMetadata(repo="acme/api"), False)
    assert len(chat_stub.received) == 1
    assert capped.analysis.engine["fallback_reason"] == "daily cap of 1 LLM calls reached"
    other_repo = analyze_text(svc, example("ruff-lint.log"), RunMetadata(repo="acme/web"), False)
    assert other_repo.analysis.engine["name"] == "llm"


def test_the_model_reads_the_files_the_evidence_names(s3: Any, chat_stub: ChatStub, github_stub: Any) -> None:
    sha = "3f9c2a1b7d4e5f60718293a4b5c6d7e8f9012345"
    github_stub.add_repo("acme/payments-api", sha, {"tests/test_api.py": "def test_login(client):\n    assert 1\n"})
    svc = services(s3, chat_stub, GITHUB_TOKEN="ghp_" + "T" * 36, GITHUB_API_URL=github_stub.url, ACTIONS_MODE="off")
    meta = RunMetadata(repo="acme/payments-api", sha=sha, branch="main")
    analyze_text(svc, example("pytest-assertion.log"), meta, False)
    user = chat_stub.received[0].body["messages"][1]["content"]
    assert "File tests/test_api.py at the failing commit:" in user and "def test_login(client):" in user


def test_a_200_that_is_no_chat_completion_still_stores_the_offline_record(s3: Any, chat_stub: ChatStub) -> None:
    chat_stub.script(Reply(raw_body=b'{"choices": [{"index": 0, "message": null}]}'))
    svc = services(s3, chat_stub, LLM_RETRIES="0")
    outcome = analyze_text(svc, example("ruff-lint.log"), RunMetadata(), False)
    stored = svc.store.get(outcome.analysis.id)
    assert stored.engine["name"] == "heuristic"
    assert stored.engine["fallback_reason"] == "openai: the answer is not a chat completion (the choice has no message)"
    assert "F401" in stored.root_cause and len(chat_stub.received) == 1


def test_the_model_is_told_which_step_was_allowed_to_fail(s3: Any, chat_stub: ChatStub) -> None:
    key = "logs/acme/api/77-1-test.log"
    s3.put_object(Bucket=BUCKET, Key=key, Body=ALLOWED_THEN_FAILED, Metadata={"failed-steps": TEST_STEP_TIMES})
    analyze_s3_key(services(s3, chat_stub), key, RunMetadata(), False)
    user = chat_stub.received[0].body["messages"][1]["content"]
    assert (
        "Failing step: make test\n"
        "Lines 1 to 4 are a step that failed but was allowed to fail (continue-on-error); it did not fail the job.\n"
        "Category found by rules: test_assertion\n"
    ) in user
