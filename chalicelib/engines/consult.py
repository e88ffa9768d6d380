"""Asking the model about a failure: once per fingerprint and day, within the repository's daily cap.

The answer is checked (chalicelib.engines.llm_answer), redacted and cached before the analysis takes
it; without one, the offline engine's finding stands and the record says why.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any, Protocol

from chalicelib.engines.heuristic import step_name
from chalicelib.engines.llm import LlmResult, ask
from chalicelib.engines.llm_answer import LlmAnswer, parse_answer
from chalicelib.engines.prompt import build_prompt
from chalicelib.errors import InvalidAnswerError, SelfHealingError
from chalicelib.excerpt.build import Excerpt
from chalicelib.excerpt.redact import Redactor
from chalicelib.ingest.metadata import RunMetadata
from chalicelib.settings import Settings
from chalicelib.store.caps import DailyCaps
from chalicelib.store.records import RecordStore

# The repository's files a failure's lines name, at a commit: (repo, sha, lines) -> {path: text}.
ReadFiles = Callable[[str, str, Sequence[tuple[int, str]]], dict[str, str]]


class Services(Protocol):
    """What asking the model needs, and nothing more (the pipeline's Services has it all)."""

    @property
    def settings(self) -> Settings: ...
    @property
    def store(self) -> RecordStore: ...
    @property
    def redactor(self) -> Redactor: ...
    @property
    def caps(self) -> DailyCaps | None: ...
    @property
    def deadline(self) -> float: ...
    @property
    def sleep(self) -> Callable[[float], None]: ...
    @property
    def now(self) -> Callable[[], datetime]: ...
    @property
    def llm_factory(self) -> Callable[[str, str, str | None], Any]: ...
    @property
    def read_files(self) -> ReadFiles | None: ...


log = logging.getLogger(__name__)
# The offline engine, as a record names it.
ENGINE = {"name": "heuristic", "provider": "heuristic", "model": "rules-v1"}


@dataclass(frozen=True)
class Verdict:
    """What asking the model decided for the record: the engine that answered (or why none did),
    tokens and cost, and, when a model answered, its (sanitized) answer."""

    engine: dict[str, Any]
    tokens: dict[str, int] = field(default_factory=lambda: {"prompt": 0, "completion": 0})
    cost_usd: float = 0.0
    answer: LlmAnswer | None = None

    def apply(self, fields: dict[str, Any]) -> None:
        """Put the verdict into the record's fields; the offline finding stays where no model answered."""
        fields.update(engine=self.engine, tokens=self.tokens, cost_usd=self.cost_usd)
        answer = self.answer
        if answer is None:
            return
        fields.update(
            category=answer.category,
            summary=answer.summary,
            root_cause=answer.root_cause,
            suggested_fix=answer.suggested_fix,
            confidence=answer.confidence,
            edits=answer.edits,
        )
        if answer.edits:
            fields["fix_plan"] = None


def consult_model(
    services: Services, metadata: RunMetadata, excerpt: Excerpt, category: str, fingerprint: str
) -> Verdict:
    """Ask the configured model once per fingerprint and day, within the repository's daily cap."""
    settings = services.settings
    redact = services.redactor.redact
    cache_name = f"answers/{metadata.repo or '_'}/{fingerprint}"
    cached = _cached_answer(services, cache_name)
    if cached is not None:
        verdict = _verdict(cached)
        return replace(verdict, engine={**verdict.engine, "cached": True})
    if services.caps is not None and not _take_llm_cap(services.caps, services, metadata.repo):
        return Verdict({**ENGINE, "fallback_reason": f"daily cap of {settings.daily_llm_cap} LLM calls reached"})
    files: dict[str, str] = {}
    if services.read_files is not None and metadata.repo and metadata.sha:
        files = {p: redact(c) for p, c in services.read_files(metadata.repo, metadata.sha, excerpt.lines).items()}
    prompt = build_prompt(
        excerpt.lines,
        metadata,
        category,
        step_name(excerpt.lines, excerpt.failing_step_start),
        excerpt.total_lines,
        files,
        allowed_failures=excerpt.allowed_failures,
    )
    result = ask(
        prompt,
        settings,
        services.deadline - settings.deadline_margin_seconds,
        sleep=services.sleep,
        factory=services.llm_factory,
    )
    if result.answer is not None:
        result.answer, dropped = sanitize_answer(result.answer, redact)
        if dropped:
            result.fallback_reason = "; ".join(filter(None, (result.fallback_reason, dropped)))
    result.fallback_reason = redact(result.fallback_reason)
    if result.answer is not None:
        try:
            services.store.put_state(
                cache_name,
                {
                    "at": services.now().isoformat(),
                    "provider": result.provider,
                    "model": result.model,
                    "answer": asdict(result.answer),
                },
            )
        except SelfHealingError as exc:
            log.warning("could not cache the answer: %s", exc)
    return _verdict(result)


def _cached_answer(services: Services, name: str) -> LlmResult | None:
    """A validated answer for the same failure from the last day: the same failure, no second call."""
    try:
        data = services.store.get_state(name)
    except SelfHealingError:
        return None
    if not data or services.now() - datetime.fromisoformat(data["at"]) > timedelta(days=1):
        return None
    try:
        answer = parse_answer(json.dumps(data["answer"]))
    except InvalidAnswerError:
        return None
    return LlmResult(answer, data["provider"], data["model"])


def _take_llm_cap(caps: DailyCaps, services: Services, repo: str) -> bool:
    try:
        return caps.take(repo, "llm", services.settings.daily_llm_cap, services.now())
    except SelfHealingError as exc:
        log.warning("LLM cap unavailable (%s); not calling the model", exc)
        return False


def sanitize_answer(answer: LlmAnswer, redact: Callable[[str], str]) -> tuple[LlmAnswer, str]:
    """The answer as it may be stored, shown and acted on: redacted, and without edits that hold a secret."""
    texts = [part for edit in answer.edits for part in (edit["path"], edit["search"], edit["replace"])]
    # A secret in a proposed change means the change is not trusted at all (it would leak).
    secret_edits = any(redact(text) != text for text in texts)
    clean = replace(
        answer,
        summary=redact(answer.summary)[:300],
        root_cause=redact(answer.root_cause)[:2000],
        suggested_fix=redact(answer.suggested_fix)[:4000],
        confidence=round(answer.confidence, 2),
        edits=[] if secret_edits else answer.edits,
    )
    return clean, "edits dropped: they contained secret-like text" if secret_edits else ""


def _verdict(result: LlmResult) -> Verdict:
    """The verdict of one model result: its (sanitized) answer, or the offline engine and why."""
    engine: dict[str, Any] = {"latency_ms": result.latency_ms}
    if result.fallback_reason:
        engine["fallback_reason"] = result.fallback_reason[:500]
    tokens = {"prompt": result.prompt_tokens, "completion": result.completion_tokens}
    cost = round(result.cost_usd, 6)
    if result.answer is None:
        return Verdict({**ENGINE, **engine}, tokens, cost)
    return Verdict(
        {"name": "llm", "provider": result.provider, "model": result.model, **engine}, tokens, cost, result.answer
    )
