"""The offline engine's answer, worded from the decisive failure statement's parsed fields.

chalicelib.engines.decisive picks the statement; here it becomes a category, a summary, a root cause, a
fix, the evidence, a calibrated confidence and the failure's identity (what the fingerprint is
made of). Every sentence is a template of ``templates/heuristic_messages.json`` filled from
fields the statement's parser read (the test, the place, the code, the message), or from the
failing step's own command; where a field is missing, a variant without it is used, never a
stock phrase standing in for it.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Final

from chalicelib.engines.classify import classify
from chalicelib.engines.decisive import Decision
from chalicelib.engines.finding import Finding, evidence_lines, messages, sentence
from chalicelib.engines.python_packages import python_distribution
from chalicelib.engines.reports import DETAIL, ERROR, GENERIC, VERDICT, Lines, Report, parse_line

# Causes a failing test's own message can name: then the cause, not the test, is the category.
_CAUSES: Final = ("network_or_flaky", "timeout_or_oom", "dependency_install", "permission_or_secret", "infrastructure")
# Calibrated confidence: how often, on the benchmark logs of dev half A, an answer of this kind
# quoted the labeled cause (measured by a script over `bench/analysis_score.py`'s cases; re-measure
# when the parsers change). Only a tool's own failure report inside the failing step was right
# often enough (0.92) to be called sure; out of the step the same reports were right 0.67 of the
# time, error statements 0.43-0.8 on few logs, and the excerpt's best line alone 0.68 (0.47 on
# half B): those stay below 0.6, the line under which an answer does not claim to know.
CONFIDENCE: Final[dict[tuple[int, bool], float]] = {
    (DETAIL, True): 0.9,
    (DETAIL, False): 0.55,
    (ERROR, True): 0.55,
    (ERROR, False): 0.4,
    (GENERIC, True): 0.5,
    (GENERIC, False): 0.2,
    (VERDICT, True): 0.2,
    (VERDICT, False): 0.1,
}
NO_STATEMENT_CONFIDENCE: Final = 0.3
# An answer that names no category does not claim to know.
UNKNOWN_CONFIDENCE: Final = 0.5
# How a log names the step or command that failed: Travis' verdict, a GitHub Actions step, a shell
# prompt, a step's file in the run zip GitHub serves.
# The command that brings a lock file up to date, by the words its tool's refusal uses.
_LOCK_COMMANDS: Final = (
    ("npm ci", "npm install"),
    ("yarn", "yarn install"),
    ("PNPM", "pnpm install"),
    ("poetry", "poetry lock"),
    ("Cargo.lock", "cargo update --workspace"),
)
# How far above the decisive statement a command line may stand to be taken for the failing one
# when the failing step's start is not known.
COMMAND_REACH: Final = 300
_STEP: Final = tuple(
    re.compile(p)
    for p in (
        r"^The command \"(?P<command>.+)\" (?:exited with|failed(?: and exited with)?) (?P<code>[1-9]\d*)",
        r"^Run (?P<command>.+)$",
        r"^\$ (?P<command>.+)$",
        r"^===== (?:.*/)?\d+_(?P<command>.+)\.txt =====$",
    )
)
_PYTEST_E: Final = re.compile(r"^E\s+")
# sbt's and similar tools' level on each line ("[info]   2 did not equal 3").
_LOG_LEVEL: Final = re.compile(r"^\[(?:info|error|warn|debug)\]\s*")
_BACKTICKS: Final = re.compile(r"`")
MAX_COMMAND: Final = 120
# How many lines below a message that ends in a colon may complete it.
FOLLOWING_LINES: Final = 3
DIFF_LINES: Final = 4
# An assertion's values are quoted when they are this short: a page of minified code is not read
# in a sentence, and the evidence shows it.
MAX_VALUE: Final = 80
# How far a failing test's own output reaches, at most, for a cause it shows.
TEST_BLOCK_LINES: Final = 200
# A message that stops mid-sentence: on a comma, an open bracket, an article or a preposition.
_UNFINISHED: Final = re.compile(r"(?:[,;(\[{]|\b(?:and|or|the|a|an|of|to|in|with|for|from))$")
# (ExUnit says "left:" and "right:"; TAP's YAML block, testify and Hspec "expected:", "actual:"
# and "but got:".)
_DIFF_VALUE: Final = re.compile(
    r"^\s*(?:(?:Expected|Received|Actual|Got|But was)\b\s*(?:value)?\s*:?|"
    r"(?:left|right|expected|actual|received|but got|got|Passed in)\s*:)\s+\S"
)


@dataclass(frozen=True)
class Step:
    """The failing step's command and exit code, as the log states them ("" when it does not)."""

    command: str = ""
    exit_code: str = ""


def step_command(lines: Lines, failing_step_start: int | None, statement: int | None = None) -> str:
    """The failing step or command as the log names it, on one line ("" when it names none).

    The failing step's start says it; else the command shown nearest above the decisive
    ``statement`` (an earlier one ran before it and passed), else the first shown.
    """

    def rank(numbered: tuple[int, str]) -> tuple[bool, int]:
        lineno = numbered[0]
        if statement is not None and lineno <= statement:
            return lineno != failing_step_start, -lineno
        return lineno != failing_step_start, lineno + (1 << 40 if statement is not None else 0)

    ordered = sorted(lines, key=rank)
    for index, pattern in enumerate(_STEP):
        for lineno, text in ordered:
            if (
                index > 0
                and failing_step_start is None
                and statement is not None
                and not 0 <= statement - lineno <= COMMAND_REACH
            ):
                # Without the failing step's bounds, a command shown far from the statement (or
                # after it) may be another step's, one that passed.
                continue
            match = pattern.search(text)
            if match:
                return " ".join(match.group("command").split())
    return ""


def failing_step(
    lines: Lines, failing_step_start: int | None, reports: list[Report], statement: int | None = None
) -> Step:
    """The command the failing step ran and its exit code, from the step's start or verdict lines
    (see step_command for ``statement``)."""
    command = step_command(lines, failing_step_start, statement)
    if (
        len(command) > MAX_COMMAND
        or "$" in command
        or "`" in command
        or command.endswith("\\")
        or not _quotes_closed(command)
        or _SHELL_SETUP.match(command)
    ):
        # A command cut short, continued on the next line (an open quote), with variables
        # unexpanded, or a script's first line that only sets the shell up ("set -euxo pipefail")
        # is no command to tell a person to run.
        command = ""
    code = next((r.code for r in reports if r.strength == VERDICT and r.code.isdigit()), "")
    return Step(command, code)


# What a runner's result line or a test's header holds besides the test's name: dots, its
# verdict, a count, the stream it shows ("---- x stdout ----").
_VERDICT_ONLY: Final = re.compile(
    # (a duration and a count: nextest's "FAIL [ 9.875s] (396/396) crate::test")
    r"(?i)\b\d+(?:\.\d+)?m?s\b|[\s.:…()\[\]#/-]|\b(?:test|fail(?:ed|ure)?|error|not ok|ok|stdout|stderr)\b|\d|[✗✘]"
)


def _only_verdict(report: Report) -> bool:
    """Whether the report's message says no more than that its test failed: its result line
    ("x ... FAILED", "FAIL x [x.phpt]") or a verdict word alone under its header ("FAIL")."""
    if not report.test:
        return False
    rest = report.message.replace(report.test, "", 1)
    if report.file:
        rest = rest.replace(f"[{report.file}]", "").replace(report.file, "")
    return not _VERDICT_ONLY.sub("", rest)


_SHELL_SETUP: Final = re.compile(r"^(?:set [-+]\w+(?: \w+)*|shopt -s \w+|#.*)$")


def _quotes_closed(command: str) -> bool:
    """Whether every quote the shell would read in ``command`` is closed (a backslash escapes
    the next character outside single quotes, as in sh)."""
    quote = ""
    escaped = False
    for char in command:
        if escaped:
            escaped = False
        elif char == "\\" and quote != "'":
            escaped = True
        elif quote:
            quote = "" if char == quote else quote
        elif char in "'\"":
            quote = char
    return not quote


# A unified diff of what was expected against what came (PHPUnit, Jest, many assertion
# libraries): "--- Expected", "+++ Actual", then "-" lines expected and "+" lines received.
_DIFF_HEADS: Final = re.compile(r"^\s*(?:---\s+Expected|\+\+\+\s+(?:Actual|Received))\b")
_DIFF_REMOVED: Final = re.compile(r"^\s*-(?!--)\s?(?P<value>\S.*)$")
_DIFF_ADDED: Final = re.compile(r"^\s*\+(?!\+\+)\s?(?P<value>\S.*)$")
UNIFIED_DIFF_LINES: Final = 8


def _unified_diff_values(block: Lines, line: int) -> list[str]:
    """The first expected and actual lines of a unified diff under the message on ``line``, when
    the diff says which side is which ("--- Expected" / "+++ Actual")."""
    near = [t for n, t in block if line < n <= line + UNIFIED_DIFF_LINES]
    if sum(1 for t in near if _DIFF_HEADS.match(t)) < 2:
        return []
    expected = next((m["value"] for t in near if (m := _DIFF_REMOVED.match(t))), None)
    actual = next((m["value"] for t in near if (m := _DIFF_ADDED.match(t))), None)
    if expected is None or actual is None:
        return []
    return [f"expected {expected.strip()}", f"actual {actual.strip()}"]


# A value quoted in backticks ("left: `2`,") ends at its closing backtick.
_QUOTED_VALUE: Final = re.compile(r"^([\w ]+:\s*`[^`]*`)")


def _value(text: str) -> str:
    """An assertion's value line on one line, without what trails a quoted value."""
    value = " ".join(text.split())
    quoted = _QUOTED_VALUE.match(value)
    return quoted.group(1) if quoted else value.rstrip(",;")


def _clean_message(message: str, block: Lines, line: int) -> str:
    """The message on one line: pytest's ``E`` gone; a message that ends in a colon takes the
    line that follows it in the block (Jest's "Expected value to equal:" and its value)."""
    message = _LOG_LEVEL.sub("", _PYTEST_E.sub("", message)).strip()
    following = [t.strip() for n, t in block if line < n <= line + FOLLOWING_LINES and t.strip()]
    while message.endswith(":") and following:
        message = f"{message} {following.pop(0)}"
    message = message.rstrip(":").strip()
    if _UNFINISHED.search(message):
        # The log wrapped the message ("Expected indentation of" / "    2 spaces"): take the
        # indented rest; a message the log cut stays cut, and says so.
        rest = [t.strip() for n, t in block if line < n <= line + 1 and t.startswith(" ") and t.strip()]
        message = f"{message} {rest[0]}" if rest and not _UNFINISHED.search(rest[0][-1:]) else f"{message} …"
    # An assertion's two values stand under it ("Expected: 90" / "Received: 100"): quote them.
    values = [_value(t) for n, t in block if line < n <= line + DIFF_LINES and _DIFF_VALUE.match(t)]
    if not values:
        values = _unified_diff_values(block, line)
    missing = [v for v in values[:2] if v not in " ".join(message.split())]
    if missing and all(len(v) <= MAX_VALUE for v in values[:2]):
        message = f"{message} ({', '.join(missing)})"
    if message.count("`") % 2:
        message = _BACKTICKS.sub("'", message)
    return message


# The kind of failure a Maven goal, a Gradle task, an R CMD check or a CMake command names (their
# plugin, task or command).
_BUILD_TASKS: Final = tuple(
    (re.compile(p, re.IGNORECASE), kind)
    for p, kind in (
        (r"checkstyle|spotless|javaformat|\bpmd\b|spotbugs|ktlint|detekt|scalafmt|scalastyle|\blint\b|format", "lint"),
        (
            r"surefire|failsafe|:test\b|task ':?[\w:-]*test\w*'|There were failing tests|checking (?:tests|examples)",
            "test_assertion",
        ),
        (r"compiler|compile\w*|kapt|javadoc", "compile"),
        (
            r"enforcer|dependenc|resolve|Could not resolve|checking package dependencies|find_package|"
            r"pkg_check_modules|find_library|Could NOT find",
            "dependency_install",
        ),
    )
)
# The two types a checker names: the value's and the one required (tsc, mypy).
_TYPE_PAIR: Final = tuple(
    re.compile(p)
    for p in (
        r"Type '(.+?)' is not assignable to type '(.+?)'",
        r"expression has type \"(.+?)\", variable has type \"(.+?)\"",
        r"has incompatible type \"(.+?)\"; expected \"(.+?)\"",
        r"Argument of type '(.+?)' is not assignable to parameter of type '(.+?)'",
    )
)
_READ_AT: Final = re.compile(
    r'File "(?P<file>[^"]+)", line (?P<line>\d+)|'
    r"\(?(?P<f2>(?:[\w.-]+/)*[\w.-]+\.(?:py|js|mjs|ts|rb|go|java|php|sh)):(?P<l2>\d+)"
)
READ_AT_LINES: Final = 15


def _reading_frame(lines: Lines, line: int) -> str:
    """The place that reads a missing variable: the stack frame nearest above its error."""
    for lineno, text in reversed(lines):
        if line - READ_AT_LINES <= lineno < line:
            match = _READ_AT.search(text)
            if match:
                return f"{match['file'] or match['f2']}:{match['line'] or match['l2']}"
    return ""


def _qualified(report: Report, reports: list[Report]) -> Report:
    """The report with its test's full id, when a summary names it so (``path::test`` for ``test``)."""
    if not report.test:
        return report
    for other in reports:
        if other.test != report.test and other.test.endswith((f"::{report.test}", f".{report.test}")):
            return replace(report, test=other.test)
    return report


def _cause_in_message(report: Report | None, reports: Sequence[Report] = ()) -> Report | None:
    """A cause that a failing test's message, or its own block's output, states (a missing
    module, a refused connection): then fixing the test would not help."""
    if report is None or report.category != "test_assertion":
        return None
    cause = parse_line([(report.message_line, report.message)], 0)
    if cause is not None and cause.category in _CAUSES and cause.strength >= ERROR:
        return cause
    # The test's block ends where the next test's report starts.
    end = next(
        (r.line for r in reports if r.line > report.line and r.category == "test_assertion" and r.strength == DETAIL),
        None,
    )
    end = min(end or report.line + TEST_BLOCK_LINES, report.line + TEST_BLOCK_LINES)
    return next(
        (r for r in reports if report.line < r.line < end and r.category in _CAUSES and r.strength == DETAIL), None
    )


def _category(report: Report | None, cause: Report | None) -> str:
    """The category of the decisive ``report``, or of the ``cause`` its test's output states."""
    if report is None:
        # No failure statement: a word in the excerpt's best line is no cause to name.
        return "unknown"
    if cause is not None:
        return cause.category
    if report.category != "unknown":
        return report.category
    if report.kind in ("maven_goal", "gradle_wrong", "gradle_task", "r_check", "cmake"):
        # A build tool's failed goal, task or command names what failed: its plugin, task or
        # command says the kind.
        for pattern, kind in _BUILD_TASKS:
            if pattern.search(f"{report.subject} {report.code} {report.message}"):
                return kind
    return classify([(report.line, report.message), (report.message_line, report.message)]).category


def _confidence(decision: Decision, category: str) -> float:
    report = decision.report
    if report is None:
        return NO_STATEMENT_CONFIDENCE
    value = CONFIDENCE[(report.strength, decision.in_step)]
    if category == "unknown":
        value = min(value, UNKNOWN_CONFIDENCE)
    return value


def _identity(decision: Decision, category: str) -> list[str]:
    """What makes this failure the same failure in another run: the failing tests (all that the
    excerpt reports, sorted) and the first one's message, or the error's kind, code, file and message."""
    report = decision.report
    if report is None:
        statement = decision.statement
        return [category, statement[1] if statement else ""]
    # Every test, link or file that the same tool reports failing, sorted: a different set is a
    # different failure.
    names = sorted(
        {
            name
            for r in decision.reports
            if r.kind == report.kind and r.strength == report.strength
            for name in [r.test or r.subject or r.file]
            if name
        }
    )
    return [category, report.kind, report.code, *names, report.message]


# How many failing test ids a finding keeps (the outcome history keeps as many).
MAX_TESTS = 50


def failing_tests(decision: Decision) -> list[str]:
    """Every test the excerpt reports failing, in the order they appear, each once."""
    names = dict.fromkeys(r.test for r in sorted(decision.reports, key=lambda r: r.line) if r.test)
    return list(names)[:MAX_TESTS]


def explain(decision: Decision, lines: Lines, failing_step_start: int | None = None) -> Finding:
    """The finding for the decisive statement ``decision`` made of the excerpt's ``lines``."""
    report = decision.report
    statement_line = decision.statement[0] if decision.statement is not None else None
    step = failing_step(lines, failing_step_start, decision.reports, statement_line)
    cause = _cause_in_message(report, decision.reports)
    category = _category(report, cause)
    statement = decision.statement
    values: dict[str, str] = {"command": step.command, "exit_code": step.exit_code}
    if report is not None:
        report = _qualified(report, decision.reports)
        message = "" if _only_verdict(report) else _clean_message(report.message, lines, report.message_line)
        values.update(
            message=message,
            test=report.test,
            location=report.location,
            file=report.file,
            code=report.code,
            subject=report.subject,
        )
        shown = dict(lines)
        evidence = [(n, shown[n]) for n in report.lines if n in shown]
    elif statement is not None:
        values["message"] = _clean_message(statement[1], lines, statement[0])
        evidence = evidence_lines(statement)
    else:
        evidence = []
    if cause is not None:
        values.update(subject=cause.subject or values.get("subject", ""))
        if report is not None and cause.line != report.message_line:
            # The test's output states the cause: quote it beside the test's own lines.
            values["message"] = _clean_message(cause.message, lines, cause.line)
            shown = dict(lines)
            evidence = [*evidence, *((n, shown[n]) for n in cause.lines if n in shown and n not in dict(evidence))]
    if report is not None and report.kind == "missing_variable" and not values.get("location"):
        values["location"] = _reading_frame(lines, report.line)
    if _TITLED.match(values.get("test", "")):
        # A test titled as a sentence ("Test lstat() and stat() functions", as .phpt files are)
        # is not preceded by another "Test".
        values["titled_test"] = f'"{values["test"]}"'
    if any(char.isspace() for char in values.get("test", "")):
        # A title of several words is quoted, so that the sentence around it still reads as one
        # ('Run "adds the discount" locally', not 'Run adds the discount locally').
        values["test"] = f'"{values["test"]}"'

    texts, extra = _wording(category, cause or report, values)
    finding = Finding(
        summary=texts[0],
        root_cause=texts[1],
        suggested_fix=texts[2],
        confidence=_confidence(decision, category),
        evidence=evidence,
        fix_plan=extra,
        category=category,
        identity=_identity(decision, category),
        tests=failing_tests(decision),
    )
    return finding


def _says_something(message: str) -> bool:
    """Whether a message holds a word or a number (a line of dots or dashes quotes nothing)."""
    return any(char.isalnum() for char in message)


def _variant(values: dict[str, str], *needed: str) -> bool:
    return all(values.get(name) for name in needed)


# The sentences of a kind of report that are always its own, whatever it names. (A formatter's
# check names each file it would change, and nothing else.)
_KIND_KEYS: Final = {
    "missing_variable": "permission_or_secret_variable",
    "missing_input": "permission_or_secret_input",
    "missing_command": "dependency_install_command",
    "perl_module": "dependency_install_module",
    "ruby_load": "dependency_install_module",
    "node_local_module": "compile_missing_module",
    "aws_credentials": "permission_or_secret_aws_credentials",
    "go_mod": "dependency_install_go_mod",
    "git_ref": "infrastructure_git_ref",
    "listed_file": "lint_listed",
    "black": "lint_listed",
    "prettier": "lint_listed",
    "gofmt": "lint_listed",
    "spotless": "lint_listed",
}


def _wording(
    category: str, report: Report | None, values: dict[str, str]
) -> tuple[tuple[str, str, str], dict[str, str] | None]:
    """The three sentences for ``category`` and, where one is known, a deterministic fix plan."""
    kind = report.kind if report is not None else ""
    plan: dict[str, str] | None = None
    key = category
    if kind in _KIND_KEYS:
        key = _KIND_KEYS[kind]
    elif kind == "link_check" and values.get("subject"):
        key = "lint_link"
    elif kind == "lockfile":
        key = "dependency_install_lockfile"
        values["lock_command"] = next(
            (command for word, command in _LOCK_COMMANDS if word in values.get("message", "")), ""
        )
    elif kind == "aws" and category == "permission_or_secret":
        key = "permission_or_secret_aws"
    elif kind == "kubectl" and category == "permission_or_secret":
        key = "permission_or_secret_kubernetes"
    elif kind == "coverage":
        key = "lint_coverage"
        values.update(required=values.get("code", ""), reached=values.get("subject", ""))
    elif kind == "ansible":
        key = "ansible_task" if values.get("message") else key
    elif kind == "not_executable":
        key = "permission_or_secret_executable"
        values["path"] = values.get("subject", "").removeprefix("./")
    elif kind == "class_version" and ":" in values.get("code", ""):
        # A class file's major version is its Java version plus 44 (52 is Java 8, 55 Java 11).
        built, runs = values["code"].split(":", 1)
        values.update(built=str(int(built) - 44), runs=str(int(runs) - 44), built_major=built, runs_major=runs)
        key = "compile_class_version"
    elif category == "dependency_install" and kind == "python_import" and values.get("subject"):
        distribution = python_distribution(values["subject"])
        values.update(module=values["subject"], distribution=distribution, path="requirements.txt")
        key = "dependency_install_python"
        plan = {
            "kind": "append_line",
            "path": "requirements.txt",
            "line": distribution,
            "command": f"pip install {distribution}",
        }
    elif category == "dependency_install" and kind == "node_module" and values.get("subject"):
        module = values["subject"]
        values["module"] = "/".join(module.split("/")[:2]) if module.startswith("@") else module.split("/")[0]
        key = "dependency_install_node"
    elif category == "timeout_or_oom":
        key = "timeout_or_oom_memory" if kind in ("memory", "killed") else "timeout_or_oom_time"
    if category == "type_error":
        for pattern in _TYPE_PAIR:
            pair = pattern.search(values.get("message", ""))
            if pair:
                values.update(actual=pair.group(1), expected=pair.group(2))
                break
    if not _says_something(values.get("message", "")) and not (key == "test_assertion" and values.get("test")):
        key = "unknown"
        values["message"] = ""
    return _sentences(key, values), plan


_TITLED: Final = re.compile(r"tests? ", re.IGNORECASE)
# Each sentence's variants, most specific first: the first whose fields are all known is used.
_VARIANTS: Final[dict[str, tuple[tuple[str, ...], ...]]] = {
    "summary": (("titled_test",), ("test",), ("location",), ("file",), ("subject",), ("command",), ()),
    "root_cause": (
        ("test", "message"),
        ("test",),
        ("file",),
        ("location", "actual", "expected", "message"),
        ("location", "code", "message"),
        ("location", "message"),
        ("subject", "message"),
        ("command", "exit_code", "message"),
        ("command", "message"),
        ("message",),
        ("command", "exit_code"),
        ("command",),
        (),
    ),
    "fix": (
        ("test", "command"),
        ("location",),
        ("file", "subject"),
        ("file",),
        ("subject",),
        ("lock_command",),
        ("command",),
        (),
    ),
}


def _sentences(key: str, values: dict[str, str]) -> tuple[str, str, str]:
    out = []
    for part in ("summary", "root_cause", "fix"):
        for needed in _VARIANTS[part]:
            name = "_".join((part, *needed)) if needed else part
            if _variant(values, *needed) and sentence_exists(key, name):
                out.append(sentence(key, name, **values))
                break
        else:
            raise KeyError(f"no {part} sentence for {key}")
    return out[0], out[1], out[2]


def sentence_exists(key: str, variant: str) -> bool:
    """Whether the templates have ``variant`` for ``key``."""
    return variant in messages().get(key, {})
