from __future__ import annotations

import pytest

from chalicelib.classify import CATEGORIES, classify
from chalicelib.excerpt import build_excerpt
from chalicelib.logsource import iter_bytes_blocks
from tests.conftest import example, manifest


@pytest.mark.parametrize(("name", "meta"), sorted(manifest().items()))
def test_examples_get_their_category_with_evidence(name: str, meta: dict[str, str]) -> None:
    data = example(name)
    ex = build_excerpt(lambda: iter_bytes_blocks(data, name, 1 << 30))
    result = classify(ex.lines, ex.anchors)
    assert result.category == meta["category"]
    assert result.evidence and 0 < result.confidence <= 0.95
    raw = data.split(b"\n")
    assert all(raw[n - 1].decode().strip().endswith(t.strip()) for n, t in result.evidence)


@pytest.mark.parametrize(
    ("line", "category"),
    [
        ("src/a.ts(3,7): error TS2322: Type 'number' is not assignable to type 'string'.", "type_error"),
        (
            'pkg/x.py:12: error: Incompatible return value type (got "int", expected "str")  [return-value]',
            "type_error",
        ),
        ("app.py:3:1: F401 'os' imported but unused", "lint"),
        ("error[E0425]: cannot find value `x` in this scope", "compile"),
        ("npm ERR! code ERESOLVE", "dependency_install"),
        (
            'ERROR: failed to solve: process "/bin/sh -c make" did not complete successfully: exit code: 2',
            "docker_build",
        ),
        ("FATAL ERROR: Reached heap limit Allocation failed - JavaScript heap out of memory", "timeout_or_oom"),
        ("curl: (6) Could not resolve host: registry.npmjs.org", "network_or_flaky"),
        ("remote: Permission to acme/x.git denied to bot. fatal: ... 403 Forbidden", "permission_or_secret"),
        ("Invalid workflow file: .github/workflows/ci.yml#L12", "github_actions_config"),
        ("› 2 snapshots failed from 1 test suite.", "snapshot_diff"),
        ("System.IO.IOException: No space left on device", "infrastructure"),
        ("E       AssertionError: assert 1 == 2", "test_assertion"),
        ("nothing to see here", "unknown"),
    ],
)
def test_single_lines(line: str, category: str) -> None:
    assert classify([(1, line)], [1]).category == category


def test_unknown_has_low_confidence_and_all_categories_are_known() -> None:
    result = classify([], [])
    assert result.category == "unknown" and result.confidence < 0.5
    assert len(CATEGORIES) == 13


def test_a_timeout_setting_is_not_a_timeout() -> None:
    lines = [(1, "  TESTFLAGS: -v --parallel=6 --timeout=30m"), (2, "ERROR: failed to solve: process did not complete")]
    assert classify(lines).category != "timeout_or_oom"
    assert classify([(1, "Error: The operation timed out after 30m")]).category == "timeout_or_oom"
