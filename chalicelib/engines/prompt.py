"""Build the messages sent to a model from templates, with the log as delimited data."""

from __future__ import annotations

import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from chalicelib.engines.classify import CATEGORIES
from chalicelib.excerpt.cleaning import strip_invisible
from chalicelib.ingest.metadata import RunMetadata
from chalicelib.render import render

MAX_FILE_CHARS = 6000
MAX_FILES = 3


@dataclass(frozen=True)
class Prompt:
    messages: list[dict[str, str]]
    delimiter: str


def new_delimiter() -> str:
    """A marker the log cannot predict, chosen per request."""
    return f"LOG-DATA-{secrets.token_hex(8)}"


def build_prompt(
    lines: Sequence[tuple[int, str]],
    metadata: RunMetadata,
    category: str,
    step: str,
    total_lines: int,
    files: Mapping[str, str] | None = None,
    delimiter: str | None = None,
    allowed_failures: Sequence[tuple[int, int]] = (),
) -> Prompt:
    """System and user messages for one analysis; ``lines`` must already be redacted.
    ``allowed_failures`` are the (start, end) lines of steps that failed but were allowed to."""
    delimiter = delimiter or new_delimiter()

    def clean(text: str) -> str:
        # Nothing inside the data may spell the delimiter, whatever the log tries.
        return strip_invisible(text).replace(delimiter, "[delimiter removed]")

    excerpt = "\n".join(f"{n} | {clean(t)}" for n, t in lines)
    capped = {clean(path): clean(content[:MAX_FILE_CHARS]) for path, content in list((files or {}).items())[:MAX_FILES]}
    system = render("llm_system.txt.j2", delimiter=delimiter, categories=CATEGORIES)
    user = render(
        "llm_user.txt.j2",
        meta=metadata,
        step=clean(step),
        category=category,
        total_lines=total_lines,
        shown=len(lines),
        delimiter=delimiter,
        excerpt=excerpt,
        files=capped,
        allowed=allowed_failures,
    )
    return Prompt([{"role": "system", "content": system}, {"role": "user", "content": user}], delimiter)


def repair_messages(prompt: Prompt, previous: str, problem: str) -> list[dict[str, str]]:
    """The conversation for the one repair attempt after an invalid answer."""
    return [
        *prompt.messages,
        {"role": "assistant", "content": previous[:8000]},
        {"role": "user", "content": render("llm_repair.txt.j2", problem=problem[:500])},
    ]
