"""One streaming pass over a log that finds candidate lines without splitting it into lines.

A single RE2 automaton (linear time, no backtracking) scans each block for failure markers,
step boundaries and error words; only the matching lines are looked at from Python. A second
pass fetches the text of chosen line numbers. Memory stays bounded whatever the log's size.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import NamedTuple

import re2

# Group numbers of the scan pattern, in the order of _SCAN below.
FAIL_MARK, STEP_START, ERROR_WORD, LOCATION, BLOCK_HEADER = 1, 2, 3, 4, 5

# Only what a CI system or make prints when a step fails ends a failing step; a bare "exit code 1"
# inside a tool's output (pre-commit, a service shutting down) is just an error line.
_FAIL_MARK = (
    rb"The command \".*\" (?:exited|failed)[^\n]* with [1-9]|Process completed with exit code [1-9]"
    rb"|ERROR: Job failed|make(?:\[\d+\])?: \*\*\* [^\n]*Error [1-9]|marked build as failure"
    rb"|Your build exited with [1-9]|Script exited with (?:code|status) [1-9]|Build step '.*' failed"
    rb"|##\[error\]"
)
_STEP_START = rb"(?:^|\x1b\[0K)\$ \S|##\[group\]|^===== .* =====\r?$|section_start:\d+:"
_ERROR_WORD = (
    rb"error|fail|exception|traceback|fatal|panic|abort|denied|not found|cannot |can't|could ?n[o']t"
    rb"|unable to|no such|undefined|not defined|timed out|timeout|killed|out of memory|segmentation fault"
    rb"|assert|expected|but was|but got|mismatch|invalid|unexpected|missing|problem|not ok"
    rb"|\xe2\x9c\x96|\xe2\x9c\x97|\xc3\x97|\[-\]|^\s*!!|conflict|refused|unresolved|does ?n[o']t exist"
    rb"|not installed|no matching|violation|issues :-\(|errno|forbidden|unauthorized"
    rb"|^E\s{2,}|\bnot permitted|exceeded|\boom\b|oom.?kill|exit(?:ed)? with|exit (?:code|status)"
)
_LOCATION = rb"\S\.\w{1,6}:\d+:\d+|\S\.\w{1,6}\(\d+,\d+\)|^\s*\d+:\d+\s+(?:error|warning)|\.\w{1,6}:\d+:\s"
# Headers of a failure report: pytest, mocha/rspec/phpunit numbering, cargo, jest.
_BLOCK_HEADER = (
    rb"(?:^|\x1b\[[\d;]*m)(?:_{3,} \S.* _{3,}|\s{0,4}\d{1,4}\) \S|\s*\d{1,4}\)\s*\r?$|-{3,} \S.* -{3,}"
    rb"|\s*\xe2\x97\x8f \S)"
)
# In order of the group numbers above.
_PARTS = (_FAIL_MARK, _STEP_START, _ERROR_WORD, _LOCATION, _BLOCK_HEADER)
# Finding lines is one pass of an automaton with no capture groups (capturing halves RE2's speed);
# which kind of line it is, is decided afterwards on that line alone.
_SCAN = re2.compile(rb"(?im)" + b"|".join(b"(?:" + part + b")" for part in _PARTS))


def _kind_set() -> re2.Set:
    kinds = re2.Set.SearchSet(re2.Options())
    for part in _PARTS:
        kinds.Add(b"(?im)" + part)
    kinds.Compile()
    return kinds


_KINDS = _kind_set()
# Which group wins when a line matches several: the most specific.
_PRIORITY = (FAIL_MARK, STEP_START, BLOCK_HEADER, LOCATION, ERROR_WORD)

MAX_HITS = 60_000
_KEEP_FIRST = 2_000
MAX_HIT_BYTES = 600


class Hit(NamedTuple):
    lineno: int
    group: int
    raw: bytes


@dataclass
class ScanResult:
    total_lines: int = 0
    total_bytes: int = 0
    first_hits: list[Hit] = field(default_factory=list)
    recent_hits: deque[Hit] = field(default_factory=lambda: deque(maxlen=MAX_HITS - _KEEP_FIRST))
    dropped_hits: int = 0

    @property
    def hits(self) -> list[Hit]:
        return self.first_hits + list(self.recent_hits)

    def add(self, hit: Hit) -> None:
        if len(self.first_hits) < _KEEP_FIRST:
            self.first_hits.append(hit)
            return
        if len(self.recent_hits) == self.recent_hits.maxlen:
            self.dropped_hits += 1
        self.recent_hits.append(hit)


def _complete_lines(blocks: Iterable[bytes]) -> Iterator[bytes]:
    """Re-cut blocks so that each ends at a newline (the last may not)."""
    carry = b""
    for block in blocks:
        cut = block.rfind(b"\n")
        if cut < 0:
            carry += block
            continue
        yield carry + block[: cut + 1]
        carry = block[cut + 1 :]
    if carry:
        yield carry


def scan(blocks: Iterable[bytes]) -> ScanResult:
    """Find candidate lines in a stream of blocks; line numbers are 1-based over ``\\n``."""
    result = ScanResult()
    lineno = 1  # line number of the first line of the current buffer
    # The low-level matcher returns spans without building match objects; after a hit the
    # search resumes at the next line, so each line is reported once.
    match = _SCAN._regexp.Match
    kinds = _KINDS._set.Match
    unanchored = re2._Anchor.UNANCHORED
    add = result.add
    ends_with_newline = False
    for buf in _complete_lines(blocks):
        count, find, rfind = buf.count, buf.find, buf.rfind
        size = len(buf)
        pos = 0
        counted = 0
        while pos < size:
            start = match(unanchored, buf, pos, size)[0][0]
            if start < 0:
                break
            line_start = rfind(b"\n", 0, start) + 1
            line_end = find(b"\n", start)
            if line_end < 0:
                line_end = size
            raw = buf[line_start : min(line_end, line_start + MAX_HIT_BYTES)]
            found = kinds(buf[line_start:line_end]) or (ERROR_WORD - 1,)
            group = next(g for g in _PRIORITY if g - 1 in found)
            lineno += count(b"\n", counted, line_start)
            counted = line_start
            add(Hit(lineno, group, raw))
            pos = line_end + 1
        lineno += count(b"\n", counted)
        result.total_bytes += size
        ends_with_newline = buf.endswith(b"\n")
    # Lines as `split("\\n")` numbers them, without the empty remainder after a final newline.
    result.total_lines = (lineno - 1 if ends_with_newline else lineno) if result.total_bytes else 0
    return result


def fetch_lines(blocks: Iterable[bytes], wanted: set[int]) -> dict[int, bytes]:
    """Second pass: the raw bytes of each wanted line number."""
    found: dict[int, bytes] = {}
    if not wanted:
        return found
    ordered = sorted(wanted)
    index = 0
    lineno = 1
    for buf in _complete_lines(blocks):
        parts = buf.split(b"\n") if ordered[index] < lineno + buf.count(b"\n") + 1 else None
        complete = buf.count(b"\n")
        # A buffer that ends in a newline holds `complete` whole lines; the last one may hold one more.
        held = complete if buf.endswith(b"\n") else complete + 1
        if parts is not None:
            for offset in range(held):
                number = lineno + offset
                if number in wanted:
                    found[number] = parts[offset][: MAX_HIT_BYTES * 8]
            while index < len(ordered) and ordered[index] < lineno + held:
                index += 1
            if index == len(ordered):
                break
        lineno += complete
    return found


BlockSource = Callable[[], Iterable[bytes]]
