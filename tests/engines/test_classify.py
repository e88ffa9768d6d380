from __future__ import annotations

import pytest

from chalicelib.engines.classify import CATEGORIES, classify
from chalicelib.excerpt.build import build_excerpt
from chalicelib.ingest.logsource import iter_bytes_blocks
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


def _pytest_failure(captured: list[str], first: int = 500) -> list[tuple[int, str]]:
    lines = [
        "___________________ test_install_from_github ___________________",
        "    def test_install_from_github(script):",
        ">       result = script.pip('install', URL)",
        "E       AssertionError: Script returned code: 1",
        "tests/lib/__init__.py:681: AssertionError",
        "----------------------------- Captured stdout call -----------------------------",
        *captured,
        "FAILED tests/functional/test_install.py::test_install_from_github - AssertionError: Script returned code: 1",
        "= 1 failed, 1080 passed, 3 rerun in 451.05s =",
    ]
    return list(enumerate(lines, first))


def test_a_test_failed_by_the_network_is_a_network_failure() -> None:
    # pytest-rerunfailures ran it three times: each run's captured output says why it failed.
    run = [
        "Script result: python -m pip install https://github.com/pypa/pip-test-package/archive/master.zip",
        "  return code: 1",
        "-- stderr: --------------------",
        "ERROR: Could not install packages due to an OSError: HTTPSConnectionPool(host='github.com', port=443): "
        "Max retries exceeded with url: /x.zip (Caused by ResponseError('too many 502 error responses'))",
        "----------------------------- Captured stdout call -----------------------------",
    ]
    lines = _pytest_failure(run * 3)
    result = classify(lines, [503])
    assert result.category == "network_or_flaky"
    assert any("HTTPSConnectionPool" in text for _, text in result.evidence)


def test_trouble_far_from_the_failing_test_does_not_explain_it() -> None:
    # An optional native module failed to build during install, loudly; the test failed later.
    install = [
        (n, f".../node_modules/fuse-native install: Error: spawn node-gyp EACCES ({n})") for n in range(212, 216)
    ]
    lines = install + _pytest_failure(["expected 3 items"], first=600)
    assert classify(lines, [603]).category == "test_assertion"


def test_a_passing_mention_of_the_network_does_not_outweigh_the_assertion() -> None:
    lines = _pytest_failure(["connecting to the mock server (Connection refused is expected here)"])
    assert classify(lines, [503]).category == "test_assertion"


def test_a_linter_named_in_a_path_is_not_a_lint_failure() -> None:
    lines = [(1, "  roots: /work/test, /work/packages/eslint-plugin-internal, /work/packages/next")]
    assert classify(lines).category != "lint"
    run = [(1, "$ npx eslint src/ --max-warnings 0"), (2, "✖ 3 problems (3 errors, 0 warnings)")]
    assert classify(run).category == "lint"
