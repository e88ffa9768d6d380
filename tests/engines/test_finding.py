from __future__ import annotations

import pytest

from chalicelib.engines.finding import MAX_MESSAGE, evidence_lines, sentence, shortened


def test_a_message_is_one_line_and_capped() -> None:
    assert shortened("  a\n  b\tc ") == "a b c"
    long = shortened("x" * (MAX_MESSAGE + 50))
    assert len(long) <= MAX_MESSAGE and long.endswith(" …")


def test_a_long_message_is_cut_at_a_word_end() -> None:
    words = shortened("alpha beta " * 40)
    assert len(words) <= MAX_MESSAGE and words.endswith(("alpha …", "beta …"))


def test_evidence_is_each_line_once_in_line_order() -> None:
    assert evidence_lines((9, "b"), None, (2, "a"), (9, "b again")) == [(2, "a"), (9, "b")]


def test_sentences_come_from_the_templates_and_refuse_unknown_keys() -> None:
    assert sentence("unknown", "root_cause_message", message="boom").endswith(": boom")
    with pytest.raises(KeyError):
        sentence("no_such_category", "summary")
