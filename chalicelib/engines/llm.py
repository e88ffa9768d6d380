"""Ask a model through Groq, OpenAI, Hugging Face or any OpenAI-compatible server, with fallback.

Each provider is called through its official SDK with the SDK's own retries off: retries here
know the deadline (the Lambda's remaining time less a margin for storing and notifying), back off
exponentially with jitter, honour Retry-After, and move on to the next provider when a provider
keeps failing. The chain always ends in the offline engine, which the caller runs.
"""

from __future__ import annotations

import functools
import json
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from importlib import resources
from typing import Any

from tenacity import RetryCallState, Retrying, retry_if_exception, wait_exponential_jitter

from chalicelib.engines.llm_answer import LlmAnswer, parse_answer
from chalicelib.engines.prompt import Prompt, repair_messages
from chalicelib.errors import InvalidAnswerError, ProviderError
from chalicelib.settings import Settings

log = logging.getLogger(__name__)

DEFAULT_MODELS = {
    "groq": "llama-3.3-70b-versatile",
    "openai": "gpt-4o-mini",
    "huggingface": "meta-llama/Llama-3.3-70B-Instruct",
    "openai-compatible": "llama3.1",
}
# Hugging Face's inference router speaks the OpenAI protocol for many hosted models, so one
# well-kept SDK covers it, with JSON mode, and no second client library is needed.
HF_ROUTER = "https://router.huggingface.co/v1"
MIN_ATTEMPT_SECONDS = 2.0


@dataclass(frozen=True)
class ProviderSpec:
    name: str
    model: str
    api_key: str = field(repr=False)
    base_url: str | None


@dataclass
class LlmResult:
    answer: LlmAnswer | None
    provider: str = "heuristic"
    model: str = "rules-v1"
    prompt_tokens: int = 0
    completion_tokens: int = 0
    latency_ms: int = 0
    cost_usd: float = 0.0
    fallback_reason: str = ""
    attempts: list[str] = field(default_factory=list)


def provider_chain(settings: Settings) -> tuple[list[ProviderSpec], list[str]]:
    """The providers to try in order, and why any configured one was left out."""
    specs: list[ProviderSpec] = []
    skipped: list[str] = []
    for name in dict.fromkeys((settings.provider, *settings.provider_fallbacks)):
        if name == "heuristic":
            break  # the offline engine ends the chain wherever it is named
        key = settings.key_for(name)
        primary = name == settings.provider
        model = (settings.llm_model if primary else "") or DEFAULT_MODELS[name]
        base_url: str | None = settings.llm_base_url if primary and settings.llm_base_url else None
        if name == "huggingface":
            base_url = base_url or HF_ROUTER
        if name == "openai-compatible":
            if not settings.llm_base_url:
                skipped.append("openai-compatible: LLM_BASE_URL is not set")
                continue
            base_url, key = settings.llm_base_url, key or "not-needed"
        if not key:
            skipped.append(f"{name}: no API key is set")
            continue
        specs.append(ProviderSpec(name, model, key, base_url))
    return specs, skipped


@functools.lru_cache(maxsize=8)
def sdk_client(name: str, api_key: str, base_url: str | None) -> Any:
    """The SDK client for a provider (cached; created on first use, never at import)."""
    if name == "groq":
        import groq

        return groq.Groq(api_key=api_key, base_url=base_url, max_retries=0)
    import openai

    return openai.OpenAI(api_key=api_key, base_url=base_url, max_retries=0)


def sdk_errors(name: str) -> type[Exception]:
    """The base error of a provider's SDK (imported only once a provider is in use)."""
    if name == "groq":
        import groq

        return groq.APIError
    import openai

    return openai.APIError


def reset_sdk_clients() -> None:
    sdk_client.cache_clear()


def _retry_after(exc: Exception) -> float | None:
    response = getattr(exc, "response", None)
    headers = getattr(response, "headers", None) or {}
    for name, scale in (("retry-after-ms", 0.001), ("retry-after", 1.0)):
        value = headers.get(name)
        if value:
            try:
                return max(0.0, float(value) * scale)
            except ValueError:
                return None
    return None


def _translate(exc: Exception, provider: str) -> ProviderError:
    """SDK errors (openai and groq share their shapes) as the service's own."""
    status = getattr(exc, "status_code", None)
    kind = type(exc).__name__
    if kind in ("APITimeoutError", "APIConnectionError"):
        return ProviderError(f"{provider}: {'timed out' if kind == 'APITimeoutError' else 'unreachable'}", True)
    if status == 429:
        return ProviderError(f"{provider}: rate limited (429)", True, _retry_after(exc))
    if isinstance(status, int) and status >= 500:
        return ProviderError(f"{provider}: server error ({status})", True, _retry_after(exc))
    if status in (401, 403):
        return ProviderError(f"{provider}: the key was refused ({status})", False)
    return ProviderError(f"{provider}: request failed ({status or kind})", False)


@functools.lru_cache(maxsize=1)
def _bundled_prices() -> dict[str, list[float]]:
    data: dict[str, list[float]] = json.loads(
        resources.files("chalicelib").joinpath("data/llm_prices.json").read_text()
    )
    return data


def _price(settings: Settings, spec: ProviderSpec) -> tuple[float, float]:
    table = dict(_bundled_prices())
    if settings.llm_prices_json:
        try:
            table.update(json.loads(settings.llm_prices_json))
        except ValueError:
            log.warning("ignoring LLM_PRICES: not valid JSON")
    for key in (f"{spec.name}/{spec.model}", f"{spec.name}/*"):
        if key in table and len(table[key]) == 2:
            return float(table[key][0]), float(table[key][1])
    return 0.0, 0.0


class _Caller:
    """One provider, one conversation: calls with deadline-aware retries and counts tokens."""

    def __init__(
        self,
        spec: ProviderSpec,
        settings: Settings,
        deadline: float,
        clock: Callable[[], float],
        sleep: Callable[[float], None],
        factory: Callable[[str, str, str | None], Any],
    ) -> None:
        self.spec, self.settings, self.deadline, self.clock, self.sleep = spec, settings, deadline, clock, sleep
        self.client = factory(spec.name, spec.api_key, spec.base_url)
        self.sdk_error = sdk_errors(spec.name)
        self.prompt_tokens = self.completion_tokens = 0
        self._backoff = wait_exponential_jitter(multiplier=0.5, max=8.0, jitter=0.5)

    def _wait(self, state: RetryCallState) -> float:
        exc = state.outcome.exception() if state.outcome else None
        hinted = exc.retry_after if isinstance(exc, ProviderError) else None
        return hinted if hinted is not None else float(self._backoff(state))

    def _stop(self, state: RetryCallState) -> bool:
        if state.attempt_number > self.settings.llm_retries:
            return True
        # Waiting longer than the time left (a long Retry-After) means trying the next provider.
        return self.clock() + self._wait(state) + MIN_ATTEMPT_SECONDS > self.deadline

    def complete(self, messages: list[dict[str, str]]) -> tuple[str | None, bool]:
        """The model's text and whether it was cut off; raises ProviderError."""
        retrying = Retrying(
            retry=retry_if_exception(lambda e: isinstance(e, ProviderError) and e.retryable),
            stop=self._stop,
            wait=self._wait,
            sleep=self.sleep,
            reraise=True,
        )
        return retrying(self._once, messages)

    def _once(self, messages: list[dict[str, str]]) -> tuple[str | None, bool]:
        remaining = self.deadline - self.clock()
        if remaining < MIN_ATTEMPT_SECONDS:
            raise ProviderError(f"{self.spec.name}: no time left before the deadline", False)
        try:
            response = self.client.chat.completions.create(
                model=self.spec.model,
                messages=messages,
                max_tokens=self.settings.llm_max_tokens,
                temperature=0,
                response_format={"type": "json_object"},
                timeout=min(float(self.settings.llm_timeout_seconds), remaining),
            )
        except self.sdk_error as exc:
            raise _translate(exc, self.spec.name) from exc
        except ValueError as exc:  # the SDK decodes the body as JSON whatever it holds
            raise _not_a_completion(self.spec.name, "not JSON") from exc
        text, truncated, prompt_tokens, completion_tokens = _read_completion(response, self.spec.name)
        self.prompt_tokens += prompt_tokens
        self.completion_tokens += completion_tokens
        return text, truncated


def _not_a_completion(provider: str, why: str) -> ProviderError:
    # A broken proxy or server, not a bad guess of the model: the next provider, no repair.
    return ProviderError(f"{provider}: the answer is not a chat completion ({why})", False)


def _read_completion(response: object, provider: str) -> tuple[str | None, bool, int, int]:
    """The first choice's text, whether it was cut off, and the tokens used, from an HTTP 200
    answer; raises ProviderError when the answer is no chat completion (the SDKs build their
    objects from any JSON without checking it)."""
    if isinstance(response, (list, str, int, float)) or response is None:
        raise _not_a_completion(provider, "not a JSON object")
    usage = getattr(response, "usage", None)
    counts = [getattr(usage, name, 0) or 0 for name in ("prompt_tokens", "completion_tokens")]
    if not all(type(count) is int and count >= 0 for count in counts):
        raise _not_a_completion(provider, "usage is not a count of tokens")
    choices = getattr(response, "choices", None)
    if not isinstance(choices, list):
        raise _not_a_completion(provider, "choices is not a list")
    if not choices:
        return None, False, counts[0], counts[1]
    message = getattr(choices[0], "message", None)
    if message is None:
        raise _not_a_completion(provider, "the choice has no message")
    content = getattr(message, "content", None)
    if content is not None and not isinstance(content, str):
        raise _not_a_completion(provider, "the message's content is not text")
    return content, getattr(choices[0], "finish_reason", None) == "length", counts[0], counts[1]


def ask(
    prompt: Prompt,
    settings: Settings,
    deadline: float,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
    factory: Callable[[str, str, str | None], Any] = sdk_client,
) -> LlmResult:
    """Try each configured provider; a result without answer means: use the offline engine."""
    specs, reasons = provider_chain(settings)
    if not specs:
        return LlmResult(None, fallback_reason="; ".join(reasons))
    result = LlmResult(None)
    started = clock()
    for spec in specs:
        caller = _Caller(spec, settings, deadline, clock, sleep, factory)
        input_price, output_price = _price(settings, spec)
        try:
            try:
                text, truncated = caller.complete(prompt.messages)
                answer = parse_answer(text, truncated)
            except InvalidAnswerError as invalid:
                # One repair attempt, then the offline engine: never a second guess at acting.
                log.info("%s answered invalid JSON (%s); asking once to repair", spec.name, invalid)
                try:
                    repaired, truncated = caller.complete(repair_messages(prompt, text or "", str(invalid)))
                    answer = parse_answer(repaired, truncated)
                except (InvalidAnswerError, ProviderError) as again:
                    reasons.append(f"{spec.name}: invalid answer ({invalid}); repair failed ({again})")
                    _account(result, caller, input_price, output_price)
                    break
        except ProviderError as exc:
            log.warning("provider %s failed: %s", spec.name, exc)
            reasons.append(str(exc))
            _account(result, caller, input_price, output_price)
            continue
        _account(result, caller, input_price, output_price)
        result.answer, result.provider, result.model = answer, spec.name, spec.model
        break
    result.latency_ms = int((clock() - started) * 1000)
    result.fallback_reason = "; ".join(reasons)
    return result


def _account(result: LlmResult, caller: _Caller, input_price: float, output_price: float) -> None:
    result.prompt_tokens += caller.prompt_tokens
    result.completion_tokens += caller.completion_tokens
    result.cost_usd += (caller.prompt_tokens * input_price + caller.completion_tokens * output_price) / 1e6
    result.attempts.append(caller.spec.name)
