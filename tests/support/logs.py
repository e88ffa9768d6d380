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


# A GitHub Actions job whose lint step is allowed to fail (continue-on-error) and whose test
# step fails it; the jobs API and the webhook give the failing step's times as below.
ALLOWED_THEN_FAILED = (
    b"2026-09-26T10:00:00.1000000Z ##[group]Run make lint\n"  # 1
    b"2026-09-26T10:00:00.2000000Z make lint\n"
    b"2026-09-26T10:00:01.0000000Z src/app/cart.py:3:1: E302 expected 2 blank lines, found 1\n"  # 3
    b"2026-09-26T10:00:01.5000000Z ##[error]Process completed with exit code 1.\n"  # 4
    b"2026-09-26T10:00:03.1000000Z ##[group]Run make test\n"  # 5
    b"2026-09-26T10:00:03.2000000Z make test\n"
    b"2026-09-26T10:00:09.0000000Z FAILED tests/test_cart.py::test_total - AssertionError: assert 3 == 4\n"  # 7
    b"2026-09-26T10:00:09.5000000Z ##[error]Process completed with exit code 2.\n"  # 8
)
TEST_STEP_TIMES = "2026-09-26T10:00:03Z/2026-09-26T10:00:10Z"
