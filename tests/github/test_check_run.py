"""Where a check run's annotations go: the places the evidence names."""

from __future__ import annotations

from dataclasses import replace

from chalicelib.github.check_run import MAX_ANNOTATIONS, annotations_of
from tests.support.records import sample


def places(*texts: str) -> list[tuple[str, int]]:
    evidence = [{"line": n, "text": t} for n, t in enumerate(texts, 1)]
    return [(str(a["path"]), int(a["start_line"])) for a in annotations_of(replace(sample(), evidence=evidence))]


def test_paths_and_lines_as_tools_print_them() -> None:
    assert places(
        "src/app.py:12: error: Incompatible types",  # mypy
        "./inventory/models.py:14:1: F401 `datetime` imported but unused",  # ruff, from the checkout's root
        "C:\\a\\src\\Cart.cs(27,9): error CS0103",  # a Windows path names no repository file
        "Cart.cs(27,9): error CS0103: The name 'x' does not exist",  # MSBuild
        '  File "tests/test_api.py", line 41, in test_login',  # no path:line form
        "tests/test_api.py:41: AssertionError",  # pytest's short form
    ) == [("src/app.py", 12), ("inventory/models.py", 14), ("Cart.cs", 27), ("tests/test_api.py", 41)]


def test_no_escape_no_zero_line_no_repeat_and_at_most_fifty() -> None:
    assert places("../../etc/passwd:1: x", "a.py:0: x", "a.py:3: x", "a.py:3: again") == [("a.py", 3)]
    many = places(*[f"src/m{i}.py:{i + 1}: error" for i in range(80)])
    assert len(many) == MAX_ANNOTATIONS and many[0] == ("src/m0.py", 1)


def test_an_annotation_says_what_failed_where() -> None:
    analysis = replace(
        sample(),
        category="type_error",
        summary="Type check failed",
        evidence=[{"line": 9, "text": "src/a.ts:3:7 - error TS2322"}],
    )
    assert annotations_of(analysis) == [
        {
            "path": "src/a.ts",
            "start_line": 3,
            "end_line": 3,
            "annotation_level": "failure",
            "title": "type_error: Type check failed",
            "message": "src/a.ts:3:7 - error TS2322",
        }
    ]
