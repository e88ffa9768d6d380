"""Choose the lines of a log that explain its failure, within a character budget.

The scan (chalicelib.logscan) finds failure markers, step starts and error lines. Here each
candidate line gets a score from what it says and where it stands: inside the step that failed,
first in that step, or repeated noise. The best anchors get windows of context sized by the
shape of what follows them (stack frames, indented detail), the failing step's last lines are
added, and everything is trimmed to the budget in priority order.
"""

from __future__ import annotations

import bisect
import gc
import itertools
import re
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from chalicelib.cleaning import clean_line
from chalicelib.linefetch import LineCache, RetainedLines, fetch_lines
from chalicelib.linescore import DIGITS, line_key, line_score, repeat_form, scoring_form
from chalicelib.logscan import (
    BLOCK_HEADER,
    DIGIT_CLASSES,
    FAIL_MARK,
    LOCATION,
    STEP_START,
    Hit,
    ScanResult,
    scan,
)
from chalicelib.mentions import first_line_naming, first_mention_in_hits, listed_subjects, summary_heading
from chalicelib.redact import Redactor

DEFAULT_MAX_CHARS = 8000

_CONTINUATION = re.compile(
    r"^(?:\s+\S|\s*$|\s*(?:at |in |from |File \"|Caused by|\.\.\.|\||[-+@]{1,3}[ \w'\"]|\^|~|# )"
    r"|[>E] |\S+:\d+|\s*\d+[:|] )"
    r"|(?i:.*\b(?:error|fail|expected|actual|but was|assert|exception|warning|not found|cannot|undefined|missing)"
    r"|\s*(?:\*\*|\+\+|--|==|##|!!))"
)


@dataclass(frozen=True)
class Excerpt:
    """The chosen lines (raw line number, cleaned and redacted text) and what led to them."""

    lines: list[tuple[int, str]]
    total_lines: int
    total_bytes: int
    anchors: list[int]
    fail_markers: list[int]
    failing_step_start: int | None

    @property
    def chars(self) -> int:
        return sum(len(text) + 1 for _, text in self.lines)

    def text(self) -> str:
        return "\n".join(f"{n:>6} | {t}" for n, t in self.lines)


# After its third repeat a message is no candidate any more: its first saying is, and the
# failing step's last lines are shown anyway. (Also spares the work of ranking thousands.)
MAX_REPEATS = 3

# What a line says (its key, repeat form and score) depends only on its text with digits as 0
# or 1 (see DIGIT_CLASSES), so it is worked out once per shape. The table outlives one log: a
# warm Lambda sees the same repositories' lines again (and the benchmark set shares about half).
MAX_SAID = 50_000
_SAID: dict[bytes, tuple[bytes, bytes, int]] = {}


def forget_described_lines() -> None:
    """Empty the table of described line shapes (a benchmark measures logs it has not seen)."""
    _SAID.clear()


_GROUP_BASE = {FAIL_MARK: 6, LOCATION: 6, BLOCK_HEADER: 7}


@dataclass
class _Region:
    """A step that failed: from its start to its first failure marker."""

    start: int
    end: int
    later_markers: list[int]


def _failing_regions(hits: list[Hit]) -> list[_Region]:
    regions: list[_Region] = []
    step_start = 1
    for hit in hits:
        if hit.group == STEP_START:
            step_start = hit.lineno
        elif hit.group == FAIL_MARK:
            if regions and regions[-1].end >= step_start:
                # Markers after the first in one step are echoes (make's nested "Error 2",
                # a runner's summary); the first one ends the output that explains it.
                if len(regions[-1].later_markers) < 8:
                    regions[-1].later_markers.append(hit.lineno)
            else:
                regions.append(_Region(step_start, hit.lineno, []))
    return regions


def baseline_keys(blocks: Iterable[bytes]) -> frozenset[bytes]:
    """Keys of the error-looking lines of a successful run of the same job.

    What a green run prints too is not the cause of a red one. Streams, like the scan.
    """
    return frozenset(line_key(h.raw) for h in scan(blocks).hits if h.group not in (STEP_START, FAIL_MARK))


def _score_hits(
    result: ScanResult, baseline: frozenset[bytes] = frozenset(), earlier: dict[int, int] | None = None
) -> tuple[list[tuple[int, int]], list[_Region]]:
    """Score candidate lines by what they say, then by where they stand.

    ``earlier`` is filled with line -> the first line that said the same thing, when that came first.
    """
    hits = result.hits
    regions = _failing_regions(hits)
    seen: dict[bytes, int] = {}
    first_at: dict[bytes, int] = {}
    said = _SAID
    located: list[tuple[int, int, int]] = []  # line, score, index of its failing region or -1
    best: dict[int, int] = {}
    region, region_count = 0, len(regions)
    for lineno, group, raw, _ in hits:
        if group == STEP_START or group == FAIL_MARK:
            continue  # boundaries, shown through the regions they delimit
        shape = raw.translate(DIGIT_CLASSES)
        known = said.get(shape)
        if known is None:
            if len(said) >= MAX_SAID:
                said.clear()  # bounded memory; lines are simply described again
            clean = scoring_form(raw)
            key = clean.translate(None, DIGITS).strip()
            base = _GROUP_BASE.get(group, 1)
            known = said[shape] = (key, repeat_form(key), line_score(clean, base) if key else 0)
        key, template, score = known
        if not key:
            continue
        if key in baseline:
            score -= 8
        repeats = seen.get(template, 0)
        seen[template] = repeats + 1
        if repeats > MAX_REPEATS:
            continue
        if repeats:
            score -= 1 + repeats if repeats < 3 else 4  # what is printed again and again is rarely the cause
        if key in first_at:
            if earlier is not None:
                earlier[lineno] = first_at[key]
        else:
            first_at[key] = lineno
        # Hits come in line order and regions do not overlap: walk both together.
        while region < region_count and regions[region].end < lineno:
            region += 1
        index = region if region < region_count and regions[region].start <= lineno else -1
        if index >= 0 and score > best.get(index, score - 1):
            best[index] = score
        located.append((lineno, score, index))
    last_fail = regions[-1].end if regions else None
    first_done: set[int] = set()
    scored: list[tuple[int, int]] = []
    for lineno, score, index in located:
        bonus = 0
        if index >= 0:
            bonus += 5 if index == 0 else 3
            # What a step printed last before failing is most often why it failed...
            distance = regions[index].end - lineno
            bonus += 4 if distance <= 40 else 2 if distance <= 300 else 0
            if index not in first_done and score >= 7 and score >= best[index]:
                first_done.add(index)
                bonus += 4  # ...unless an earlier error as strong as any explains the ones after it
        elif last_fail is not None and lineno > last_fail:
            bonus -= 3
        scored.append((lineno, score + bonus))
    return scored, regions


@dataclass
class _Item:
    """A run of lines to add, in order, while the item's own cap and the budget last."""

    start: int
    end: int
    cap: int
    extend: bool = False  # stop at the first line that no longer looks like the anchor's detail
    backward: bool = False  # take lines from the end: what a step printed last before failing


OTHERS_EXTENDED = 6
BLOCK_LOOKBACK = 150
BLOCK_CAP = 5000


def _block_header_before(hits: list[Hit], anchor: int) -> int | None:
    """The header of the failure report the anchor stands in (pytest's ____ test ____, "1) ..."), if near."""
    index = bisect.bisect_left(hits, anchor, key=lambda hit: hit.lineno) - 1
    while index >= 0 and hits[index].lineno >= anchor - BLOCK_LOOKBACK:
        if hits[index].group == BLOCK_HEADER:
            # A section title right above the first report ("=== FAILURES ===") belongs to it.
            above = hits[index - 1] if index > 0 else None
            if above is not None and above.group == STEP_START and above.lineno == hits[index].lineno - 1:
                return above.lineno
            return hits[index].lineno
        index -= 1
    return None


MENTION_LINES = 8
MENTION_CAP = 1000
MENTION_BEFORE, MENTION_AFTER = 3, 6
SUMMARY_LINES, SUMMARY_CAP = 6, 600


def _summary_items(result: ScanResult) -> list[_Item]:
    """A failed-tests summary, and where the log first names each test it lists."""
    heading = summary_heading(result)
    if heading is None:
        return []
    items = [_Item(heading, heading + SUMMARY_LINES, SUMMARY_CAP)]
    for subject in listed_subjects(result, heading):
        first = first_line_naming(result, subject, heading)
        if first is not None:
            items.append(_Item(max(1, first - MENTION_BEFORE), first + MENTION_AFTER, MENTION_CAP))
    return items


def plan(result: ScanResult, baseline: frozenset[bytes] = frozenset()) -> tuple[list[_Item], list[int], list[_Region]]:
    """Decide which line ranges to show, most important first."""
    earlier: dict[int, int] = {}
    scored, regions = _score_hits(result, baseline, earlier)
    scored.sort(key=lambda pair: (-pair[1], pair[0]))
    anchors: list[int] = []
    scores: dict[int, int] = {}
    for lineno, score in scored:
        if score < 3 or len(anchors) >= 16:
            break
        if any(abs(lineno - a) <= 4 for a in anchors):
            continue
        anchors.append(lineno)
        scores[lineno] = score
    top = scores[anchors[0]] if anchors else 0
    close = [a for a in anchors[1:] if scores[a] >= top - 4][:4]
    # The first place a log says something is where it says it with its context (a retried
    # step repeats the same error later): show the first saying of the best anchors too.
    for anchor in anchors[:2]:
        first = earlier.get(anchor)
        if first is not None and all(abs(first - a) > 4 for a in (anchors[0], *close)):
            close.insert(0, first)
    last = result.total_lines
    items: list[_Item] = []
    for region in regions[:2]:
        items.append(_Item(region.end, region.end, 400))
        items.append(_Item(region.start, region.start, 200))
        for marker in region.later_markers[-2:]:
            items.append(_Item(marker, marker, 300))
    if anchors:
        items.append(_Item(max(1, anchors[0] - 4), anchors[0] + 150, 5000, extend=True))
        header = _block_header_before(result.hits, anchors[0])
        if header is not None:
            items.append(_Item(header, anchors[0], BLOCK_CAP))
    items.extend(_summary_items(result))
    for region in regions[:1]:
        items.append(_Item(max(region.start, region.end - 10), region.end, 1000, backward=True))
    for anchor in close:
        items.append(_Item(max(1, anchor - 4), anchor + 4, 600))
    for anchor in close[:2]:
        items.append(_Item(max(1, anchor - 3), anchor + 60, 2500, extend=True))
    mention = first_mention_in_hits(result.hits, anchors[0]) if anchors else None
    if mention is not None and anchors[0] - mention > 4:
        items.append(_Item(max(1, mention - 1), mention + MENTION_LINES, MENTION_CAP))
    items.append(_Item(max(1, last - 5), last, 500, backward=True))
    for region in regions[:1]:
        items.append(_Item(max(region.start, region.end - 30), region.end, 1500, backward=True))
    others = [anchor for anchor in anchors[1:] if anchor not in close]
    for anchor in others:
        items.append(_Item(max(1, anchor - 2), anchor + 8, 400, extend=True))
    for region in regions[1:3]:
        items.append(_Item(max(region.start, region.end - 15), region.end, 800, backward=True))
    for anchor in others[:OTHERS_EXTENDED]:
        items.append(_Item(max(1, anchor - 2), anchor + 30, 1000, extend=True))
    if anchors:
        items.append(_Item(max(1, anchors[0] - 10), anchors[0] + 400, 8000, extend=True))
    items.append(_Item(max(1, last - 30), last, 2000, backward=True))
    return items, anchors, regions


FULL_MARGIN = 16


def _assemble(items: list[_Item], raw: LineCache, max_chars: int) -> list[tuple[int, str]]:
    chosen: dict[int, str] = {}
    cleaned: dict[int, str] = {}
    used = 0
    for item in items:
        if max_chars - used < FULL_MARGIN:
            break  # nothing worth showing fits any more: spare cleaning lines that cannot
        spent = 0
        strays = 0
        order = range(item.end, item.start - 1, -1) if item.backward else range(item.start, item.end + 1)
        for lineno in order:
            text = cleaned.get(lineno)
            if text is None:
                line = raw.get(lineno, item.backward)
                if line is None:
                    break
                text = cleaned[lineno] = clean_line(line)
            if item.extend and lineno > item.start + 6:
                # A block of detail ends at the second line in a row that doesn't look like detail.
                strays = 0 if _CONTINUATION.match(text) or len(text.strip()) <= 3 else strays + 1
                if strays >= 2:
                    break
            cost = len(text) + 1
            spent += cost
            if spent > item.cap and lineno != (item.end if item.backward else item.start):
                break
            if lineno in chosen:
                continue
            if used + cost > max_chars:
                continue
            chosen[lineno] = text
            used += cost
    return sorted(chosen.items())


GAP_LINES = 5


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


RETAIN_BYTES = 8 << 20


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
) -> Excerpt:
    """Excerpt the log that ``blocks()`` streams (scan, then fetch the chosen lines).

    A log of up to RETAIN_BYTES is kept from the first pass for the second; a larger one is
    streamed twice (``blocks()`` is called again), so memory stays bounded.
    ``baseline`` holds the line keys of a successful run (see baseline_keys), demoted here.
    Raises whatever the block source raises (LogReadError, PayloadTooLargeError).
    """
    with _without_cycle_collection():
        result = scan(blocks(), retain=RETAIN_BYTES)
        items, anchors, regions = plan(result, baseline)
        if result.pieces is not None:
            raw = LineCache(kept=RetainedLines(result))
        else:
            wanted: set[int] = set()
            for item in items:
                # A few lines more on each side, so small gaps between windows can be closed.
                wanted.update(range(max(1, item.start - GAP_LINES), min(item.end + GAP_LINES, result.total_lines) + 1))
            raw = LineCache(fetch_lines(blocks(), wanted, result.hits) if wanted else {})
    redactor = redactor or Redactor()
    # Kept for closing small gaps between the windows (not worth it in a tiny budget).
    reserve = min(1000, max_chars // 8) if max_chars >= 2000 else 0
    lines = _fill_gaps(_assemble(items, raw, max_chars - reserve), raw, max_chars)
    lines = redactor.redact_lines(lines)
    lines = _fit(lines, max_chars, anchors)
    return Excerpt(
        lines=lines,
        total_lines=result.total_lines,
        total_bytes=result.total_bytes,
        anchors=anchors,
        fail_markers=sorted({m for r in regions for m in (r.end, *r.later_markers)}),
        failing_step_start=regions[0].start if regions else None,
    )
