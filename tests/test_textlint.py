"""The text lint finds what a writer would not leave in a sentence."""

from __future__ import annotations

import pytest

from chalicelib.textlint import lint_text


@pytest.mark.parametrize(
    ("text", "finding"),
    [
        ("Reproduce with `the failing command` and fix it.", "placeholder"),
        ("Timeout in the failing command", "placeholder"),
        ("Fix the files named above.", "placeholder"),
        ("Test a test failed", "doubled word"),
        ("Test Test lstat() failed", "doubled word"),
        ("The check failed: Expected value to equal:", "ends unfinished"),
        ("Output was …[4500…", "cut truncation marker"),
        ("It failed at parsi… and stopped.", "cut word"),
        ("Run `pytest` and `make", "unbalanced backtick"),
        ("The pattern \\(x\\) failed.", "Markdown escape"),
        ("##[error]./src/a.py failed.", "terminal escape"),
        ("Run `make test ${FLAGS}` locally.", "unexpanded variable"),
        ("The step failed: .", "empty quote"),
        ("  ", "empty text"),
    ],
)
def test_each_defect_is_found(text: str, finding: str) -> None:
    assert any(f.startswith(finding) for f in lint_text(text)), list(lint_text(text))


@pytest.mark.parametrize(
    "text",
    [
        "Test tests/test_api.py::test_login failed",
        "Define `TOKEN` and pass it with `env: TOKEN: ${{ secrets.TOKEN }}`; for forks, secrets are not available.",
        "The check reports F401 at app.py:1:1: `os` imported but unused",
        "A message cut at a word's end …",
    ],
)
def test_sentences_a_person_would_write_pass(text: str) -> None:
    assert list(lint_text(text)) == []
