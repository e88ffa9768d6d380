"""What one log line says: a score from the failure and noise patterns it matches.

The excerpt (chalicelib.excerpt.build) adds where the line stands; this module only reads its text.
"""

from __future__ import annotations

import re
from typing import Final

import re2

from chalicelib.excerpt.cleaning import ANSI_ESCAPE, GHA_TIMESTAMP, last_carriage_state
from chalicelib.excerpt.re2spans import matcher, spans

DIGITS: Final = b"0123456789"
# Bytes looked for in a line, as ints: ``int in bytes`` is a memchr, while a bytes needle goes
# through the buffer protocol first (some ten times slower, and these run for every new line).
_TAB: Final = ord("\t")
_LF: Final = ord("\n")
_FORM_FEED: Final = ord("\f")
_VERTICAL_TAB: Final = ord("\v")
_CR: Final = ord("\r")
_ESC: Final = ord("\x1b")
_DOT: Final = ord(".")
_SLASH: Final = ord("/")
_BACKSLASH: Final = ord("\\")
_CARET: Final = ord("^")
# Terminal escapes, as clean_line removes them: "\x1b[?1h\x1b=" before a line's text would hide
# where the text starts.
_SGR_BYTES: Final = re.compile(ANSI_ESCAPE.encode())
_GHA_TIMESTAMP_BYTES: Final = re.compile(GHA_TIMESTAMP.encode())
_CARET_SGR_BYTES: Final = re.compile(rb"\^\[\[[0-9;?]*[A-Za-z]")  # "^[[31m": ESC in caret notation

# (pattern, weight): the best matching strong pattern sets a line's score, the worst noise
# pattern lowers it. Matched together in one pass through an RE2 set.
_STRONG: Final = (
    (r"Traceback \(most recent call last\)|^E {2,}\S|\b\w*(?:Error|Exception):(?: |$)", 10),
    (r"(?i)assert(?:ion)?(?:error| failed)|panicked at|failed asserting|<<< (?:FAILURE|ERROR)!", 10),
    # The sanitizers of clang and gcc: "==4242==ERROR: AddressSanitizer: heap-use-after-free",
    # UBSan's "x.c:3:5: runtime error: signed integer overflow", "SUMMARY: ThreadSanitizer: data race".
    (r"==\d+==\s*ERROR: \w+Sanitizer|\bSUMMARY: \w+Sanitizer|\bruntime error: ", 10),
    (r"^\s*(?:---\s*)?(?:FAIL|FAILED|FAILURE|ERROR)\b|\bFAIL(?:ED)?\b|^\s*\d+\) |^\s*[✖✗×❌✘] |[✖✗❌✘] |^\s*\[-\] ", 9),
    (r"^\s*stack traceback:", 9),  # Lua's, below the error it traces
    (r"(?i)\berror(?:\[\w+\])?:|\berror\b[^:]*:|\bERR!|^\s*!!|\bfatal\b|not ok \d", 8),
    (
        r"(?i)cannot find|can't find|could ?not (?:find|resolve|load|open|connect|compile)|no such file|\bfailed to\b"
        r"|command not found|not found|modulenotfound|importerror|unable to|does ?n[o']t exist"
        r"|no tests? (?:found|ran|were found|to run|executed)|exiting with (?:code|status) [1-9]",
        8,
    ),
    (r"(?i)\bkilled\b|out of memory|timed out|timeout|segmentation fault|core dumped|exceeded", 8),
    (
        r"(?i)expected.*(?:but|got|to (?:be|equal)|actual|received)|^\s*(?:expected|actual|received)(?: \w+)?\s*:"
        r"|^\s*[-+] (?:expected|received)\b"
        r"|but (?:was|got)\b|mismatch|differ",
        7,
    ),
    (
        r"(?i)\b(?:exception|aborted|undefined|denied|forbidden|unauthorized|refused|conflict|invalid"
        r"|unexpected|missing|violation|problem|unresolved|not installed|not permitted)\b",
        5,
    ),
)
# "Failures: 0" says nothing failed, unless the same line counts another kind that did
# ("Failures: 1, Errors: 0"): the zero-count penalty holds only without a nonzero count.
_ZERO_COUNT: Final = r"(?i)\b0 (?:errors?|failures?|failed|failing)\b|(?:errors?|failures?|failed)\W{1,3}0\b"
_NONZERO_COUNT: Final = (
    r"(?i)\b[1-9]\d* (?:errors?|failures?|failed|failing)\b|\b(?:errors?|failures?|failed)\s*[:=]\s*[1-9]"
)
_ZERO_PENALTY: Final = -9
# TAP's "not ok 3 - name" says a test failed, though " ok 3" reads like one that passed.
_TAP_FAILURE: Final = r"(?i)\bnot ok\b"
# A command that failed ("error Command failed with exit code 1.", "returned non-zero exit
# status 2"): inside a longer step, the lines just above it say why (see chalicelib.excerpt.planning).
_COMMAND_FAILED: Final = (
    r"(?i)command failed|returned (?:a )?non-?zero|exit(?:ed)? with (?:code |status )?[1-9]"
    r"|exit (?:code|status):? [1-9]"
)
_NOISE: Final = (
    # A check that passed or was skipped, whatever words its name contains.
    (
        r"(?i)^\s*(?:[✓✔√]|ok\b|pass(?:ed)?\b)|\.\.\.? ?(?:ok|passed|skipped)\b|\s(?:ok|PASS(?:ED)?)\s*(?:\(|\[|\d|$)"
        r"|\bskipped\b|\bSKIP(?:PED)?\b",
        8,
    ),
    (r"(?i)-W(?:no-)?error|--fail|allow(?:ed)?[_ ]fail|ignor(?:e|ed|ing)\b|deprecat", 6),
    # Failures that were expected: pytest and php's XFAIL, "known failure"
    (r"(?i)\bx-?fail(?:ed|s)?\b|expected(?:ly)? fail|known (?:failure|issue)|\bTODO\b.*\bnot ok\b", 9),
    # A field named error in a data dump, not an error: "error = { function: 0x14bb }", "error: null"
    (r"""(?i)\berrors?["']?\s*[=:]\s*(?:[{\[(]|(?:nil|null|none|false|undefined|0|\[\]|\{\})\s*[,;}\])]?\s*$)""", 7),
    # A setting, not an event: --timeout=30m, timeout: 600, http_timeout: 30, an environment
    # variable and its one-word value as a job's header or `env` lists it
    # ("SEGMENT_DOWNLOAD_TIMEOUT_MINS: 1", "X_KILLED=0"; not "FATAL_ERROR: out of memory").
    (
        r"(?i)-[\w-]*timeout[\w-]*[= ]|[\w-]*timeout[\w-]*\s*[:=]\s*\d"
        r"|(?-i:^\s*(?:export |setenv )?[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+\s*[:=]\s*\S*\s*$)",
        8,
    ),
    # Consequences and summaries: they say that something failed, the line before says what.
    (
        r"(?i)npm ERR!|see above|previous (?:exit code|error)|(?:tests?|build|suite)s? (?:build )?failed\b|"
        r"one or more (?:tests|errors)|failed test summary|\btotal time\b|"
        r"command failed|build failure|returned (?:a )?non-?zero|error: process completed|test result: failed|"
        r"^\s*(?:\*\*|##\[error\]|error:?)?\s*(?:tests? )?failed\.?\s*$|failing tests?:|\d+ (?:tests? )?failed,|"
        r"compilation failed\s*$|errors? occurred|there (?:was|were) \d+ failures?|finished with errors?"
        r"|^(?:ERROR|Error):? \".*\" exited with|^Result: FAIL|^FAIL\s*$|^\s*FAILED\s*$",
        9,
    ),
    (r"(?i)^\s*(?:npm )?warn(?:ing)?\b|^\s*\[?warn(?:ing)?\]?\b|\bwarning:", 5),
    (
        r"(?i)^\s*(?:Downloading|Downloaded|Installing|Collecting|Requirement already|Using cached|Fetching"
        r"|Resolving|Get:\d|Preparing|Unpacking|Setting up|Selecting previously|Compiling|Building"
        r"|Processing|Receiving|Cloning|Checking out|remote:|\[command\])",
        5,
    ),
    (r"(?i)\b(?:CC|CXX|gcc|g\+\+|clang|cc|javac|LD)\b.*\.(?:c|cc|cpp|o)\b", 4),
)


def _compile_set() -> tuple[re2.Set, list[int]]:
    """One RE2 set for both lists: positive weights raise a line, negative ones lower it."""
    options = re2.Options()
    # The bounded repeats (".{0,80}") of 15 patterns need more automaton states than RE2's
    # default 8 MB holds; with too little, it rebuilds its cache over and over (2x slower).
    options.max_mem = 32 << 20
    signal_set = re2.Set.SearchSet(options)
    weights: list[int] = []
    for patterns, sign in ((_STRONG, 1), (_NOISE, -1)):
        for pattern, weight in patterns:
            signal_set.Add(pattern)
            weights.append(sign * weight)
    for pattern in (_ZERO_COUNT, _NONZERO_COUNT, _TAP_FAILURE, _COMMAND_FAILED):  # weighed in line_signals
        signal_set.Add(pattern)
        weights.append(0)
    signal_set.Compile()
    return signal_set, weights


_SIGNALS, _WEIGHTS = _compile_set()
_MATCH_SIGNALS: Final = _SIGNALS._set.Match
# The four patterns weighed in line_signals, last in the set.
_ZERO: Final = len(_WEIGHTS) - 4
_NONZERO: Final = _ZERO + 1
_NOT_OK: Final = _ZERO + 2
_COMMAND: Final = _ZERO + 3
_PASSED: Final = len(_STRONG)  # the first noise pattern


def line_score(text: bytes, base: int) -> int:
    """The line's strongest signal weight (at least ``base``) less its worst noise weight."""
    return line_signals(text, base)[0]


def line_signals(text: bytes, base: int) -> tuple[int, bool]:
    """line_score, and whether the line says that a command failed."""
    score, penalty = base, 0
    # The set's own matcher takes UTF-8 bytes as they are (the wrapper would want str).
    found = _MATCH_SIGNALS(text) or ()
    for index in found:
        if index == _PASSED and _NOT_OK in found:
            continue
        weight = _WEIGHTS[index]
        if weight > score:
            score = weight
        elif weight < penalty:
            penalty = weight
    if _ZERO in found and _NONZERO not in found:
        penalty = min(penalty, _ZERO_PENALTY)
    # A check that passed says nothing failed: "returns non-zero exit code: 49 ms OK" is a test's name.
    return score + penalty, _COMMAND in found and (_PASSED not in found or _NOT_OK in found)


def scoring_form(raw: bytes) -> bytes:
    """Enough cleaning to score a line; the lines shown get the full clean_line."""
    raw = raw.rstrip(b"\r")
    if _CR in raw:
        raw = last_carriage_state(raw)
    if _ESC in raw:
        raw = _SGR_BYTES.sub(b"", raw)
    if _CARET in raw and b"^[" in raw:
        raw = _CARET_SGR_BYTES.sub(b"", raw)
    if raw[:1].isdigit():
        # GitHub Actions' timestamp would keep the patterns that read a line's start from it.
        raw = _GHA_TIMESTAMP_BYTES.sub(b"", raw, count=1)
    return raw


def line_key(raw: bytes) -> bytes:
    """A line without what varies between runs (digits: counters, times, ids)."""
    return scoring_form(raw).translate(None, DIGITS).strip()


# A message said again about another file or test ("<path> failed due to ...") is a repeat too.
# Words are runs of non-space bytes, the space class written out: RE2's \s lacks the vertical tab
# that Python's has, and the two engines should read a word alike.
NAMED_PATTERN: Final = rb"[^\s\x0b]*[/\\][^\s\x0b]*|[^\s\x0b]*\w\.\w[^\s\x0b]*"
_NAMED: Final = matcher(NAMED_PATTERN)
# \w as both engines read it in bytes: ASCII only.
_WORD_CHAR: Final = bytes([1 if chr(b).isascii() and (chr(b).isalnum() or b == 0x5F) else 0 for b in range(256)])


def repeat_form(key: bytes) -> bytes:
    """``key`` with each word that holds a path or a dotted name (a.py, x/y) as ``*``.

    A word is a run of bytes between spaces (``\\s`` and the vertical tab), as in _NAMED; a key
    of words parted by single spaces, the common case, is read word by word without a regex.
    """
    if _SLASH not in key and _BACKSLASH not in key and _DOT not in key:
        return key  # nothing to hide
    if _TAB in key or _FORM_FEED in key or _CR in key or _LF in key or _VERTICAL_TAB in key:
        return _named_as_stars(key)
    words = key.split(b" ")
    named = False
    for index, word in enumerate(words):
        if _SLASH in word or _BACKSLASH in word or (_DOT in word and _dotted(word)):
            words[index] = b"*"
            named = True
    return b" ".join(words) if named else key


def _dotted(word: bytes) -> bool:
    """Whether ``word`` holds a word character, a dot and a word character (``\\w\\.\\w``)."""
    dot = word.find(_DOT, 1)
    while 0 < dot < len(word) - 1:
        if _WORD_CHAR[word[dot - 1]] and _WORD_CHAR[word[dot + 1]]:
            return True
        dot = word.find(_DOT, dot + 1)
    return False


def _named_as_stars(key: bytes) -> bytes:
    """repeat_form through _NAMED itself.

    RE2 rather than ``re``: the leading ``\\S*`` makes Python's engine backtrack on long words
    (see chalicelib.excerpt.re2spans).
    """
    parts: list[bytes] = []
    pos = 0
    for start, end in spans(_NAMED, key):
        parts += (key[pos:start], b"*")
        pos = end
    if not parts:
        return key
    parts.append(key[pos:])
    return b"".join(parts)
