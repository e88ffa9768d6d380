"""Remove secrets from log text before it leaves the service.

Every pattern names, in a comment, the public scanner rule it follows (gitleaks rule id or
detect-secrets plugin); the expressions are this project's own. A replacement names its kind,
``[REDACTED:github-token]``, and redacting redacted text changes nothing.
"""

from __future__ import annotations

import base64
import binascii
import math
import re
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from typing import Final
from urllib.parse import quote, unquote

from chalicelib.excerpt.cleaning import strip_invisible
from chalicelib.excerpt.re2spans import matcher, spans
from chalicelib.excerpt.triggers import Triggers

MARK: Final = "[REDACTED:{kind}]"


@dataclass(frozen=True)
class SecretPattern:
    kind: str
    regex: re.Pattern[str]
    group: int = 0  # the group to replace; 0 replaces the whole match
    mark: str = ""  # what replaces it: [REDACTED:<kind>]


def _p(kind: str, pattern: str, group: int = 0, flags: int = 0) -> SecretPattern:
    return SecretPattern(kind, re.compile(pattern, flags), group, MARK.format(kind=kind))


# Order matters: specific vendor formats first, generic keyword rules last.
PATTERNS: Final[tuple[SecretPattern, ...]] = (
    # gitleaks private-key / detect-secrets PrivateKeyDetector (single-line form)
    _p(
        "private-key",
        r"-----BEGIN[ A-Z0-9_-]{0,40}PRIVATE KEY(?: BLOCK)?-----.*?"
        r"(?:-----END[ A-Z0-9_-]{0,40}PRIVATE KEY(?: BLOCK)?-----|$)",
    ),
    # gitleaks github-pat, github-oauth, github-app-token, github-refresh-token
    _p("github-token", r"\bgh[pousr]_[A-Za-z0-9]{36,255}\b"),
    # gitleaks github-fine-grained-pat
    _p("github-token", r"\bgithub_pat_[A-Za-z0-9_]{22,255}\b"),
    # own rule: an access key id followed by its secret (an AWS credentials CSV, "id,secret")
    _p(
        "aws-secret-key",
        r"\b(?:AKIA|ASIA|ABIA|ACCA)[A-Z0-9]{16}[\s,;:|\"']{1,4}([A-Za-z0-9/+]{40})(?![A-Za-z0-9/+])",
        1,
    ),
    # gitleaks aws-access-token / detect-secrets AWSKeyDetector
    _p("aws-access-key-id", r"\b(?:AKIA|ASIA|ABIA|ACCA)[A-Z0-9]{16}\b"),
    # detect-secrets AWSKeyDetector (secret access key in keyword form)
    _p(
        "aws-secret-key",
        r"(?i)aws.{0,25}?(?:secret|private)?.{0,10}?[\s\"':=]+"
        r"(?-i:([A-Za-z0-9/+]{40}))(?![A-Za-z0-9/+])",
        1,
    ),
    # gitleaks slack-webhook-url / detect-secrets SlackDetector
    _p("slack-webhook", r"https://hooks\.slack\.com/(?:services|workflows|triggers)/[A-Za-z0-9+/_-]{20,}"),
    # gitleaks slack-bot-token, slack-user-token, slack-app-token, slack-legacy-token
    _p("slack-token", r"\bxox[abeoprs]-[A-Za-z0-9-]{10,}"),
    _p("slack-token", r"\bxapp-\d-[A-Z0-9]+-\d+-[a-z0-9]+"),
    # gitleaks anthropic-api-key, anthropic-admin-api-key
    _p("anthropic-key", r"\bsk-ant-[A-Za-z0-9_-]{20,}"),
    # gitleaks openai-api-key (project, service-account and legacy keys)
    _p("openai-key", r"\bsk-(?:proj-|svcacct-|admin-)?[A-Za-z0-9_-]{20,}"),
    # own rule (no public rule yet): Groq keys are "gsk_" + 52 alphanumerics
    _p("groq-key", r"\bgsk_[A-Za-z0-9]{20,}"),
    # gitleaks huggingface-access-token, huggingface-organization-api-token
    _p("huggingface-token", r"\b(?:hf_|api_org_)[A-Za-z0-9]{30,}"),
    # gitleaks npm-access-token / detect-secrets NpmDetector
    _p("npm-token", r"\bnpm_[A-Za-z0-9]{36}\b"),
    _p("npm-token", r"(?<=_authToken=)[^\s\"']+"),
    # gitleaks pypi-upload-token / detect-secrets PypiTokenDetector
    _p("pypi-token", r"\bpypi-[A-Za-z0-9_-]{50,}"),
    # gitleaks gitlab-pat, gitlab-ptt, gitlab-rrt
    _p("gitlab-token", r"\bgl(?:pat|ptt|rt)-[A-Za-z0-9_-]{20,}"),
    # gitleaks gcp-api-key
    _p("google-api-key", r"\bAIza[0-9A-Za-z_-]{35}"),
    # gitleaks stripe-access-token / detect-secrets StripeDetector
    _p("stripe-key", r"\b(?:sk|rk|pk)_(?:live|test)_[A-Za-z0-9]{10,99}"),
    # gitleaks sendgrid-api-token / detect-secrets SendGridDetector
    _p("sendgrid-key", r"\bSG\.[A-Za-z0-9_-]{16,32}\.[A-Za-z0-9_-]{16,64}"),
    # gitleaks digitalocean-pat, digitalocean-access-token, digitalocean-refresh-token
    _p("digitalocean-token", r"\bdo[opr]_v1_[a-f0-9]{64}\b"),
    # gitleaks shopify-access-token, shopify-custom-access-token, shopify-private-app-access-token,
    # shopify-shared-secret
    _p("shopify-token", r"\bshp(?:at|ca|pa|ss)_[a-fA-F0-9]{32}\b"),
    # gitleaks dockerhub-pat (own expression: "dckr_pat_" + 27 or more URL-safe characters)
    _p("dockerhub-token", r"\bdckr_pat_[A-Za-z0-9_-]{27,}"),
    # gitleaks azure-storage-account-key (connection strings: AccountKey=<88 base64>)
    _p("azure-storage-key", r"(?i)\bAccountKey=([A-Za-z0-9+/]{86,88}={0,2})", 1),
    # gitleaks hashicorp-vault-service-token, hashicorp-vault-batch-token
    _p("vault-token", r"\bhv[sb]\.[A-Za-z0-9_-]{24,}"),
    # gitleaks databricks-api-token
    _p("databricks-token", r"\bdapi[a-f0-9]{32}(?:-\d)?\b"),
    # gitleaks postman-api-token
    _p("postman-token", r"\bPMAK-[a-f0-9]{24}-[a-f0-9]{34}\b"),
    # gitleaks linear-api-key
    _p("linear-key", r"\blin_api_[A-Za-z0-9]{40}\b"),
    # gitleaks sentry-org-token, sentry-user-token
    _p("sentry-token", r"\bsntr[ysu]_[A-Za-z0-9+/=_-]{40,}"),
    # gitleaks rubygems-api-token
    _p("rubygems-token", r"\brubygems_[a-f0-9]{48}\b"),
    # gitleaks age-secret-key
    _p("age-secret-key", r"\bAGE-SECRET-KEY-1[QPZRY9X8GF2TVDW0S3JN54KHCE6MUA7L]{58}\b"),
    # gitleaks jwt / detect-secrets JwtTokenDetector
    _p("jwt", r"\beyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}"),
    # detect-secrets BasicAuthDetector: scheme://user:password@host
    _p("url-credentials", r"(?i)\b[a-z][a-z0-9+.-]{1,20}://[^\s:/@\"'\[]*:([^\s@/\"']+)@", 1),
    # own rule: a token as the URL's user ("https://<token>@host"): no user name is 20 such characters
    _p("url-credentials", r"(?i)\b[a-z][a-z0-9+.-]{1,20}://([A-Za-z0-9_~.-]{20,})@", 1),
    # gitleaks curl-auth-header: Authorization headers of any scheme
    _p(
        "authorization",
        # "Authorization: x", "authorization=x", Go's "map[Authorization:[Bearer x]]", Ruby's
        # "Authorization" => "x", PHP print_r's "[Authorization] => x", Python's (b'Authorization', b'x')
        r"(?i)\b(?:proxy-)?authorization[\"'\]]?\s*(?:=>|[:=,])\s*b?[\"'\[]?"
        r"(?:(?:bearer|basic|token|digest|bot)\s+)?(\[REDACTED:[\w-]+\]|[^\s\"',;\]\[]{6,})",
        1,
    ),
)

# detect-secrets KeywordDetector + HighEntropyString: key = value with a random-looking value.
_GENERIC: Final = re.compile(
    r"(?i)\b([\w.-]*(?:api[_-]?key|secret|token|passw(?:or)?d|passwd|pwd|credential|private[_-]?key|access[_-]?key)[\w.-]*)"
    r"([\"']?\s*(?::|=|=>|:=)\s*[\"']?)"
    r"([^\s\"',;]{8,})"
)
# Passwords, whatever their entropy: "--password x", "DB_PASS=x", "[password] => x", "pass": "x",
# .npmrc's "_auth=x", Docker's "auth": "x". ("--- PASS: TestX" and "password authentication
# failed" are no assignments.)
_PASSWORD: Final = re.compile(
    r"(?i)(\b[\w.-]*(?:passw(?:or)?d|passwd|passphrase)[\w.-]*|\b[\w.-]*[_.-]pass\b|"
    r"(?<=[\"'\[])(?:pass|auth|_auth)|(?:^|(?<=[\s;,{]))_auth\b)"
    r"([\"'\]]?\s*(?:=>|:=|[:=])\s*[\"'\[]?)"
    r"(?!REDACTED:)([^\s\"',;\]\[]{4,})"
)
# Keys about a password that hold none: a file, a length, a policy, a prompt.
_NOT_A_PASSWORD_KEY: Final = re.compile(
    r"(?i)(?:file|path|dir|length|len|policy|prompt|hint|rules?|field|hash|algorithm|expir\w*|reset\w*|required)$"
)
# A command's option: "--password x", "--db-pass=x" (an option's value may follow a space).
_PASSWORD_OPTION: Final = re.compile(
    r"(?i)((?:^|(?<=[\s=:;,]))--[\w-]*pass(?:word|wd|phrase)?)(=|\s+)(?!\[REDACTED:)([^\s\"',;]{4,})"
)
# What a password key may hold that is no password: a variable, a mask, a template, a word of a schema.
_PLACEHOLDER: Final = re.compile(
    r"(?i)^(?:\$\{\{?.*|\$\(?\w+\)?|%\(?\w*\)?s|\*+|x{3,}|<[^>]*>?|\{\{.*|\[REDACTED:.*|\.{3,}|"
    r"null|none|nil|true|false|yes|no|required|optional|empty|undefined|stdin|prompt|(?:\.{0,2}/|~/)[\w.@/-]*)$"
)
_READABLE_VALUE: Final = re.compile(
    r"^(?:[0-9a-f]{7,40}|[0-9a-f]{64}|sha\d+:[0-9a-f]{32,}|"
    r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|\[REDACTED:[\w-]+\].*|"
    r"\$\{\{?.*|\$[A-Z_]+|\*+|<[^>]*>?|[a-z]+(?:[._-][a-z]+)*|\d+|(?:\.{0,2}/|~/)[\w.@/-]*)$",
    re.IGNORECASE,
)
_BASE64_TOKEN: Final = re.compile(r"[A-Za-z0-9+/]{24,}={0,2}|[A-Za-z0-9_-]{24,}={0,2}")
_PEM_BEGIN: Final = re.compile(r"-----BEGIN[ A-Z0-9_-]{0,40}PRIVATE KEY(?: BLOCK)?-----")
_PEM_END: Final = re.compile(r"-----END[ A-Z0-9_-]{0,40}PRIVATE KEY(?: BLOCK)?-----")
_PEM_BODY: Final = re.compile(r"^\s*(?:[A-Za-z0-9+/=]{40,}|[A-Za-z0-9+/]{8,}={0,2}|[\w-]+: .*)\s*$")
_PERCENT: Final = r"%[0-9A-Fa-f]{2}"
# JSON inside a string: "\u0022password\u0022: ..." or {\"password\": \"...\"}.
_ESCAPED: Final = re.compile(r"\\(?:u[0-9A-Fa-f]{4}|[\"'])")
_UNICODE_ESCAPE: Final = re.compile(r"\\u([0-9A-Fa-f]{4})")
# Multi-line text (a file, a model's answer): a private key across lines, with or without its END,
# and a key's body alone (three or more 64-character base64 lines: a certificate's body is
# taken for one too, which hides nothing secret).
_PEM_BLOCK: Final = re.compile(
    r"-----BEGIN[ A-Z0-9_-]{0,40}PRIVATE KEY(?: BLOCK)?-----[\s\S]*?"
    r"(?:-----END[ A-Z0-9_-]{0,40}PRIVATE KEY(?: BLOCK)?-----|\Z)"
)
# A key body's line holds a letter past "f" or a "+" or "/": a column of SHA-256 digests (64 hex
# characters each) is no key.
_KEY_BODY: Final = re.compile(r"(?m)(?:^[ \t]*(?=[0-9a-fA-F]*[g-zG-Z+/])[A-Za-z0-9+/]{64}[ \t]*\r?\n){3,}")
_KEY_BODY_LINE: Final = re.compile(r"^\s*(?=[0-9a-fA-F]*[g-zG-Z+/])[A-Za-z0-9+/]{64}\s*$")
# A line of wrapped base64 (base64 -w76, PEM-style 64): runs of them are decoded together.
_BASE64_LINE: Final = re.compile(r"^\s*[A-Za-z0-9+/]{16,}={0,2}\s*$")
_PERCENT_ESCAPE: Final = re.compile(_PERCENT)
# The same tokens, found by RE2 in bytes (see chalicelib.excerpt.re2spans).
_MATCH_BASE64_TOKEN: Final = matcher(_BASE64_TOKEN.pattern.encode())


def _base64_tokens(data: bytes) -> set[bytes]:
    """The distinct words of ``data`` that _BASE64_TOKEN matches, as its ``findall`` finds them."""
    return {data[start:end] for start, end in spans(_MATCH_BASE64_TOKEN, data)}


_RULES: Final = (
    *[p.regex.pattern for p in PATTERNS],
    _GENERIC.pattern,
    _BASE64_TOKEN.pattern,
    _PERCENT,
    _PASSWORD.pattern,
    _PASSWORD_OPTION.pattern,
    _ESCAPED.pattern,
)
# Indices of the rules after PATTERNS. The percent-encoding rule is applied on "%" alone (see Redactor.redact).
_GENERIC_RULE: Final = len(PATTERNS)
_BASE64_RULE: Final = len(PATTERNS) + 1
_PERCENT_RULE: Final = len(PATTERNS) + 2
_PASSWORD_RULE: Final = len(PATTERNS) + 3
_PASSWORD_OPTION_RULE: Final = len(PATTERNS) + 4
_ESCAPE_RULE: Final = len(PATTERNS) + 5
TRIGGERS: Final = Triggers(_RULES)


def shannon_entropy(value: str) -> float:
    """Bits per character of ``value``; random keys score above about 3.5."""
    if not value:
        return 0.0
    counts: dict[str, int] = {}
    for ch in value:
        counts[ch] = counts.get(ch, 0) + 1
    n = len(value)
    return -sum(c / n * math.log2(c / n) for c in counts.values())


# Code, not a value: os.environ[...], getenv(...), settings.api_key
_CODE_VALUE: Final = re.compile(r"^[A-Za-z_][\w.]*[\[(]|^[A-Za-z_]\w*(?:\.[A-Za-z_]\w*)+$")


def _looks_secret(value: str) -> bool:
    if _READABLE_VALUE.match(value) or _CODE_VALUE.match(value):
        return False
    classes = sum(bool(re.search(p, value)) for p in (r"[a-z]", r"[A-Z]", r"\d", r"[^A-Za-z0-9]"))
    has_digit = any(ch.isdigit() for ch in value)
    return (classes >= 3 or (has_digit and classes >= 2 and len(value) >= 12)) and shannon_entropy(value) >= 3.0


def _encoded_forms(secret: str) -> set[str]:
    forms = {secret, quote(secret, safe=""), quote(secret)}
    raw = secret.encode()
    for shift in range(3):
        # A secret inside a longer base64 text appears as one of three aligned cores.
        encoded = base64.b64encode(b"\0" * shift + raw).decode()
        core = encoded[(shift * 4 + 2) // 3 + 1 : -4] if len(encoded) > 12 else encoded
        if len(core) >= 8:
            forms.add(core)
            forms.add(core.replace("+", "-").replace("/", "_"))
    forms.add(base64.b64encode(raw).decode().rstrip("="))
    return {f for f in forms if len(f) >= 8}


# Base64 of printable UTF-8 text starts each group of four with a character for a byte from
# 0x20 to 0xF4, or for a tab or line break ("C", "D": "env | base64" is text); one of these
# stands for another control byte or one UTF-8 never has. Paths ("/home/...") are most of the
# tokens, and are passed over without decoding them.
_NOT_TEXT_LEAD: Final = re.compile(r"[ABE-H+/_-]")


def _encoded_secret_kind(token: str) -> str | None:
    """The kind of secret that ``token``, read as base64 of printable text, holds, if any."""
    if _NOT_TEXT_LEAD.search(token[::4]):
        return None
    try:
        padded = token + "=" * (-len(token) % 4)
        decoded = base64.b64decode(padded.replace("-", "+").replace("_", "/"), validate=True)
        text = decoded.decode("utf-8")
    except (binascii.Error, UnicodeDecodeError, ValueError):
        return None
    if not text.replace("\n", "").replace("\r", "").replace("\t", "").isprintable():
        return None  # "env | base64" holds newlines: text all the same
    return _holds_secret(text)


def _nothing_to_redact(text: str) -> bool:
    """True when no rule can change any line of ``text`` (lines joined by newlines).

    Most excerpts: one set match over the whole text, and a look at each base64-looking word
    (hashes, paths), instead of a set match for each line.
    """
    found = TRIGGERS.lines(text)
    if not found:
        return True
    if any(rule != _BASE64_RULE and rule != _PERCENT_RULE for rule in found):
        return False
    # A newline is not in a token's alphabet: the words found here are the ones each line has.
    return all(_encoded_secret_kind(token.decode()) is None for token in _base64_tokens(text.encode()))


_PEM_MARK: Final = MARK.format(kind="private-key")


def _unescaped(text: str) -> str:
    """``text`` with JSON's string escapes undone (``\\u0022``, ``\\"``); surrogates stay escaped."""

    def char(m: re.Match[str]) -> str:
        code = int(m.group(1), 16)
        return m.group(0) if 0xD800 <= code <= 0xDFFF else chr(code)

    return re.sub(r"\\([\"'\\/])", r"\1", _UNICODE_ESCAPE.sub(char, text))


def _holds_secret(text: str) -> str | None:
    """The kind of secret decoded text holds, if any: a known format, a keyword secret or a password."""
    if _PEM_BLOCK.search(text):
        return "private-key"
    for pattern in PATTERNS:
        if pattern.regex.search(text):
            return pattern.kind
    if any(_looks_secret(m.group(3)) for m in _GENERIC.finditer(text)):
        return "generic-secret"
    for m in (*_PASSWORD.finditer(text), *_PASSWORD_OPTION.finditer(text)):
        value = m.group(3)
        if not (_PLACEHOLDER.match(value) or _CODE_VALUE.match(value) or _NOT_A_PASSWORD_KEY.search(m.group(1))):
            return "password"
    return None


def _encoded_runs(lines: Sequence[tuple[int, str]]) -> list[tuple[int, str]]:
    """Lines of wrapped base64 read together: a run that decodes to text holding a secret, or
    that has a private key's shape (three or more 64-character lines not under a certificate's
    BEGIN), is replaced line by line."""
    out = list(lines)
    index = 0
    while index < len(out):
        end = index
        while (
            end < len(out) and _BASE64_LINE.match(out[end][1]) and (end == index or out[end][0] == out[end - 1][0] + 1)
        ):
            end += 1
        if end - index >= 2:
            run = out[index:end]
            joined = "".join(text.strip() for _, text in run)
            kind = _encoded_secret_kind(joined)
            mark = MARK.format(kind=f"{kind}-base64") if kind else None
            shaped = sum(bool(_KEY_BODY_LINE.match(text)) for _, text in run) >= 3
            certificate = index > 0 and "CERTIFICATE" in out[index - 1][1]
            if mark is None and shaped and not certificate:
                mark = _PEM_MARK
            if mark is not None:
                out[index:end] = [(lineno, mark) for lineno, _ in run]
        index = max(end, index + 1)
    return out


class Redactor:
    """Redacts known secret formats, keyword secrets and the service's own secret values."""

    def __init__(self, runtime_secrets: Iterable[str] = (), read_later: Collection[str] = ()) -> None:
        """``runtime_secrets``: the service's own secret values; ``read_later``: a collection that
        grows as the service reads more of them (from Secrets Manager or SSM), looked at again
        before each text."""
        self._given = tuple(runtime_secrets)
        self._later, self._later_seen = read_later, -1
        self._runtime: re.Pattern[str] | None = None
        self._refresh()

    def _refresh(self) -> None:
        if len(self._later) == self._later_seen:
            return
        self._later_seen = len(self._later)
        forms: set[str] = set()
        for secret in (*self._given, *list(self._later)):
            if len(secret) >= 8:
                forms |= _encoded_forms(secret)
        self._runtime = (
            re.compile("|".join(re.escape(f) for f in sorted(forms, key=len, reverse=True))) if forms else None
        )

    def redact(self, text: str) -> str:
        """Return ``text`` with every secret replaced by a mark naming its kind, and without
        characters that render as nothing (a zero-width space inside a token would hide it from
        the rules, and the text from a reader)."""
        text = strip_invisible(text)
        self._refresh()
        if self._runtime is not None:
            text = self._runtime.sub(MARK.format(kind="service-secret"), text)
        if "\n" in text:
            text = _KEY_BODY.sub(MARK.format(kind="private-key") + "\n", _PEM_BLOCK.sub(_PEM_MARK, text))
        rules = TRIGGERS.line(text)
        if not rules:
            return text
        for index, pattern in enumerate(PATTERNS):
            if index in rules:
                replaced = self._apply(pattern, text)
                if replaced != text:
                    # A replacement can make a later rule match (rare): look again.
                    text, rules = replaced, TRIGGERS.line(replaced)
        if _GENERIC_RULE in rules:
            text = _GENERIC.sub(self._generic, text)
        if _PASSWORD_RULE in rules:
            text = _PASSWORD.sub(self._password, text)
        if _PASSWORD_OPTION_RULE in rules:
            text = _PASSWORD_OPTION.sub(self._password, text)
        if _BASE64_RULE in rules:
            text = _BASE64_TOKEN.sub(self._encoded, text)
        if "%" in text:
            decoded = unquote(text)
            if decoded != text and self.redact(decoded) != decoded:
                text = self.redact(decoded)
        if _ESCAPE_RULE in rules:
            decoded = _unescaped(text)
            if decoded != text and self.redact(decoded) != decoded:
                text = self.redact(decoded)
        return text

    @staticmethod
    def _apply(pattern: SecretPattern, text: str) -> str:
        mark = pattern.mark
        if pattern.group == 0:
            return pattern.regex.sub(mark, text)

        def swap(m: re.Match[str]) -> str:
            start, end = m.span(pattern.group)
            if m.group(pattern.group).startswith("[REDACTED:"):
                return m.group(0)
            return m.group(0)[: start - m.start()] + mark + m.group(0)[end - m.start() :]

        return pattern.regex.sub(swap, text)

    @staticmethod
    def _generic(m: re.Match[str]) -> str:
        if not _looks_secret(m.group(3)):
            return m.group(0)
        return m.group(1) + m.group(2) + MARK.format(kind="generic-secret")

    @staticmethod
    def _password(m: re.Match[str]) -> str:
        value = m.group(3)
        if _PLACEHOLDER.match(value) or _CODE_VALUE.match(value) or _NOT_A_PASSWORD_KEY.search(m.group(1)):
            return m.group(0)
        return m.group(0)[: m.start(3) - m.start()] + MARK.format(kind="password")

    @staticmethod
    def _encoded(m: re.Match[str]) -> str:
        token = m.group(0)
        kind = _encoded_secret_kind(token)
        return token if kind is None else MARK.format(kind=f"{kind}-base64")

    def redact_lines(self, lines: Sequence[tuple[int, str]]) -> list[tuple[int, str]]:
        """Redact numbered lines, including PEM key bodies whose BEGIN or END is cut off."""
        lines = _encoded_runs([(lineno, strip_invisible(text)) for lineno, text in lines])
        self._refresh()
        joined = "\n".join(text for _, text in lines)
        if "PRIVATE KEY" not in joined:
            if (self._runtime is None or not self._runtime.search(joined)) and _nothing_to_redact(joined):
                if "\\" in joined:
                    return [(lineno, self.redact(text)) if "\\" in text else (lineno, text) for lineno, text in lines]
                if "%" not in joined:
                    return list(lines)
                # Percent-encoded text is decoded and looked at again, line by line ("50%" decodes
                # to itself: only a line with an escape like "%3D" can change).
                encoded = _PERCENT_ESCAPE.search
                return [
                    (lineno, self.redact(text)) if "%" in text and encoded(text) else (lineno, text)
                    for lineno, text in lines
                ]
            if self._runtime is None:
                # Most lines are plain ASCII no rule can match: one set match each, no more.
                clear = TRIGGERS.ascii_line_is_clear
                return [(lineno, text) if clear(text) else (lineno, self.redact(text)) for lineno, text in lines]
            return [(lineno, self.redact(text)) for lineno, text in lines]
        out: list[tuple[int, str]] = []
        in_key = False
        for index, (lineno, text) in enumerate(lines):
            if _PEM_BEGIN.search(text) and not _PEM_END.search(text):
                in_key = True
                out.append((lineno, self.redact(text)))
                continue
            if in_key or (_PEM_BODY.match(text) and self._key_ends_ahead(lines, index)):
                if _PEM_END.search(text):
                    in_key = False
                out.append((lineno, MARK.format(kind="private-key")))
                continue
            out.append((lineno, self.redact(text)))
        return out

    @staticmethod
    def _key_ends_ahead(lines: Sequence[tuple[int, str]], index: int) -> bool:
        for _, text in lines[index + 1 : index + 80]:
            if _PEM_END.search(text):
                return True
            if not _PEM_BODY.match(text):
                return False
        return False
