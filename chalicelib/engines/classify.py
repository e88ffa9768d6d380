"""Classify a failure from its excerpt: a category, the evidence lines that decided it, a confidence."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

CATEGORIES = (
    "test_assertion",
    "lint",
    "type_error",
    "compile",
    "dependency_install",
    "docker_build",
    "timeout_or_oom",
    "network_or_flaky",
    "permission_or_secret",
    "github_actions_config",
    "snapshot_diff",
    "infrastructure",
    "unknown",
)

# (category, weight, pattern). Weights say how sure a single line makes us; specific tool
# output (mypy codes, TS error numbers) weighs more than generic words.
_RULES: tuple[tuple[str, int, str], ...] = (
    (
        "snapshot_diff",
        9,
        r"(?i)snapshots? (?:failed|obsolete|mismatch)|toMatch(?:Inline)?Snapshot|"
        r"› \d+ snapshots? failed|snapshot .*(?:does not match|mismatch|differ)|"
        r"new snapshot was not written|\.snap\b",
    ),
    (
        "type_error",
        9,
        r"\berror TS\d{3,5}\b|: error: .*\[[a-z][a-z-]+\]\s*$|Incompatible (?:types|return)|"
        r"\[(?:attr-defined|arg-type|assignment|union-attr|call-arg|return-value|"
        r"no-untyped-(?:call|def)|override|index|operator|misc|name-defined)\]|"
        r"Found \d+ errors? in \d+ files?|\breport[A-Z]\w+\b|is not assignable to|"
        r"Type '.*' is not|has no attribute .*\(|mypy|pyright|tsc\b",
    ),
    (
        "lint",
        8,
        # A linter by name, not as part of a path or package name (".../eslint-plugin-x/").
        r"(?i)(?<![\w/.-])(?:eslint|flake8|ruff|pylint|rubocop|prettier|stylelint|markdownlint|golangci-lint"
        r"|golint|clippy|shellcheck|hadolint)(?![\w/.-])|"
        r"code style|would reformat|forgot to (?:format|run)|lint(?:ing)? (?:errors?|failed)|"
        r"\b\d+ problems? \(\d+ errors?|\bSC\d{4}\b|\bMD\d{3}\b|gofmt|black\b.*reformat|"
        r"(?-i:^\S+:\d+:\d+: [EWFCN]\d{3}\b)|(?-i:\s(?:error|warning)\s+.+\s[a-z@][\w/-]+\s*$)",
    ),
    (
        "compile",
        8,
        r"error\[E\d{4}\]|could not compile|fatal error: .*: No such file|undefined reference to|"
        r"cannot find symbol|COMPILATION ERROR|\berror CS\d{4}\b|\bSyntaxError\b|"
        r"compilation (?:failed|terminated)|Compilation failed|(?-i:^\S+\.(?:go|c|cc|cpp|h|hpp|rs|"
        r"java|kt|scala|swift|m|cs):\d+(?::\d+)?:? (?:fatal )?error)|\[ERROR\] .*\.java:\[\d+|"
        r"ld returned \d+ exit status|build failed|error: aborting due to|linker command failed|"
        r"is not a member of|not found: (?:value|type|object)|unresolved import",
    ),
    (
        "dependency_install",
        9,
        r"ModuleNotFoundError|No module named|Cannot find module|Could not find a version|"
        r"No matching distribution|\bERESOLVE\b|npm ERR! code E404|npm ERR! 404|"
        r"Could not resolve dependencies|unable to resolve dependency|"
        r"Failed to build .*wheel|Could not find gem|Your bundle is locked|"
        r"version solving failed|requested package .* (?:exists|could not be found)|"
        r"Your requirements could not be resolved|E: Unable to locate package|"
        r"Unable to find a matching|failed to (?:download|fetch) (?:package|crate|module)|"
        r"Cannot find package|ERR_PNPM_\w+|Couldn't find (?:package|any versions)|"
        r"ResolutionImpossible|Gem::MissingSpec|could not find `\w+`|ImportError: cannot import",
    ),
    (
        "docker_build",
        9,
        r"failed to solve|executor failed running|did not complete successfully: exit code|"
        r"Dockerfile:\d+|COPY failed|docker build|buildx|pull access denied|manifest unknown|"
        r"(?-i:^#\d+ \[[^\]]*\d+/\d+\] (?:RUN|COPY|FROM|ADD))",
    ),
    (
        "timeout_or_oom",
        9,
        r"(?i)\bOOMKilled\b|out of memory|heap out of memory|\bMemoryError\b|exit code 137|"
        r"\bKilled\b|Cannot allocate memory|timed? ?out\b|(?<![-\w.])timeout\b(?!\s*[=:]\s*\d)|timetrap_timeout|"
        r"exceeded the maximum execution time|took longer than|has exceeded the maximum|No output has been "
        r"received|exited with 124|operation was canceled|deadline exceeded",
    ),
    (
        "network_or_flaky",
        8,
        r"ECONNRESET|ETIMEDOUT|ECONNREFUSED|EAI_AGAIN|Connection reset|Connection refused|"
        r"Could not resolve host|Temporary failure in name resolution|\b50[234] (?:Bad Gateway|"
        r"Service Unavailable|Gateway Time-?out)|TLS handshake|getaddrinfo|Network is unreachable|"
        r"Read timed out|HTTPSConnectionPool|Max retries exceeded|rate limit|\bflaky\b|"
        r"Could not create connection|socket hang up|Connection timed out|SSL(?:Error| routines)",
    ),
    (
        "permission_or_secret",
        9,
        r"Permission denied|\bEACCES\b|\bEPERM\b|403 Forbidden|401 Unauthorized|Bad credentials|"
        r"[Aa]uthentication (?:failed|required)|Resource not accessible by integration|"
        r"dubious ownership|(?:secret|token|credential|environment variable|env var)\S* .*"
        r"(?:not set|is required|missing|is empty|not found|undefined)|"
        r"KeyError: '[A-Z][A-Z0-9_]{2,}'|Input required and not supplied|AccessDenied|"
        r"not authorized|InvalidClientTokenId|Unable to locate credentials|"
        r"could not read Username|requires authentication",
    ),
    (
        "github_actions_config",
        9,
        r"Invalid workflow file|The workflow is not valid|Unable to resolve action|"
        r"Can't find 'action\.ya?ml'|Unrecognized named-value|Unexpected input\(s\)|"
        r"\.github/workflows/\S+\.ya?ml.*(?:error|invalid)|is not supported, use|"
        r"Required property is missing|unknown action|Missing download info",
    ),
    (
        "infrastructure",
        8,
        r"No space left on device|lost communication with the server|The hosted runner|"
        r"runner has received a shutdown signal|Cannot connect to the Docker daemon|"
        r"Error response from daemon|disk quota exceeded|Segmentation fault|core dumped|"
        r"Bus error|runner .* (?:offline|lost)|Internal error occurred|The job was not acquired",
    ),
    (
        "test_assertion",
        7,
        r"AssertionError|\bassert(?:ion)? failed|^E\s+(?:assert|Assertion)|FAILED \S+::|"
        r"--- FAIL:|\b[1-9]\d* (?:failed|failing)\b|Tests? (?:run|failed).*Fail\w*: [1-9]|expect\(|"
        r"^\s*Expected\b|^\s*Received\b|^\s*Actual\b|FAIL \S+\.(?:test|spec)\.\w+|<<< FAILURE!|"
        r"Failed asserting|panicked at|test result: FAILED|^\s*\d+\) |not ok \d+|✕|"
        r"Minitest::Assertion|expected .{1,80} (?:but|got)|Failures?:\s*$|\bFAIL:",
    ),
)
_COMPILED = tuple((cat, w, re.compile(p)) for cat, w, p in _RULES)

# A test that failed because the network, the clock, a dependency or a secret failed it also
# reports an assertion. When the excerpt shows such a cause among the test's own lines (within
# CAUSE_LINES of them), strongly enough (a share of the assertion's score), the cause names the
# failure: fixing the test would not help. Far from the test, it is another step's trouble.
_CAUSES = ("network_or_flaky", "timeout_or_oom", "dependency_install", "permission_or_secret", "infrastructure")
CAUSE_SHARE = 0.5
CAUSE_LINES = 40


@dataclass(frozen=True)
class Classification:
    category: str
    confidence: float
    evidence: list[tuple[int, str]] = field(default_factory=list)
    scores: dict[str, float] = field(default_factory=dict)


def classify(lines: Sequence[tuple[int, str]], anchors: Sequence[int] = ()) -> Classification:
    """Pick the category whose rules the excerpt's lines support most.

    Lines near the excerpt's anchors (its most important lines) count more; the decisive
    evidence is the matching lines of the winning category, first ones first.
    """
    scores: dict[str, float] = {}
    evidence: dict[str, list[tuple[int, str]]] = {}
    weights: dict[str, list[tuple[int, float]]] = {}
    first_anchor = anchors[0] if anchors else None
    for lineno, text in lines:
        if not text.strip():
            continue
        near = 1.0
        if anchors:
            distance = min(abs(lineno - a) for a in anchors)
            near = 2.0 if distance <= 3 else 1.3 if distance <= 15 else 1.0
            if first_anchor is not None and abs(lineno - first_anchor) <= 3:
                near += 0.5
        for category, weight, pattern in _COMPILED:
            if pattern.search(text):
                scores[category] = scores.get(category, 0.0) + weight * near
                evidence.setdefault(category, []).append((lineno, text))
                weights.setdefault(category, []).append((lineno, weight * near))
    if not scores:
        return Classification("unknown", 0.2, [], {})
    best = max(scores, key=lambda c: (scores[c], -CATEGORIES.index(c)))
    if best == "test_assertion":
        best = _cause_of_test_failure(weights, scores[best]) or best
    total = sum(scores.values())
    confidence = round(min(0.95, 0.35 + 0.6 * scores[best] / total * min(1.0, scores[best] / 20)), 2)
    return Classification(best, confidence, evidence[best][:5], scores)


def _cause_of_test_failure(weights: dict[str, list[tuple[int, float]]], test_score: float) -> str | None:
    """The cause category shown among the failing test's lines, if strong enough (see _CAUSES)."""
    test_lines = [lineno for lineno, _ in weights["test_assertion"]]

    close = {
        category: sum(w for n, w in weights.get(category, []) if any(abs(n - t) <= CAUSE_LINES for t in test_lines))
        for category in _CAUSES
    }
    cause = max(_CAUSES, key=close.__getitem__)
    return cause if close[cause] >= CAUSE_SHARE * test_score else None
