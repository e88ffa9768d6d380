"""Turn one raw log line (bytes) into the text a person would have seen on a terminal."""

from __future__ import annotations

import re
from typing import Final

# A line's first 300 characters hold its message: the rest of a very long line (a command
# line, a data dump, a minified bundle) would crowd out the lines around it in a small budget.
MAX_LINE_CHARS: Final = 300

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
    text = text.rstrip()
    if len(text) > max_chars:
        cut = len(text) - max_chars
        text = f"{text[:max_chars]} …[{cut} more chars]"
    return text
