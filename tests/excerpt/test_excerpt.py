from __future__ import annotations

import gc
import itertools
import os
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from chalicelib.errors import LogReadError
from chalicelib.excerpt.build import RETAIN_BYTES, _assemble, build_excerpt
from chalicelib.excerpt.linefetch import LineCache, RetainedLines
from chalicelib.excerpt.logscan import scan
from chalicelib.excerpt.planning import Item
from chalicelib.excerpt.redact import Redactor
from chalicelib.ingest.logsource import iter_bytes_blocks, iter_log_blocks
from tests.conftest import example
from tests.support.canaries import CANARIES
from tests.support.logs import excerpt_of


def test_pytest_failure_shows_assertion_and_location_with_raw_line_numbers() -> None:
    data = example("pytest-assertion.log")
    raw_lines = data.split(b"\n")
    ex = excerpt_of(data)
    texts = dict(ex.lines)
    wanted = [i + 1 for i, line in enumerate(raw_lines) if b"assert 500 == 200" in line or b"test_api.py:42" in line]
    assert wanted and all(n in texts for n in wanted)
    for n, text in ex.lines:
        assert raw_lines[n - 1].decode().endswith(text.strip()) or text == "" or "…[" in text or "[REDACTED:" in text


def test_finds_a_cause_far_from_the_end() -> None:
    noise = b"".join(b"step %d ok: processed item %d\n" % (i, i) for i in range(50_000))
    cause = b"E   ModuleNotFoundError: No module named 'yaml'\n"
    tail = b"".join(b"cleanup %d\n" % i for i in range(2_000)) + b"##[error]Process completed with exit code 1.\n"
    ex = excerpt_of(b"$ pytest\n" + noise + cause + tail)
    assert any("No module named 'yaml'" in t for _, t in ex.lines)
    assert ex.fail_markers and ex.chars <= 8000


def test_failing_step_wins_over_errors_in_steps_that_passed() -> None:
    log = (
        b"##[group]Run npm ci\n"
        + b"npm warn deprecated x: error handling changed\n" * 3
        + b"##[group]Run npm test\n"
        + b"FAIL src/cart.test.ts\n  Expected: 90\n  Received: 100\n"
        + b"##[error]Process completed with exit code 1.\n"
    )
    ex = excerpt_of(log, budget=120)
    assert [t for _, t in ex.lines if "Expected" in t]


def test_a_command_that_failed_inside_a_longer_step_is_shown_with_what_it_printed() -> None:
    # One CI step runs several checks; the second fails quietly, the step goes on and fails at its end.
    log = (
        b"$ bin/lint-all\n  EXECUTE > rubocop\n"
        + b"".join(b"inspected lib/file_%d.rb: no offenses\n" % i for i in range(40))
        + b"  EXECUTE > prettier\n$ prettier --list-different 'app/**/*.js'\n"
        + b"app/assets/javascripts/routes/about.js\n"
        + b"error Command failed with exit code 1.\n"
        + b"  EXECUTE > eslint\n"
        + b"".join(b"checked app/assets/javascripts/module_%d.js\n" % i for i in range(120))
        + b"curl: (22) The requested URL returned error: 404 Not Found\n"
        + b"".join(b"spec %d passed\n" % i for i in range(60))
        + b'The command "bin/lint-all" exited with 1.\n'
    )
    texts = [t for _, t in excerpt_of(log).lines]
    assert "app/assets/javascripts/routes/about.js" in texts
    assert "error Command failed with exit code 1." in texts


def test_passed_checks_are_not_shown_as_detail_of_a_failure() -> None:
    passes = b"".join(b"    --- PASS: TestAlpha/Case_%d (0.00s)\n" % i for i in range(150))
    log = (
        b"$ go test ./...\n--- FAIL: TestAlpha (0.02s)\n"
        + passes
        + b"    --- FAIL: TestAlpha/Broken (0.00s)\n        repo_test.go:131: expected 'a' but actual is 'b'\n"
        + passes
        + b'FAIL\nexit status 1\nThe command "go test ./..." exited with 1.\n'
    )
    ex = excerpt_of(log)
    assert "        repo_test.go:131: expected 'a' but actual is 'b'" in dict(ex.lines).values()
    assert ex.anchors[0] == 2  # the parent test's FAIL; its window stops where the passes start
    assert not [n for n, _ in ex.lines if 20 <= n <= 140]


def test_secrets_never_reach_the_excerpt() -> None:
    log = "\n".join(f"Error: failed with {value}" for value in CANARIES.values()).encode()
    ex = excerpt_of(log)
    joined = "\n".join(t for _, t in ex.lines)
    assert ex.lines and not any(secret in joined for secret in CANARIES.values())


def test_service_secret_is_redacted() -> None:
    ex = excerpt_of(b"Error: bad credential sk-service-value-123\n", redactor=Redactor(["sk-service-value-123"]))
    assert "sk-service-value-123" not in ex.text()


def test_empty_and_blank_logs() -> None:
    assert excerpt_of(b"").lines == []
    assert excerpt_of(b"\n\n\n").chars <= 8000


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=4000), st.integers(min_value=1, max_value=3000))
def test_never_raises_and_respects_the_budget_on_any_bytes(data: bytes, budget: int) -> None:
    ex = build_excerpt(lambda: [data], budget)
    assert ex.chars <= budget
    assert [n for n, _ in ex.lines] == sorted({n for n, _ in ex.lines})


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.sampled_from(
            [
                b"error: x",
                b"FAIL y",
                b"ok",
                b"",
                b"\x1b[31mfatal\x1b[0m",
                b"$ make",
                b"Traceback (most recent call last):",
                b'The command "make" exited with 2.',
                "ünïcode ✖ failed".encode(),
                b"x" * 3000,
                b"\xff\xfe\x00",
            ]
        ),
        max_size=400,
    ),
    st.integers(min_value=50, max_value=9000),
)
def test_budget_holds_on_log_like_input(lines: list[bytes], budget: int) -> None:
    ex = excerpt_of(b"\n".join(lines), budget)
    assert ex.chars <= budget


def test_streams_a_large_log_in_bounded_blocks(tmp_path: Path) -> None:
    path = tmp_path / "big.log"
    with open(path, "wb") as handle:
        for i in range(60):  # about 11 MB: more than a log kept in memory between the passes
            handle.write(b"".join(b"line %d of chunk %d: compiling module\n" % (j, i) for j in range(5_000)))
        handle.write(b"error: linker failed\n")
    reads = itertools.count()

    def blocks():  # type: ignore[no-untyped-def]
        next(reads)
        return iter_log_blocks(open(path, "rb"), "big.log", 1 << 40)

    ex = build_excerpt(blocks, 2000)
    assert any("linker failed" in t for _, t in ex.lines)
    assert ex.total_bytes == os.path.getsize(path)
    assert os.path.getsize(path) > RETAIN_BYTES
    assert next(reads) == 2  # one scan, one fetch: never the whole log in memory


def test_a_small_log_is_read_once() -> None:
    reads = itertools.count()
    data = example("pytest-assertion.log")

    def blocks():  # type: ignore[no-untyped-def]
        next(reads)
        return iter_bytes_blocks(data, "log", 1 << 40)

    assert build_excerpt(blocks).lines == excerpt_of(data).lines
    assert next(reads) == 1


def test_text_rendering() -> None:
    ex = excerpt_of(b"Error: one\n")
    assert ex.text() == "     1 | Error: one"


def test_the_garbage_collector_is_left_as_it_was_even_on_errors() -> None:
    def broken():  # type: ignore[no-untyped-def]
        yield b"error: first block\n"
        raise LogReadError("log: corrupt gzip data")

    assert gc.isenabled()
    excerpt_of(example("pytest-assertion.log"))
    assert gc.isenabled()
    with pytest.raises(LogReadError):
        build_excerpt(broken)
    assert gc.isenabled()
    gc.disable()
    try:
        excerpt_of(example("pytest-assertion.log"))
        assert not gc.isenabled()  # a caller's choice is kept
    finally:
        gc.enable()


def _sanitizer_log(quote: bytes = b"") -> bytes:
    frames = b"".join(
        quote + b"    #%d 0x4fb9%02x in handler_%d /src/server/handlers/module_%d.c:%d:3\n" % (i, i, i, i, 100 + i)
        for i in range(80)
    )
    others = b"".join(
        b"$ check-%d\nerror: check %d could not reach the mirror at https://mirror.example.com/pool/main/%d\n"
        % (i, i, i)
        + b"".join(b"progress %d of 40\n" % k for k in range(40))
        for i in range(12)
    )
    return (
        b"$ make test\n"
        + b"".join(b"compiling unit %d\n" % i for i in range(50))
        + quote
        + b"==4242==ERROR: AddressSanitizer: heap-use-after-free on address 0x602000000010\n"  # line 52
        + frames
        + quote
        + b"SUMMARY: AddressSanitizer: heap-use-after-free /src/server/a.c:3 in f\n"  # line 133
        + b"".join(b"cleanup %d\n" % i for i in range(30))
        + b"make: *** [test] Error 1\n"
        + others
    )


@pytest.mark.parametrize("quote", [b"", b"= ", b"> "])
def test_a_long_report_under_the_best_anchor_is_shown_whole(quote: bytes) -> None:
    # 5,500 characters of stack frames: more than the first window takes, less than the budget;
    # a test harness may quote the report it read from a file ("= ").
    ex = excerpt_of(_sanitizer_log(quote))
    assert ex.anchors[0] == 52
    assert set(range(52, 134)) <= {n for n, _ in ex.lines}


def test_a_window_listed_again_with_a_larger_cap_goes_on_where_it_stopped() -> None:
    log = b"".join(b"    at frame_%d (/src/mod_%d.js:%d:7)\n" % (i, i, i) for i in range(300))
    result = scan([log], retain=len(log))
    window = Item(1, 250, 2000, extend=True)
    twice = _assemble([window, Item(1, 250, 6000, extend=True)], LineCache(kept=RetainedLines(result)), 8000)
    once = _assemble([Item(1, 250, 6000, extend=True)], LineCache(kept=RetainedLines(result)), 8000)
    assert twice == once and sum(len(t) + 1 for _, t in once) > 2000


@pytest.mark.parametrize(
    ("line", "detail"),
    [
        (b"Expected: 3", True),
        (b"Build WARNING in module", True),
        (b"the value is undefined here", True),
        (b"TypeError raised", False),  # words count at a word's start only: "Error" here does not
        (b"unexpected token", False),
        (b"Caused by: timeout", True),
        (b"done in 3s", False),
    ],
)
def test_a_window_of_detail_goes_on_over_lines_that_read_as_detail(line: bytes, detail: bool) -> None:
    head = b"".join(b"    at frame_%d (/src/mod_%d.js:%d:7)\n" % (i, i, i) for i in range(8))
    log = head + line + b"\n" + line + b"\n" + b"    at last_frame (/src/last.js:1:1)\n"
    result = scan([log], retain=len(log))
    shown = _assemble([Item(1, 11, 8000, extend=True)], LineCache(kept=RetainedLines(result)), 8000)
    # Two lines in a row that do not read as detail end the window before the second.
    assert [n for n, _ in shown] == (list(range(1, 12)) if detail else list(range(1, 10)))


def _pre_commit_log() -> bytes:
    def hook(name: bytes, errors: int) -> bytes:
        report = b"".join(
            b"pkg/module_%d.py:%d: error: Module has no attribute 'x%d'  [attr-defined]\n" % (i, i, i)
            for i in range(errors)
        )
        return (
            name.ljust(60, b".")
            + b"\x1b[41mFailed\x1b[m\n"
            + b"- hook id: "
            + name
            + b"\n- duration: 12.5s\n- exit code: 1\n\n"
            + report
            + b"Found %d errors in %d files\n\n" % (errors, errors)
        )

    return (
        b"##[group]Run pre-commit run --all-files\n"
        + b"".join(name.ljust(60, b".") + b"Passed\n" for name in (b"isort", b"black", b"flake8"))
        + hook(b"pyright", 120)
        + hook(b"mypy", 150)
        + hook(b"stubtest", 90)
        + b"##[error]Process completed with exit code 1.\n"
    )


def test_each_failed_pre_commit_hook_shows_the_start_of_its_report() -> None:
    log = _pre_commit_log()
    lines = log.split(b"\n")
    shown = dict(excerpt_of(log).lines)
    for name in (b"mypy", b"stubtest"):
        header = next(n for n, line in enumerate(lines, 1) if line.startswith(name + b"...."))
        assert {header, header + 5, header + 6} <= set(shown), name  # the verdict and the first errors
        assert shown[header - 2].startswith("Found ")  # the previous hook's own summary


def test_a_log_with_a_giant_line_is_excerpted_with_its_line_numbers() -> None:
    data = b"$ npm run build\n" + b"var a=1;" * (3 << 18) + b"\nError: Cannot find module 'left-pad'\n" + b"done\n" * 5
    ex = excerpt_of(data)
    texts = dict(ex.lines)
    assert texts[3] == "Error: Cannot find module 'left-pad'"
    assert texts.get(2, "").endswith("more chars]") and ex.chars <= 8000
