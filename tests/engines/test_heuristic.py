"""The offline engine end to end on the bundled examples: the answer a person reads."""

from __future__ import annotations

import pytest

from chalicelib.engines.heuristic import analyze_offline, step_name
from chalicelib.textlint import lint_text
from tests.conftest import finding_for, manifest


@pytest.mark.parametrize(
    ("name", "summary", "root_cause", "fix_parts"),
    [
        (
            "pytest-assertion.log",
            "Test tests/test_api.py::test_login failed",
            "tests/test_api.py::test_login failed: assert 500 == 200",
            ["`pytest -q --maxfail=5`"],
        ),
        (
            "python-missing-module.log",
            "Missing Python module yaml",
            "Python cannot import `yaml`: the distribution `PyYAML` is not installed in the CI environment "
            "(ModuleNotFoundError: No module named 'yaml').",
            ["Add `PyYAML` to `requirements.txt`"],
        ),
        (
            "jest-failure.log",
            'Test "Cart › applies the discount code to the total" failed',
            '"Cart › applies the discount code to the total" failed: expect(received).toBe(expected) '
            "// Object.is equality (Expected: 90, Received: 100)",
            ["`npm test -- --ci`"],
        ),
        (
            "typescript-compile.log",
            "Type error at src/api/client.ts:27:9",
            "Type check failed at src/api/client.ts:27:9: `string | undefined` is used where `string` is required "
            "(Type 'string | undefined' is not assignable to type 'string'.).",
            ["src/api/client.ts:27:9"],
        ),
        (
            "ruff-lint.log",
            "Check failed at inventory/models.py:14:1",
            "The check reports F401 at inventory/models.py:14:1: `datetime.timezone` imported but unused",
            ["Fix inventory/models.py:14:1"],
        ),
        (
            "docker-build.log",
            "Docker build failed at RUN apt-get update && apt-get install -y --no-install-recommends libpq-dev gcc",
            "The image build failed at "
            "`RUN apt-get update && apt-get install -y --no-install-recommends libpq-dev gcc`: "
            'process "/bin/sh -c apt-get update && apt-get install -y --no-install-recommends libpq-dev gcc" did not '
            "complete successfully: exit code: 100",
            ["docker build"],
        ),
        (
            "oom-killed.log",
            "Out of memory in python -m pytest tests/test_training.py -x",
            "`python -m pytest tests/test_training.py -x` ran out of memory and was killed: "
            "2231 Killed python -m pytest tests/test_training.py -x",
            ["more memory"],
        ),
        (
            "gitlab-timeout.log",
            "Timeout in npm run e2e",
            "`npm run e2e` exceeded its time limit: Job failed: execution took longer than 1h0m0s seconds",
            ["time limit"],
        ),
    ],
)
def test_examples_get_specific_root_causes(name: str, summary: str, root_cause: str, fix_parts: list[str]) -> None:
    finding = finding_for(name)
    assert (finding.category, finding.summary, finding.root_cause) == (
        manifest()[name]["category"],
        summary,
        root_cause,
    )
    for part in fix_parts:
        assert part in finding.suggested_fix
    assert finding.evidence


@pytest.mark.parametrize("name", sorted(manifest()))
def test_every_example_answer_reads_as_a_person_would_write_it(name: str) -> None:
    finding = finding_for(name)
    for text in (finding.summary, finding.root_cause, finding.suggested_fix):
        assert list(lint_text(text)) == [], text


def test_the_missing_python_module_has_a_deterministic_fix_plan() -> None:
    assert finding_for("python-missing-module.log").fix_plan == {
        "kind": "append_line",
        "path": "requirements.txt",
        "line": "PyYAML",
        "command": "pip install PyYAML",
    }


def test_missing_secret_names_the_variable() -> None:
    lines = [
        (10, "Run ./deploy.sh"),
        (11, "Error: environment variable DEPLOY_TOKEN is not set"),
        (12, "##[error]Process completed with exit code 1."),
    ]
    finding = analyze_offline(lines, [11], 10, [12])
    assert finding.category == "permission_or_secret"
    assert finding.summary == "Missing secret or variable DEPLOY_TOKEN"
    assert "`env: DEPLOY_TOKEN: ${{ secrets.DEPLOY_TOKEN }}`" in finding.suggested_fix


def test_missing_secret_says_where_it_is_read() -> None:
    lines = [
        (20, "Traceback (most recent call last):"),
        (21, '  File "app/settings.py", line 12, in <module>'),
        (22, "    SECRET = os.environ['SESSION_SECRET']"),
        (23, "KeyError: 'SESSION_SECRET'"),
    ]
    finding = analyze_offline(lines, [23])
    assert finding.root_cause == (
        "The job needs `SESSION_SECRET`, which is not set; it is read at app/settings.py:12: KeyError: 'SESSION_SECRET'"
    )


def test_the_failing_step_is_named_as_the_log_names_it() -> None:
    assert step_name([(1, "Run npm ci"), (9, "Run npm test")], 9) == "npm test"
    assert step_name([(1, "$ npm ci"), (20, 'The command "make check" exited with 2.')], None) == "make check"
    assert step_name([(1, "plain")], None) == ""
