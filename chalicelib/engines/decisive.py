"""Which failure statement of the excerpt explains the failure, and its block of lines.

The excerpt ranks a log's lines (chalicelib.excerpt.planning); its best line and the failing step's
bounds say where the failure is. Here the failure reports parsed from the excerpt's lines
(chalicelib.engines.reports) are weighed by how strong a statement each is, whether the failing step
printed it (before its failure marker), and whether it stands in the excerpt's best window; of
the best, the one nearest the excerpt's best line (the first, when no line is ranked) is the
decisive statement. The category, the evidence and the fingerprint are
then read from that statement alone, never from a word elsewhere in the log.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Final

from chalicelib.engines.reports import VERDICT, Lines, Report, is_warning, parse_reports

# How far from the excerpt's best line its window reaches, for a report to count as in it.
WINDOW_BEFORE: Final = 20
WINDOW_AFTER: Final = 60
WINDOW_GAP: Final = 2
# Weights: a statement's strength first; then the failing step; then the excerpt's best window.
STRENGTH_WEIGHT: Final = 10
IN_STEP: Final = 4
IN_WINDOW: Final = 3


@dataclass(frozen=True)
class Decision:
    """The decisive report (if one was found), the line that states the cause (the report's first
    line, else the excerpt's best line), whether the failing step printed it, and every report."""

    report: Report | None
    statement: tuple[int, str] | None
    in_step: bool
    reports: list[Report] = field(default_factory=list)


def _failing_step(failing_step_start: int | None, fail_markers: Sequence[int]) -> tuple[int, int] | None:
    if failing_step_start is None:
        return None
    end = next((m for m in fail_markers if m >= failing_step_start), None)
    return failing_step_start, end if end is not None else 1 << 62


def decide(
    lines: Lines,
    anchors: Sequence[int] = (),
    failing_step_start: int | None = None,
    fail_markers: Sequence[int] = (),
    allowed_failures: Sequence[tuple[int, int]] = (),
) -> Decision:
    """The decisive failure statement among ``lines`` (the excerpt's, in line order).

    ``allowed_failures`` are the (start, end) lines of steps that failed but were allowed to
    (continue-on-error): their reports, like those of a command that ignores its failure, rank
    under every other statement.
    """
    reports = parse_reports(lines)
    step = _failing_step(failing_step_start, fail_markers)
    best_line = anchors[0] if anchors else None
    window = _window(lines, best_line)

    tolerated: dict[int, bool] = {}  # asked of the best-weighed reports only, once each

    def ignored(report: Report) -> bool:
        if report.line not in tolerated:
            tolerated[report.line] = any(
                start <= report.line <= end for start, end in allowed_failures
            ) or _under_tolerant_command(lines, report.line)
        return tolerated[report.line]

    def weight(report: Report) -> tuple[int, int, int]:
        score = report.strength * STRENGTH_WEIGHT
        if step is not None and step[0] <= report.line <= step[1]:
            score += IN_STEP
        if window[0] <= report.line <= window[1]:
            score += IN_WINDOW
        # Of equal statements, the one the excerpt ranks nearest (a checker lists ignored items
        # beside failed ones; the excerpt's best line stands at the failures).
        near = abs(report.line - best_line) if best_line is not None else 0
        return score, -near, -report.line

    # A command whose failure the script ignores ("make lint || true"), or a step allowed to fail,
    # did not fail the job: what it printed ranks under every other statement (quoted still when
    # nothing else is).
    ranked = sorted(reports, key=weight, reverse=True)
    chosen = next((r for r in ranked if not ignored(r)), ranked[0] if ranked else None)
    if chosen is not None:
        # A statement that is another report's message (a test's "E   ImportError") is that
        # report's: the test that failed, with its message.
        chosen = next(
            (
                r
                for r in reports
                if r.message_line == chosen.line and r.line < chosen.line and weight(r)[0] == weight(chosen)[0]
            ),
            chosen,
        )
    if chosen is not None and not chosen.test:
        # A failure statement under a test's header ("1) Cart#total" over RSpec's "Failure/Error:")
        # is that test's: it names the test.
        header = next((r for r in reports if r.test and r.message_line == chosen.line and r.line < chosen.line), None)
        if header is not None:
            chosen = replace(chosen, test=header.test)
    if chosen is not None and chosen.test:
        # A test's report may be repeated in a summary (nextest, cargo): the first says why.
        chosen = next((r for r in reports if r.test == chosen.test and r.strength == chosen.strength), chosen)
    if chosen is not None and chosen.strength == VERDICT and best_line is not None:
        # A verdict only says something failed: the excerpt's best line says more.
        chosen = None
    statement = _line(lines, chosen.line) if chosen is not None else _anchor_line(lines, best_line)
    in_step = step is not None and statement is not None and step[0] <= statement[0] <= step[1]
    return Decision(chosen, statement, in_step, reports)


# A command line as CI logs echo them (Travis "$ x", GitHub Actions "Run x", set -x "+ x") and a
# command that ignores its own failure ("|| true", "|| :", "|| exit 0", "|| echo ...").
_COMMAND: Final = re.compile(r"^(?:\$ |Run |\++ )(?P<command>\S.*)$")
TOLERATED_GAP: Final = 50
_IGNORES_FAILURE: Final = re.compile(r"\|\|\s*(?:true|:|exit 0|echo\b[^|&;]*)\s*;?\s*$")


def _under_tolerant_command(lines: Lines, lineno: int) -> bool:
    """Whether line ``lineno`` was printed by a command that ignores its own failure: the nearest
    command shown above it (with no gap of more than TOLERATED_GAP lines between) says so."""
    index = bisect.bisect_left([n for n, _ in lines], lineno)
    below = lineno
    for number, text in reversed(lines[:index]):
        if below - number > TOLERATED_GAP:
            return False  # the excerpt left out so much that the command is not shown
        command = _COMMAND.match(text)
        if command:
            return bool(_IGNORES_FAILURE.search(command["command"]))
        below = number
    return False


def _window(lines: Lines, best_line: int | None) -> tuple[int, int]:
    """The excerpt's best window: the run of shown lines around its best line (gaps of at most
    WINDOW_GAP lines), cut at WINDOW_BEFORE lines above it and WINDOW_AFTER below."""
    if best_line is None:
        return 0, -1
    numbers = [n for n, _ in lines]
    index = bisect.bisect_left(numbers, best_line)
    if index >= len(numbers):
        return best_line, best_line
    start = end = index
    while (
        start > 0
        and numbers[start] - numbers[start - 1] <= WINDOW_GAP
        and best_line - numbers[start - 1] <= WINDOW_BEFORE
    ):
        start -= 1
    while (
        end + 1 < len(numbers)
        and numbers[end + 1] - numbers[end] <= WINDOW_GAP
        and numbers[end + 1] - best_line <= WINDOW_AFTER
    ):
        end += 1
    return numbers[start], numbers[end]


def _anchor_line(lines: Lines, best_line: int | None) -> tuple[int, str] | None:
    """The excerpt's best line; without one, its last line that is not a warning."""
    if best_line is None:
        return next(((n, t) for n, t in reversed(lines) if t.strip() and not is_warning(t)), None)
    return _line(lines, best_line)


def _line(lines: Lines, lineno: int) -> tuple[int, str] | None:
    """Line ``lineno`` of ``lines`` (in line order), if shown."""
    index = bisect.bisect_left([n for n, _ in lines], lineno)
    return lines[index] if index < len(lines) and lines[index][0] == lineno else None
