"""Turn one raw log line (bytes) into the text a person would have seen on a terminal."""

from __future__ import annotations

import re
from typing import Final

# A line's first 300 characters hold its message: the rest of a very long line (a command
# line, a data dump, a minified bundle) would crowd out the lines around it in a small budget.
MAX_LINE_CHARS: Final = 300
# How much of a long line redaction sees before it is cut to MAX_LINE_CHARS: a secret that
# straddles the cut is found whole, and never shown in part.
REDACT_LINE_CHARS: Final = 8192
_CUT_NOTE: Final = re.compile(r" …\[(\d+) more chars\]$")
_MARK_START: Final = "[REDACTED:"

# ESC first, outside the alternatives: Python's engine then looks for it as a literal.
ANSI_ESCAPE: Final = (
    r"\x1b(?:"
    r"\[[0-?]*[ -/]*[@-~]"  # CSI: colours, cursor moves
    r"|\][^\x07\x1b]*(?:\x07|\x1b\\)?"  # OSC: titles, hyperlinks
    r"|[()*+][ -~]"  # character set designation: tput sgr0 writes "\x1b(B"
    r"|[@-Z\\-_=>])"  # two-byte escapes
)
_ANSI: Final = re.compile(ANSI_ESCAPE)
# Some downloads show ESC in caret notation: "^[[31m".
_CARET_ANSI: Final = re.compile(r"\^\[\[[0-?]*[ -/]*[@-~]|\^\[")
# Logs often lose the ESC byte but keep the rest of a colour code.
_ORPHAN_SGR: Final = re.compile(r"\[(?<![\w\]]\[)(?:\d{1,3}(?:;\d{1,3})*)?m(?:\[(?:\d{1,3}(?:;\d{1,3})*)?m)*")
GHA_TIMESTAMP: Final = r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?Z ?"
_GHA_TIMESTAMP: Final = re.compile(GHA_TIMESTAMP)
_GHA_GROUP: Final = re.compile(r"^##\[(?:group|endgroup)\]")
_TRAVIS_MARKER: Final = re.compile(r"travis_(?:fold|time):(?:start|end):[\w.:=,-]*")
_CR: Final = ord("\r")
_CONTROL: Final = re.compile(r"[\x00-\x08\x0a-\x1f\x7f]")
# Characters that render as nothing: zero-width spaces and joiners, the soft hyphen, bidi
# embeddings, overrides and isolates, word joiners and invisible operators, the byte-order mark,
# interlinear annotation marks and Unicode tag characters. Inside a token they defeat redaction's
# patterns; in an issue or an email they hide text (instructions to the next AI agent) from people.
INVISIBLE: Final = re.compile(
    "[\u00ad\u034f\u061c\u115f\u1160\u17b4\u17b5\u180b-\u180f\u200b-\u200f\u202a-\u202e"
    "\u2060-\u206f\u3164\ufe00-\ufe0f\ufeff\uffa0\ufff9-\ufffb\U000e0000-\U000e0fff]"
)


def strip_invisible(text: str) -> str:
    """``text`` without characters that render as nothing (see INVISIBLE)."""
    if text.isascii():
        return text
    return INVISIBLE.sub("", text)


# Where CI systems check out the repository: GitHub Actions (hosted, in a container, self-hosted),
# Travis CI (Linux, macOS, Windows), GitLab CI and CircleCI. A path under it is shown from the
# repository's root ("./src/app.py"): shorter, the same on every runner, and the path a fix edits.
# Each starts with "/" (a literal first character lets Python's engine skip to it); the
# look-behind after it keeps "https://host/home/runner/work/..." and "x/home/..." as they are.
_WORKSPACE: Final = re.compile(
    r"/(?<![\w.-]/)(?:"
    r"(?:home|Users)/(?:runner/work|travis/build)/[\w.-]+/[\w.-]+"
    r"|__w/[\w.-]+/[\w.-]+"
    r"|(?:[\w.-]+/){0,8}_work/[\w.-]+/[\w.-]+"
    r"|builds/[\w.-]+/[\w.-]+"
    r"|home/circleci/project"
    r")(?=/)"
)
_WINDOWS_WORKSPACE: Final = re.compile(r"(?<![\w.-])[A-Z]:\\(?:a|Users\\travis\\build)\\[\w.-]+\\[\w.-]+(?=\\)")


def last_carriage_state(raw: bytes) -> bytes:
    """Keep what a terminal would show after ``\\r`` redraws of a progress line."""
    raw = raw.rstrip(b"\r")
    if b"\r" not in raw:
        return raw
    for part in reversed(raw.split(b"\r")):
        # Travis writes "marker\r\x1b[0K" before the real text; skip segments that are only escapes.
        if _ANSI.sub("", part.decode("utf-8", "replace")).strip():
            return part
    return b""


def clean_line(raw: bytes, max_chars: int = MAX_LINE_CHARS) -> str:
    """Decode and clean a raw line: ANSI escapes, CI timestamps and fold markers removed.

    Never raises: invalid UTF-8 becomes U+FFFD, NUL and other control bytes are dropped, and
    a line longer than ``max_chars`` is cut with a note of how much was left out.
    """
    raw = raw.rstrip(b"\r")
    if _CR in raw:  # an int: a bytes needle costs a buffer-protocol call on each line
        raw = last_carriage_state(raw)
    text = raw.decode("utf-8", "replace").lstrip("\ufeff")
    if "\x1b" in text:
        text = _ANSI.sub("", text)
    if "^[" in text:
        text = _CARET_ANSI.sub("", text)
    if "m" in text and "[" in text:
        text = _ORPHAN_SGR.sub("", text)
    if text[:1].isdigit():
        text = _GHA_TIMESTAMP.sub("", text)
    if text.startswith("##["):
        text = _GHA_GROUP.sub("", text)
    if "travis_" in text:
        text = _TRAVIS_MARKER.sub("", text)
    # A few substring tests cost less than a search, and most lines hold no checkout path.
    if "/" in text and (
        "/work/" in text or "/build" in text or "/__w/" in text or "_work/" in text or "/project/" in text
    ):
        text = _WORKSPACE.sub(".", text)
    elif ":\\" in text:
        text = _WINDOWS_WORKSPACE.sub(".", text)
    if not text.isprintable():
        text = text.replace("\t", "    ")
        if not text.isprintable():  # most often it was only tabs
            text = _CONTROL.sub("", text)
    if not text.isascii():
        text = INVISIBLE.sub("", text)
    text = text.rstrip()
    if len(text) > max_chars:
        cut = len(text) - max_chars
        text = f"{text[:max_chars]} …[{cut} more chars]"
    return text


def was_cut(text: str) -> bool:
    """Whether clean_line cut ``text`` (it ends with the note of what was left out)."""
    return text.endswith(" more chars]") and _CUT_NOTE.search(text) is not None


def shorten(text: str, max_chars: int = MAX_LINE_CHARS) -> str:
    """Cut a cleaned (and redacted) line to ``max_chars``, counting what an earlier cut left out;
    a redaction mark is dropped whole rather than cut."""
    note = _CUT_NOTE.search(text)
    body, left_out = (text[: note.start()], int(note.group(1))) if note else (text, 0)
    if len(body) <= max_chars:
        return text
    keep = max_chars
    mark = body.rfind(_MARK_START, 0, keep + len(_MARK_START) - 1)
    shown = body[:keep]
    if -1 < mark < keep <= body.find("]", mark):
        # The cut would fall inside a mark ("[REDACTED:gi" reads as a leak): the mark goes whole.
        keep = mark
        shown = body[:keep].rstrip()
    return f"{shown} …[{len(body) - keep + left_out} more chars]"
