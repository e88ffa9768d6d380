"""Choose the lines of a log that explain its failure, within a character budget.

The scan (chalicelib.excerpt.logscan) finds failure markers, step starts and error lines; the plan
(chalicelib.excerpt.planning) ranks them and lists windows of lines, most important first. Here the
windows are filled in that order while the budget lasts (a window of detail ends where the
detail does), small holes are closed, and the text is redacted and fitted to the budget.
"""

from __future__ import annotations

import gc
import itertools
import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Final

from chalicelib.excerpt.cleaning import REDACT_LINE_CHARS, clean_line, shorten, was_cut
from chalicelib.excerpt.linefetch import LineCache, RetainedLines, fetch_lines
from chalicelib.excerpt.logscan import PAST_ALL_LINES, scan
from chalicelib.excerpt.planning import Item, plan
from chalicelib.excerpt.redact import Redactor

DEFAULT_MAX_CHARS: Final = 8000

# A line that reads as detail of the one above: by how it starts (indented, a frame, a diff, a
# quote, a location)...
_CONTINUATION: Final = re.compile(
    r"\s+\S|\s*$|\s*(?:at |in |from |File \"|Caused by|\.\.\.|\||[-+@]{1,3}[ \w'\"]|\^|~|# )"
    r"|[>E=] |\S+:\d+|\s*\d+[:|] |\s*(?:\*\*|\+\+|--|==|##|!!)"
)
# ...or by a word anywhere in it, at a word's start: error, fail, expected, actual, but was,
# assert, exception, warning, not found, cannot, undefined, missing. Searched for in the
# lowercased line, each word's first letter apart: a pattern that starts with a literal lets
# Python's engine skip to the letters that can start a match (a \b or (?i) first would not).
_DETAIL_WORD: Final = re.compile(
    r"e(?<!\we)(?:rror|xpected|xception)|f(?<!\wf)ail|a(?<!\wa)(?:ctual|ssert)|b(?<!\wb)ut was|w(?<!\ww)arning"
    r"|n(?<!\wn)ot found|c(?<!\wc)annot|u(?<!\wu)ndefined|m(?<!\wm)issing"
)


# A check that passed is not detail of a failure, however it is indented ("    --- PASS: x").
_PASSED_CHECK: Final = re.compile(r"\s*(?:--- PASS\b|PASS(?:ED)?\b|ok\b|[✓✔√]|\[\+\])")


@dataclass(frozen=True)
class Excerpt:
    """The chosen lines (raw line number, cleaned and redacted text) and what led to them."""

    lines: list[tuple[int, str]]
    total_lines: int
    total_bytes: int
    anchors: list[int]
    fail_markers: list[int]
    failing_step_start: int | None
    # Steps that failed but were allowed to (start line, failure marker line): what they printed
    # did not fail the job.
    allowed_failures: list[tuple[int, int]] = field(default_factory=list)

    @property
    def chars(self) -> int:
        return sum(len(text) + 1 for _, text in self.lines)

    def text(self) -> str:
        return "\n".join(f"{n:>6} | {t}" for n, t in self.lines)


FULL_MARGIN: Final = 16


def _assemble(items: list[Item], raw: LineCache, max_chars: int) -> list[tuple[int, str]]:
    chosen: dict[int, str] = {}
    cleaned: dict[int, str] = {}
    details: dict[int, bool] = {}  # whether a line reads as detail, asked once per line
    # A window listed again with a larger cap (see planning.TOP_MORE_CAP) goes on where its cap
    # stopped it: the lines before are chosen already or did not fit, and the budget only shrinks.
    stopped: dict[tuple[int, int, bool, bool], tuple[int, int, int] | None] = {}
    known = raw.known  # most lines are there already: spare a call for each
    used = 0
    for item in items:
        if max_chars - used < FULL_MARGIN:
            break  # nothing worth showing fits any more: spare cleaning lines that cannot
        start, end, extend, backward, cap = item.start, item.end, item.extend, item.backward, item.cap
        window = (start, end, extend, backward)
        head = end if backward else start  # the line shown whatever the cap
        resume = stopped.get(window, (head, 0, 0))
        if resume is None:
            continue  # it ended at the log's end, its range's end or the end of its detail
        first, spent, strays = resume
        stopped[window] = None
        # Detail is looked for from the 7th line on (extend=False: never).
        detail_from = start + 6 if extend else PAST_ALL_LINES
        order = range(first, start - 1, -1) if backward else range(first, end + 1)
        for lineno in order:
            text = cleaned.get(lineno)
            if text is None:
                line = known.get(lineno)
                if line is None:
                    line = raw.get(lineno, backward)
                    if line is None:
                        break
                text = cleaned[lineno] = clean_line(line)
            before = strays
            if lineno > detail_from:
                # A block of detail ends at the second line in a row that doesn't look like detail.
                detail = details.get(lineno)
                if detail is None:
                    detail = details[lineno] = (
                        (_CONTINUATION.match(text) is not None or _DETAIL_WORD.search(text.lower()) is not None)
                        and _PASSED_CHECK.match(text) is None
                    ) or len(text.strip()) <= 3
                strays = 0 if detail else strays + 1
                if strays >= 2:
                    break
            cost = len(text) + 1
            if spent + cost > cap and lineno != head:
                stopped[window] = (lineno, spent, before)
                break
            spent += cost
            if lineno in chosen:
                continue
            if used + cost > max_chars:
                continue
            chosen[lineno] = text
            used += cost
    return sorted(chosen.items())


GAP_LINES: Final = 5
# Kept for closing small gaps between the windows (not worth it in a tiny budget).
GAP_RESERVE: Final = 500


def _fill_gaps(chosen: list[tuple[int, str]], raw: LineCache, max_chars: int) -> list[tuple[int, str]]:
    """Close holes of a few lines between shown lines: a block with a missing line reads badly."""
    used = sum(len(t) + 1 for _, t in chosen)
    have = dict(chosen)
    numbers = sorted(have)
    gaps: list[tuple[int, int, list[tuple[int, str]]]] = []
    for before, after in itertools.pairwise(numbers):
        missing = range(before + 1, after)
        if 0 < len(missing) <= GAP_LINES:
            found = [raw.get(n) for n in missing]
            if None in found:
                continue
            lines = [(n, clean_line(line)) for n, line in zip(missing, found, strict=True) if line is not None]
            gaps.append((len(missing), sum(len(t) + 1 for _, t in lines), lines))
    for _, cost, lines in sorted(gaps, key=lambda gap: (gap[0], gap[1])):
        if used + cost <= max_chars:
            have.update(lines)
            used += cost
    return sorted(have.items())


def _whole_lines(lines: list[tuple[int, str]], raw: LineCache) -> list[tuple[int, str]]:
    """The lines clean_line cut, cleaned again up to REDACT_LINE_CHARS (the others as they are)."""
    out = []
    for lineno, text in lines:
        if was_cut(text):
            line = raw.get(lineno)
            if line is not None:
                text = clean_line(line, REDACT_LINE_CHARS)
        out.append((lineno, text))
    return out


def _fit(lines: list[tuple[int, str]], max_chars: int, keep: list[int]) -> list[tuple[int, str]]:
    """Drop lines farthest from the anchors until redacted text fits the budget again."""
    used = sum(len(t) + 1 for _, t in lines)
    if used <= max_chars:
        return lines
    by_distance = sorted(lines, key=lambda nt: min((abs(nt[0] - a) for a in keep), default=0))
    while by_distance and used > max_chars:
        _, text = by_distance.pop()
        used -= len(text) + 1
    remaining = {n for n, _ in by_distance}
    return [(n, t) for n, t in lines if n in remaining]


RETAIN_BYTES: Final = 8 << 20


@contextmanager
def _without_cycle_collection() -> Iterator[None]:
    """Pause Python's cyclic garbage collector, then restore it as it was.

    A scan makes some 10^5 small tuples; the collector would walk them again and again (about
    15% of the time here). They hold no reference cycles, so reference counting frees them.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def build_excerpt(
    blocks: Callable[[], Iterable[bytes]],
    max_chars: int = DEFAULT_MAX_CHARS,
    redactor: Redactor | None = None,
    baseline: frozenset[bytes] = frozenset(),
    failed_steps: Sequence[tuple[bytes, bytes]] = (),
) -> Excerpt:
    """Excerpt the log that ``blocks()`` streams (scan, then fetch the chosen lines).

    A log of up to RETAIN_BYTES is kept from the first pass for the second; a larger one is
    streamed twice (``blocks()`` is called again), so memory stays bounded.
    ``baseline`` holds the line keys of a successful run (see planning.baseline_keys), demoted here.
    ``failed_steps`` are the times of the steps the CI concluded failed (planning.split_allowed_failures).
    Raises whatever the block source raises (LogReadError, PayloadTooLargeError).
    """
    with _without_cycle_collection():
        result = scan(blocks(), retain=RETAIN_BYTES)
        items, anchors, regions, allowed = plan(result, baseline, failed_steps)
        if result.pieces is not None:
            raw = LineCache(kept=RetainedLines(result))
        else:
            wanted: set[int] = set()
            for item in items:
                # A few lines more on each side, so small gaps between windows can be closed.
                wanted.update(range(max(1, item.start - GAP_LINES), min(item.end + GAP_LINES, result.total_lines) + 1))
            raw = LineCache(fetch_lines(blocks(), wanted, result.hits) if wanted else {})
    redactor = redactor or Redactor()
    reserve = min(GAP_RESERVE, max_chars // 8) if max_chars >= 2000 else 0
    lines = _fill_gaps(_assemble(items, raw, max_chars - reserve), raw, max_chars)
    # Redaction sees a long line whole (up to REDACT_LINE_CHARS), and the line is cut after it.
    lines = [(n, shorten(t)) for n, t in redactor.redact_lines(_whole_lines(lines, raw))]
    lines = _fit(lines, max_chars, anchors)
    return Excerpt(
        lines=lines,
        total_lines=result.total_lines,
        total_bytes=result.total_bytes,
        anchors=anchors,
        fail_markers=sorted({m for r in regions for m in (r.end, *r.later_markers)}),
        failing_step_start=regions[0].start if regions else None,
        allowed_failures=[(r.start, r.end) for r in allowed],
    )
