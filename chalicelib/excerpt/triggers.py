"""Which redaction rules can match a text: a looser, faster check that runs before the rules.

Each rule is a Python regex. Here it is loosened into a form RE2 and Hyperscan run, matching
at least what Python matches (lookarounds dropped, counted repeats unbounded, classes widened
to what Python's Unicode-aware classes take); the redactor then runs only the rules a text
may match. A looser trigger only costs time; a tighter one would let a secret through, so
property tests compare the triggers with Python on every rule.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection, Sequence

import re2

from chalicelib.excerpt import automaton

# What Python's \s takes in ASCII text beyond RE2's [\t\n\f\r ]: str.isspace() says \v and \x1c-\x1f.
_MORE_SPACE = "\\x0b\\x1c-\\x1f"
_NON_ASCII = "\\x{80}-\\x{10ffff}"
# The only non-ASCII characters Python's case-insensitive matching takes for an ASCII letter
# (RE2 folds none of them, Hyperscan the last two): the triggers see them as that letter.
_ASCII_FOLDS = {"\u0130": "i", "\u0131": "i", "\u017f": "s", "\u212a": "k"}
_NO_RULES: frozenset[int] = frozenset()


def loosened(pattern: str) -> str:
    """A rule as RE2 can run it, matching at least what the rule matches (in ASCII text).

    Lookarounds, which RE2 lacks, are dropped (a lookbehind kept as its literal); counted
    repeats are cut to at most 24 with no upper bound: long ones multiply the automaton's
    states across 25 rules, and RE2's cache thrashes (10x slower).
    """
    pattern = re.sub(r"\(\?<=([^()]*)\)", lambda m: m.group(1), pattern)
    pattern = re.sub(r"\(\?!([^()]*)\)", "", pattern)
    return re.sub(r"\{(\d+)(?:,\d*)?\}", lambda m: f"{{{min(int(m.group(1)), 24)},}}", pattern)


def _widened(pattern: str, extra: dict[str, str], drop_boundaries: bool = False) -> str:
    """``pattern`` with each \\s, \\w or \\d, alone or in a class, also taking ``extra[escape]``.

    RE2's and Hyperscan's classes are ASCII-only and Python's are not. Negated classes need
    nothing: [^\\s] already takes what \\s lacks. Without ``drop_boundaries``, \\b stays
    (right for ASCII text only).
    """
    out: list[str] = []
    i, size = 0, len(pattern)
    while i < size:
        char = pattern[i]
        if char == "\\" and i + 1 < size:
            escape = pattern[i + 1]
            if escape == "b" and drop_boundaries:
                pass
            elif escape in extra:
                out.append(f"[\\{escape}{extra[escape]}]")
            else:
                out.append(pattern[i : i + 2])
            i += 2
        elif char == "[":
            end = i + 1
            negated = end < size and pattern[end] == "^"
            end += 1 if negated else 0
            end += 1 if end < size and pattern[end] == "]" else 0
            while end < size and pattern[end] != "]":
                end += 2 if pattern[end] == "\\" else 1
            body = pattern[i + 1 : end]
            if not negated:
                # First, so that a trailing "-" stays a literal.
                body = "".join(more for escape, more in extra.items() if "\\" + escape in body) + body
            out.append("[" + body + "]")
            i = end + 1
        else:
            out.append(char)
            i += 1
    return "".join(out)


def ascii_safe(pattern: str) -> str:
    """The loosened rule for ASCII text."""
    return _widened(loosened(pattern), {"s": _MORE_SPACE})


def unicode_safe(pattern: str) -> str:
    """The loosened rule for any text (read as UTF-8): \\s, \\w and \\d also take any non-ASCII character; no \\b."""
    more = {"s": _MORE_SPACE + _NON_ASCII, "w": _NON_ASCII, "d": _NON_ASCII}
    return _widened(loosened(pattern), more, drop_boundaries=True)


def folded(text: str) -> str:
    """``text`` with the non-ASCII letters Python's IGNORECASE reads as ASCII ones replaced by them."""
    # Four substring searches: str.translate would look up every character in Python.
    for char, letter in _ASCII_FOLDS.items():
        if char in text:
            text = text.replace(char, letter)
    return text


def _set(patterns: Sequence[str]) -> re2.Set:
    matcher = re2.Set.SearchSet(re2.Options())
    for pattern in patterns:
        matcher.Add(pattern)
    matcher.Compile()
    return matcher


def _matcher(matcher: re2.Set) -> Callable[[bytes], Collection[int]]:
    match = matcher._set.Match
    return lambda data: match(data) or ()


class Triggers:
    """Which of ``rules`` (Python regex sources; results are their indices) can match a text.

    ``engine`` is "hyperscan" or "re2" for texts of many lines (default: Hyperscan where it is
    installed, whose automaton is built in advance; RE2 builds its states on the text it meets).
    Single lines always use RE2 sets. Raises ValueError for an engine this machine lacks.
    """

    def __init__(self, rules: Sequence[str], engine: str | None = None) -> None:
        self.engine = engine or ("hyperscan" if automaton.available() else "re2")
        if self.engine not in ("hyperscan", "re2"):
            raise ValueError(f"unknown trigger engine {self.engine!r}")
        if self.engine == "hyperscan" and not automaton.available():
            raise ValueError("Hyperscan is not installed on this machine")
        ascii_rules = [ascii_safe(rule) for rule in rules]
        unicode_rules = [unicode_safe(rule) for rule in rules]
        self.line_ascii, self.line_unicode = _set(ascii_rules), _set(unicode_rules)
        self._match_line_ascii, self._match_line_unicode = self.line_ascii._set.Match, self.line_unicode._set.Match
        # For texts of many lines, one matcher for ASCII text and one for any other.
        self._text_matchers: tuple[Callable[[bytes], Collection[int]], Callable[[bytes], Collection[int]]]
        self.text_sets: tuple[re2.Set, re2.Set] | None = None
        if self.engine == "re2":
            # ^ and $ at every line, so that lines joined by newlines give at least what each line gives.
            self.text_sets = (_set(["(?m)" + r for r in ascii_rules]), _set(["(?m)" + r for r in unicode_rules]))
            self._text_matchers = (_matcher(self.text_sets[0]), _matcher(self.text_sets[1]))
        else:
            flags = automaton.MULTILINE | automaton.SINGLEMATCH
            ids = list(range(len(rules)))
            ascii_db = automaton.Database([rule.encode() for rule in ascii_rules], ids, [flags] * len(ids))
            unicode_db = automaton.Database(
                [rule.encode() for rule in unicode_rules], ids, [flags | automaton.UTF8] * len(ids)
            )
            self._text_matchers = (ascii_db.matching_ids, unicode_db.matching_ids)

    def line(self, text: str) -> frozenset[int]:
        """Indices of the rules that can match the line ``text``."""
        # The sets' own matchers, on bytes: the wrapper's per-call conversions cost more than a match.
        if text.isascii():
            found = self._match_line_ascii(text.encode())
        else:
            found = self._match_line_unicode(folded(text).encode())
        return frozenset(found) if found else _NO_RULES

    def ascii_line_is_clear(self, text: str) -> bool:
        """True when ``text`` is ASCII and no rule can match it (the common case, made cheap)."""
        return text.isascii() and not self._match_line_ascii(text.encode())

    def lines(self, text: str) -> Collection[int]:
        """Indices of the rules that can match some line of ``text`` (lines joined by newlines)."""
        ascii = text.isascii()
        data = text.encode() if ascii else folded(text).encode()
        return self._text_matchers[0 if ascii else 1](data)
