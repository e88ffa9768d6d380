"""The second pass over a log: the text of chosen line numbers, without splitting the log.

The scan (chalicelib.excerpt.logscan) knows where each candidate line starts; from there a few lines
are walked or counted to reach each run of wanted lines. A log the scan kept is not read again:
its lines are fetched in short runs as the excerpt reads them (LineCache).
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable, Iterator, Sequence
from typing import Final

from chalicelib.excerpt.logscan import MAX_HIT_BYTES, NEWLINE, Hit, ScanResult, complete_lines, newlines

MAX_FETCHED_BYTES: Final = MAX_HIT_BYTES * 8
# Walking line by line from a known offset is cheap for a few lines; farther, count instead.
_WALK_LIMIT: Final = 64
# Farther than this, a scanned line (a hit, whose offset is known) may be nearer to start from.
_JUMP_LIMIT: Final = 8


def _lines_from(buf: bytes, pos: int, wanted: int, least: int = 4096) -> list[bytes]:
    """The ``wanted`` lines of ``buf`` that start at offset ``pos`` (fewer at its end).

    Splits at least ``least`` bytes at a time: more than needed costs less than a second try.
    """
    guess = max(least, wanted * 160)
    while True:
        end = pos + guess
        if end >= len(buf):
            return buf[pos:].split(b"\n", wanted)[:wanted]
        parts = buf[pos:end].split(b"\n", wanted)
        if len(parts) > wanted:  # the last wanted line is followed by a newline: it is whole
            return parts[:wanted]
        guess *= 4


_SKIP_STEP: Final = 8192


def _skip_lines(buf: bytes, pos: int, skip: int) -> int:
    """The offset after the next ``skip`` newlines from ``pos`` (the buffer's end if it has fewer)."""
    # Far lines are counted past a step at a time (no line objects), the step halved whenever
    # the line sought lies inside it; the last few lines are walked.
    size, step = len(buf), _SKIP_STEP
    while skip > _WALK_LIMIT and step >= _WALK_LIMIT:
        here = newlines(buf, pos, pos + step) if pos + step < size else skip
        if here < skip:
            skip -= here
            pos += step
        else:
            step //= 2
    find = buf.find
    for _ in range(skip):
        pos = find(NEWLINE, pos) + 1
        if not pos:
            return len(buf)
    return pos


class _Cursor:
    """A line number and the offset where it starts in one buffer, moved forward only."""

    def __init__(self, buf: bytes, first_line: int, base: int, known: Sequence[Hit], known_lines: list[int]) -> None:
        self.buf, self.base, self.known, self.known_lines = buf, base, known, known_lines
        self.lineno, self.pos = first_line, 0

    def seek(self, number: int) -> int:
        """The offset where line ``number`` (not before the cursor) starts."""
        if number - self.lineno > _JUMP_LIMIT:
            # Jump to the nearest scanned line at or before `number` that lies in this buffer.
            k = bisect.bisect_right(self.known_lines, number) - 1
            if k >= 0 and self.known_lines[k] > self.lineno and self.known[k].offset >= self.base:
                self.lineno, self.pos = self.known_lines[k], self.known[k].offset - self.base
        pos = _skip_lines(self.buf, self.pos, number - self.lineno)
        self.lineno, self.pos = number, pos
        return pos

    def take(self, number: int, wanted: int, least: int = 4096) -> list[bytes]:
        """Lines ``number`` to ``number + wanted - 1``; the cursor moves past them."""
        lines = _lines_from(self.buf, self.seek(number), wanted, least)
        size = sum(map(len, lines)) + len(lines)
        self.lineno, self.pos = number + len(lines), self.pos + size
        # (Lines of fewer bytes in all than the cap hold no line over it.)
        if size > MAX_FETCHED_BYTES and max(map(len, lines)) > MAX_FETCHED_BYTES:
            lines = [line[:MAX_FETCHED_BYTES] for line in lines]
        return lines


def _runs(numbers: list[int]) -> Iterator[tuple[int, int]]:
    """(first, count) of each run of consecutive numbers in a sorted list."""
    start = previous = numbers[0]
    for number in numbers[1:]:
        if number != previous + 1:
            yield start, previous - start + 1
            start = number
        previous = number
    yield start, previous - start + 1


def fetch_lines(blocks: Iterable[bytes], wanted: set[int], known: Sequence[Hit] = ()) -> dict[int, bytes]:
    """Second pass: the raw bytes of each wanted line number.

    ``known`` (the scan's hits, with their offsets) lets it jump close to each run of wanted
    lines instead of splitting whole buffers into lines.
    """
    return _fetch(_counted(complete_lines(blocks)), wanted, known)


def _counted(pieces: Iterable[bytes]) -> Iterator[tuple[bytes, int]]:
    """Each piece with its newline count, one piece at a time.

    A generator function, not a generator expression: compiled (chalicelib.excerpt.compiled), mypyc
    turns a generator expression passed on like this into a list, the whole log in memory.
    """
    for piece in pieces:
        yield piece, newlines(piece)


def _fetch(pieces: Iterator[tuple[bytes, int]], wanted: set[int], known: Sequence[Hit]) -> dict[int, bytes]:
    found: dict[int, bytes] = {}
    if not wanted:
        return found
    ordered = sorted(n for n in wanted if n >= 1)
    if not ordered:
        return found
    known_lines = [hit.lineno for hit in known]
    index = 0
    lineno = 1
    base = 0
    for buf, complete in pieces:
        # A buffer that ends in a newline holds `complete` whole lines; the last one may hold one more.
        held = complete if buf.endswith(b"\n") else complete + 1
        if ordered[index] < lineno + held:
            cursor = _Cursor(buf, lineno, base, known, known_lines)
            stop = bisect.bisect_left(ordered, lineno + held, index)
            for first, count in _runs(ordered[index:stop]):
                found.update(zip(range(first, first + count), cursor.take(first, count), strict=False))
            index = stop
            if index == len(ordered):
                break
        lineno += complete
        base += len(buf)
    return found


class RetainedLines:
    """Runs of lines of a log the scan kept (``result.pieces``), by number, split only where asked.

    An excerpt looks at a few hundred lines of its windows; fetching each run on first use
    spares splitting the far ends of windows it never reaches. Raises ValueError if the scan
    did not keep the log.
    """

    def __init__(self, result: ScanResult) -> None:
        if result.pieces is None:
            raise ValueError("the scan did not keep this log; use fetch_lines")
        self._pieces = [buf for buf, _ in result.pieces]
        self._first_lines: list[int] = []
        self._bases: list[int] = []
        lineno, base = 1, 0
        for buf, complete in result.pieces:
            self._first_lines.append(lineno)
            self._bases.append(base)
            lineno += complete
            base += len(buf)
        self.total_lines = result.total_lines
        self._known = result.hits
        self._known_lines = [hit.lineno for hit in result.hits]
        # Where the last run ended: a window read forward asks for the run after it next.
        self._cursor: tuple[int, _Cursor] | None = None

    def run(self, first: int, count: int) -> list[bytes]:
        """Lines ``first`` to ``first + count - 1`` that exist (none past the end)."""
        first = max(first, 1)
        count = min(count, self.total_lines - first + 1)
        lines: list[bytes] = []
        piece = bisect.bisect_right(self._first_lines, first) - 1
        while count > 0 and piece < len(self._pieces):
            # A piece ends with a newline (but the last): the line after it starts the next piece.
            after = self._first_lines[piece + 1] if piece + 1 < len(self._pieces) else self.total_lines + 1
            here = min(count, after - first)
            if here > 0:
                last = self._cursor
                if last is not None and last[0] == piece and last[1].lineno <= first:
                    cursor = last[1]
                else:
                    cursor = _Cursor(
                        self._pieces[piece],
                        self._first_lines[piece],
                        self._bases[piece],
                        self._known,
                        self._known_lines,
                    )
                    self._cursor = (piece, cursor)
                lines += cursor.take(first, here, least=here * 100)
                first, count = first + here, count - here
            piece += 1
        return lines


class LineCache:
    """Raw lines by number, for choosing what to show.

    A kept log's lines are fetched in runs of RUN_LINES on first use, in the direction the
    reader goes; a streamed log's lines are the ``fetched`` ones (the second pass, done before).
    """

    RUN_LINES = 16

    def __init__(self, fetched: dict[int, bytes] | None = None, kept: RetainedLines | None = None) -> None:
        self.known: dict[int, bytes] = fetched if fetched is not None else {}  # the lines fetched so far
        self._kept = kept

    def get(self, number: int, backward: bool = False) -> bytes | None:
        """Line ``number``, or None past the log's ends (or, for a streamed log, if not fetched)."""
        line = self.known.get(number)
        if line is None and self._kept is not None and 1 <= number <= self._kept.total_lines:
            first = max(1, number - self.RUN_LINES + 1) if backward else number
            # A line fetched again is the same slice of the same piece: overwriting it changes nothing.
            run = self._kept.run(first, self.RUN_LINES)  # fewer lines at the log's end
            self.known.update(zip(range(first, first + len(run)), run, strict=True))
            line = self.known.get(number)
        return line
