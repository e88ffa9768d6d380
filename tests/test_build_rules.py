from __future__ import annotations

import pytest

from chalicelib.build_rules import compile_error, docker_build, lint, python_distribution, type_error
from chalicelib.classify import classify
from chalicelib.heuristic import analyze_offline
from tests.conftest import finding_for


def test_missing_module_has_a_deterministic_fix_plan() -> None:
    finding = finding_for("python-missing-module.log")
    assert finding.fix_plan == {
        "kind": "append_line",
        "path": "requirements.txt",
        "line": "PyYAML",
        "command": "pip install PyYAML",
    }


@pytest.mark.parametrize(
    ("module", "distribution"),
    [
        ("yaml", "PyYAML"),
        ("cv2", "opencv-python"),
        ("sklearn.linear_model", "scikit-learn"),
        ("PIL.Image", "Pillow"),
        ("google.protobuf.message", "protobuf"),
        ("requests", "requests"),
        ("my_pkg", "my-pkg"),
    ],
)
def test_import_names_map_to_distributions(module: str, distribution: str) -> None:
    assert python_distribution(module) == distribution


def test_missing_npm_package() -> None:
    lines = [(5, "Error: Cannot find module 'left-pad'"), (6, "Require stack:")]
    finding = analyze_offline(lines, classify(lines, [5]), [5])
    assert "npm install --save left-pad" in finding.suggested_fix


def test_an_eslint_finding_is_placed_under_its_file_header() -> None:
    lines = [(3, "/src/app.js"), (4, "  12:5  error  'x' is defined but never used  no-unused-vars"), (6, "x")]
    finding = lint(lines, lines[1:2], "npm run lint")
    assert finding is not None
    assert "no-unused-vars" in finding.summary and "/src/app.js:12:5" in finding.root_cause
    assert [n for n, _ in finding.evidence] == [3, 4]


def test_a_type_error_names_both_types_when_the_checker_does() -> None:
    line = 'app/x.py:9: error: Incompatible types in assignment (expression has type "str", variable has type "int")'
    finding = type_error([(9, line + "  [assignment]")], [], "mypy")
    assert finding is not None and "app/x.py:9" in finding.root_cause
    assert "`str`" in finding.root_cause and "`int`" in finding.root_cause


def test_rust_errors_take_their_message_from_the_line_above_the_location() -> None:
    lines = [(40, "error[E0425]: cannot find value `y` in this scope"), (41, " --> src/main.rs:3:13")]
    finding = compile_error(lines, lines, "cargo build")
    assert finding is not None
    assert "src/main.rs:3:13" in finding.root_cause and "cannot find value `y`" in finding.root_cause


def test_a_failed_docker_step_is_the_last_one_before_the_error() -> None:
    lines = [
        (1, "#5 [2/4] RUN apt-get update"),
        (2, "#6 [3/4] RUN pip install -r requirements.txt"),
        (3, "ERROR: failed to solve: process did not complete successfully: exit code: 1"),
        (4, "#7 [4/4] COPY . ."),
    ]
    finding = docker_build(lines, lines[2:3], "docker build")
    assert "RUN pip install -r requirements.txt" in finding.root_cause and "exit code: 1" in finding.root_cause


def test_a_build_category_without_a_known_form_gets_the_generic_finding() -> None:
    lines = [(7, "Something broke in the linker")]
    finding = analyze_offline(lines, classify(lines, [7]), [7])
    assert finding.summary and finding.evidence == [(7, "Something broke in the linker")]
