"""Pairs of runs: the same failure must share a fingerprint, a different one must not."""

from __future__ import annotations

from chalicelib.engines.fingerprint import fingerprint, normalize

SAME = [
    (
        "2026-11-20T09:14:02.1Z FAILED tests/test_api.py::test_login - assert 500 == 200 (0.31s)",
        "2026-11-21T17:40:59.9Z FAILED tests/test_api.py::test_login - assert 500 == 200 (1.02s)",
    ),
    (
        "tmp dir /tmp/pytest-of-runner/pytest-12/test_x0/data.json missing",
        "tmp dir /tmp/pytest-of-runner/pytest-873/test_x0/data.json missing",
    ),
    ("object at 0x7fe6b7c1fa90 failed", "object at 0x7f00aa11bb22 failed"),
    ("Tests: 1 failed, 86 passed, 87 total", "Tests: 1 failed, 91 passed, 92 total"),
    ("run 9182736401 attempt 2 failed", "run 9182736999 attempt 3 failed"),
    ("build abc1234def567 failed at src/a.ts:27:9", "build 0ff1ce0ff1ce9 failed at src/a.ts:29:9"),
    ("Killed after 3600 s, pid 2231", "Killed after 3612 s, pid 4410"),
    # A link checker's line reference moves when lines above the link are added.
    ("06. [L1622] 404 https://example.com/gone", "06. [L1623] 404 https://example.com/gone"),
    ("see README.md#L12 for 404 https://example.com/gone", "see README.md#L15 for 404 https://example.com/gone"),
    (
        "request id 123e4567-e89b-12d3-a456-426614174000 timed out after 30s",
        "request id 00000000-1111-2222-3333-444444444444 timed out after 45s",
    ),
]
DIFFERENT = [
    (
        "FAILED tests/test_api.py::test_login - assert 500 == 200",
        "FAILED tests/test_api.py::test_logout - assert 500 == 200",
    ),
    ("ModuleNotFoundError: No module named 'yaml'", "ModuleNotFoundError: No module named 'requests'"),
    ("error TS2322: Type 'string' is not assignable", "error TS2345: Argument of type 'number' is not assignable"),
    # Identifiers survive: a numbered case is not a count.
    ("Error: case 5 failed", "Error: case 7 failed"),
    ("test_total[eur-2] failed", "test_total[usd-3] failed"),
    ("06. [L1622] 404 https://example.com/gone", "06. [L1622] 404 https://example.com/moved"),
]


def test_run_specific_details_are_normalized_away() -> None:
    for a, b in SAME:
        assert normalize(a) == normalize(b), (a, b)
        assert fingerprint("test_assertion", [a]) == fingerprint("test_assertion", [b])


def test_different_failures_differ() -> None:
    for a, b in DIFFERENT:
        assert fingerprint("test_assertion", [a]) != fingerprint("test_assertion", [b])


def test_category_and_repository_are_part_of_the_identity() -> None:
    line = ["boom"]
    assert fingerprint("lint", line) != fingerprint("compile", line)
    assert fingerprint("lint", line, "a/b") != fingerprint("lint", line, "a/c")
    assert len(fingerprint("lint", line)) == 16
