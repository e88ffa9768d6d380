"""Every match of an RE2 pattern in bytes, found through RE2's low-level matcher.

Python's engine retries each start inside a long word (a leading ``\\S*`` makes it quadratic
there), and the RE2 wrapper's ``finditer`` builds a match object for each match; the
low-level matcher returns spans only. For patterns run over many lines: names, base64 words.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any, Final

import re2

# RE2's low-level matcher: (anchor, text, start, end) -> [(start, end) of the match, then of each group]
Matcher = Callable[[Any, bytes, int, int], list[tuple[int, int]]]
_UNANCHORED: Final = re2._Anchor.UNANCHORED


def matcher(pattern: bytes) -> Matcher:
    """RE2's low-level matcher for ``pattern``; raises re2.error if it does not compile.

    Each byte is one character (Latin-1), as in a Python bytes pattern: in RE2's default UTF-8
    mode ``\\S`` would not take a byte of invalid UTF-8.
    """
    matcher_: Matcher = re2.compile(pattern, byte_options())._regexp.Match
    return matcher_


def byte_options() -> re2.Options:
    """RE2's options for reading each byte as one character (Latin-1).

    As Python's bytes patterns and Hyperscan read them: in RE2's default UTF-8 mode ``.``, ``\\S``
    and even ``[\\x80-\\xff]`` skip a byte of invalid UTF-8. Case still folds for ASCII alone.
    """
    options = re2.Options()
    options.encoding = re2.Options.Encoding.LATIN1
    return options


def spans(match: Matcher, data: bytes) -> Iterator[tuple[int, int]]:
    """(start, end) of each match in ``data``: leftmost first, not overlapping, as ``findall`` finds them.

    After an empty match the search goes on one byte further (a pattern that can match nothing
    still ends).
    """
    pos, size = 0, len(data)
    while pos <= size:
        (start, end), *_ = match(_UNANCHORED, data, pos, size)
        if start < 0:
            return
        yield start, end
        pos = end if end > start else end + 1
