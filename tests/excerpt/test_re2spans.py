from __future__ import annotations

import re

import pytest
import re2
from hypothesis import given, settings
from hypothesis import strategies as st

from chalicelib.excerpt.linescore import NAMED_PATTERN
from chalicelib.excerpt.re2spans import matcher, spans

# Patterns of the kinds the project runs this way: words with a leading \S*, counted classes.
PATTERNS = [
    NAMED_PATTERN,
    rb"[A-Za-z0-9+/]{4,}={0,2}|[A-Za-z0-9_-]{4,}={0,2}",
    rb"[\w@.+-]*[/\\][\w@.+/\\-]*\w|[\w+-]+\.\w{1,8}\b",
]


@settings(max_examples=200)
@given(st.sampled_from(PATTERNS), st.binary(max_size=80) | st.text("aZ9_+/=.-\\ :@", max_size=80).map(str.encode))
def test_spans_are_where_pythons_engine_finds_each_match(pattern: bytes, data: bytes) -> None:
    assert list(spans(matcher(pattern), data)) == [m.span() for m in re.finditer(pattern, data)]


def test_empty_matches_are_found_as_pythons_engine_finds_them() -> None:
    assert list(spans(matcher(rb"b*"), b"abba")) == [(0, 0), (1, 3), (3, 3), (4, 4)]
    assert list(spans(matcher(rb"b*"), b"abba")) == [m.span() for m in re.finditer(rb"b*", b"abba")]


def test_a_pattern_that_does_not_compile_is_refused() -> None:
    with pytest.raises(re2.error, match="missing"):
        matcher(rb"(unclosed")
