"""The triggers never skip a redaction rule that Python would match, on either engine."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from chalicelib.excerpt import automaton
from chalicelib.excerpt import redact as redact_module
from chalicelib.excerpt.redact import PATTERNS, Redactor
from chalicelib.excerpt.triggers import Triggers, ascii_safe, loosened, unicode_safe
from tests.support.canaries import SECRET_FRAGMENTS

ENGINES = ("hyperscan", "re2") if automaton.available() else ("re2",)
TRIGGERS = {engine: Triggers(redact_module._RULES, engine=engine) for engine in ENGINES}
_REGEXES = [*(p.regex for p in PATTERNS), redact_module._GENERIC, redact_module._BASE64_TOKEN]
_REGEXES.append(re.compile(redact_module._PERCENT))


@settings(max_examples=400, deadline=None)
@given(st.lists(st.sampled_from(SECRET_FRAGMENTS), max_size=14))
def test_the_triggers_miss_no_rule_on_any_text(parts: list[str]) -> None:
    # Skipping a rule the triggers do not report is only safe if they report every rule that matches.
    text = "".join(parts)
    line_matching = {i for line in text.split("\n") for i, regex in enumerate(_REGEXES) if regex.search(line)}
    for triggers in TRIGGERS.values():
        if "\n" not in text:
            assert line_matching <= triggers.line(text)
            assert line_matching <= frozenset(triggers.line_unicode.Match(text) or ())
        assert line_matching <= set(triggers.lines(text))
    # The RE2 engine's Unicode set also holds on ASCII text (it is only used on the other).
    text_sets = TRIGGERS["re2"].text_sets
    assert text_sets is not None and line_matching <= set(text_sets[1].Match(text) or ())


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize(
    "text",
    [
        "xapp-\u0663-AB12CD-\u0663-ab12cd",  # a Unicode digit is a \d to Python
        "aws_secret_access_key\u00a0=\u00a0" + "Ab1Cd2Ef3Gh4Ij5Kl6Mn7Op8Qr9St0Uv1Wx2Yz3a",  # no-break spaces
        "api_key\u2003:\u2003Zx9Yw8Vu7Ts6",
        "\u00e9token = Ab1Cd2Ef3Gh4",
        "pa\u017f\u017fword = Zx9Yw8Vu7Ts6",  # long s: Python's IGNORECASE takes it for an s
        "ap\u0131_key = Zx9Yw8Vu7Ts6",  # dotless i, for an i
        "CREDENT\u0130AL = Zx9Yw8Vu7Ts6",  # dotted capital I, for an i
        "DB_PASSWORD\x0b=\x0bZx9#kLm2$pQ7vR4t",  # \v and \x1c-\x1f are whitespace to Python
        "DB_PASSWORD\x1c=\x1fZx9#kLm2$pQ7vR4t",
    ],
)
def test_the_triggers_see_what_python_sees(engine: str, text: str) -> None:
    matching = {index for index, regex in enumerate(_REGEXES) if regex.search(text)}
    triggers = TRIGGERS[engine]
    assert matching and matching <= triggers.line(text)
    assert matching <= set(triggers.lines(f"harmless\n{text}\nharmless"))
    assert "[REDACTED:" in Redactor().redact(text)
    assert "[REDACTED:" in Redactor().redact_lines([(1, "harmless"), (2, text)])[1][1]


def test_loosening_drops_what_re2_lacks_and_widens_classes() -> None:
    assert loosened(r"(?<=_authToken=)[^\s]+(?!x)\w{36,255}") == r"_authToken=[^\s]+\w{24,}"
    assert ascii_safe(r"a\s*[\s:=]b") == r"a[\s\x0b\x1c-\x1f]*[\x0b\x1c-\x1f\s:=]b"
    assert unicode_safe(r"\bx\d") == r"x[\d\x{80}-\x{10ffff}]"


def test_an_unknown_or_missing_engine_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown trigger engine"):
        Triggers(["x"], engine="pcre")
    if not automaton.available():
        with pytest.raises(ValueError, match="not installed"):
            Triggers(["x"], engine="hyperscan")


def test_an_ascii_line_no_rule_can_match_is_clear() -> None:
    triggers = next(iter(TRIGGERS.values()))
    assert triggers.ascii_line_is_clear("   Compiling serde v1.0.130")
    assert not triggers.ascii_line_is_clear("token=Ab1Cd2Ef3Gh4Ij5")
    assert not triggers.ascii_line_is_clear("caf\u00e9")  # not ASCII: the full check decides
