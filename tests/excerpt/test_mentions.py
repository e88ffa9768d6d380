from __future__ import annotations

import re

from hypothesis import given, settings
from hypothesis import strategies as st

from chalicelib.excerpt.build import build_excerpt
from chalicelib.excerpt.linescore import scoring_form
from chalicelib.excerpt.logscan import scan
from chalicelib.excerpt.mentions import (
    first_line_naming,
    first_mention_in_hits,
    listed_subjects,
    subjects,
)
from chalicelib.excerpt.planning import landmarks
from chalicelib.ingest.logsource import iter_bytes_blocks


def php_style_log(noise: int = 400) -> bytes:
    """run-tests.php: a failure inline, many passing tests, then a summary naming it."""
    return b"".join(
        [
            b"$ sapi/cli/php run-tests.php -P -j2\n",
            # An expected failure first: its diff holds the strongest error lines of the log.
            b"XFAIL Bug #48770 (call_user_func_array) [Zend/tests/bug48770_2.phpt]  XFAIL REASON: See Bug #48770\n",
            b"========DIFF========\n",
            *(
                b"00%d+ Fatal error: Uncaught TypeError: callback %d is not valid in /src/Zend/tests/bug48770_2.php\n"
                % (i, i)
                for i in range(1, 8)
            ),
            b"========DONE========\n",
            *(b"PASS Bug #%d (fixed long ago) [ext/standard/tests/file/bug%d.phpt]\n" % (i, i) for i in range(noise)),
            b"========DIFF========\n",
            b"001+ ** ERROR: process timed out **\n",
            b"001- OK.\n",
            b"========DONE========\n",
            b"FAIL Bug #60120 (proc_open hangs) [ext/standard/tests/file/bug60120.phpt]\n",
            *(b"PASS Test %d [ext/date/tests/date%d.phpt]\n" % (i, i) for i in range(noise)),
            b"=====================================================================\n",
            b"FAILED TEST SUMMARY\n",
            b"---------------------------------------------------------------------\n",
            b"Bug #60120 (proc_open hangs) [ext/standard/tests/file/bug60120.phpt]\n",
            b"=====================================================================\n",
            b'The command "sapi/cli/php run-tests.php -P -j2" exited with 1.\n',
        ]
    )


def test_subjects_are_paths_and_file_names() -> None:
    assert subjects(b"Bug #60120 (proc_open hangs) [ext/standard/tests/file/bug60120.phpt]") == [
        b"ext/standard/tests/file/bug60120.phpt"
    ]
    assert subjects(b"\x1b[31mt9502-gitweb-standalone-parse-output.sh   (Wstat: 256 Tests: 13 Failed: 1)\x1b[0m") == [
        b"t9502-gitweb-standalone-parse-output.sh"
    ]
    assert subjects(b"error: a.c") == []  # too short to name one thing


def test_a_summary_leads_to_the_first_line_naming_what_it_lists() -> None:
    log = php_style_log()
    result = scan([log], retain=len(log))
    heading = landmarks(result.hits).summary
    assert heading is not None and log.split(b"\n")[heading - 1] == b"FAILED TEST SUMMARY"
    listed = listed_subjects(result, heading)
    assert listed == [b"ext/standard/tests/file/bug60120.phpt"]
    fail_line = log.split(b"\n").index(b"FAIL Bug #60120 (proc_open hangs) [ext/standard/tests/file/bug60120.phpt]") + 1
    assert first_line_naming(result, listed[0], heading) == fail_line
    assert first_line_naming(result, listed[0], fail_line) is None  # only a line before counts


def test_a_log_too_big_to_keep_has_no_listed_subjects() -> None:
    log = php_style_log()
    result = scan([log], retain=100)
    heading = landmarks(result.hits).summary
    assert heading is not None and listed_subjects(result, heading) == []
    assert first_line_naming(result, b"bug60120.phpt", heading) is None


def test_the_excerpt_shows_the_listed_failure_far_above_its_summary() -> None:
    log = php_style_log()
    ex = build_excerpt(lambda: iter_bytes_blocks(log, "log", 1 << 40), 2000)
    shown = "\n".join(text for _, text in ex.lines)
    assert "001+ ** ERROR: process timed out **" in shown and "FAIL Bug #60120" in shown


def test_a_summary_line_leads_back_to_the_first_line_that_names_its_subject() -> None:
    log = b"".join(
        [
            b"##[group]Run node run-tests.js\n",
            b"Starting examples/app/__tests__/index.test.tsx retry 0/2\n",
            b"\xe2\x9d\x8c examples/app/__tests__/index.test.tsx output:\n",
            b"No tests found, exiting with code 1\n",
            *(b"  worker %d: compiled page %d in 12ms\n" % (i % 4, i) for i in range(300)),
            b"examples/app/__tests__/index.test.tsx failed due to Error: failed with code: 1\n",
            b"examples/other.test.tsx failed due to Error: failed with code: 1\n",
            b"##[error]Process completed with exit code 1.\n",
        ]
    )
    hits = scan([log]).hits
    assert first_mention_in_hits(hits, 305) == 3  # "❌ <same file> output:", not "Starting" (no error)
    assert first_mention_in_hits(hits, 306) is None  # named nowhere before
    ex = build_excerpt(lambda: iter_bytes_blocks(log, "log", 1 << 40), 2000)
    assert ex.anchors[0] == 305 and 3 in dict(ex.lines)


def test_the_earliest_line_naming_any_of_the_anchors_subjects_is_its_first_mention() -> None:
    log = (
        b"error: lib/storage/blob_writer.c is stale\n"  # line 1: names the second subject
        + b"note: nothing to see\n" * 20
        + b"error: src/app/main_window.c failed to build\n"  # line 22: names the first
        + b"make: *** [all] Error 1 in src/app/main_window.c lib/storage/blob_writer.c\n"  # line 23
        + b"make: *** [all] Error 2 in lib/storage/blob_writer.c src/app/main_window.c\n"  # line 24
    )
    hits = scan([log]).hits
    assert subjects(hits[-2].raw) == [b"src/app/main_window.c", b"lib/storage/blob_writer.c"]
    assert first_mention_in_hits(hits, 23) == 1 and first_mention_in_hits(hits, 24) == 1


def test_a_name_is_found_whole_not_inside_a_longer_one() -> None:
    log = (
        b"Lockfiles considered:\n  - /work/tokio/tokio-macros/Cargo.toml\n"
        + b"cargo test\n" * 3
        + b"   Compiling tokio v1.52.1 (/work/tokio)\n"
    )
    result = scan([log], retain=len(log))
    assert first_line_naming(result, b"/work/tokio", 99) == 6
    assert first_line_naming(result, b"/work/tokio-macros", 99) is None


def test_a_summary_list_ends_at_its_first_blank_line() -> None:
    log = (
        b"$ cargo test\n    failures:\n        compile_fail_full\n\n    test result: FAILED. 0 passed; 1 failed\n"
        b"   Compiling tokio v1.52.1 (/work/tokio/tokio)\n"
    )
    result = scan([log], retain=len(log))
    heading = landmarks(result.hits).summary
    assert heading == 2
    assert listed_subjects(result, heading) == []


# The names as Python's engine reads them (the module runs RE2 for speed).
_PYTHON_SUBJECT = re.compile(rb"[\w@.+-]*[/\\][\w@.+/\\-]*\w|[\w+-]+\.\w{1,8}\b")


@settings(max_examples=300)
@given(st.binary(max_size=120) | st.text("aZ9_@.+-/\\ :\xe9\x1b[m", max_size=120).map(str.encode))
def test_subjects_are_the_names_pythons_engine_finds(text: bytes) -> None:
    expected = [name for name in _PYTHON_SUBJECT.findall(scoring_form(text)) if len(name) >= 8]
    assert subjects(text) == expected
