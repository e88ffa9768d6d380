"""The command-line contract that benchmarks rely on, run as a real subprocess."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from tests.conftest import EXAMPLES, ROOT


def run(*args: str, cwd: Path = ROOT, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "chalicelib", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
        check=False,
    )


def test_excerpt_jsonl_contract() -> None:
    path = str(EXAMPLES / "pytest-assertion.log")
    result = run("excerpt", "--max-chars", "500", "--jsonl", path)
    assert result.returncode == 0, result.stderr
    [line] = result.stdout.splitlines()
    data = json.loads(line)
    assert data["path"] == path
    raw = (EXAMPLES / "pytest-assertion.log").read_bytes().split(b"\n")
    assert sum(len(t) + 1 for _, t in data["lines"]) <= 500
    for lineno, text in data["lines"]:
        assert raw[lineno - 1].decode().rstrip().endswith(text.rstrip()) or "[REDACTED:" in text


def test_analyze_json_one_object_per_file(tmp_path: Path) -> None:
    files = [str(EXAMPLES / "ruff-lint.log"), str(EXAMPLES / "oom-killed.log")]
    result = run("analyze", "--json", *files, env={"OUT_DIR": str(tmp_path), "PATH": ""})
    assert result.returncode == 0, result.stderr
    objects = [json.loads(line) for line in result.stdout.splitlines()]
    assert [o["category"] for o in objects] == ["lint", "timeout_or_oom"]
    assert not any(tmp_path.iterdir())  # without --act nothing is written


def test_analyze_readable_and_act_writes_drafts(tmp_path: Path) -> None:
    result = run(
        "analyze",
        "--act",
        "--repo",
        "acme/report-builder",
        "--sha",
        "9a8b7c6d",
        "--branch",
        "main",
        "--run-id",
        "7",
        str(EXAMPLES / "python-missing-module.log"),
        env={"OUT_DIR": str(tmp_path), "PATH": ""},
    )
    assert result.returncode == 0, result.stderr
    assert "dependency_install" in result.stdout and "github_pr: dry_run" in result.stdout
    names = sorted(p.name for p in tmp_path.rglob("*") if p.is_file())
    assert names[-4:] == ["email.html", "email.txt", "issue.md", "pr.md"]


def test_unreadable_file_exits_1_and_names_it(tmp_path: Path) -> None:
    missing = str(tmp_path / "missing.log")
    result = run("excerpt", "--jsonl", missing, str(EXAMPLES / "ruff-lint.log"))
    assert result.returncode == 1 and missing in result.stderr
    assert len(result.stdout.splitlines()) == 1  # the readable file is still processed


def test_usage_errors_exit_2() -> None:
    assert run("excerpt").returncode == 2
    assert run("frobnicate").returncode == 2
    assert run("excerpt", "--max-chars", "0", str(EXAMPLES / "ruff-lint.log")).returncode == 2


def test_excerpt_with_a_green_baseline(tmp_path: Path) -> None:
    from tests.support.logs import red_and_green

    red, green = red_and_green()
    (tmp_path / "red.log").write_bytes(red)
    (tmp_path / "green.log").write_bytes(green)
    result = run(
        "excerpt", "--jsonl", "--max-chars", "200", "--baseline", str(tmp_path / "green.log"), str(tmp_path / "red.log")
    )
    assert result.returncode == 0, result.stderr
    assert [2, "totals mismatch: 90 != 100"] in json.loads(result.stdout)["lines"]
    missing = run("excerpt", "--baseline", str(tmp_path / "nope.log"), str(tmp_path / "red.log"))
    assert missing.returncode == 1 and "nope.log" in missing.stderr


def test_analyze_tells_a_step_allowed_to_fail_apart_when_given_the_failed_steps_times(tmp_path: Path) -> None:
    from tests.support.logs import ALLOWED_THEN_FAILED, TEST_STEP_TIMES

    log = tmp_path / "job.log"
    log.write_bytes(ALLOWED_THEN_FAILED)
    env = {"OUT_DIR": str(tmp_path), "PATH": ""}
    told = run("analyze", "--json", "--failed-steps", TEST_STEP_TIMES, str(log), env=env)
    assert told.returncode == 0, told.stderr
    record = json.loads(told.stdout)
    assert (record["category"], record["excerpt"]["allowed_failures"]) == ("test_assertion", [[1, 4]])
    assert json.loads(run("analyze", "--json", str(log), env=env).stdout)["category"] == "lint"
    wrong = run("analyze", "--failed-steps", "yesterday", str(log), env=env)
    assert (wrong.returncode, wrong.stdout) == (2, "")
    assert wrong.stderr == ("error: --failed-steps must be ISO 8601 started_at/completed_at pairs, not 'yesterday'\n")
