"""The offline engine: a root cause from the log's own failure statement, or an honest "unknown".

The excerpt's lines are parsed for the failure reports of common tools (chalicelib.engines.reports);
chalicelib.engines.decisive picks the statement that explains the failure, and chalicelib.engines.explain words
the answer from its fields with the sentences of ``templates/heuristic_messages.json``. No
network, no key, same answer every time.
"""

from __future__ import annotations

from collections.abc import Sequence

from chalicelib.engines.decisive import decide
from chalicelib.engines.explain import explain, step_command
from chalicelib.engines.finding import Finding, shortened
from chalicelib.engines.reports import Lines


def step_name(lines: Lines, failing_step_start: int | None) -> str:
    """The failing step or command as the log names it ("" when it does not), for the prompt."""
    return shortened(step_command(lines, failing_step_start))[:120]


def analyze_offline(
    lines: Lines,
    anchors: Sequence[int] = (),
    failing_step_start: int | None = None,
    fail_markers: Sequence[int] = (),
    allowed_failures: Sequence[tuple[int, int]] = (),
) -> Finding:
    """The finding for an excerpt: its lines, best lines first in ``anchors``, the failing step,
    and the steps that failed but were allowed to."""
    decision = decide(lines, anchors, failing_step_start, fail_markers, allowed_failures)
    return explain(decision, lines, failing_step_start)
