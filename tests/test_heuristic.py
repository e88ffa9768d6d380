from __future__ import annotations

import pytest

from chalicelib.classify import classify
from chalicelib.heuristic import analyze_offline
from tests.conftest import finding_for


@pytest.mark.parametrize(
    ("name", "root_cause_parts", "fix_parts"),
    [
        (
            "pytest-assertion.log",
            ["tests/test_api.py::test_login failed", "assert 500 == 200"],
            ["pytest 'tests/test_api.py::test_login'"],
        ),
        ("python-missing-module.log", ["`yaml`", "PyYAML"], ["Add `PyYAML` to `requirements.txt`"]),
        ("jest-failure.log", ["applies the discount code", "Expected: 90", "Received: 100"], ["npm test"]),
        ("typescript-compile.log", ["src/api/client.ts:27:9", "`string | undefined`", "`string`"], []),
        ("ruff-lint.log", ["F401", "inventory/models.py:14:1"], ["inventory/models.py:14:1"]),
        ("docker-build.log", ["RUN apt-get update", "exit code: 100"], ["docker build"]),
        ("oom-killed.log", ["ran out of memory", "python -m pytest tests/test_training.py -x"], ["memory limit"]),
        ("gitlab-timeout.log", ["npm run e2e", "took longer than"], ["timeout-minutes"]),
    ],
)
def test_examples_get_specific_root_causes(name: str, root_cause_parts: list[str], fix_parts: list[str]) -> None:
    finding = finding_for(name)
    for part in root_cause_parts:
        assert part in finding.root_cause
    for part in fix_parts:
        assert part in finding.suggested_fix
    assert finding.evidence and finding.summary


def test_missing_secret_names_the_variable() -> None:
    lines = [
        (10, "Run ./deploy.sh"),
        (11, "Error: environment variable DEPLOY_TOKEN is not set"),
        (12, "##[error]Process completed with exit code 1."),
    ]
    finding = analyze_offline(lines, classify(lines, [11]), [11], 10)
    assert "DEPLOY_TOKEN" in finding.summary and "secrets.DEPLOY_TOKEN" in finding.suggested_fix


def test_missing_secret_says_where_it_is_read() -> None:
    lines = [
        (20, "Traceback (most recent call last):"),
        (21, '  File "app/settings.py", line 12, in <module>'),
        (22, "    SECRET = os.environ['SESSION_SECRET']"),
        (23, "KeyError: 'SESSION_SECRET'"),
    ]
    finding = analyze_offline(lines, classify(lines, [23]), [23])
    assert "`SESSION_SECRET`" in finding.root_cause and "app/settings.py:12" in finding.root_cause
