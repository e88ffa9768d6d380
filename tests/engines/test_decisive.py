"""Which failure statement of an excerpt explains the failure."""

from __future__ import annotations

import pytest

from chalicelib.engines.decisive import decide


def test_a_specific_report_outranks_a_generic_error_and_a_verdict() -> None:
    lines = [
        (10, "Run make test"),
        (12, "Error: something odd happened"),
        (20, "--- FAIL: TestParse (0.00s)"),
        (21, "    parse_test.go:31: expected 3, got 4"),
        (30, "make: *** [Makefile:3: test] Error 1"),
    ]
    decision = decide(lines, [12], 10, [31])
    assert decision.report is not None and (decision.report.kind, decision.statement) == ("go", lines[2])


def test_the_failing_step_outranks_an_earlier_step() -> None:
    lines = [
        (5, "src/tool.c:3:1: error: expected ';'"),
        (6, "##[error]Process completed with exit code 2."),
        (40, "Run make"),
        (41, "src/main.c:9:5: error: unknown type name 'fd_set'"),
        (42, "##[error]Process completed with exit code 2."),
    ]
    decision = decide(lines, [5], 40, [6, 42])
    assert decision.statement == lines[3] and decision.in_step


def test_a_warning_never_outranks_an_error() -> None:
    lines = [
        (1, "warning: unused import `os`"),
        (2, "src/a.rs:1:1: warning: x"),
        (3, "error: could not find `Cargo.toml`"),
    ]
    decision = decide(lines, [1])
    assert decision.statement == lines[2]


def test_a_test_is_decided_where_it_first_failed_not_in_the_summary() -> None:
    lines = [
        (100, "---- parser::empty stdout ----"),
        (101, "thread 'parser::empty' panicked at src/parser.rs:9:5:"),
        (200, "failures:"),
        (201, "---- parser::empty stdout ----"),
    ]
    decision = decide(lines, [201], 90, [210])
    assert decision.statement == lines[0]


def test_of_equal_reports_the_one_nearest_the_best_line_is_the_cause() -> None:
    lines = [
        (10, "a.py:1:1: F401 `os` imported but unused"),
        (11, "b.py:2:1: F401 `re` imported but unused"),
        (30, "c.py:3:1: F401 `io` imported but unused"),
    ]
    assert decide(lines, [11]).statement == lines[1]
    assert decide(lines, [28]).statement == lines[2]


def test_of_equal_reports_the_first_is_the_cause_when_no_line_is_ranked_best() -> None:
    lines = [(10, "a.py:1:1: F401 `os` imported but unused"), (11, "b.py:2:1: F401 `re` imported but unused")]
    assert decide(lines).statement == lines[0]


def test_without_a_report_the_excerpts_best_line_is_quoted() -> None:
    lines = [(1, "starting"), (7, "the flux capacitor overheated"), (8, "done")]
    decision = decide(lines, [7])
    assert decision.report is None and decision.statement == lines[1]


def test_a_verdict_alone_points_to_the_best_line() -> None:
    lines = [(3, "the flux capacitor overheated"), (4, "make: *** [all] Error 2")]
    decision = decide(lines, [3])
    assert decision.report is None and decision.statement == lines[0]


def test_an_empty_excerpt_decides_nothing() -> None:
    decision = decide([], [])
    assert decision.report is None and decision.statement is None and decision.reports == []


@pytest.mark.parametrize(
    "command",
    ["$ ./scripts/lint.sh || true", "Run flake8 . || :", "+ make docs || exit 0", "$ npm audit || echo 'audit failed'"],
)
def test_what_a_command_allowed_to_fail_printed_never_outranks_the_failing_step(command: str) -> None:
    lines = [
        (10, command),
        (11, "src/app.py:3:1: E302 expected 2 blank lines, found 1"),
        (20, "$ pytest"),
        (21, "FAILED tests/test_cart.py::test_total - assert 2 == 3"),
        (22, 'The command "pytest" exited with 1.'),
    ]
    decision = decide(lines, [11], 20, [22])
    assert decision.report is not None and (decision.report.kind, decision.statement) == ("pytest", lines[3])


def test_a_command_that_fails_for_real_is_not_tolerated() -> None:
    lines = [
        (10, "$ ./scripts/lint.sh || exit 1"),
        (11, "src/app.py:3:1: E302 expected 2 blank lines, found 1"),
        (12, 'The command "./scripts/lint.sh || exit 1" exited with 1.'),
        (20, "$ pytest"),
        (21, "error: something odd happened"),
    ]
    decision = decide(lines, [11], 10, [12])
    assert decision.report is not None and decision.report.kind == "flake8"


def test_when_only_a_tolerated_command_printed_errors_they_are_still_quoted() -> None:
    lines = [(10, "$ make lint || true"), (11, "src/app.py:3:1: E302 expected 2 blank lines, found 1")]
    decision = decide(lines, [11])
    assert decision.statement == lines[1]


def test_a_step_allowed_to_fail_ranks_under_the_failing_step() -> None:
    lines = [
        (1, "Run make lint"),
        (3, "src/app/cart.py:3:1: E302 expected 2 blank lines, found 1"),
        (4, "##[error]Process completed with exit code 1."),
        (5, "Run make test"),
        (7, "error: the fixture server did not start"),
        (8, "##[error]Process completed with exit code 2."),
    ]
    # The lint error is the stronger statement: without the CI's word it explains the job.
    assert decide(lines, [3], 1, [4, 8]).statement == lines[1]
    decision = decide(lines, [7], 5, [8], allowed_failures=[(1, 4)])
    assert decision.statement == lines[4] and decision.in_step


def test_when_only_a_step_allowed_to_fail_printed_errors_they_are_still_quoted() -> None:
    lines = [(1, "Run make lint"), (3, "src/app.py:3:1: E302 expected 2 blank lines, found 1"), (9, "Run make test")]
    decision = decide(lines, [3], 9, [], allowed_failures=[(1, 4)])
    assert decision.statement == lines[1]
