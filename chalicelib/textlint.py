"""Checks of the sentences a person reads (summary, root cause, fix): what a writer would not leave.

Each finding names a defect that shows a sentence was not filled from parsed fields: a stock
phrase standing where a name belongs, a word or a marker cut in half, an unbalanced backtick,
Markdown or terminal escapes in plain text, an unexpanded shell variable, a sentence that stops
at a colon. Used by the tests over every example and by the analysis benchmark.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Final

# Stock phrases that stand where a parsed name belongs ("Reproduce with `the failing command`").
_PLACEHOLDERS: Final = re.compile(
    r"`(?:the|a|an) [a-z ]+`|\bthe failing command\b|\bthe files? (?:named )?above\b|\bsee the evidence\b"
    r"|\bthe snapshot update command\b|\ba remote host\b|\bno error line was found\b|\bthe first error shown\b"
    r"|\bin the code\b|\bin the build\b",
    re.IGNORECASE,
)
_DOUBLED: Final = re.compile(r"\b(\w{3,}) (?:(?:a|an|the) )?\1\b", re.IGNORECASE)
_CUT_WORD: Final = re.compile(r"\w…|…\w")
_CUT_MARKER: Final = re.compile(r"\[\d[\d,]*…|…\s*\d+ (?:more )?(?:chars|characters|lines)\b(?!\])")
# A backslash before punctuation, where no path puts one (C:\\Users\\ci\\.cargo is a path).
_MARKDOWN_ESCAPE: Final = re.compile(r"(?<![\w:.\\])\\[()\[\]{}:.\-_*#!>`|]")
_TERMINAL: Final = re.compile(r"\x1b|\[\d{1,3}(?:;\d{1,3})*m|\\x1b|\\u001b|##\[(?:error|warning|group)\]")
_SHELL_VARIABLE: Final = re.compile(r"\$\{?[A-Za-z_]\w*\}?(?!\w)")
_ENDS_BADLY: Final = re.compile(r"(?:[:;,(\[]|\b(?:and|or|the|a|of|to|in|with))\s*$")
# Nothing where a value was to be quoted: ": ." at the end, "( )" after a space, "``".
_EMPTY_QUOTE: Final = re.compile(r"``|:\s*[.;]$|\s\(\s*\)")


def lint_text(text: str, commands: bool = True) -> Iterator[str]:
    """Describe each defect found in ``text`` (nothing for a sentence a person would write).

    ``commands``: whether backticked text is a command to run (a fix), where a shell variable
    left unexpanded is a defect; in a root cause it is quoted log text.
    """
    if not text.strip():
        yield "empty text"
        return
    checks = (
        (_PLACEHOLDERS, "placeholder"),
        (_DOUBLED, "doubled word"),
        (_CUT_WORD, "cut word"),
        (_CUT_MARKER, "cut truncation marker"),
        (_MARKDOWN_ESCAPE, "Markdown escape in plain text"),
        (_TERMINAL, "terminal escape or CI marker"),
        (_EMPTY_QUOTE, "empty quote"),
    )
    for pattern, what in checks:
        match = pattern.search(text)
        if match:
            yield f"{what}: {match.group(0)!r}"
    if text.count("`") % 2:
        yield "unbalanced backtick"
    for command in re.findall(r"`([^`]*)`", text) if commands else ():
        variable = _SHELL_VARIABLE.search(command)
        if variable and not command.startswith("${{"):
            yield f"unexpanded variable in a command: {variable.group(0)!r}"
    if _ENDS_BADLY.search(text):
        yield f"ends unfinished: {text[-20:]!r}"
