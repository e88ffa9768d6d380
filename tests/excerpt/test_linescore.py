from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from chalicelib.excerpt.linescore import _named_as_stars, line_key, line_score, line_signals, repeat_form, scoring_form
from chalicelib.excerpt.logscan import DIGIT_CLASSES


def score(text: str, base: int = 1) -> int:
    return line_score(text.encode(), base)


def test_errors_outrank_progress_and_summaries() -> None:
    cause = score("E       AssertionError: totals mismatch: 90 != 100")
    assert cause >= 10
    assert score("Downloading requests-2.31.0-py3-none-any.whl (62 kB)") < 1
    assert score("test_ok ... ok") < 1
    assert score("=== 1 failed, 12 passed in 0.31s ===") < cause
    assert score("npm ERR! code ELIFECYCLE") < score("src/app.ts(3,7): error TS2322: Type 'string' is not assignable")


def test_a_count_of_zero_is_not_a_failure() -> None:
    assert score("Tests run: 12, Failures: 0, Errors: 0") < score("Tests run: 12, Failures: 1, Errors: 0")
    assert score("0 errors, 2 warnings") < 1


def test_base_is_a_floor_for_lines_without_signals() -> None:
    assert score("plain text", base=6) == 6 and score("plain text") == 1


def test_scoring_form_drops_colours_and_keeps_the_last_redraw() -> None:
    assert scoring_form(b"\x1b[31mFAIL\x1b[0m src/a.test.js\r") == b"FAIL src/a.test.js"
    assert scoring_form(b"progress 10%\rprogress 100%") == b"progress 100%"


def test_line_key_ignores_numbers_that_change_between_runs() -> None:
    assert line_key(b"\x1b[1mtook 12.5s, 3 failed\x1b[0m") == line_key(b"took 7.1s, 9 failed")


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet=st.sampled_from("errorfailedexpectedok 0123456789:()=!-_"), max_size=60))
def test_score_depends_on_digits_only_as_zero_or_not(text: str) -> None:
    # The excerpt scores each line shape once (digits 1-9 as 1); that is only sound if this holds.
    raw = text.encode()
    assert line_score(raw, 1) == line_score(raw.translate(DIGIT_CLASSES), 1)


def test_settings_are_not_events() -> None:
    assert score("  TESTFLAGS: -v --parallel=6 --timeout=30m") < 1
    assert score("read timeout: 600") < 1
    assert score("  SEGMENT_DOWNLOAD_TIMEOUT_MINS: 1") < 1
    assert score("UV_HTTP_TIMEOUT=900") < 1
    assert score("export BUILD_KILLED_AFTER=60") < 1
    assert score("  http_timeout: 30") < 1
    assert score("FATAL_ERROR: out of memory while building the index") >= 8
    assert score("Error: connect timeout after 30s") >= 8
    assert score("No tests found, exiting with code 1") >= 8


def test_expected_failures_are_noise() -> None:
    assert score("Bug #42718 (unsafe_raw filter) [ext/filter/tests/bug42718.phpt]  XFAIL REASON: not applied") < 1
    assert score("tests/test_io.py::test_old_format XFAIL (needs a fix upstream)") < 1
    assert score("FAIL Bug #60120 (proc_open hangs) [ext/standard/tests/file/bug60120.phpt]") >= 9


def test_repeat_form_hides_the_file_or_test_a_message_is_about() -> None:
    a = repeat_form(b"examples/with-jest/__tests__/index.test.tsx failed due to Error: failed with code: 1")
    b = repeat_form(b"examples/with-vitest/app/page.test.tsx failed due to Error: failed with code: 1")
    assert a == b == b"* failed due to Error: failed with code: 1"
    assert repeat_form(b"test_io.py::test_read FAILED") == b"* FAILED"
    assert repeat_form(b"Error: connection refused") == b"Error: connection refused"
    assert repeat_form(b"") == b""


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=80))
def test_repeat_form_never_raises_and_is_stable(data: bytes) -> None:
    once = repeat_form(data)
    assert repeat_form(once) == once


def test_a_field_named_error_in_a_dump_is_not_an_error() -> None:
    assert score("      error = { function: 0x14bbdc00 },") < 3
    assert score('  "error": null,') < 3
    assert score("error: cannot find module 'left-pad'") >= 8


def test_caret_notation_colours_do_not_hide_a_line_start() -> None:
    assert scoring_form(b"^[[31mFAILED^[[0m tests/test_a.py::test_x") == b"FAILED tests/test_a.py::test_x"


def test_tap_not_ok_is_a_failure_and_ok_a_pass() -> None:
    assert line_score(b"not ok 23 dns - resolveTxtTCP", 1) >= 8
    assert line_score(b"ok 23 dns - resolveTxtTCP", 1) < 0
    assert line_score(b"not ok 4 - flaky # TODO not ok yet", 1) < 3  # a known failure stays noise


def test_terminal_modes_before_a_line_do_not_hide_its_start() -> None:
    assert line_score(scoring_form(b"\x1b[?1h\x1b=\x1b[31m    [-] Should validate the schema 191ms"), 1) >= 9
    assert scoring_form(b"\x1b(B\x1b[mFAIL x") == b"FAIL x"


def test_a_cross_mark_is_a_failure_wherever_it_stands() -> None:
    assert line_score(scoring_form(b"> \x1b[31m\xe2\x9d\x8c  \x1b[0mSource/JSON.swift:97:2: unknown attribute"), 1) >= 9
    assert line_score("  2 × 3 = 6".encode(), 1) < 3  # a multiplication sign inside a line is not one


def test_a_github_actions_timestamp_does_not_hide_a_line_start() -> None:
    stamp = b"2026-05-04T06:35:53.2091076Z "
    assert line_score(scoring_form(stamp + b"  1) Cart renders the total:"), 1) >= 9
    assert line_score(scoring_form(stamp + b"npm warn deprecated inflight@1.0.6: this module is not supported"), 1) < 5
    assert line_score(scoring_form(stamp + b"    Expected: 90"), 1) >= 7


def test_code_that_names_an_expected_value_is_not_an_assertion() -> None:
    assert line_score(b"        expected = concat(", 1) < 3
    assert line_score(b"Expected value: 3", 1) >= 7 and line_score(b"- Expected  - 1", 1) >= 7


def test_failed_to_is_an_error() -> None:
    assert line_score(b"[fail] Failed to upload index.html (Access key cannot be null.)", 1) >= 8
    assert line_score(b"Error: Failed to fetch https://registry.npmjs.org/left-pad", 1) >= 8


def test_sanitizer_reports_are_failures() -> None:
    assert line_score(b"==16563==ERROR: AddressSanitizer: heap-use-after-free on address 0x6020", 1) >= 10
    assert line_score(b"SUMMARY: AddressSanitizer: SEGV sanitizer_atomic_clang.h:81:10", 1) >= 10
    assert line_score(b"src/eval.c:1210:7: runtime error: signed integer overflow", 1) >= 10
    assert line_score(b"SUMMARY: ThreadSanitizer: data race src/queue.c:42 in push", 1) >= 10


def test_a_lua_traceback_ranks_below_the_error_it_traces() -> None:
    error = line_score(b"  /src/tests/libs/tap.lua:85: Missing 1 expected call", 6)
    traceback = line_score(b"  stack traceback:", 1)
    assert traceback == 9 and line_score(b"Traceback (most recent call last):", 1) == 10
    assert error < traceback  # the error line is shown through the traceback's window


def test_a_passed_check_does_not_say_that_a_command_failed() -> None:
    assert line_signals(b"error Command failed with exit code 1.", 1)[1]
    assert not line_signals(b"shell functions os_system returns non-zero exit code: 49.05 ms OK", 1)[1]
    assert line_signals(b"not ok 3 - exited with code 2", 1)[1]


# Bytes that start, end or part the words repeat_form looks at, so that random keys are mostly
# made of them: paths, dotted names, dots at a word's ends, every kind of space RE2 knows or not.
_KEY_BYTES = st.lists(
    st.sampled_from(
        [b"a", b"Z", b"_", b"1", b".", b"/", b"\\", b" ", b"  ", b"\t", b"\f", b"\x0b", b"\r", b"-", b"\xe9", b"\xff"]
    ),
    max_size=24,
).map(b"".join)


@given(st.one_of(_KEY_BYTES, st.binary(max_size=80)))
def test_repeat_form_word_by_word_equals_the_pattern(key: bytes) -> None:
    assert repeat_form(key) == _named_as_stars(key)


def test_repeat_form_hides_dotted_names_only_between_word_characters() -> None:
    assert repeat_form(b"in a.b and .x y. z..w") == b"in * and .x y. z..w"
    assert repeat_form(b"see _.1 or \xe9.a") == b"see * or \xe9.a"  # \w is ASCII only
    assert repeat_form(b"tab\tx/y here") == b"tab\t* here"  # another space: the pattern itself
