from __future__ import annotations

from collections.abc import Iterator

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from chalicelib.excerpt.linefetch import MAX_FETCHED_BYTES, LineCache, RetainedLines, fetch_lines
from chalicelib.excerpt.logscan import MAX_LINE_PIECE, scan
from tests.support.logs import LOG, blocks_of


@settings(max_examples=60, deadline=None)
@given(st.integers(min_value=1, max_value=40), st.sets(st.integers(min_value=1, max_value=8)))
def test_fetch_lines_returns_exact_lines(size: int, wanted: set[int]) -> None:
    lines = LOG.split(b"\n")
    got = fetch_lines(blocks_of(LOG, size), wanted)
    assert got == {n: lines[n - 1] for n in wanted if n <= len(lines)}
    assert fetch_lines(blocks_of(b"a\nb\n", size), {2, 3}) == {2: b"b"}


@settings(max_examples=80, deadline=None)
@given(
    st.integers(min_value=1, max_value=3000),
    st.sets(st.integers(min_value=1, max_value=1300), max_size=200),
)
def test_fetch_lines_jumping_from_scanned_offsets_matches_a_split(size: int, wanted: set[int]) -> None:
    data = b"".join(b"line %d %s\n" % (i, b"error" if i % 37 == 0 else b"x" * (i % 150)) for i in range(1, 1201))
    lines = data.split(b"\n")[:-1]
    known = scan(blocks_of(data, 4096)).hits
    got = fetch_lines(blocks_of(data, size), wanted, known)
    assert got == {n: lines[n - 1] for n in wanted if n <= len(lines)}


@settings(max_examples=60, deadline=None)
@given(st.integers(min_value=1, max_value=5000), st.sets(st.integers(min_value=1, max_value=1300), max_size=100))
def test_a_kept_log_gives_the_same_lines_without_a_second_read(size: int, wanted: set[int]) -> None:
    data = b"".join(b"line %d %s\n" % (i, b"error" if i % 37 == 0 else b"x" * (i % 150)) for i in range(1, 1201))
    kept = scan(blocks_of(data, size), retain=len(data))
    assert kept.pieces is not None and b"".join(piece for piece, _ in kept.pieces) == data
    reader = RetainedLines(kept)
    got = {n: reader.run(n, 1)[0] for n in wanted if n <= reader.total_lines}
    assert got == fetch_lines(blocks_of(data, size), wanted, kept.hits)


@settings(max_examples=60, deadline=None)
@given(
    st.integers(min_value=1, max_value=1 << 16),
    st.sets(st.integers(min_value=1, max_value=6100), max_size=40),
    st.integers(min_value=0, max_value=40),
)
def test_lines_far_from_any_scanned_line_are_found(size: int, wanted: set[int], width: int) -> None:
    # Few hits and lines of many lengths, empty ones too: the cursor counts its way over
    # thousands of lines to reach each run.
    data = b"".join(
        b"error %d\n" % i if i % 2500 == 0 else b"x" * ((i * 7) % (width + 1)) + b"\n" for i in range(1, 6001)
    )
    lines = data.split(b"\n")[:-1]
    expected = {n: lines[n - 1] for n in wanted if n <= len(lines)}
    kept = scan(blocks_of(data, size), retain=len(data))
    assert fetch_lines(blocks_of(data, size), wanted, kept.hits) == expected
    reader = RetainedLines(kept)
    assert {n: reader.run(n, 1)[0] for n in sorted(wanted) if n <= reader.total_lines} == expected


def test_a_log_over_the_retain_limit_is_not_kept() -> None:
    result = scan(blocks_of(LOG * 100, 64), retain=len(LOG))
    assert result.pieces is None
    with pytest.raises(ValueError, match="did not keep"):
        RetainedLines(result)


@settings(max_examples=80, deadline=None)
@given(
    st.integers(min_value=1, max_value=5000),
    st.lists(st.tuples(st.integers(min_value=-3, max_value=1250), st.integers(min_value=0, max_value=90)), max_size=12),
    st.booleans(),
)
def test_runs_of_a_kept_log_are_its_lines(size: int, runs: list[tuple[int, int]], final_newline: bool) -> None:
    data = b"".join(b"line %d %s\n" % (i, b"error" if i % 37 == 0 else b"x" * (i % 150)) for i in range(1, 1201))
    data = data if final_newline else data + b"last line, no newline"
    lines = data.split(b"\n")
    lines = lines[:-1] if final_newline else lines
    reader = RetainedLines(scan(blocks_of(data, size), retain=len(data)))
    assert reader.total_lines == len(lines)
    for first, count in runs:
        assert reader.run(first, count) == lines[max(first, 1) - 1 : max(first, 1) - 1 + count]


def test_a_line_cache_fetches_runs_of_a_kept_log_in_the_readers_direction() -> None:
    data = b"".join(b"line %d\n" % i for i in range(1, 101))
    cache = LineCache(kept=RetainedLines(scan(blocks_of(data, 64), retain=len(data))))
    assert cache.get(50, backward=True) == b"line 50"
    assert cache.get(35) == b"line 35" and cache.get(34) == b"line 34"  # both in the run that ended at 50
    assert cache.get(100) == b"line 100"
    assert cache.get(0) is None and cache.get(101) is None


def test_a_line_cache_of_a_streamed_log_has_only_the_fetched_lines() -> None:
    cache = LineCache({3: b"three", 4: b"four"})
    assert cache.get(3) == b"three" and cache.get(5) is None and cache.get(2, backward=True) is None


def test_lines_after_a_line_scanned_in_pieces_are_found() -> None:
    giant = b"y" * (2 * MAX_LINE_PIECE + 5)
    data = b"first\n" + giant + b"\nerror: third\nfourth"
    known = scan(blocks_of(data, 300_000)).hits
    got = fetch_lines(blocks_of(data, 300_000), {1, 2, 3, 4}, known)
    assert got == {1: b"first", 2: giant[:MAX_FETCHED_BYTES], 3: b"error: third", 4: b"fourth"}


def test_the_second_pass_reads_no_further_than_its_last_wanted_line() -> None:
    # Streamed one block at a time: a block after the wanted lines is never read, and no more
    # than one is held (a pass that listed the blocks first would hold the whole log).
    def blocks() -> Iterator[bytes]:
        yield b"".join(b"line %d\n" % n for n in range(1, 11))
        yield b"line 11\n"
        raise AssertionError("read past the wanted lines")

    assert fetch_lines(blocks(), {2, 11}) == {2: b"line 2", 11: b"line 11"}
