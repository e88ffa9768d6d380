"""The plan: which lines rank first and which windows are listed, in what order."""

from __future__ import annotations

from chalicelib.excerpt import planning
from chalicelib.excerpt.build import build_excerpt
from chalicelib.excerpt.logscan import scan
from chalicelib.excerpt.planning import (
    Region,
    baseline_keys,
    forget_described_lines,
    landmarks,
    plan,
    split_allowed_failures,
)
from tests.conftest import example
from tests.support.logs import ALLOWED_THEN_FAILED, excerpt_of, red_and_green


def test_lines_a_green_run_also_prints_are_demoted() -> None:
    red, green = red_and_green()
    baseline = baseline_keys([green])
    plain = build_excerpt(lambda: [red], 200)
    sharpened = build_excerpt(lambda: [red], 200, baseline=baseline)
    cause = "totals mismatch: 90 != 100"
    assert cause not in dict(plain.lines).values()
    assert cause in dict(sharpened.lines).values()
    assert sharpened.anchors[0] == 2


def test_what_is_learned_of_lines_changes_no_excerpt_and_stays_bounded() -> None:
    data = example("pytest-assertion.log")
    forget_described_lines()
    cold = excerpt_of(data)
    assert excerpt_of(data) == cold  # warm: the same lines, anchors and markers
    # Long distinct lines: about 40 MB of shapes, keys and repeat forms to describe.
    words = [bytes([97 + i % 26, 97 + i // 26 % 26, 97 + i // 676 % 26, 97 + i // 17576 % 26]) for i in range(60_000)]
    excerpt_of(b"".join(b"error in module %s %s\n" % (word, word * 50) for word in words))
    held = sum(len(shape) + len(entry[0]) for shape, entry in planning._SAID.items())
    assert held == planning.said_bytes() <= planning.MAX_SAID_BYTES
    forget_described_lines()
    assert excerpt_of(data) == cold


def test_a_command_that_failed_inside_the_failing_step_gets_the_lines_above_it() -> None:
    log = (
        b"$ bin/lint-all\n"
        + b"".join(b"inspected lib/file_%d.rb: no offenses\n" % i for i in range(40))
        + b"app/assets/javascripts/routes/about.js\n"  # line 42
        + b"error Command failed with exit code 1.\n"  # line 43
        + b"".join(b"checked module_%d.js\n" % i for i in range(120))
        + b'The command "bin/lint-all" exited with 1.\n'
    )
    items, _, regions, _ = plan(scan([log]))
    assert (regions[0].start, regions[0].end) == (1, 164)
    assert any(item.backward and item.end == 43 and item.start <= 42 for item in items)
    # A region whose only failure marker is its end has no such window.
    quiet = b"$ make\n" + b"".join(b"cc -c file_%d.c\n" % i for i in range(50)) + b'The command "make" exited with 2.\n'
    items, _, _, _ = plan(scan([quiet]))
    assert not any(item.backward and item.end < 50 for item in items)


def _pytest_run_with_a_summary() -> bytes:
    return (
        b"##[group]Run pytest\n"
        + b"E   RuntimeError: the worker pool died\n"  # line 2
        + b"".join(b"    at worker_%d (/src/pool/worker_%d.py:%d)\n" % (i, i, i) for i in range(120))
        + b"=========== short test summary info ===========\n"  # line 123
        + b"".join(b"FAILED tests/test_%d.py::test_pool - RuntimeError\n" % i for i in range(40))
        + b"= 40 failed, 162298 passed in 759.43s (0:12:39) =\n"  # line 164
        + b"##[error]Process completed with exit code 1.\n"  # line 165
    )


def test_the_verdict_above_the_failure_marker_comes_right_after_the_best_window() -> None:
    items, anchors, _, _ = plan(scan([_pytest_run_with_a_summary()]))
    assert anchors[0] == 2
    order = [(item.start, item.end) for item in items]
    top = order.index((1, 152))
    assert order[top + 1] == (164, 164)
    assert order.index((123, 123 + planning.SUMMARY_LINES)) > top + 1


def test_the_best_window_goes_on_after_the_summaries() -> None:
    items, _, _, _ = plan(scan([_pytest_run_with_a_summary()]))
    windows = [index for index, item in enumerate(items) if (item.start, item.end) == (1, 152)]
    first, more = windows[:2]
    assert (items[first].cap, items[more].cap) == (planning.TOP_CAP, planning.TOP_MORE_CAP)
    summary = next(index for index, item in enumerate(items) if item.start == 123)
    assert first < summary < more


def test_landmarks_are_the_failing_steps_failed_hooks_and_last_summary_heading() -> None:
    log = (
        b"$ pre-commit run --all-files\n"  # 1
        + b"".join(b"hook%d....................Failed\n- hook id: hook%d\n" % (i, i) for i in range(5))  # 2-11
        + b"ruff......................Passed\n"  # 12
        + b"Failures:\n"  # 13: a summary heading
        + b'The command "pre-commit run --all-files" exited with 1.\n'  # 14
        + b"make: *** [lint] Error 1\n"  # 15: an echo in the same step
        + b"$ pytest\n"  # 16
        + b"FAILED tests/test_a.py::test_x\n"  # 17
        + b"=== short test summary info ===\n"  # 18: the last summary heading
        + b'The command "pytest" exited with 1.\n'  # 19
    )
    marks = landmarks(scan([log]).hits)
    assert [(r.start, r.end, r.later_markers) for r in marks.regions] == [(1, 14, [15]), (16, 19, [])]
    assert marks.failed_hooks == [2, 4, 6, 8] and marks.summary == 18


# The test step of ALLOWED_THEN_FAILED ran 10:00:03-10:00:10; windows are widened by a second.
TEST_STEP = (b"2026-09-26T10:00:02", b"2026-09-26T10:00:11")


def test_a_step_allowed_to_fail_is_not_the_failing_step() -> None:
    untold = plan(scan([ALLOWED_THEN_FAILED]))
    assert [(r.start, r.end) for r in untold.regions] == [(1, 4), (5, 8)]  # without the CI's word: both
    told = plan(scan([ALLOWED_THEN_FAILED]), failed_steps=[TEST_STEP])
    assert [(r.start, r.end) for r in told.regions] == [(5, 8)]
    assert [(r.start, r.end) for r in told.allowed] == [(1, 4)]
    # The failing step's marker is shown first, not the allowed step's.
    assert (untold.items[0].start, told.items[0].start) == (4, 8)


def test_a_step_allowed_to_fail_after_the_failing_step_is_told_apart_too() -> None:
    cleanup = (
        b"2026-09-26T10:00:10.2000000Z ##[group]Run ./scripts/upload-coverage.sh\n"
        b"2026-09-26T10:00:12.0000000Z error: coverage service answered 503\n"
        b"2026-09-26T10:00:12.1000000Z ##[error]Process completed with exit code 1.\n"
    )
    told = plan(scan([ALLOWED_THEN_FAILED + cleanup]), failed_steps=[TEST_STEP])
    assert [(r.start, r.end) for r in told.regions] == [(5, 8)]
    assert [(r.start, r.end) for r in told.allowed] == [(1, 4), (9, 11)]


def test_steps_it_cannot_place_all_count_as_failing() -> None:
    # Times of another run, and a log without timestamps (Travis, an upload): every failing step counts.
    other_day = [(b"2026-09-27T10:00:02", b"2026-09-27T10:00:11")]
    assert [(r.start, r.end) for r in plan(scan([ALLOWED_THEN_FAILED]), failed_steps=other_day).regions] == [
        (1, 4),
        (5, 8),
    ]
    travis = b'$ make lint\nE302 expected 2 blank lines\nThe command "make lint" exited with 1.\n'
    assert plan(scan([travis]), failed_steps=[TEST_STEP]).allowed == []


def test_a_step_allowed_to_fail_within_the_failing_steps_slack_counts_as_failing() -> None:
    # GitHub gives steps' times to the second: a step that started and failed inside the failing
    # step's first second of slack cannot be told from it, and both count (as without times).
    regions = [
        Region(1, 4, [], b"2026-09-26T10:00:02", b"2026-09-26T10:00:02"),
        Region(5, 8, [], b"2026-09-26T10:00:03", b"2026-09-26T10:00:09"),
    ]
    assert split_allowed_failures(regions, [TEST_STEP]) == (regions, [])
    # A region whose start line has no time is placed by its marker alone.
    untimed = [Region(1, 4, [], b"", b"2026-09-26T10:00:05")]
    assert split_allowed_failures(untimed, [TEST_STEP]) == (untimed, [])


def test_an_excerpt_names_the_steps_allowed_to_fail() -> None:
    ex = build_excerpt(lambda: [ALLOWED_THEN_FAILED], failed_steps=[TEST_STEP])
    assert (ex.failing_step_start, ex.fail_markers, ex.allowed_failures) == (5, [8], [(1, 4)])
    plain = build_excerpt(lambda: [ALLOWED_THEN_FAILED])
    assert (plain.failing_step_start, plain.fail_markers, plain.allowed_failures) == (1, [4, 8], [])


def test_what_a_step_allowed_to_fail_printed_ranks_under_the_failing_steps_errors() -> None:
    log = (
        b"2026-09-26T10:00:00.1000000Z ##[group]Run make typecheck\n"
        b'2026-09-26T10:00:01.0000000Z src/app/cart.py:3:1: error: Name "total" is not defined  [name-defined]\n'
        + b"".join(b"2026-09-26T10:00:01.1000000Z checked module_%d\n" % i for i in range(10))
        + b"2026-09-26T10:00:01.5000000Z ##[error]Process completed with exit code 1.\n"  # 13
        b"2026-09-26T10:00:03.1000000Z ##[group]Run make test\n"
        + b"".join(b"2026-09-26T10:00:03.1000000Z ran case_%d\n" % i for i in range(10))
        + b"2026-09-26T10:00:09.0000000Z Error: connect ECONNREFUSED 127.0.0.1:5432\n"  # 25
        b"2026-09-26T10:00:09.5000000Z ##[error]Process completed with exit code 2.\n"
    )
    assert plan(scan([log])).anchors == [2, 25]  # the type error is the stronger statement
    assert plan(scan([log]), failed_steps=[TEST_STEP]).anchors == [25]
