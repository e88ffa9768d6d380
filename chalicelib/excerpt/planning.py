"""Which line ranges of a log to show, most important first.

Each candidate line the scan (chalicelib.excerpt.logscan) found gets a score from what it says
(chalicelib.excerpt.linescore) and where it stands: inside the step that failed, first in that step,
or repeated noise. The best anchors get windows of context sized by what follows them, the
failing step's last lines and the summaries' first mentions are added; chalicelib.excerpt.build then
fills the windows in this order while the budget lasts.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Final, NamedTuple

from chalicelib.excerpt.linescore import DIGITS, line_key, line_signals, repeat_form, scoring_form
from chalicelib.excerpt.logscan import (
    BLOCK_HEADER,
    DIGIT_CLASSES,
    ERROR_WORD,
    FAIL_MARK,
    HOOK_FAILED,
    LOCATION,
    PAST_ALL_LINES,
    STEP_START,
    SUMMARY,
    Hit,
    ScanResult,
    line_shape,
    scan,
)
from chalicelib.excerpt.mentions import first_line_naming, first_mention_in_hits, listed_subjects

# After its third repeat a message is no candidate any more: its first saying is, and the
# failing step's last lines are shown anyway. (Also spares the work of ranking thousands.)
MAX_REPEATS: Final = 3

# What a line says (its key, repeat form and score) depends only on its text with digits as 0
# or 1 (see DIGIT_CLASSES), so it is worked out once per shape. The table outlives one log: a
# warm Lambda sees the same repositories' lines again (and the benchmark set shares about half).
# It is bounded by the bytes its entries hold (each line's shape and key), so long distinct
# lines cannot fill memory. Keys and repeat forms are also kept as their hashes: a log's tables
# of what it said count them by hash, as the text of 10^5 long lines would take some 40 MB.
MAX_SAID_BYTES: Final = 8 << 20
_SAID: Final[dict[bytes, tuple[bytes, int, int, int, bool]]] = {}
# Shapes that differ in their digits share a key (a third of them): its repeat form, the costly
# part, is worked out once per key.
_FORMS: Final[dict[bytes, int]] = {}
_said_bytes = 0


def said_bytes() -> int:
    """The bytes the table of described line shapes holds now."""
    return _said_bytes


def forget_described_lines() -> None:
    """Empty the table of described line shapes (a benchmark measures logs it has not seen)."""
    global _said_bytes
    _SAID.clear()
    _FORMS.clear()
    _said_bytes = 0


_GROUP_BASE: Final = {FAIL_MARK: 6, LOCATION: 6, BLOCK_HEADER: 7}


@dataclass
class Region:
    """A step that failed: from its start to its first failure marker, with the second each of
    those lines was printed at when the log is timestamped (GitHub Actions), else empty."""

    start: int
    end: int
    later_markers: list[int]
    opened: bytes = b""
    closed: bytes = b""


def _second(raw: bytes) -> bytes:
    """The UTC second a GitHub Actions line was printed at ("2026-09-26T10:00:01"), else empty."""
    return raw[:19] if raw[10:11] == b"T" and raw[19:20] in (b".", b"Z") else b""


def split_allowed_failures(
    regions: list[Region], failed_steps: Sequence[tuple[bytes, bytes]]
) -> tuple[list[Region], list[Region]]:
    """The failing steps the job's own result counts, and the steps that failed but were allowed
    to (GitHub Actions' ``continue-on-error``: the log shows its "Process completed with exit
    code 1" like any other, but GitHub concluded the step a success).

    ``failed_steps`` are the (first, last) UTC seconds, as "YYYY-MM-DDTHH:MM:SS" bytes, of the
    steps GitHub concluded failed. A region is one of them when its marker was printed within one
    and its start not before it. When no region is (a log without timestamps, or times that do
    not describe this log), every region counts, as without ``failed_steps``.
    """
    if not failed_steps or not regions:
        return regions, []

    def counted(region: Region) -> bool:
        return any(
            first <= region.closed <= last and (not region.opened or region.opened >= first)
            for first, last in failed_steps
        )

    flags = [bool(r.closed) and counted(r) for r in regions]
    if not any(flags):
        return regions, []
    return [r for r, f in zip(regions, flags, strict=True) if f], [
        r for r, f in zip(regions, flags, strict=True) if not f
    ]


# pre-commit prints a failed hook's output under its verdict line ("mypy....Failed", the hook's
# id, duration and exit code, a blank line): the first lines of each such report, and the line
# above it (the end of the previous hook's output, most often its own summary).
_HOOK_FAILED: Final = re.compile(HOOK_FAILED, re.IGNORECASE)
MAX_HOOKS: Final = 4
HOOK_BEFORE: Final = 2
HOOK_AFTER: Final = 7
HOOK_CAP: Final = 900


@dataclass
class Landmarks:
    """What a plan needs of a log besides its error lines, found in one pass over the hits."""

    regions: list[Region]  # the steps that failed
    failed_hooks: list[int]  # pre-commit's verdicts on hooks that failed (the first MAX_HOOKS)
    summary: int | None  # the last line that heads a list of failed tests


def landmarks(hits: list[Hit]) -> Landmarks:
    """The failing steps, failed pre-commit hooks and last failed-tests summary heading among ``hits``."""
    regions: list[Region] = []
    hooks: list[int] = []
    summary: int | None = None
    step_start, step_raw = 1, b""
    for lineno, group, raw, _, _ in hits:
        if group == ERROR_WORD or group == LOCATION:
            continue  # most hits
        if group == STEP_START:
            step_start, step_raw = lineno, raw
        elif group == FAIL_MARK:
            if regions and regions[-1].end >= step_start:
                # Markers after the first in one step are echoes (make's nested "Error 2",
                # a runner's summary); the first one ends the output that explains it.
                if len(regions[-1].later_markers) < 8:
                    regions[-1].later_markers.append(lineno)
            else:
                regions.append(Region(step_start, lineno, [], _second(step_raw), _second(raw)))
        elif group == SUMMARY:
            summary = lineno
        elif len(hooks) < MAX_HOOKS and _HOOK_FAILED.search(raw):
            hooks.append(lineno)
    return Landmarks(regions, hooks, summary)


def baseline_keys(blocks: Iterable[bytes]) -> frozenset[bytes]:
    """Keys of the error-looking lines of a successful run of the same job.

    What a green run prints too is not the cause of a red one. Streams, like the scan.
    """
    return frozenset(line_key(h.raw) for h in scan(blocks).hits if h.group not in (STEP_START, FAIL_MARK))


def _score_hits(
    result: ScanResult,
    regions: list[Region],
    baseline: frozenset[bytes] = frozenset(),
    earlier: dict[int, int] | None = None,
) -> tuple[list[tuple[int, int]], int | None]:
    """Score candidate lines by what they say, then by where they stand: (-score, line), sorted.

    ``earlier`` is filled with line -> the first line that said the same thing, when that came first.
    Also returns the first line inside the first failing step, before its end, that says a
    command failed (a command of a longer step), if any.
    """
    global _said_bytes
    hits = result.hits
    seen: dict[int, int] = {}  # hash of a repeat form -> lines that said it
    first_at: dict[int, int] = {}  # hash of a key -> the first line that said it
    said, forms = _SAID, _FORMS
    located: list[tuple[int, int, int]] = []  # line, score, index of its failing region or -1
    best: dict[int, int] = {}
    # Each failing step's bounds, then a sentinel past every line: hits and regions are walked together.
    bounds = [(r.start, r.end) for r in regions] + [(PAST_ALL_LINES, PAST_ALL_LINES)]
    region = 0
    region_start, region_end = bounds[0]
    first_end = bounds[0][1]
    failed_command: int | None = None
    for lineno, group, raw, _, shape in hits:
        if group == STEP_START or group == FAIL_MARK:
            continue  # boundaries, shown through the regions they delimit
        if shape is None:
            # Inline for lines without a GitHub Actions timestamp: a call per line costs more.
            shape = raw.translate(DIGIT_CLASSES) if raw[10:11] != b"T" else line_shape(raw)
        known = said.get(shape)
        if known is None:
            clean = scoring_form(raw)
            key = clean.translate(None, DIGITS).strip()
            base = _GROUP_BASE.get(group, 1)
            score, says_failed = line_signals(clean, base) if key else (0, False)
            form = forms.get(key)
            if form is None:
                form = forms[key] = hash(repeat_form(key))
            _said_bytes += len(shape) + len(key)
            if _said_bytes > MAX_SAID_BYTES:
                said.clear()  # bounded memory; lines are simply described again
                forms.clear()
                _said_bytes = len(shape) + len(key)
            known = said[shape] = (key, hash(key), form, score, says_failed)
        key, key_id, template, score, says_failed = known
        if not key:
            continue
        while lineno > region_end:
            region += 1
            region_start, region_end = bounds[region]
        index = region if lineno >= region_start else -1
        if says_failed and index == 0 and failed_command is None and lineno < first_end:
            failed_command = lineno
        if key in baseline:
            score -= 8
        repeats = seen.get(template, 0)
        seen[template] = repeats + 1
        if repeats > MAX_REPEATS:
            continue
        if repeats:
            score -= 1 + repeats if repeats < 3 else 4  # what is printed again and again is rarely the cause
        if key_id in first_at:
            if earlier is not None:
                earlier[lineno] = first_at[key_id]
        else:
            first_at[key_id] = lineno
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
        scored.append((-score - bonus, lineno))
    scored.sort()  # best first, then earliest: tuples compare without a key function per line
    return scored, failed_command


@dataclass
class Item:
    """A run of lines to add, in order, while the item's own cap and the budget last."""

    start: int
    end: int
    cap: int
    extend: bool = False  # stop at the first line that no longer looks like the anchor's detail
    backward: bool = False  # take lines from the end: what a step printed last before failing


OTHERS_EXTENDED: Final = 6
BLOCK_LOOKBACK: Final = 150
BLOCK_CAP: Final = 5000
# The best anchor's window first takes up to TOP_CAP characters; once the summaries are in, it
# may go on to TOP_MORE_CAP: the rest of a long report (a stack trace, a sanitizer's) is worth
# more than the windows after it.
TOP_CAP: Final = 5000
TOP_MORE_CAP: Final = 6000


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


MENTION_LINES: Final = 8
MENTION_CAP: Final = 1000
MENTION_BEFORE: Final = 3
MENTION_AFTER: Final = 6
SUMMARY_LINES: Final = 6
SUMMARY_CAP: Final = 600


def _summary_items(result: ScanResult, heading: int) -> list[Item]:
    """A failed-tests summary, and where the log first names each test it lists."""
    items = [Item(heading, heading + SUMMARY_LINES, SUMMARY_CAP)]
    for subject in listed_subjects(result, heading):
        first = first_line_naming(result, subject, heading)
        if first is not None:
            items.append(Item(max(1, first - MENTION_BEFORE), first + MENTION_AFTER, MENTION_CAP))
    return items


SUBCOMMAND_LINES: Final = 4


class Plan(NamedTuple):
    """The line ranges to show, most important first; the best lines (anchors), best first; the
    failing steps; and the steps that failed but were allowed to (see split_allowed_failures)."""

    items: list[Item]
    anchors: list[int]
    regions: list[Region]
    allowed: list[Region]


# What a step allowed to fail printed ranks under the failing step's lines (as what comes after
# the last failure does).
ALLOWED_PENALTY: Final = 8


def plan(
    result: ScanResult, baseline: frozenset[bytes] = frozenset(), failed_steps: Sequence[tuple[bytes, bytes]] = ()
) -> Plan:
    """Decide which line ranges to show, most important first.

    ``failed_steps`` are the times of the steps GitHub concluded failed (see
    split_allowed_failures); without them every failing step the log shows counts.
    """
    earlier: dict[int, int] = {}
    marks = landmarks(result.hits)
    regions, allowed = split_allowed_failures(marks.regions, failed_steps)
    scored, failed_command = _score_hits(result, regions, baseline, earlier)
    if allowed:
        spans = [(r.start, r.end) for r in allowed]
        scored = sorted(
            (negative + ALLOWED_PENALTY if any(a <= line <= b for a, b in spans) else negative, line)
            for negative, line in scored
        )
    anchors: list[int] = []
    scores: dict[int, int] = {}
    near: set[int] = set()  # the lines within 4 of an anchor: no anchor of their own
    for negative, lineno in scored:
        score = -negative
        if score < 3 or len(anchors) >= 16:
            break
        if lineno in near:
            continue
        anchors.append(lineno)
        scores[lineno] = score
        near.update(range(lineno - 4, lineno + 5))
    top = scores[anchors[0]] if anchors else 0
    close = [a for a in anchors[1:] if scores[a] >= top - 4][:4]
    # The first place a log says something is where it says it with its context (a retried
    # step repeats the same error later): show the first saying of the best anchors too.
    for anchor in anchors[:2]:
        first = earlier.get(anchor)
        if first is not None and all(abs(first - a) > 4 for a in (anchors[0], *close)):
            close.insert(0, first)
    last = result.total_lines
    items: list[Item] = []
    for region in regions[:2]:
        items.append(Item(region.end, region.end, 400))
        items.append(Item(region.start, region.start, 200))
        for marker in region.later_markers[-2:]:
            items.append(Item(marker, marker, 300))
    if failed_command is not None:
        # A command that failed inside the failing step, before the step did: what it printed last.
        start = max(regions[0].start, failed_command - SUBCOMMAND_LINES)
        items.append(Item(start, failed_command, 600, backward=True))
    if anchors:
        header = _block_header_before(result.hits, anchors[0])
        if header is not None:
            items.append(Item(header, anchors[0], BLOCK_CAP))
        best = Item(max(1, anchors[0] - 4), anchors[0] + 150, TOP_CAP, extend=True)
        items.append(best)
    for region in regions[:1]:
        # The line above the failure marker: most often the tool's own verdict ("= 2 failed in 3s =").
        items.append(Item(max(region.start, region.end - 1), region.end - 1, 300))
    if marks.summary is not None:
        items.extend(_summary_items(result, marks.summary))
    items.extend(Item(max(1, line - HOOK_BEFORE), line + HOOK_AFTER, HOOK_CAP) for line in marks.failed_hooks)
    if anchors:
        items.append(Item(best.start, best.end, TOP_MORE_CAP, extend=True))
    for region in regions[:1]:
        items.append(Item(max(region.start, region.end - 10), region.end, 1000, backward=True))
    for anchor in close:
        items.append(Item(max(1, anchor - 4), anchor + 4, 600))
    for anchor in close[:2]:
        items.append(Item(max(1, anchor - 3), anchor + 60, 2500, extend=True))
    mention = first_mention_in_hits(result.hits, anchors[0]) if anchors else None
    if mention is not None and anchors[0] - mention > 4:
        items.append(Item(max(1, mention - 1), mention + MENTION_LINES, MENTION_CAP))
    items.append(Item(max(1, last - 5), last, 500, backward=True))
    for region in regions[:1]:
        items.append(Item(max(region.start, region.end - 30), region.end, 1500, backward=True))
    others = [anchor for anchor in anchors[1:] if anchor not in close]
    for anchor in others:
        items.append(Item(max(1, anchor - 2), anchor + 8, 400, extend=True))
    for region in regions[1:3]:
        items.append(Item(max(region.start, region.end - 15), region.end, 800, backward=True))
    for anchor in others[:OTHERS_EXTENDED]:
        items.append(Item(max(1, anchor - 2), anchor + 30, 1000, extend=True))
    if anchors:
        items.append(Item(max(1, anchors[0] - 10), anchors[0] + 400, 8000, extend=True))
    items.append(Item(max(1, last - 30), last, 2000, backward=True))
    return Plan(items, anchors, regions, allowed)
