"""Faults and odd deliveries: each ends with the analysis stored (or the event left to retry),
actions recorded with their outcome, and no crash."""

from __future__ import annotations

import gzip
import io
import json
import threading
import zipfile
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from botocore.exceptions import ClientError
from chalice.test import Client
from hypothesis import given, settings
from hypothesis import strategies as st

from app import app
from chalicelib.errors import ActionsPendingError, InProgressError, LogReadError, PayloadTooLargeError, StorageError
from chalicelib.ingest.logsource import iter_bytes_blocks
from chalicelib.pipeline import handle_log_created
from chalicelib.services import build_services
from chalicelib.settings import Settings
from tests.conftest import BUCKET, ROOT, STAGE, Hook, MakeServices, example, list_keys, upload_example
from tests.support.github_stub import GitHubStub
from tests.support.llm_stub import ChatStub, Reply


def llm_env(stub: ChatStub, **more: str) -> dict[str, str]:
    """Settings that send the analysis to the local chat-completions server."""
    return {
        "LOGS_BUCKET": BUCKET,
        "PROVIDER": "openai",
        "LLM_API_KEY": "sk-" + "k" * 30,
        "LLM_BASE_URL": stub.url + "/v1",
        **more,
    }


def records(s3: Any) -> list[str]:
    return [k for k in list_keys(s3, "analysis/") if k.count("/") == 4 and k.endswith(".json")]


def test_a_transient_s3_read_failure_leaves_the_event_to_retry(
    s3: Any, make_services: MakeServices, botocore_hook: Hook
) -> None:
    key = upload_example(s3, "ruff-lint.log")
    failures = {"left": 2}

    def flaky(**_: Any) -> None:
        if failures["left"]:
            failures["left"] -= 1
            raise ClientError(
                {"Error": {"Code": "SlowDown", "Message": "Please reduce your request rate."}}, "GetObject"
            )

    # The network edge: botocore's own event hook, before the request is sent.
    botocore_hook(s3, "before-call.s3.GetObject", flaky)
    with pytest.raises(StorageError, match="SlowDown"):
        handle_log_created(make_services(), BUCKET, key)
    assert records(s3) == []  # nothing half-written
    with pytest.raises(StorageError):
        handle_log_created(make_services(), BUCKET, key)
    outcome = handle_log_created(make_services(), BUCKET, key)  # the retry succeeds
    assert outcome is not None and len(records(s3)) == 1


def test_the_handler_raises_so_lambda_retries(s3: Any, botocore_hook: Hook) -> None:
    from chalicelib.clients import s3_client

    key = upload_example(s3, "ruff-lint.log")

    def failing(**_: Any) -> None:
        raise ClientError({"Error": {"Code": "InternalError", "Message": "x"}}, "HeadObject")

    botocore_hook(s3_client("us-east-1"), "before-call.s3.HeadObject", failing)  # the app's own client
    with Client(app, stage_name=STAGE, project_dir=str(ROOT)) as client:
        with pytest.raises(StorageError):
            client.lambda_.invoke("on_log_uploaded", client.events.generate_s3_event(bucket=BUCKET, key=key))


def test_out_of_order_events(s3: Any, make_services: MakeServices) -> None:
    svc = make_services()
    # A sidecar after its log: the log is analyzed with what the key says; the sidecar event is skipped.
    s3.put_object(Bucket=BUCKET, Key="logs/acme/x/3-1-build.log", Body=example("docker-build.log"))
    first = handle_log_created(svc, BUCKET, "logs/acme/x/3-1-build.log")
    s3.put_object(Bucket=BUCKET, Key="logs/acme/x/3-1-build.log.json", Body=json.dumps({"branch": "dev"}).encode())
    assert handle_log_created(svc, BUCKET, "logs/acme/x/3-1-build.log.json") is None
    assert first is not None and first.analysis.metadata["repo"] == "acme/x"
    # A success record before anything failed: nothing to heal, nothing breaks.
    from chalicelib.github.healing import mark_healed

    s3.put_object(
        Bucket=BUCKET,
        Key="logs/acme/x/4-1-build.success.json",
        Body=json.dumps({"repo": "acme/x", "branch": "self-healing/abcdef12-3"}).encode(),
    )
    assert mark_healed(svc, BUCKET, "logs/acme/x/4-1-build.success.json").status in ("failed", "no-issue")


def test_nearly_out_of_time_stores_the_analysis_and_resumes_later(s3: Any, chat_stub: ChatStub) -> None:
    key = upload_example(s3, "pytest-assertion.log")
    env = llm_env(chat_stub, STALE_CLAIM_SECONDS="1")
    hurried = build_services(Settings.from_env(env), s3, remaining_ms=500)
    # The record is stored, and the event fails so that Lambda delivers it again.
    with pytest.raises(ActionsPendingError, match="time ran out before every action ran"):
        handle_log_created(hurried, BUCKET, key)
    [stored] = records(s3)
    record = json.loads(s3.get_object(Bucket=BUCKET, Key=stored)["Body"].read())
    assert chat_stub.received == []  # no time for the model: the offline engine answered
    assert "no time left" in record["engine"]["fallback_reason"]
    assert record["status"] == "acting" and {a["status"] for a in record["actions"]} == {"skipped"}
    assert all("not enough time" in a["detail"] for a in record["actions"])
    # Lambda's retry of the event resumes the actions the first invocation had no time for.
    resumed = handle_log_created(build_services(Settings.from_env(env), s3), BUCKET, key)
    assert resumed is not None and resumed.analysis.status == "complete" and not resumed.duplicate
    assert {a.status for a in resumed.analysis.actions} == {"dry_run"}
    assert len(records(s3)) == 1 and chat_stub.received == []  # the actions ran once, the model never
    again = handle_log_created(build_services(Settings.from_env(env), s3), BUCKET, key)
    assert again is not None and again.duplicate


BURST = 150  # events; every tenth is delivered twice, both copies at once


@pytest.fixture
def linearizable_s3(monkeypatch: pytest.MonkeyPatch) -> None:
    """moto's S3, one request at a time, as S3 itself answers each request atomically.

    In-process moto is not thread-safe: overwriting a key closes the buffer another thread may
    be reading (``I/O operation on closed file``). The handlers still run concurrently; only the
    stand-in's requests are serialized.
    """
    from moto.core.botocore_stubber import BotocoreStubber

    lock = threading.Lock()
    original = BotocoreStubber.__call__

    def one_at_a_time(self: BotocoreStubber, event_name: str, request: Any, **kwargs: Any) -> Any:
        with lock:
            return original(self, event_name, request, **kwargs)

    monkeypatch.setattr(BotocoreStubber, "__call__", one_at_a_time)


@pytest.mark.usefixtures("linearizable_s3")
def test_a_burst_of_events_from_several_threads(s3: Any) -> None:
    keys = []
    for n in range(BURST):
        key = f"logs/acme/burst/{n}-1-test.log"
        s3.put_object(Bucket=BUCKET, Key=key, Body=b"Error: case %d failed\n" % n)
        keys.append(key)
    deliveries = [k for n, k in enumerate(keys) for _ in range(2 if n % 10 == 0 else 1)]
    with Client(app, stage_name=STAGE, project_dir=str(ROOT)) as client:

        def deliver(key: str) -> str:
            event = client.events.generate_s3_event(bucket=BUCKET, key=key)
            return str(client.lambda_.invoke("on_log_uploaded", event).payload["status"])

        with ThreadPoolExecutor(max_workers=8) as pool:
            statuses = list(pool.map(deliver, deliveries))
    twice = len(deliveries) - BURST
    assert (statuses.count("analyzed"), statuses.count("duplicate"), len(statuses)) == (BURST, twice, BURST + twice)
    stored = [json.loads(s3.get_object(Bucket=BUCKET, Key=key)["Body"].read()) for key in records(s3)]
    assert len(stored) == BURST
    assert sorted(r["source"]["key"] for r in stored) == sorted(keys)
    # A numbered case is not another run of the same failure: each keeps its own identity.
    assert len({r["fingerprint"] for r in stored}) == BURST


@pytest.mark.usefixtures("linearizable_s3")
def test_one_event_delivered_six_times_at_once_asks_the_model_once(s3: Any, chat_stub: ChatStub) -> None:
    key = upload_example(s3, "pytest-assertion.log")
    env = llm_env(chat_stub, DAILY_LLM_CAP="3")
    chat_stub.script(Reply(delay=0.5))  # the first answer takes a while: the copies arrive meanwhile

    def deliver(_: int) -> str:
        try:
            outcome = handle_log_created(build_services(Settings.from_env(env), s3), BUCKET, key)
        except InProgressError:
            return "duplicate"  # what the S3 handler answers for it
        assert outcome is not None
        return "duplicate" if outcome.duplicate else "analyzed"

    with ThreadPoolExecutor(max_workers=6) as pool:
        statuses = list(pool.map(deliver, range(6)))
    assert sorted(statuses) == ["analyzed"] + ["duplicate"] * 5
    assert len(chat_stub.received) == 1 and len(records(s3)) == 1
    [stored] = records(s3)
    record = json.loads(s3.get_object(Bucket=BUCKET, Key=stored)["Body"].read())
    assert record["engine"]["name"] == "llm" and record["occurrences"] == 1
    repo = record["metadata"]["repo"]
    seen = s3.get_object(Bucket=BUCKET, Key=f"analysis/_state/seen/{repo}/{record['fingerprint']}.json")
    assert json.loads(seen["Body"].read())["count"] == 1
    caps = s3.get_object(Bucket=BUCKET, Key=f"analysis/_state/caps/{repo}/{record['created_at'][:10]}.json")
    assert json.loads(caps["Body"].read())["llm"] == 1


def test_the_same_failure_100_times_is_one_call_one_issue_a_counter(
    s3: Any, chat_stub: ChatStub, github_stub: GitHubStub
) -> None:
    sha = "3f9c2a1b7d4e5f60718293a4b5c6d7e8f9012345"
    repo = github_stub.add_repo("acme/payments-api", sha, {"README.md": "x\n"})
    env = llm_env(
        chat_stub,
        GITHUB_TOKEN="ghp_" + "T" * 36,
        GITHUB_API_URL=github_stub.url,
        DAILY_LLM_CAP="5",
        DAILY_ACTION_CAP="3",
    )
    for run in range(100):
        key = f"logs/acme/payments-api/{run}-1-test.log"
        s3.put_object(
            Bucket=BUCKET,
            Key=key,
            Body=example("pytest-assertion.log") + b"run %d\n" % run,
            Metadata={"repo": "acme/payments-api", "sha": sha, "branch": "main", "run-id": str(run)},
        )
        handle_log_created(build_services(Settings.from_env(env), s3), BUCKET, key)
    assert len(chat_stub.received) == 1
    assert len(repo.issues) == 1 and len(repo.comments.get(1, [])) == 1  # one comment an hour, at most
    from chalicelib.actions.issue_state import read_marker

    assert read_marker(repo.issues[0]["body"])[1].seen == 100  # type: ignore[index]


@pytest.mark.parametrize(
    "body",
    [bytes(range(256)) * 400, "\udcff".encode("utf-8", "surrogatepass") * 1000 + b"\xff\xfe Error: x\n"],
)
def test_odd_logs_get_a_sound_analysis(s3: Any, body: bytes, make_services: MakeServices) -> None:
    s3.put_object(Bucket=BUCKET, Key="logs/acme/odd/1-1-x.log", Body=body)
    outcome = handle_log_created(make_services(), BUCKET, "logs/acme/odd/1-1-x.log")
    assert outcome is not None and outcome.analysis.status == "complete"


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (b"", "the log is empty; nothing was analyzed"),
        (b"\x00" * 100_000, "the log holds no readable text (100000 bytes); nothing was analyzed"),
    ],
)
def test_a_log_with_no_text_is_refused_and_nothing_stored(
    s3: Any, body: bytes, reason: str, make_services: MakeServices
) -> None:
    s3.put_object(Bucket=BUCKET, Key="logs/acme/odd/1-1-x.log", Body=body)
    with pytest.raises(LogReadError) as raised:
        handle_log_created(make_services(), BUCKET, "logs/acme/odd/1-1-x.log")
    assert str(raised.value) == reason
    assert list_keys(s3, "analysis/") == []


@pytest.mark.parametrize(
    "key",
    [
        "logs/acme/x/1-1-a b c.log",
        "logs/acme/ü/1-1-ß.log",
        "logs/../analysis/x.log",
        "logs/acme/x/..",
        "logs/acme/x/%2e%2e/1-1-y.log",
    ],
)
def test_odd_keys_write_only_their_own_record(s3: Any, key: str, make_services: MakeServices) -> None:
    s3.put_object(Bucket=BUCKET, Key=key, Body=b"Error: odd\n")
    handle_log_created(make_services(), BUCKET, key)
    written = list_keys(s3, "analysis/")
    assert all(k.startswith("analysis/20") or k.startswith("analysis/_state/") for k in written)


def test_bombs_are_refused_without_a_record(s3: Any, make_services: MakeServices) -> None:
    bomb = gzip.compress(b"\0" * (40 * 1024 * 1024))
    s3.put_object(Bucket=BUCKET, Key="logs/acme/x/1-1-bomb.log.gz", Body=bomb)
    with pytest.raises(PayloadTooLargeError):
        handle_log_created(make_services(MAX_LOG_BYTES=str(8 * 1024 * 1024)), BUCKET, "logs/acme/x/1-1-bomb.log.gz")
    with Client(app, stage_name=STAGE, project_dir=str(ROOT)) as client:
        event = client.events.generate_s3_event(bucket=BUCKET, key="logs/acme/x/1-1-bomb.log.gz")
        result = client.lambda_.invoke("on_log_uploaded", event)
        # Through the handler with the default cap the bomb is a big log of zeros: read, bounded,
        # and refused for holding no text.
        assert result.payload == {
            "status": "rejected",
            "reason": "the log holds no readable text (41943040 bytes); nothing was analyzed",
        }
    assert records(s3) == []


def test_a_malformed_s3_event_changes_nothing(s3: Any) -> None:
    with Client(app, stage_name=STAGE, project_dir=str(ROOT)) as client:
        with pytest.raises((KeyError, TypeError, IndexError)):
            client.lambda_.invoke("on_log_uploaded", {"Records": [{"s3": {}}]})
    assert list_keys(s3, "analysis/") == []


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=2000), st.sampled_from([b"", b"\x1f\x8b", b"\x1f\x8b\x08\x00", b"PK\x03\x04"]))
def test_fuzz_the_log_reader(data: bytes, magic: bytes) -> None:
    log = magic + data
    plain = not log.startswith((b"\x1f\x8b", b"PK\x03\x04"))  # neither gzip nor zip by its magic
    try:
        out = b"".join(iter_bytes_blocks(log, "fuzz", 1 << 20))
    except (LogReadError, PayloadTooLargeError):
        assert not plain, "a plain log is always readable"
        return
    if plain:
        # A plain log passes through byte for byte, but for carriage returns ending its lines.
        head = log[: 64 * 1024]
        cr_only = b"\r" in head and b"\n" not in head
        assert out == (log.replace(b"\r\n", b"\n").replace(b"\r", b"\n") if cr_only else log)


def test_fuzz_a_valid_zip_with_random_members() -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("job/1_step.txt", b"\xff\x00 Error: x\n" * 10)
    out = b"".join(iter_bytes_blocks(buffer.getvalue(), "ok.zip", 1 << 20))
    assert b"Error: x" in out


def test_concurrent_requests_on_the_local_store(tmp_path: Any) -> None:
    """`chalice local` serves requests in threads: the same log posted at once is one record, no error."""
    from concurrent.futures import ThreadPoolExecutor

    from chalicelib.ingest.metadata import RunMetadata
    from chalicelib.pipeline import analyze_text

    svc = build_services(Settings.from_env({"OUT_DIR": str(tmp_path)}))
    logs = [example("ruff-lint.log"), example("oom-killed.log")] * 20

    def post(data: bytes) -> str:
        try:
            return analyze_text(svc, data, RunMetadata(repo="acme/x"), True).analysis.id
        except InProgressError:
            return "in progress"  # the API's 409: the same request is being answered

    with ThreadPoolExecutor(8) as pool:
        answers = list(pool.map(post, logs))
    assert len(set(answers) - {"in progress"}) == 2
    written = sorted(p.name for p in tmp_path.rglob("*.json") if "_state" not in p.parts)
    assert len(written) == 2 and not list(tmp_path.rglob(".tmp-*"))


def test_a_log_too_big_to_read_in_time_is_analyzed_as_far_as_it_was_read(s3: Any) -> None:
    text = b"".join(b"step %d: Error: case %d failed\n" % (i, i) for i in range(1_500_000))
    key = "logs/acme/huge/1-1-test.log.gz"
    s3.put_object(Bucket=BUCKET, Key=key, Body=gzip.compress(text, 1))
    env = {"LOGS_BUCKET": BUCKET, "MAX_LOG_BYTES": str(1 << 30), "ACTIONS_MODE": "off"}
    services = build_services(Settings.from_env(env), s3, remaining_ms=300)  # 150 ms to read
    outcome = handle_log_created(services, BUCKET, key)
    assert outcome is not None
    excerpt = outcome.analysis.excerpt
    assert excerpt["read_limit"]["reason"] == "time" and 0 < excerpt["read_limit"]["bytes"] < len(text)
    assert excerpt["total_bytes"] == excerpt["read_limit"]["bytes"]
    assert all(n <= excerpt["total_lines"] for n, _ in excerpt["lines"]) and len(records(s3)) == 1
