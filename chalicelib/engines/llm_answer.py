"""Validate what a model answered; nothing that fails here is ever acted on."""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass, field
from importlib import resources
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import jsonschema


from chalicelib.errors import InvalidAnswerError


@dataclass(frozen=True)
class LlmAnswer:
    summary: str
    root_cause: str
    category: str
    suggested_fix: str
    confidence: float
    edits: list[dict[str, str]] = field(default_factory=list)


@functools.lru_cache(maxsize=1)
def _validator() -> jsonschema.Draft202012Validator:
    import jsonschema  # only where a model answered

    text = resources.files("chalicelib").joinpath("schemas/llm_answer.schema.json").read_text()
    return jsonschema.Draft202012Validator(json.loads(text))


def parse_answer(text: str | None, truncated: bool = False) -> LlmAnswer:
    """The answer in ``text``; raises InvalidAnswerError saying what is wrong."""
    if truncated:
        raise InvalidAnswerError("the answer was cut off at max_tokens")
    if not text or not text.strip():
        raise InvalidAnswerError("the answer was empty")
    body = text.strip()
    if body.startswith("```"):
        # Some models fence JSON even in JSON mode; the fence is the only thing tolerated.
        body = body.strip("`").removeprefix("json").strip()
    try:
        data: Any = json.loads(body)
    except json.JSONDecodeError as exc:
        raise InvalidAnswerError(f"not valid JSON ({exc.msg} at position {exc.pos})") from exc
    errors = sorted(_validator().iter_errors(data), key=lambda e: list(e.path))
    if errors:
        first = errors[0]
        where = "/".join(str(p) for p in first.path) or "the object"
        raise InvalidAnswerError(f"{where}: {first.message}"[:300])
    return LlmAnswer(
        summary=data["summary"],
        root_cause=data["root_cause"],
        category=data["category"],
        suggested_fix=data["suggested_fix"],
        confidence=float(data["confidence"]),
        edits=[dict(e) for e in data["edits"]],
    )
