from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from chalicelib.linefetch import fetch_lines, fetch_retained
from chalicelib.logscan import scan
from tests.test_logscan import LOG, blocks_of


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
    assert fetch_retained(kept, wanted) == fetch_lines(blocks_of(data, size), wanted, kept.hits)


def test_a_log_over_the_retain_limit_is_not_kept() -> None:
    result = scan(blocks_of(LOG * 100, 64), retain=len(LOG))
    assert result.pieces is None
    with pytest.raises(ValueError, match="did not keep"):
        fetch_retained(result, {1})
