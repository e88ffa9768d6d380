"""Where a failing file or test is first named: a summary at the end points back to its output.

Test runners end with a summary ("FAILED TEST SUMMARY", "Test Summary Report", "a/b.test.ts
failed"); the output that explains a failure starts where the log first names the same file or
test. Both lookups read only what the scan kept: its hits and, for a small log, the log itself.
"""

from __future__ import annotations

import bisect
import re
from typing import Final

from chalicelib.excerpt.linefetch import RetainedLines
from chalicelib.excerpt.linescore import scoring_form
from chalicelib.excerpt.logscan import STEP_START, Hit, ScanResult
from chalicelib.excerpt.re2spans import matcher, spans

MENTION_LOOKBACK: Final = 3000
# Paths and file names: "src/a/b.py", "t9502-gitweb-standalone-parse-output.sh", "bug60120.phpt".
# Found by RE2 (see chalicelib.excerpt.re2spans): Python's engine retries each start inside a long word.
_MATCH_SUBJECT: Final = matcher(rb"[\w@.+-]*[/\\][\w@.+/\\-]*\w|[\w+-]+\.\w{1,8}\b")
MIN_SUBJECT: Final = 8
_SEPARATOR: Final = re.compile(rb"^\W*$")
LISTED_LINES: Final = 6
MAX_SUBJECTS: Final = 3


def subjects(text: bytes) -> list[bytes]:
    """The paths and file names a line names (long enough to be specific)."""
    data = scoring_form(text)
    return [data[start:end] for start, end in spans(_MATCH_SUBJECT, data) if end - start >= MIN_SUBJECT]


def first_mention_in_hits(hits: list[Hit], anchor: int) -> int | None:
    """The first candidate line before ``anchor`` that names a subject the anchor names."""
    index = bisect.bisect_left(hits, anchor, key=lambda hit: hit.lineno)
    if index >= len(hits) or hits[index].lineno != anchor:
        return None
    named = subjects(hits[index].raw)
    if not named:
        return None
    start = bisect.bisect_left(hits, anchor - MENTION_LOOKBACK, key=lambda hit: hit.lineno)
    window = hits[start:index]
    first: int | None = None
    # Each subject on its own: a generator over the subjects for each of thousands of hits costs more.
    for subject in named:
        for lineno, group, raw, _, _ in window:
            if first is not None and lineno >= first:
                break
            if subject in raw and group != STEP_START:
                first = lineno
                break
    return first


def listed_subjects(result: ScanResult, heading: int) -> list[bytes]:
    """Subjects named in the few lines under a summary heading (needs the kept log)."""
    if result.pieces is None:
        return []
    found: list[bytes] = []
    listed = False
    for text in RetainedLines(result).run(heading + 1, LISTED_LINES):
        if _SEPARATOR.match(scoring_form(text)):
            if listed:
                break  # the list ended (a rule under the heading does not end it)
            continue
        listed = True
        found.extend(s for s in subjects(text) if s not in found)
    return found[:MAX_SUBJECTS]


# What continues a name, so that it was not the whole name: "src/app" is not named by
# "src/app-utils", "src/app/x.py" or "src/app.py".
_NAME_GOES_ON: Final = re.compile(rb"[\w/\\-]|\.\w")


def first_line_naming(result: ScanResult, subject: bytes, before: int) -> int | None:
    """The number of the first line that contains ``subject``, if before line ``before``."""
    if result.pieces is None:
        return None
    lineno = 1
    for piece, newlines in result.pieces:
        # bytes.find looks for the name far faster than a pattern search; the match checks it whole.
        at = piece.find(subject)
        while at >= 0 and _NAME_GOES_ON.match(piece, at + len(subject)):
            at = piece.find(subject, at + 1)
        if at >= 0:
            found = lineno + piece.count(b"\n", 0, at)
            return found if found < before else None
        lineno += newlines
    return None
