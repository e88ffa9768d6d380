"""Hyperscan databases: compiled once, on first use, with a scratch space for each thread.

Hyperscan builds its whole automaton when it compiles, so a scan never pays for new states
(RE2 builds them lazily, on the text it meets: most of its cost on varied log text). It has
wheels for x86-64 only; callers keep an RE2 path for other machines (see ``available``).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from typing import Any

hyperscan: Any
try:
    import hyperscan
except ImportError:  # pragma: no cover - depends on the platform
    hyperscan = None

MULTILINE = hyperscan.HS_FLAG_MULTILINE if hyperscan is not None else 0
CASELESS = hyperscan.HS_FLAG_CASELESS if hyperscan is not None else 0
SINGLEMATCH = hyperscan.HS_FLAG_SINGLEMATCH if hyperscan is not None else 0
UTF8 = hyperscan.HS_FLAG_UTF8 if hyperscan is not None else 0  # the data must be valid UTF-8

# (expression id, start, end, flags, context): what a scan calls for each match.
MatchHandler = Callable[[int, int, int, int, Any], Any]


def available() -> bool:
    """Whether this machine has Hyperscan."""
    return hyperscan is not None


class Database:
    """A block-mode database of ``expressions``; each match reports its expression's id.

    Compiled on the first scan, not at import. Raises RuntimeError when Hyperscan is missing,
    and hyperscan.error when an expression does not compile.
    """

    def __init__(self, expressions: Sequence[bytes], ids: Sequence[int], flags: Sequence[int]) -> None:
        if hyperscan is None:
            raise RuntimeError("Hyperscan is not installed on this machine")
        self._spec = (list(expressions), list(ids), list(flags))
        self._database: Any = None
        self._lock = threading.Lock()
        self._local = threading.local()

    def _compiled(self) -> Any:
        if self._database is None:
            with self._lock:
                if self._database is None:
                    expressions, ids, flags = self._spec
                    database = hyperscan.Database(mode=hyperscan.HS_MODE_BLOCK)
                    database.compile(expressions=expressions, ids=ids, elements=len(expressions), flags=flags)
                    self._database = database
        return self._database

    def scan(self, data: bytes, on_match: MatchHandler, context: Any) -> None:
        """Call ``on_match`` for each match in ``data``, in order of the matches' ends."""
        database = self._compiled()
        # A scratch space may not be shared by two scans at once: one for each thread.
        scratch = getattr(self._local, "scratch", None)
        if scratch is None:
            scratch = self._local.scratch = hyperscan.Scratch(database)
        database.scan(data, match_event_handler=on_match, context=context, scratch=scratch)

    def matching_ids(self, data: bytes) -> set[int]:
        """The ids of the expressions that match somewhere in ``data``."""
        found: set[int] = set()
        self.scan(data, _add_id, found)
        return found


def _add_id(expression: int, _start: int, _end: int, _flags: int, found: set[int]) -> None:
    found.add(expression)
