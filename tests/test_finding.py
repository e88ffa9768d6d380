from __future__ import annotations

import re

import pytest

from chalicelib.finding import (
    MAX_MESSAGE,
    error_message,
    evidence_lines,
    first_match,
    generic_finding,
    sentence,
    shortened,
)


def test_a_message_is_one_line_and_capped() -> None:
    assert shortened("  a\n  b\tc ") == "a b c"
    long = shortened("x" * (MAX_MESSAGE + 50))
    assert len(long) == MAX_MESSAGE and long.endswith("…")


def test_the_first_line_that_matches_is_found() -> None:
    found = first_match([(1, "ok"), (5, "E  boom"), (9, "E  later")], re.compile(r"E\s+(\w+)"))
    assert found is not None and found[:2] == (5, "E  boom") and found[2].group(1) == "boom"
    assert first_match([(1, "ok")], re.compile("nothing")) is None


def test_jest_expected_is_read_with_its_received_line() -> None:
    lines = [(10, "    Expected: 90"), (11, "    Received: 100"), (12, "      at Object.<anonymous>")]
    assert error_message(lines, []) == (10, "Expected: 90, Received: 100")


def test_without_an_error_line_the_first_non_blank_fallback_is_the_message() -> None:
    assert error_message([(1, "plain")], [(3, "  "), (4, "E   the fallback")]) == (4, "the fallback")
    assert error_message([], [(3, "  ")]) is None


def test_evidence_is_each_line_once_in_line_order() -> None:
    assert evidence_lines((9, "b"), None, (2, "a"), (9, "b again")) == [(2, "a"), (9, "b")]


def test_sentences_come_from_the_templates_and_refuse_unknown_keys() -> None:
    assert "boom" in sentence("unknown", "root_cause", message="boom")
    with pytest.raises(KeyError):
        sentence("no_such_category", "summary")


def test_the_generic_finding_quotes_the_line_it_has() -> None:
    finding = generic_finding("infrastructure", (4, "  runner lost  "), 0.7)
    assert "runner lost" in finding.root_cause and finding.evidence == [(4, "  runner lost  ")]
    assert generic_finding("unknown", None, 0.3).evidence == []
