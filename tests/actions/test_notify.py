"""Email through moto's SES, Slack and generic webhooks to a local receiver, the daily digest."""

from __future__ import annotations

import json
from typing import Any

import boto3
import pytest
from chalice.test import Client

from app import app
from chalicelib.actions.digest import build_digest, send_digest
from chalicelib.actions.notify import valid_addresses
from chalicelib.ingest.metadata import RunMetadata
from chalicelib.pipeline import analyze_text
from chalicelib.services import Services, build_services
from chalicelib.settings import Settings
from tests.conftest import BUCKET, ROOT, STAGE, example
from tests.support.canaries import CANARIES
from tests.support.mail import sent_messages
from tests.support.receiver_stub import Receiver

SENDER = "ci-bot@acme.example"


@pytest.fixture
def ses(s3: Any) -> Any:
    client = boto3.client("ses", region_name="us-east-1")
    client.verify_email_identity(EmailAddress=SENDER)
    client.create_configuration_set(ConfigurationSet={"Name": "self-healing-ci-events"})
    return client


def services(s3: Any, **env: str) -> Services:
    base = {
        "LOGS_BUCKET": BUCKET,
        "MAIL_FROM": SENDER,
        "MAIL_TO": "team@acme.example, bad address",
        "SES_CONFIGURATION_SET": "self-healing-ci-events",
        "DASHBOARD_URL": "https://ci.acme.example",
    }
    # No waiting between retries: the sleep goes to every action through the composition root.
    return build_services(Settings.from_env({**base, **env}), s3, sleep=lambda seconds: None)


def meta(**extra: str) -> RunMetadata:
    return RunMetadata(
        repo="acme/payments-api",
        branch="main",
        run_id="77",
        job="test",
        sha="3f9c2a1b7d4e5f60718293a4b5c6d7e8f9012345",
        **extra,
    )


def test_email_has_subject_parts_links_and_escaping(s3: Any, ses: Any) -> None:
    hostile = example("pytest-assertion.log").replace(
        b"assert 500 == 200", b"assert '<img src=x onerror=alert(1)>' == '<a href=https://evil>x</a>'"
    )
    outcome = analyze_text(services(s3), hostile, meta(), True)
    sent = {a.kind: a for a in outcome.analysis.actions}["email"]
    assert sent.status == "created" and sent.target == "team@acme.example"
    [message] = sent_messages()
    assert message.source == SENDER and message.to == ["team@acme.example"]
    assert message.subject.startswith("[CI failed] acme/payments-api@main: test_assertion — ")
    for part in (message.text, message.html):
        assert "https://github.com/acme/payments-api/actions/runs/77" in part
        assert "https://ci.acme.example/failures/" in part
    assert "Seen: 1 time(s)" in message.text and "seen 1 time(s)" in message.html
    assert "<img" not in message.html and "&lt;img src=x" in message.html
    assert 'href="https://evil' not in message.html and "<a href=https://evil>" in message.text


def test_ses_message_parts_in_raw_form(s3: Any, ses: Any) -> None:
    analyze_text(services(s3), example("ruff-lint.log"), meta(), True)
    [message] = sent_messages()
    assert "F401" in message.text and "F401" in message.html


def test_author_only_when_the_domain_is_allowed(s3: Any, ses: Any) -> None:
    analyze_text(
        services(s3, MAIL_AUTHOR_DOMAINS="acme.example"),
        example("ruff-lint.log"),
        meta(author_email="dev@acme.example"),
        True,
    )
    analyze_text(
        services(s3, MAIL_AUTHOR_DOMAINS="acme.example"),
        example("oom-killed.log"),
        meta(author_email="someone@evil.example"),
        True,
    )
    first, second = sent_messages()
    assert first.to == ["team@acme.example", "dev@acme.example"]
    assert second.to == ["team@acme.example"]


def test_unverified_sender_is_recorded_not_fatal(s3: Any, ses: Any) -> None:
    outcome = analyze_text(services(s3, MAIL_FROM="nobody@unverified.example"), example("ruff-lint.log"), meta(), True)
    refused = {a.kind: a for a in outcome.analysis.actions}["email"]
    assert refused.status == "failed" and "MessageRejected" in refused.detail
    assert outcome.analysis.status == "complete"


def test_throttling_is_retried_with_backoff(s3: Any, ses: Any) -> None:
    from botocore.exceptions import ClientError

    from chalicelib.clients import ses_client

    calls: list[int] = []

    def throttled(**_: Any) -> None:
        calls.append(1)
        if len(calls) < 3:
            raise ClientError(
                {"Error": {"Code": "Throttling", "Message": "Maximum sending rate exceeded."}}, "SendRawEmail"
            )

    # The network edge: botocore's hook before the request is sent, on the client the service uses.
    ses_client("us-east-1").meta.events.register("before-call.ses.SendRawEmail", throttled)
    outcome = analyze_text(services(s3), example("ruff-lint.log"), meta(), True)
    assert len(calls) == 3 and {a.kind: a.status for a in outcome.analysis.actions}["email"] == "created"
    assert len(sent_messages()) == 1


def test_no_canary_reaches_the_email(s3: Any, ses: Any) -> None:
    log = "\n".join(f"Error: auth failed with {v}" for v in CANARIES.values()).encode()
    analyze_text(services(s3), log, meta(), True)
    [message] = sent_messages()
    everything = message.subject + message.text + message.html + json.dumps(message.to)
    assert not any(secret in everything for secret in CANARIES.values())


def test_slack_and_webhook_get_the_same_content_escaped(s3: Any, ses: Any, receiver: Receiver) -> None:
    hostile = example("ruff-lint.log").replace(b"imported but unused", b"<!channel> @here <https://evil|click>")
    svc = services(s3, SLACK_WEBHOOK_URL=receiver.url, WEBHOOK_URL=receiver.url)
    outcome = analyze_text(svc, hostile, meta(), True)
    statuses = {a.kind: a.status for a in outcome.analysis.actions}
    assert statuses["slack"] == "created" and statuses["webhook"] == "created"
    slack, generic = receiver.bodies
    blob = json.dumps(slack["blocks"][:2])
    assert "<!channel>" not in blob and "&lt;!channel&gt;" in blob and "<https://evil" not in blob
    assert all(b["text"]["verbatim"] for b in slack["blocks"][:2])
    assert slack["unfurl_links"] is False
    assert "<https://github.com/acme/payments-api/actions/runs/77|run>" in json.dumps(slack["blocks"][2])
    assert generic["event"] == "ci_failure_analyzed" and generic["category"] == "lint"
    assert generic["links"]["run"] == "https://github.com/acme/payments-api/actions/runs/77"


def test_webhook_retries_then_records_failure(s3: Any, ses: Any, receiver: Receiver) -> None:
    receiver.statuses = [429, 503, 500]
    outcome = analyze_text(services(s3, WEBHOOK_URL=receiver.url), example("ruff-lint.log"), meta(), True)
    hook = {a.kind: a for a in outcome.analysis.actions}["webhook"]
    assert hook.status == "failed" and "500" in hook.detail and len(receiver.bodies) == 3


def test_webhook_must_be_https(s3: Any, ses: Any) -> None:
    outcome = analyze_text(services(s3, WEBHOOK_URL="http://example.org/hook"), example("ruff-lint.log"), meta(), True)
    hook = {a.kind: a for a in outcome.analysis.actions}["webhook"]
    assert hook.status == "failed" and "https" in hook.detail


def test_daily_digest(s3: Any, ses: Any) -> None:
    svc = services(s3)
    for index, name in enumerate(("ruff-lint.log", "ruff-lint.log", "oom-killed.log")):
        analyze_text(svc, example(name) + b"run %d\n" % index, meta(), False)
    today = svc.now().date()
    digest = build_digest(svc.store, today)
    assert digest.total == 3 and digest.by_repo["acme/payments-api"]["lint"] == 2
    assert digest.top[0][1] == 2
    result = send_digest(svc.store, svc.settings, ses, today)
    assert result == {"status": "sent", "failures": 3, "healed": 0}
    message = sent_messages()[-1]
    assert message.subject.startswith(f"[CI digest] {today.isoformat()}: 3 failure(s)")
    assert "acme/payments-api: lint 2, timeout_or_oom 1" in message.text
    healed = next(svc.store.list_day(today))
    healed.healing = {"healed": True, "healed_at": svc.now().isoformat()}
    svc.store.save(healed)
    assert build_digest(svc.store, today).healed == 1


def test_digest_schedule_through_chalice(s3: Any) -> None:
    with Client(app, stage_name=STAGE, project_dir=str(ROOT)) as client:
        result = client.lambda_.invoke(
            "daily_digest",
            client.events.generate_cw_event(
                source="aws.events", detail_type="Scheduled Event", detail={}, resources=[]
            ),
        )
    assert result.payload["status"] == "dry_run" and result.payload["failures"] == 0


def test_an_address_with_a_line_break_is_not_an_address() -> None:
    assert valid_addresses(["ops@example.com", "ops@example.com\nBcc: all@example.com", "dev@example.com\n"]) == [
        "ops@example.com"
    ]


def test_the_digest_counts_flaky_failures_apart_and_lists_the_tests_to_quarantine(s3: Any, ses: Any) -> None:
    from chalicelib.history.flaky import detect
    from tests.support.history import job_outcome

    svc = services(s3)
    for index, name in enumerate(("ruff-lint.log", "ruff-lint.log", "oom-killed.log")):
        analyze_text(svc, example(name) + b"run %d\n" % index, meta(), False)
    today = svc.now().date()
    flaky = next(r for r in svc.store.list_day(today) if r.category == "timeout_or_oom")
    flaky.flaky = {"verdict": "flaky", "reason": "passed_on_rerun", "evidence": ["failed on 3f9c2a1 attempt 1"]}
    svc.store.save(flaky)
    test = "tests/test_refunds.py::test_partial"
    sha = "3f9c2a1" + "0" * 33
    history = [
        job_outcome(svc.now(), ok=False, tests=(test,), repo="acme/payments-api", sha=sha, run_id="77"),
        job_outcome(svc.now(), ok=True, repo="acme/payments-api", sha=sha, run_id="77", attempt=2),
    ]
    assert svc.history is not None
    svc.history.put_report("acme/payments-api", detect("acme/payments-api", history, svc.now(), 14).to_dict())
    digest = build_digest(svc.store, today, svc.history)
    assert (digest.total, digest.flaky, dict(digest.by_repo["acme/payments-api"])) == (3, 1, {"lint": 2})
    send_digest(svc.store, svc.settings, ses, today, svc.history)
    message = sent_messages()[-1]
    assert message.subject == f"[CI digest] {today.isoformat()}: 3 failure(s) (1 flaky), 0 healed"
    assert f"CI failures on {today.isoformat()}: 3, 1 of them flaky (0 healed that day)" in message.text
    assert "acme/payments-api: lint 2\n" in message.text
    assert (
        "Flaky tests to quarantine\n  acme/payments-api\n"
        f"    {test}: failed 1 of 2 runs, 1 flip (score 2.0); failed on 3f9c2a1 attempt 1, passed on attempt 2\n"
    ) in message.text


def test_a_flaky_failures_messages_say_so(s3: Any, ses: Any) -> None:
    svc = services(s3)
    outcome = analyze_text(svc, example("oom-killed.log"), meta(), False)
    record = outcome.analysis
    record.flaky = {
        "verdict": "flaky",
        "reason": "passed_on_rerun",
        "evidence": ["failed on 3f9c2a1 attempt 1, passed on attempt 2"],
    }
    [email] = [a for a in svc.actions if a.kind == "email"]
    email.run(record)
    message = sent_messages()[-1]
    assert message.subject.startswith("[CI failed, flaky] acme/payments-api@main: timeout_or_oom")
    assert (
        "Flaky, not a regression: the job passed when it ran again on the same commit "
        "(failed on 3f9c2a1 attempt 1, passed on attempt 2). No fix is proposed.\n"
    ) in message.text
    assert "<li>failed on 3f9c2a1 attempt 1, passed on attempt 2</li>" in message.html
