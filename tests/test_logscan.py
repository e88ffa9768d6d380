from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from chalicelib.logscan import ERROR_WORD, FAIL_MARK, LOCATION, STEP_START, fetch_lines, scan


def blocks_of(data: bytes, size: int) -> list[bytes]:
    return [data[i : i + size] for i in range(0, len(data), size)] or [b""]


LOG = (
    b"$ npm ci\n"
    b"added 12 packages\n"
    b"src/a.ts:3:7 - error TS2322: nope\n"
    b"all fine here\n"
    b"Error: something broke\n"
    b'The command "npm test" exited with 1.\n'
    b"trailing line without newline"
)


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


@settings(max_examples=60, deadline=None)
@given(st.integers(min_value=1, max_value=40), st.sets(st.integers(min_value=1, max_value=8)))
def test_fetch_lines_returns_exact_lines(size: int, wanted: set[int]) -> None:
    lines = LOG.split(b"\n")
    got = fetch_lines(blocks_of(LOG, size), wanted)
    assert got == {n: lines[n - 1] for n in wanted if n <= len(lines)}
    assert fetch_lines(blocks_of(b"a\nb\n", size), {2, 3}) == {2: b"b"}


def test_hit_memory_is_bounded() -> None:
    data = b"error here\n" * 200_000
    result = scan([data])
    assert len(result.hits) <= 60_000 and result.dropped_hits > 0
    assert result.hits[-1].lineno == 200_000


def test_empty_log() -> None:
    result = scan([])
    assert result.total_lines == 0 and result.hits == []
