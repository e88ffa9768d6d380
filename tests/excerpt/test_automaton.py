"""Hyperscan databases: ids of what matched, matches in order, one scratch space per thread."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest

from chalicelib.excerpt import automaton

pytestmark = pytest.mark.skipif(not automaton.available(), reason="Hyperscan has wheels for x86-64 only")


def test_matching_ids_name_each_expression_that_matched_once() -> None:
    database = automaton.Database(
        [rb"error", rb"^warning", rb"ok$"], [7, 8, 9], [automaton.MULTILINE | automaton.SINGLEMATCH] * 3
    )
    assert database.matching_ids(b"an error\nwarning: x\nerror again") == {7, 8}
    assert database.matching_ids(b"fine\nall ok") == {9}
    assert database.matching_ids(b"") == set()


def test_scan_reports_every_match_end_in_order() -> None:
    database = automaton.Database([rb"ab"], [1], [0])
    ends: list[int] = []
    database.scan(b"ab ab xab", lambda _id, _start, end, _flags, found: found.append(end), ends)
    assert ends == [2, 5, 9]


def test_utf8_expressions_read_characters_not_bytes() -> None:
    database = automaton.Database([rb"^x.y$"], [1], [automaton.UTF8 | automaton.MULTILINE])
    assert database.matching_ids("x\u00e9y".encode()) == {1}


def test_threads_scan_one_database_at_once() -> None:
    database = automaton.Database([rb"needle\d+"], [1], [0])
    texts = [b"hay " * 5000 + b"needle%d" % i for i in range(64)]
    with ThreadPoolExecutor(max_workers=8) as pool:
        assert all(found == {1} for found in pool.map(database.matching_ids, texts))


def test_a_bad_expression_fails_when_first_used() -> None:
    database = automaton.Database([rb"(unclosed"], [1], [0])  # nothing compiled yet: no cost at import
    with pytest.raises(automaton.hyperscan.error, match="close parenthesis"):
        database.matching_ids(b"text")
