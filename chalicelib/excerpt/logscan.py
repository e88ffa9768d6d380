"""One streaming pass over a log that finds candidate lines without splitting it into lines.

A single RE2 automaton (linear time, no backtracking) scans each block for failure markers,
step boundaries and error words; only the matching lines are looked at from Python. A second
pass fetches the text of chosen line numbers. Memory stays bounded whatever the log's size.
"""

from __future__ import annotations

import functools
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Final, NamedTuple

import re2

from chalicelib.excerpt import automaton
from chalicelib.excerpt.re2spans import byte_options

# A line's start, after the timestamp GitHub Actions puts before each line of a job's log
# ("2026-05-04T06:35:53.2091076Z "), read loosely: the exact form doubles Hyperscan's compile time.
_START: Final = rb"^(?:\d[\d:.T-]*Z ?)?"

# A byte that is not a space, written out: RE2's \S takes a vertical tab, Hyperscan's does not.
_NON_SPACE: Final = rb"[^\s\x0b]"

# (Bounded colour codes: with an unbounded one Hyperscan took 10% longer over every log.)
HOOK_FAILED: Final = rb"\.{4}(?:\x1b\[[\d;]{1,8}m)?Failed(?:\x1b\[[\d;]{0,8}m)?\r?$"

# Kinds of candidate line, best first: when a line is of several kinds, the lowest number wins.
FAIL_MARK: Final = 1
STEP_START: Final = 2
BLOCK_HEADER: Final = 3
LOCATION: Final = 4
SUMMARY: Final = 5
ERROR_WORD: Final = 6

# Each kind is a list of alternatives, matched case-insensitively. Non-ASCII characters are
# written as their UTF-8 bytes (both engines read patterns and logs byte by byte), and
# whitespace as [ \t] where a plain \s could cross into the next line.
_ALTERNATIVES: Final[dict[int, tuple[bytes, ...]]] = {
    # Only what a CI system or make prints when a step fails ends a failing step; a bare
    # "exit code 1" inside a tool's output (pre-commit, a service shutting down) is an error line.
    FAIL_MARK: (
        rb"The command \".*\" (?:exited|failed)[^\n]* with [1-9]",
        rb"Process completed with exit code [1-9]",
        rb"ERROR: Job failed",
        rb"make(?:\[\d+\])?: \*\*\* [^\n]*Error [1-9]",
        rb"marked build as failure",
        rb"Your build exited with [1-9]",
        rb"Script exited with (?:code|status) [1-9]",
        rb"Build step '.*' failed",
        rb"##\[error\]",
    ),
    STEP_START: (
        _START + rb"\$ " + _NON_SPACE,
        rb"\x1b\[0K\$ " + _NON_SPACE,
        rb"##\[group\]",
        _START + rb"===== .* =====\r?$",
        rb"section_start:\d+:",
    ),
    # Headers of a failure report: pytest, mocha/rspec/phpunit numbering, cargo, jest.
    BLOCK_HEADER: (
        *[
            _START + rb"(?:[ \t]*\x1b\[[\d;]*m)*" + header
            for header in (
                rb"_{3,} " + _NON_SPACE + rb".* _{3,}",
                # mocha's "  1) title", or "  1) " alone with the title below. (Its ") " is the
                # literal Hyperscan looks for: a bare "1)" form cost 15% of its time over every log.)
                rb"[ \t]{0,4}\d{1,4}\) (?:" + _NON_SPACE + rb"[^\n]*|[ \t]*\r?)$",
                rb"-{3,} " + _NON_SPACE + rb".* -{3,}",
                rb"[ \t]*" + "●".encode() + rb" " + _NON_SPACE,
            )
        ],
        HOOK_FAILED,  # pre-commit's verdict on a hook, over that hook's output: "mypy.........Failed"
    ),
    # file.ext:line:column, file.ext:line: message, file.ext(line,column), eslint's "3:7  error".
    # (Each alternative without a rare literal costs Hyperscan a pass over every byte.)
    LOCATION: (
        _NON_SPACE + rb"\.\w{1,6}:\d+:(?:\d|[ \t\r])",
        _NON_SPACE + rb"\.\w{1,6}\(\d+,\d+\)",
        _START + rb"[ \t]*\d+:\d+[ \t]+(?:error|warning)",
        _NON_SPACE + rb"\.\w{1,6}:\d+:$",
    ),
    # A heading over a list of what failed, alone on its line (colours and rules around it; ASCII
    # punctuation written out).
    SUMMARY: (
        _START + rb"(?:[\t\r -/:-@\[-^`{-~]|\x1b\[[\d;]*m)*(?:failed tests?(?: summary)?|test summary report"
        rb"|summary of (?:failures|failed tests?)|failures|failing tests?|failed (?:examples|specs?|scenarios)"
        rb"|the following tests failed|short test summary info)(?:[\t\r -/:-@\[-^`{-~]|\x1b\[[\d;]*m)*$",
    ),
    ERROR_WORD: (
        *rb"error fail exception traceback fatal panic abort denied conflict refused unresolved errno".split(),
        *rb"undefined assert expected mismatch invalid unexpected missing problem killed timeout".split(),
        *rb"violation forbidden unauthorized exceeded".split(),
        rb"not found",
        rb"cannot ",
        rb"can't",
        rb"could ?n[o']t",
        rb"unable to",
        rb"no such",
        rb"not defined",
        rb"timed out",
        rb"out of memory",
        rb"segmentation fault",
        rb"but was",
        rb"but got",
        rb"not ok",
        *[mark.encode() for mark in "✖✗×❌✘"],
        rb"no tests? (?:found|ran|were found|to run|executed)",
        rb"exiting with (?:code|status) [1-9]",
        rb"\[-\]",
        _START + rb"[ \t]*!!",
        rb"does ?n[o']t exist",
        rb"not installed",
        rb"no matching",
        rb"issues :-\(",
        _START + rb"E[ \t]{2,}",
        rb"\bnot permitted",
        rb"\boom\b",
        rb"oom.?kill",
        rb"exit(?:ed)? with",
        rb"exit (?:code|status)",
    ),
}


def _joined(alternatives: Iterable[bytes]) -> bytes:
    return b"(?im)" + b"|".join([b"(?:" + a + b")" for a in alternatives])


# RE2 engine: one automaton with no capture groups finds the lines (capturing halves RE2's
# speed); which kind of line it is, is decided afterwards on that line alone. Both read bytes
# as Latin-1, as Hyperscan does ("3) \x80" would otherwise be a report header to one engine only).
_SCAN: Final = re2.compile(_joined([a for kind in sorted(_ALTERNATIVES) for a in _ALTERNATIVES[kind]]), byte_options())


def _kind_set() -> re2.Set:
    kinds = re2.Set.SearchSet(byte_options())
    for kind in sorted(_ALTERNATIVES):
        kinds.Add(_joined(_ALTERNATIVES[kind]))
    kinds.Compile()
    return kinds


_KINDS: Final = _kind_set()
# The winning kind for each combination of set indices (kind - 1) the kinds matcher can report.
_WINNER: Final = {
    tuple(i for i in range(len(_ALTERNATIVES)) if mask >> i & 1): next(
        (i + 1 for i in range(len(_ALTERNATIVES)) if mask >> i & 1), ERROR_WORD
    )
    for mask in range(1 << len(_ALTERNATIVES))
}

# A newline as an int, for find and rfind: a bytes needle costs a buffer-protocol call each time.
NEWLINE: Final = ord("\n")
# Newlines are counted through copies of at most this many bytes (see newlines).
_COUNT_PIECE: Final = 1 << 16


def newlines(buf: bytes, start: int = 0, end: int | None = None) -> int:
    """The number of newlines in ``buf[start:end]``.

    Counted through copies: replace finds each newline with memchr and bytes.count compares
    byte by byte (1.7x slower here). Copies of at most _COUNT_PIECE bytes reuse the same memory,
    where copies of a megabyte would take fresh pages from the system each time.
    """
    end = len(buf) if end is None else end
    total = 0
    for piece_start in range(start, end, _COUNT_PIECE):
        part = buf[piece_start : min(piece_start + _COUNT_PIECE, end)]
        total += len(part) - len(part.replace(b"\n", b""))
    return total


# Digits 1-9 as 1: the patterns tell only 0 from the others, so lines equal under this map are
# of one kind, and a repeated line (counters, times) is classified once.
DIGIT_CLASSES: Final = bytes.maketrans(b"23456789", b"11111111")


def line_shape(raw: bytes) -> bytes:
    """The line with digits 1-9 as 1, after a GitHub Actions timestamp if it has one.

    Lines of one shape say the same thing; a timestamp would make each line of a log unique.
    """
    if raw[10:11] == b"T" and raw[:1].isdigit():
        cut = raw.find(b"Z ", 19, 40)
        if cut > 0:
            raw = raw[cut + 2 :]
    return raw.translate(DIGIT_CLASSES)


# At most MAX_HIT_BYTES of each line, so the kept hits hold some 30 MB at worst (a log of long
# distinct error lines); the logs we know have fewer than 2,000.
MAX_HITS: Final = 40_000
# An error line said again (same text but for its numbers) is kept this many times: the
# excerpt ranks a message by its first sayings and passes over it after its third repeat.
KEEP_REPEATS: Final = 4
# The shapes counted for that are bounded by the bytes they hold, not by their number: a log of
# long distinct error lines would otherwise hold some 60 MB of them.
MAX_SHAPE_BYTES: Final = 8 << 20
_KEEP_FIRST: Final = 2_000
MAX_HIT_BYTES: Final = 600
PAST_ALL_LINES: Final = 1 << 62  # a line number past any log's lines
SHAPE_KEPT_BYTES: Final = 256


class Hit(NamedTuple):
    lineno: int
    group: int
    raw: bytes
    offset: int = 0  # of the line's first byte in the log, so the second pass can jump to it
    # line_shape(raw) where the scan worked it out (error and location lines), so the ranking
    # need not; only up to SHAPE_KEPT_BYTES, so the kept hits stay as small as the bound says.
    shape: bytes | None = None


@dataclass
class ScanResult:
    total_lines: int = 0
    total_bytes: int = 0
    first_hits: list[Hit] = field(default_factory=list)
    recent_hits: deque[Hit] = field(default_factory=lambda: deque(maxlen=MAX_HITS - _KEEP_FIRST))
    dropped_hits: int = 0
    repeated_hits: int = 0  # error lines said again after KEEP_REPEATS times, not kept
    # The log itself, cut at line ends, with each piece's newline count: kept when it is
    # small (see scan's ``retain``) so that the second pass needs no second read.
    pieces: list[tuple[bytes, int]] | None = None

    @property
    def hits(self) -> list[Hit]:
        """All kept hits in line order (after a scan, without copying them)."""
        return self.first_hits + list(self.recent_hits) if self.recent_hits else self.first_hits


# A line longer than this (a minified bundle, a log without newlines) is scanned in pieces of
# about this size: memory stays bounded, and only a line's start is ever shown.
MAX_LINE_PIECE: Final = 1 << 20


def complete_lines(blocks: Iterable[bytes]) -> Iterator[bytes]:
    """Re-cut blocks so that each ends at a newline: the scan's pieces.

    The last piece may not end at a newline, nor may the pieces of a line longer than
    MAX_LINE_PIECE (the pieces after the first go on with the same line).
    """
    carry = b""
    for block in blocks:
        cut = block.rfind(b"\n")
        if cut < 0:
            carry += block
            if len(carry) >= MAX_LINE_PIECE:
                yield carry
                carry = b""
            continue
        if not carry and cut == len(block) - 1:
            yield block
        else:
            # One copy of the block, not two: join reads the memoryview in place.
            yield b"".join((carry, memoryview(block)[: cut + 1]))
        carry = block[cut + 1 :]
    if carry:
        yield carry


@functools.cache
def _hyperscan_database() -> automaton.Database:
    """The same alternatives as one Hyperscan database (only where Hyperscan is installed).

    Each alternative is extended to the end of its line, so Hyperscan reports each matching
    line once per kind, at the line's end, with the kind as the expression id.
    """
    expressions, ids = [], []
    for kind, alternatives in _ALTERNATIVES.items():
        for alternative in alternatives:
            expressions.append(alternative if alternative.endswith(b"$") else b"(?:" + alternative + rb")[^\n]*$")
            ids.append(kind)
    return automaton.Database(expressions, ids, [automaton.MULTILINE | automaton.CASELESS] * len(expressions))


def available_engines() -> tuple[str, ...]:
    """The scan engines this machine has: Hyperscan (x86-64) when installed, and always RE2."""
    return ("hyperscan", "re2") if automaton.available() else ("re2",)


def _on_match(kind: int, _start: int, end: int, _flags: int, append: Callable[[int], None]) -> None:
    append(end << 3 | kind)  # the events list's bound append, passed as the scan's context


# An event is a candidate line's end offset and kind in one int (end << 3 | kind): sorted, the
# events of a line come together and its best kind first; a list of ints spares a tuple per line.


def _hyperscan_events(buf: bytes, database: automaton.Database) -> list[int]:
    """The events of ``buf``'s candidate lines, sorted (a line may have one per kind)."""
    events: list[int] = []
    database.scan(buf, _on_match, events.append)
    events.sort()
    return events


def _re2_events(buf: bytes, groups: dict[bytes, int]) -> list[int]:
    """The events of ``buf``'s candidate lines, one per line, in order."""
    # The low-level matcher returns spans without building match objects; after a hit the
    # search resumes at the next line, so each line is reported once.
    match = _SCAN._regexp.Match
    kinds = _KINDS._set.Match
    unanchored = re2._Anchor.UNANCHORED
    find, rfind = buf.find, buf.rfind
    size = len(buf)
    pos = 0
    events: list[int] = []
    while pos < size:
        start = match(unanchored, buf, pos, size)[0][0]
        if start < 0:
            break
        line_start = rfind(NEWLINE, 0, start) + 1
        line_end = find(NEWLINE, start)
        if line_end < 0:
            line_end = size
        line = buf[line_start:line_end]
        shape = line.translate(DIGIT_CLASSES)
        kind = groups.get(shape, 0)
        if not kind:
            if len(groups) > 50_000:
                groups.clear()
            kind = groups[shape] = _WINNER[tuple(sorted(kinds(line)))]
        events.append(line_end << 3 | kind)
        pos = line_end + 1
    return events


def scan(blocks: Iterable[bytes], engine: str | None = None, retain: int = 0) -> ScanResult:
    """Find candidate lines in a stream of blocks; line numbers are 1-based over ``\\n``.

    ``engine`` is "hyperscan" or "re2" (default: the first of available_engines()); both
    find the same lines. A log of at most ``retain`` bytes is kept in ``pieces``.
    Raises ValueError for an engine this machine lacks.
    """
    engine = engine or available_engines()[0]
    if engine not in available_engines():
        raise ValueError(f"scan engine {engine!r} is not available here")
    database = _hyperscan_database() if engine == "hyperscan" else None
    groups: dict[bytes, int] = {}
    shapes: dict[bytes, int] = {}
    shape_bytes = 0
    result = ScanResult()
    first, recent = result.first_hits, result.recent_hits
    pieces: list[tuple[bytes, int]] | None = [] if retain > 0 else None
    lineno = 1  # line number of the first line of the current buffer
    ends_with_newline = False
    repeated = 0
    # Hit(...) would run NamedTuple's Python-level __new__ for each of some 10^5 lines.
    new_hit = tuple.__new__
    for buf in complete_lines(blocks):
        if not ends_with_newline and result.total_bytes:
            pieces = None  # a line in pieces: RetainedLines reads whole lines only
        buffer_start = lineno
        counted = 0
        base = result.total_bytes
        events = _hyperscan_events(buf, database) if database is not None else _re2_events(buf, groups)
        rfind = buf.rfind
        last_end = -1
        for event in events:
            line_end = event >> 3
            if line_end == last_end:
                continue  # the same line again, of a worse kind
            last_end = line_end
            kind = event & 7
            line_start = rfind(NEWLINE, 0, line_end) + 1
            if line_end - line_start > MAX_HIT_BYTES:
                line_end = line_start + MAX_HIT_BYTES
            raw = buf[line_start:line_end]
            shape = None
            if kind == ERROR_WORD or kind == LOCATION:
                # Inline for lines without a GitHub Actions timestamp: a call per line costs more.
                shape = raw.translate(DIGIT_CLASSES) if raw[10:11] != b"T" else line_shape(raw)
                said = shapes.get(shape, 0)
                if said >= KEEP_REPEATS:
                    repeated += 1
                    continue  # not counted to: the next kept line counts the newlines since the last
                if not said:
                    shape_bytes += len(shape)
                    if shape_bytes > MAX_SHAPE_BYTES:
                        shapes.clear()  # memory stays bounded; a few repeats more are kept
                        shape_bytes = len(shape)
                shapes[shape] = said + 1
            # The newlines since the last kept line (as newlines counts them; inline when near).
            if line_start - counted > _COUNT_PIECE:
                lineno += newlines(buf, counted, line_start)
            else:
                part = buf[counted:line_start]
                lineno += len(part) - len(part.replace(b"\n", b""))
            counted = line_start
            if shape is not None and len(shape) > SHAPE_KEPT_BYTES:
                shape = None
            hit = new_hit(Hit, (lineno, kind, raw, base + line_start, shape))
            if len(first) < _KEEP_FIRST:
                first.append(hit)
            else:
                if len(recent) == recent.maxlen:
                    result.dropped_hits += 1
                recent.append(hit)
        lineno += newlines(buf, counted)
        result.total_bytes += len(buf)
        ends_with_newline = buf.endswith(b"\n")
        if pieces is not None:
            pieces = pieces if result.total_bytes <= retain else None
            if pieces is not None:
                pieces.append((buf, lineno - buffer_start))
    result.pieces = pieces
    result.repeated_hits = repeated
    result.first_hits.extend(recent)  # one list from now on: `hits` need not copy it
    recent.clear()
    # Lines as `split("\\n")` numbers them, without the empty remainder after a final newline.
    result.total_lines = (lineno - 1 if ends_with_newline else lineno) if result.total_bytes else 0
    return result
