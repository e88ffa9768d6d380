from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from chalicelib.excerpt.logscan import (
    BLOCK_HEADER,
    ERROR_WORD,
    FAIL_MARK,
    KEEP_REPEATS,
    LOCATION,
    MAX_HIT_BYTES,
    MAX_HITS,
    MAX_LINE_PIECE,
    STEP_START,
    SUMMARY,
    available_engines,
    line_shape,
    scan,
)
from tests.support.logs import LOG, blocks_of


def test_groups_and_line_numbers_match_a_plain_split() -> None:
    result = scan([LOG])
    found = {h.lineno: h.group for h in result.hits}
    assert found == {1: STEP_START, 3: LOCATION, 5: ERROR_WORD, 6: FAIL_MARK}
    assert result.total_lines == len(LOG.split(b"\n"))
    assert scan([b"a\nb\n"]).total_lines == 2 and scan([b"a\nb"]).total_lines == 2
    lines = LOG.split(b"\n")
    for hit in result.hits:
        assert hit.raw == lines[hit.lineno - 1]


@settings(max_examples=60, deadline=None)
@given(st.integers(min_value=1, max_value=40))
def test_block_boundaries_do_not_change_the_result(size: int) -> None:
    whole = scan([LOG])
    split = scan(blocks_of(LOG, size))
    assert [(h.lineno, h.group, h.raw) for h in split.hits] == [(h.lineno, h.group, h.raw) for h in whole.hits]
    assert split.total_lines == whole.total_lines and split.total_bytes == len(LOG)


def test_hit_memory_is_bounded() -> None:
    # Distinct lines (a line said again is kept only a few times, see the next test).
    words = [bytes([97 + i % 26, 97 + i // 26 % 26, 97 + i // 676 % 26, 97 + i // 17576 % 26]) for i in range(200_000)]
    data = b"".join(b"error in %s\n" % word for word in words)
    result = scan([data])
    assert len(result.hits) == MAX_HITS and result.dropped_hits == 200_000 - MAX_HITS
    assert result.hits[-1].lineno == 200_000


def test_an_error_said_again_is_kept_a_few_times_and_markers_always() -> None:
    data = b"$ make\n" + b"error: retrying in 5s\n" * 1000 + b"make: *** [all] Error 2\n" + b"$ make\n" * 10
    result = scan([data])
    kinds = [h.group for h in result.hits]
    assert kinds.count(ERROR_WORD) == KEEP_REPEATS and result.repeated_hits == 1000 - KEEP_REPEATS
    assert kinds.count(FAIL_MARK) == 1 and kinds.count(STEP_START) == 11
    assert result.total_lines == 1012


def test_empty_log() -> None:
    result = scan([])
    assert result.total_lines == 0 and result.hits == []


ENGINES = available_engines()
TRICKY = (
    b"\x1b[1m\x1b[31m  \x1b[1m\xe2\x97\x8f \x1b[1mprevents doubling\x1b[39m\r\n"
    b"  \xe2\x9c\x96 lint failed\n"
    b"\xff\xfe binary \x00 noise ERROR \xc3\x97\n"
    b"===== FAILURES =====\r\n"
    b"src/a.c:12:\n"
    b"   3)\n"
    b"E       assert 1 == 2\n"
    b"make[2]: *** [all] Error 2\n"
    b"\x1b[31m===== FAILED TEST SUMMARY =====\x1b[0m\n"
    b"Test Summary Report\n"
)


STAMPED = b"".join(b"2026-05-04T06:35:%02d.2091076Z " % i + line + b"\n" for i, line in enumerate(TRICKY.split(b"\n")))


@pytest.mark.parametrize("engine", ENGINES)
def test_a_github_actions_timestamp_changes_no_line_kind(engine: str) -> None:
    plain, stamped = scan([TRICKY], engine=engine), scan([STAMPED], engine=engine)
    assert [(h.lineno, h.group) for h in stamped.hits] == [(h.lineno, h.group) for h in plain.hits]
    assert BLOCK_HEADER in {h.group for h in stamped.hits} and SUMMARY in {h.group for h in stamped.hits}


def test_a_line_said_again_later_is_a_repeat_whatever_its_timestamp() -> None:
    data = b"".join(b"2026-05-04T06:%02d:53.%07dZ error: retrying\n" % (i % 60, i * 7919) for i in range(100))
    assert scan([data]).repeated_hits == 100 - KEEP_REPEATS


@pytest.mark.skipif(len(ENGINES) < 2, reason="Hyperscan is not installed on this platform")
@pytest.mark.parametrize("data", [LOG, TRICKY, TRICKY.replace(b"\n", b"\r\n"), STAMPED])
def test_engines_find_the_same_lines(data: bytes) -> None:
    hyper, fallback = scan([data], engine="hyperscan"), scan([data], engine="re2")
    assert hyper.hits == fallback.hits and hyper.total_lines == fallback.total_lines


@pytest.mark.skipif(len(ENGINES) < 2, reason="Hyperscan is not installed on this platform")
@settings(max_examples=200, deadline=None)
@given(
    st.lists(st.sampled_from([*TRICKY.split(b"\n"), b"", b"ok", b"x" * 700 + b" error"]), max_size=30),
    st.binary(max_size=40),
)
def test_engines_agree_on_arbitrary_logs(lines: list[bytes], noise: bytes) -> None:
    data = b"\n".join(lines) + noise
    hyper, fallback = scan([data], engine="hyperscan"), scan([data], engine="re2")
    assert hyper.hits == fallback.hits and hyper.total_lines == fallback.total_lines


# Bytes the engines once read differently: invalid UTF-8 after a header's ") " or inside a
# "=====" title (RE2 read text as UTF-8), and a vertical tab after "$ " (RE2's \S takes it).
_PIECES = [b" ", b"\t", b"\x0b", b"\r", b"\n", b"\x80", b"\xff", "●".encode(), "×".encode(), b"3) ", b"$ "]
_PIECES += [b"=====", b"___", b"a.py:3:", b"x.c(1,2)", b"error", b"Failed", b"....", b"##[error]", b"\x1b[31m", b"x"]


@pytest.mark.skipif(len(ENGINES) < 2, reason="Hyperscan is not installed on this platform")
@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(_PIECES), max_size=25).map(b"".join))
@example(b"   3) \x80")
@example(b"===== a\x80b =====")
@example(b"$ \x0b")
def test_engines_agree_byte_by_byte(data: bytes) -> None:
    hyper, fallback = scan([data], engine="hyperscan"), scan([data], engine="re2")
    assert hyper.hits == fallback.hits and hyper.total_lines == fallback.total_lines


def test_non_ascii_markers_are_found() -> None:
    hits = {h.lineno: h.group for h in scan([TRICKY]).hits}
    assert hits[1] == BLOCK_HEADER and hits[2] == ERROR_WORD and hits[4] == STEP_START
    assert hits[5] == LOCATION and hits[8] == FAIL_MARK
    assert hits[9] == SUMMARY and hits[10] == SUMMARY


def test_unknown_engine_is_refused() -> None:
    with pytest.raises(ValueError, match="not available"):
        scan([LOG], engine="grep")


def test_hit_offsets_point_at_their_lines() -> None:
    data = LOG * 50
    for hit in scan(blocks_of(data, 97)).hits:
        assert data[hit.offset :].startswith(hit.raw)


def test_scans_in_parallel_threads_agree() -> None:
    data = LOG * 2000
    expected = scan([data]).hits
    with ThreadPoolExecutor(max_workers=4) as pool:
        results = list(pool.map(lambda _: scan(blocks_of(data, 4096)).hits, range(8)))
    assert all(hits == expected for hits in results)


@pytest.mark.parametrize("engine", ENGINES)
def test_pytest_short_summary_heads_a_list_of_failures(engine: str) -> None:
    data = b"2026-04-23T08:47:06.2888753Z ========= short test summary info =========\nFAILED tests/test_a.py::test_x\n"
    assert [h.group for h in scan([data], engine=engine).hits][:1] == [SUMMARY]


# Headers of failure reports, and the lines they are on.
_REPORT_HEADERS = {
    # pre-commit's verdict on a hook, over that hook's output
    "pre-commit": (
        b"2026-04-23T08:38:17.8950769Z mypy....................................\x1b[41mFailed\x1b[m\n"
        b"2026-04-23T08:38:17.8951756Z \x1b[2m- hook id: mypy\x1b[m\n"
        b"ruff.........................................Passed\n",
        [1],
    ),
    # mocha's numbers, with the title on the line or below it
    "mocha": (
        b"  1) Reuse program structure\r\n"
        b"       fails if change affects imports:\r\n"
        b"  2) \r\n"
        b"       \r\n"
        b"         conformance tests\r\n"
        b"  see (3)\r\n"
        b"  total: 4)\r\n",
        [1, 3],
    ),
}


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("runner", sorted(_REPORT_HEADERS))
def test_the_headers_of_failure_reports_are_found(engine: str, runner: str) -> None:
    data, lines = _REPORT_HEADERS[runner]
    assert [h.lineno for h in scan([data], engine=engine).hits if h.group == BLOCK_HEADER] == lines


@pytest.mark.parametrize("engine", ENGINES)
def test_a_line_longer_than_a_piece_is_scanned_in_pieces_and_not_kept(engine: str) -> None:
    # A minified bundle or a log without newlines: memory stays bounded, line numbers stay right.
    giant = b"x error " * (3 * MAX_LINE_PIECE // 8)
    data = b"$ build\n" + giant + b"\nfatal: out of memory\n$ next\n"
    result = scan(blocks_of(data, 64 * 1024), engine=engine, retain=len(data) * 2)
    assert result.pieces is None
    assert result.total_lines == 4 and result.total_bytes == len(data)
    assert [(h.lineno, h.group) for h in result.hits if h.group != ERROR_WORD] == [(1, STEP_START), (4, STEP_START)]
    assert (3, ERROR_WORD) in [(h.lineno, h.group) for h in result.hits]
    assert all(len(h.raw) <= MAX_HIT_BYTES for h in result.hits)


@pytest.mark.parametrize("engine", ENGINES)
def test_error_lines_carry_their_shape_when_short(engine: str) -> None:
    data = (
        b"$ make\n"
        b"2026-04-23T08:38:17.8950769Z error: 3 of 7 failed\n"
        b"src/a.c:12:5: error: x\n"
        b"error: " + b"long " * 60 + b"\n"
        b"make: *** [all] Error 2\n"
    )
    hits = scan([data], engine=engine).hits
    assert [(h.lineno, h.shape) for h in hits] == [
        (1, None),  # a step start: not counted for repeats, no shape
        (2, b"error: 1 of 1 failed"),
        (3, b"src/a.c:11:1: error: x"),
        (4, None),  # longer than SHAPE_KEPT_BYTES: worked out again where needed
        (5, None),
    ]
    assert all(h.shape == line_shape(h.raw) for h in hits if h.shape is not None)


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("gap_lines", [10, 5_000])  # a few hundred bytes, and 200 KB counted in place
def test_line_numbers_stay_right_across_long_gaps_between_hits(engine: str, gap_lines: int) -> None:
    gap = b"".join(b"compiling module %d of the workspace ...\n" % n for n in range(gap_lines))
    data = b"$ make\n" + gap + b"error: first\n" + gap + b"error: second\n" + gap + b"tail"
    result = scan(blocks_of(data, 96 * 1024), engine=engine)
    lines = data.split(b"\n")
    assert [(h.lineno, h.raw) for h in result.hits] == [
        (1, b"$ make"),
        (gap_lines + 2, b"error: first"),
        (2 * gap_lines + 3, b"error: second"),
    ]
    assert all(lines[h.lineno - 1] == h.raw for h in result.hits)
    assert result.total_lines == len(lines) == 3 * gap_lines + 4
