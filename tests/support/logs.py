"""Logs and excerpts the tests of several stages share."""

from __future__ import annotations

from chalicelib.excerpt.build import Excerpt, build_excerpt
from chalicelib.excerpt.redact import Redactor
from chalicelib.ingest.logsource import iter_bytes_blocks


def red_and_green() -> tuple[bytes, bytes]:
    """A failing log and a green one of the same job: the red one's red herrings are in both."""
    herrings = b"".join(
        b"Error: optional plugin %s could not be loaded, using the fallback\n" % name
        for name in (b"alpha", b"beta", b"gamma", b"delta", b"epsilon")
    )
    filler = b"".join(b"collected item %d\n" % i for i in range(500))
    green = b"##[group]Run pytest\n" + filler + herrings + b"1200 passed in 30.1s\n"
    red = (
        b"##[group]Run pytest\n"
        + b"totals mismatch: 90 != 100\n"
        + filler
        + herrings
        + b"##[error]Process completed with exit code 1.\n"
    )
    return red, green


def excerpt_of(data: bytes, budget: int = 8000, redactor: Redactor | None = None) -> Excerpt:
    """The excerpt of ``data`` as the pipeline makes it."""
    return build_excerpt(lambda: iter_bytes_blocks(data, "log", 1 << 40), budget, redactor)


def blocks_of(data: bytes, size: int) -> list[bytes]:
    """``data`` in blocks of ``size`` bytes, as a stream delivers it."""
    return [data[i : i + size] for i in range(0, len(data), size)] or [b""]


LOG = (
    b"$ npm ci\n"
    b"added 12 packages\n"
    b"src/a.ts:3:7 - error TS2322: nope\n"
    b"all fine here\n"
    b"Error: something broke\n"
    b'The command "npm test" exited with 1.\n'
    b"trailing line without newline"
)
