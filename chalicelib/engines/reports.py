"""Failure reports of common CI tools, parsed from the excerpt's lines.

Each format below is written from the tool's documented output: test runners (pytest, unittest,
Go, Ginkgo, cargo, Jest, Mocha, RSpec, Minitest, Cucumber, PHPUnit, ExUnit, Surefire, Gradle,
ScalaTest, XCTest, TAP, Karma, Pester, testthat, EUnit, Common Test, Vader, busted, ctest,
googletest, Catch2, Boost.Test, dotnet, Cabal; a runner's "name ... FAIL" line); compilers
(gcc/clang, javac, rustc, tsc, mypy, C#, GHC, sbt, Kotlin, erlc, PHP, LaTeX, the Emacs
byte-compiler, CMake); linters and format checks (flake8/ruff, pylint, ESLint, TSLint, RuboCop,
perlcritic, PHPStan, shellcheck, Vint, prettier, black, gofmt, rustfmt, clang-format, dotnet
format, markdownlint); resolvers (pip, npm, yarn, composer, bundler, R, cargo, Maven, Gradle,
Cabal, pkg-config, Perl's and Ruby's missing modules, Node.js's missing packages and files);
build tools and CI (make, rake, npm test, pre-commit, Travis, GitHub Actions and its error
annotations, Lua's interpreter, stack's package-prefixed output); exceptions (Java's, .NET's
innermost); git, link checkers, sanitizers, memory, time and disk limits. A format says what a
matching line is (a test's failure report, an error at a place, a dependency the resolver could
not satisfy, a limit the runner hit, a build tool's verdict), which category it belongs to, and
how strong a statement of the cause it is:

- DETAIL (4): a report of one failure with what failed and why (a failing test's block, a
  compiler error at a place, the resolver's reason);
- ERROR (3): a tool's error statement naming a cause (a failing test in a summary, ``npm ERR!``,
  Gradle's ``* What went wrong:``, Maven's failed goal, a failed pre-commit hook);
- GENERIC (2): an error line of no known tool (an exception, ``error: …``, a missing file);
- VERDICT (1): a tool's verdict that points elsewhere for the cause (``BUILD FAILURE``,
  ``make: *** [x] Error 1``, Travis' ``The command "x" exited with 1.``).

``parse_reports`` returns every report found; chalicelib.engines.decisive picks the one that explains
the failure.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import Final

import re2

Lines = Sequence[tuple[int, str]]

DETAIL: Final = 4
ERROR: Final = 3
GENERIC: Final = 2
VERDICT: Final = 1

# How far below a report's first line its message may stand (a test's block, a compiler's note).
MESSAGE_LOOKAHEAD: Final = 12


@dataclass(frozen=True)
class Report:
    """One failure statement: where it stands, what it says, and what it names."""

    kind: str  # the format's name, e.g. "pytest", "gcc"
    category: str
    strength: int
    line: int  # the statement's first line
    message: str  # what went wrong, as the tool says it
    message_line: int  # the line the message stands on
    test: str = ""  # a failing test's id
    file: str = ""
    location: str = ""  # file:line[:column]
    code: str = ""  # an error, rule or exit code
    subject: str = ""  # a package, host, hook or resource the statement names

    @property
    def lines(self) -> list[int]:
        """The report's lines worth quoting: its first line and its message's."""
        return sorted({self.line, self.message_line})


@dataclass(frozen=True)
class Format:
    """A tool's failure statement: a pattern for its first line and what the groups mean.

    Named groups: ``test``, ``file``, ``line``, ``col``, ``code``, ``msg``, ``subject``. A format
    with ``message_below`` takes its message from the lines under the match (a test's block).
    """

    kind: str
    category: str
    strength: int
    pattern: re.Pattern[str]
    message_below: bool = False
    whole_line: bool = False


def _f(kind: str, category: str, strength: int, pattern: str, message_below: bool = False) -> Format:
    return Format(kind, category, strength, re.compile(pattern), message_below)


def _w(kind: str, category: str, strength: int, pattern: str) -> Format:
    """A format found anywhere in a line, whose message is the whole line."""
    return Format(kind, category, strength, re.compile(pattern), whole_line=True)


# Where a format's block states its message, when the tool marks it (pytest's "E   " lines come
# after the test's source, which may be long).
_MARKED_MESSAGE: Final[dict[str, tuple[re.Pattern[str], int]]] = {
    "pytest": (re.compile(r"^E\s+(?P<msg>\S.*)$"), 300),
}


_PATH: Final = r"(?P<file>(?:[A-Za-z]:)?[\w./\\@+-]*[\w@+-]\.[A-Za-z]\w{0,9})"
_AT: Final = _PATH + r"[:(](?P<line>\d+)(?:[:,](?P<col>\d+))?\)?"

FORMATS: Final[tuple[Format, ...]] = (
    # ---- test reports: a failing test's block (the id, then the assertion under it) ----
    _f(
        "pytest",
        "test_assertion",
        DETAIL,
        # (tox's "____ summary ____" over its environments' verdicts is no test)
        r"^_{3,} (?:ERROR (?:at (?:setup|teardown) of|collecting) )?(?!summary _)(?P<test>[\w.:\[\]/-][^ ]*) _{3,}$",
        True,
    ),
    _f("pytest", "test_assertion", ERROR, r"^(?:FAILED|ERROR) (?P<test>\S+::\S+)(?: - (?P<msg>.+))?$"),
    _f("unittest", "test_assertion", DETAIL, r"^(?:FAIL|ERROR): (?P<test>\w+) \((?P<subject>[\w.]+)\)", True),
    _f("go", "test_assertion", DETAIL, r"^\s*--- FAIL: (?P<test>\S+)(?: \([\d.]+m?s\))?$", True),
    # go test's package line: "FAIL\tgithub.com/acme/x/pkg\t0.012s".
    _f("go", "test_assertion", ERROR, r"^FAIL\s+(?P<subject>[\w.-]+(?:/[\w.-]+)+)\s+[\d.]+s$"),
    # clojure.test: "FAIL in (test-name) (file_test.clj:12)" then expected/actual.
    _f(
        "clojure_test",
        "test_assertion",
        DETAIL,
        r"^(?:FAIL|ERROR) in \((?P<test>[^)]+)\) \((?P<file>[\w.-]+\.clj[sc]?):(?P<line>\d+)\)",
        True,
    ),
    # Perl's Test::More: "#   Failed test 'name'" then "#   at t/x.t line 12."
    _f(
        "test_more",
        "test_assertion",
        DETAIL,
        r"^#\s+Failed test (?:'(?P<test>[^']*)'|\((?P<file>\S+) at line (?P<line>\d+)\))",
        True,
    ),
    # Emacs ERT: "   FAILED  2/5  my-test".
    _f("ert", "test_assertion", DETAIL, r"^\s+FAILED\s+\d+/\d+\s+(?P<test>\S+)", True),
    _f("cargo", "test_assertion", DETAIL, r"^---- (?P<test>\S+) stdout ----$", True),
    _f("cargo", "test_assertion", ERROR, r"^test (?P<test>\S+) \.\.\. FAILED$"),
    # unittest's verbose line, "test_total (tests.test_cart.CartTest) ... FAIL" (its block
    # "FAIL: test_total (...)" comes later and says why).
    _f(
        "unittest",
        "test_assertion",
        ERROR,
        r"^(?P<test>\w+) \((?P<subject>[\w.]+)\)(?: \S.*?)? \.\.\. (?:FAIL|ERROR|unexpected success)$",
    ),
    _f(
        "nextest",
        "test_assertion",
        DETAIL,
        r"^\s*(?:FAIL|SIGSEGV|SIGABRT|SIGKILL|TIMEOUT) \[\s*[\d.]+s\] (?:\(\s*\d+/\d+\) )?(?P<test>\S+(?: \S+)?)$",
        True,
    ),
    # "● Console" heads what the tests logged, not a failure.
    _f("jest", "test_assertion", DETAIL, r"^\s*● (?!Console\s*$)(?P<test>\S.*?›.*?|\S[^:]*?)\s*$", True),
    _f("jest", "test_assertion", ERROR, r"^\s*FAIL (?P<file>\S+\.(?:test|spec)\.\w+)\b"),
    _f("rspec", "test_assertion", DETAIL, r"^\s*Failure/Error: (?P<msg>.+)$", True),
    _f("rspec", "test_assertion", ERROR, r"^rspec (?P<file>\./\S+?):(?P<line>\d+) # (?P<test>.+)$"),
    _f("minitest", "test_assertion", DETAIL, r"^\s*(?:\d+\) )?(?:Failure|Error):\s*$", True),
    _f(
        "minitest",
        "test_assertion",
        DETAIL,
        r"^\s*(?P<test>\w+#test\w*.*?)\s+\[(?P<file>[^\]:]+):(?P<line>\d+)\]:?$",
        True,
    ),
    _f("phpunit", "test_assertion", DETAIL, r"^\d+\) (?P<test>[\w\\]+::\w+)(?: with data set .+)?$", True),
    # PHP's run-tests.php: "FAIL <title> [<file>.phpt]" under the test's diff (see _php_diff_above).
    _f(
        "php_run_tests",
        "test_assertion",
        DETAIL,
        r"^(?:FAIL|LEAK|BORK|LEAK&FAIL) (?P<test>\S.*?) \[(?P<file>[^\]\s]+\.phpt)\]",
    ),
    _f("exunit", "test_assertion", DETAIL, r"^\s*\d+\) test (?P<test>.+) \((?P<subject>[\w.]+)\)$", True),
    _f("numbered", "test_assertion", ERROR, r"^\s{0,4}\d+\) (?P<test>\S.{2,})$", True),
    _f(
        "surefire",
        "test_assertion",
        DETAIL,
        r"^(?:\[ERROR\] )?(?P<test>\w+(?:\[[^\]]*\])?)\((?P<subject>[\w.$]+)\)\s+Time elapsed:.*<<< (?:FAILURE|ERROR)!",
        True,
    ),
    _f(
        "surefire",
        "test_assertion",
        ERROR,
        r"^\s*(?:\[ERROR\]\s+)?(?:\w+\.)*(?P<test>[A-Z]\w*\.\w+):(?P<line>\d+)(?:->\S+)* (?P<msg>.+)$",
    ),
    _f("gradle", "test_assertion", DETAIL, r"^(?P<subject>[\w.$]+) > (?P<test>.+?) FAILED$", True),
    # Gradle's task line: "> Task :app:compileJava FAILED" (the kind from the task's name, see explain).
    _f("gradle_task", "unknown", ERROR, r"^> Task (?P<subject>:[\w:-]+) FAILED$"),
    # Surefire's class line: "Tests run: 3, Failures: 1, ... <<< FAILURE! - in com.acme.CartTest"
    # (a verdict: the failing test's own report says why).
    _f(
        "surefire",
        "test_assertion",
        VERDICT,
        r"^(?:\[ERROR\] )?Tests run: \d+, Failures: \d+, Errors: \d+, "
        r".*<<< (?:FAILURE|ERROR)! - in (?P<subject>[\w.$]+)",
    ),
    _f("scalatest", "test_assertion", DETAIL, r"^(?:\[info\] )?\s*- (?P<test>.+?) \*\*\* FAILED \*\*\*", True),
    _f(
        "xctest",
        "test_assertion",
        DETAIL,
        r"^\s*" + _AT + r": error: -\[(?P<test>[\w.]+ \w+)\] : (?P<msg>.+)$",
    ),
    _f("xcpretty", "test_assertion", DETAIL, r"^\s*✗ (?P<test>\w+), (?P<msg>.+)$"),
    _f("tap", "test_assertion", DETAIL, r"^\s*not ok \d+ (?:- )?(?P<test>.+?)(?: # .*)?$", True),
    _f("karma", "test_assertion", DETAIL, r"^\w[\w .]* \([^)]*\) (?P<test>.+) FAILED$", True),
    _f("pester", "test_assertion", DETAIL, r"^\s*\[-\] (?P<test>.+?)(?: \d+(?:\.\d+)?m?s(?: \(.*\))?)?$", True),
    _f(
        "testthat",
        "test_assertion",
        DETAIL,
        r"^[─═\s]*(?:\d+\. )?(?:Failure|"
        r"Error) \((?P<file>[\w.-]+\.[Rr]):(?P<line>\d+)(?::\d+)?\): (?P<test>.+?)[─\s]*$",
        True,
    ),
    _f(
        "testthat",
        "test_assertion",
        DETAIL,
        r"^[─═\s]*(?:\d+\. )?(?:Failure|Error): (?P<test>.+?) \(@(?P<file>[\w.-]+)#(?P<line>\d+)\)[─\s]*$",
        True,
    ),
    _f("sanitizer", "unknown", DETAIL, r"==\d+==\s*ERROR: (?P<code>\w+Sanitizer): (?P<msg>.+)$"),
    _f(
        "timed_out",
        "timeout_or_oom",
        ERROR,
        r"^\s*(?P<msg>(?:Tests?|Jobs?|Builds?|Steps?|Process|Command|Operation) (?:has |have )?timed out\b.*)$",
    ),
    _f("eunit", "test_assertion", DETAIL, r"^\s*(?P<test>\w+: ?\w+)(?:\.\.\.|\s).*\*failed\*$", True),
    _f("common_test", "test_assertion", DETAIL, r"^%%% (?P<subject>\w+) ==> (?P<test>\w+): FAILED$", True),
    _f("vader", "test_assertion", DETAIL, r"^\s*\(\s*\d+/\d+\) \[\s*\w+\s*\] \(X\) (?P<msg>.+)$"),
    _f("busted", "test_assertion", DETAIL, r"^(?:Failure|Error) → (?P<file>\S+) @ (?P<line>\d+)$", True),
    _f("gtest", "test_assertion", DETAIL, r"^\s*" + _AT + r": Failure$", True),
    _f("gtest", "test_assertion", ERROR, r"^\[  FAILED  \] (?P<test>\w[\w./]*)(?: \(\d+ ms\))?$"),
    _f("ctest", "test_assertion", ERROR, r"^\s*\d+/\d+ Test\s+#\d+: (?P<test>\S+) \.+\*+(?:Failed|Exception)"),
    # ctest's closing list: "The following tests FAILED:" then "\t  3 - name (Failed)".
    _f(
        "ctest",
        "test_assertion",
        ERROR,
        r"^\s+\d+ - (?P<test>\S+) \((?:Failed|SEGFAULT|Timeout|Not Run|Subprocess aborted|Exception|OTHER_FAULT)\)$",
    ),
    # R CMD check: "* checking tests ... ERROR" and what it ran below.
    _f("r_check", "unknown", ERROR, r"^\* checking (?P<subject>.+?) \.\.\.(?: \[[^\]]*\])? (?P<code>ERROR)$", True),
    _f("dotnet", "test_assertion", DETAIL, r"^\s*(?:X|Failed) (?P<test>[\w.]+(?:\(.*\))?) \[\d+ ?m?s\]$", True),
    _f("xunit", "test_assertion", DETAIL, r"^\[xUnit\.net [\d:.]+\]\s+(?P<test>[\w.]+(?:\(.*\))?) \[FAIL\]$", True),
    _f("nunit", "test_assertion", DETAIL, r"^\s*\d+\) (?:Test )?(?:Failure|Failed|Error) : (?P<test>[\w.]+)", True),
    # Ginkgo: "• Failure [0.002 seconds]" (v2: "• [FAILED] [0.002 seconds]") over the spec's text and
    # its assertion; its summary: "[Fail] Cart Total [It] adds taxes" (v2: "[FAIL] ...").
    _f(
        "ginkgo",
        "test_assertion",
        DETAIL,
        r"^\s*• (?:\[(?:FAILED|PANICKED|TIMEDOUT)\]|(?:Failure|Panic)\b).*\[[\d.]+ seconds?\]\s*$",
        True,
    ),
    _f("ginkgo", "test_assertion", ERROR, r"^\s*\[(?:Fail|FAIL|Panic!|PANICKED!)\] (?P<test>\S.*?)\s*$"),
    # XCTest on Linux (swift test):
    # "/src/Tests/CartTests.swift:12: error: CartTests.testTotal : XCTAssertEqual failed: ...".
    _f(
        "xctest",
        "test_assertion",
        DETAIL,
        r"^\s*" + _AT + r": error: (?P<test>\w+\.\w+) : (?P<msg>.+)$",
    ),
    # Catch2: "tests/cart.cpp:12: FAILED:" then the assertion ("  REQUIRE( total == 3 )").
    _f(
        "catch2",
        "test_assertion",
        DETAIL,
        r"^(?P<file>\S+\.(?:c|cc|cpp|cxx|h|hh|hpp))(?::(?P<line>\d+)|\((?P<l2>\d+)\)): FAILED:\s*$",
        True,
    ),
    # Boost.Test: 'test/cart.cpp(12): error: in "cart/total": check total == 3 has failed [2 != 3]'.
    _f(
        "boost_test",
        "test_assertion",
        DETAIL,
        r"^(?P<file>\S+?)\((?P<line>\d+)\): (?:fatal )?error:? in \"(?P<test>[^\"]+)\": (?P<msg>.+)$",
    ),
    # Cucumber's closing list: "cucumber features/cart.feature:12 # Scenario: Adding a book".
    _f("cucumber", "test_assertion", ERROR, r"^cucumber (?P<file>\S+\.feature):(?P<line>\d+) # (?P<test>.+)$"),
    # Cabal: "Test suite spec: FAIL".
    _f("cabal_test", "test_assertion", ERROR, r"^Test suite (?P<test>\S+): FAIL\s*$"),
    # A runner's result line: the test's name, dots or aligned spaces, then its verdict
    # ("motions/line-char-first ......... FAIL", "Running test ./x with vim ... FAILED"). Last of
    # the test formats: of equal strength, the first format wins (R CMD check's "... ERROR").
    _f(
        "result_line",
        "test_assertion",
        ERROR,
        r"^\s*(?!\[)(?P<test>\S(?:.*?\S)?)(?: \.{2,}\s*|\s{2,}|\t+)(?:FAIL|FAILED|ERROR|\[FAIL(?:ED)?\]|✗|✘)\s*$",
    ),
    # ---- compile and type errors at a place ----
    _f("tsc", "type_error", DETAIL, r"^\s*" + _AT + r"(?::| -) error (?P<code>TS\d+): (?P<msg>.+)$"),
    _f(
        "mypy",
        "type_error",
        DETAIL,
        r"^\s*(?P<file>[\w./\\-]+\.pyi?):(?P<line>\d+)(?::(?P<col>\d+))?: "
        r"error: (?P<msg>.+?)(?:\s+\[(?P<code>[\w-]+)\])?$",
    ),
    _f("csc", "compile", DETAIL, r"^\s*" + _AT + r": error (?P<code>CS\d+): (?P<msg>.+?)(?: \[\S+\])?$"),
    _f("maven_javac", "compile", DETAIL, r"^\[ERROR\] " + _PATH + r":\[(?P<line>\d+),(?P<col>\d+)\] (?P<msg>.+)$"),
    _f("sbt", "compile", DETAIL, r"^\[error\] " + _AT + r":? (?P<msg>\S.+)$"),
    _f(
        "kotlin",
        "compile",
        DETAIL,
        r"^e: (?:file://)?" + _PATH + r":(?: \((?P<line>\d+), (?P<col>\d+)\):|(?P<l2>\d+):\d+) (?P<msg>.+)$",
    ),
    _f("rustc", "compile", DETAIL, r"^error\[(?P<code>E\d{4})\]: (?P<msg>.+)$"),
    _f("error_start", "unknown", ERROR, r"^error: (?P<msg>(?!aborting due|could not compile)\S.+)$"),
    _f("xcpretty_compile", "compile", DETAIL, r"^\s*❌\s+" + _AT + r":? (?P<msg>(?!error:)\S.*)$"),
    # Format checkers that print compiler-shaped errors (before gcc's format, which would take them).
    # clang-format --dry-run -Werror: "src/a.cpp:12:3: error: code should be clang-formatted [...]".
    _f(
        "clang_format",
        "lint",
        DETAIL,
        r"^" + _AT + r": (?:error|warning): (?P<msg>code should be clang-formatted.*)$",
    ),
    # dotnet format --verify-no-changes: "src/Cart.cs(12,5): error WHITESPACE: Fix whitespace formatting."
    _f(
        "dotnet_format",
        "lint",
        DETAIL,
        r"^\s*" + _AT + r": error (?P<code>WHITESPACE|FINALNEWLINE|CHARSET|ENDOFLINE|IMPORTS|IDE\d{4}): (?P<msg>.+)$",
    ),
    # The Go compiler: "./cart.go:12:2: undefined: Total" under its package's "# example.com/cart"
    # (no "error" word; counted only under that heading, see _REFINE).
    _f(
        "go_build",
        "compile",
        DETAIL,
        # (cgo's C errors in a .go file say "error:" and are gcc's, below)
        r"^(?P<file>(?:\.{1,2}/)?[\w./-]+\.go):(?P<line>\d+):(?P<col>\d+): (?!(?:fatal )?error:)(?P<msg>\S.*)$",
    ),
    # PHP: "PHP Parse error:  syntax error, unexpected '}' in /src/Cart.php on line 12".
    _f(
        "php_error",
        "compile",
        DETAIL,
        r"^(?:PHP )?(?P<code>Parse error):\s+(?P<msg>.+?) in (?P<file>\S+?)(?: on line |:)(?P<line>\d+)\s*$",
    ),
    _f(
        "php_error",
        "unknown",
        DETAIL,
        r"^(?:PHP )?(?P<code>(?:Catchable )?Fatal error):\s+(?P<msg>.+?) in (?P<file>\S+?)(?: on line |:)(?P<line>\d+)",
    ),
    # The Emacs byte-compiler: "cart.el:12:5:Error: Symbol’s value as variable is void: x".
    _f("emacs_compile", "compile", DETAIL, r"^(?P<file>\S+\.el):(?P<line>\d+):(?P<col>\d+):\s*Error: (?P<msg>.+)$"),
    # erlc: "src/cart.erl:12: syntax error before: ')'" (OTP 24 adds the column); no "error" word.
    _f(
        "erlc",
        "compile",
        DETAIL,
        r"^(?P<file>\S+\.[eh]rl):(?P<line>\d+):(?:(?P<col>\d+):)? (?!Warning:)(?P<msg>\S.+)$",
    ),
    # Terraform (and OpenTofu): "Error: <summary>", boxed in "│ " since 0.15, with its place on a
    # line under it ("on main.tf line 12, in resource ...") and the detail further down (see
    # _terraform_place; without a place it is left to the other formats).
    _f("terraform", "compile", DETAIL, r"^(?:│ )?Error: (?P<msg>\S.*)$"),
    # LaTeX: "! Undefined control sequence." (the place follows on an "l.12" line).
    _f(
        "latex",
        "compile",
        DETAIL,
        r"^! (?P<msg>(?:LaTeX Error: |Package \S+ Error: |Undefined control sequence|Missing |Emergency stop|"
        r"Extra |Paragraph ended|Too many |File ended|Misplaced |Illegal |Font \S+ not loadable|"
        r"I can't find file).*)$",
    ),
    # CMake: "CMake Error at CMakeLists.txt:12 (find_package):" then what it says.
    _f(
        "cmake",
        "unknown",
        DETAIL,
        r"^CMake Error at (?P<file>[^\s:]+):(?P<line>\d+) \((?P<subject>\w+)\):\s*$",
        True,
    ),
    _f("gcc", "compile", DETAIL, r"^\s*(?:❌\s+)?" + _AT + r":? (?:fatal )?error:? ?(?P<msg>.*)$", True),
    _f(
        "elixir",
        "compile",
        DETAIL,
        r"^\*\* \((?P<code>CompileError|SyntaxError|TokenMissingError)\) " + _AT + r": (?P<msg>.+)$",
    ),
    _f("javac", "compile", DETAIL, r"(?P<msg>(?:bad class file:?|class file has wrong version) .+)$"),
    _f(
        "linker",
        "compile",
        DETAIL,
        r"(?P<msg>undefined reference to .+|ld: symbol\(s\) not found.*|linker command failed.*)$",
    ),
    _f("python_syntax", "compile", DETAIL, r"^(?P<code>SyntaxError|IndentationError|TabError): (?P<msg>.+)$"),
    # ---- lint and format checks ----
    _f("flake8", "lint", DETAIL, r"^\s*" + _AT + r": (?P<code>[A-Z]{1,3}\d{2,4}) (?:\[\*\] )?(?P<msg>.+)$"),
    _f("pylint", "lint", DETAIL, r"^\s*" + _AT + r": (?P<code>[CRWEF]\d{4}): (?P<msg>.+)$"),
    _f(
        "rubocop",
        "lint",
        DETAIL,
        r"^\s*" + _AT + r": [CWEF]: (?:\[Correctable\] )?(?P<code>[A-Z]\w+/\w+): (?P<msg>.+)$",
    ),
    _f(
        "eslint",
        "lint",
        DETAIL,
        r"^\s+(?P<line>\d+):(?P<col>\d+)\s+(?:error|✖)\s+(?P<msg>.+?)\s{2,}(?P<code>[@\w/-]+)\s*$",
    ),
    _f("eslint_compact", "lint", DETAIL, _PATH + r": line (?P<line>\d+), col (?P<col>\d+), Error - (?P<msg>.+)$"),
    _f(
        "standard",
        "lint",
        DETAIL,
        r"^\s+" + _PATH + r":(?P<line>\d+):(?P<col>\d+): (?P<msg>.+?)(?: \((?P<code>[\w/-]+)\))?$",
    ),
    _f(
        "perlcritic",
        "lint",
        DETAIL,
        r"^(?:" + _PATH + r": )?(?P<msg>.+) at line (?P<line>\d+), column \d+\.\s+.*\(Severity: \d\)$",
    ),
    # PHP_CodeSniffer's table under "FILE: /src/Cart.php" (the file from there, see _REFINE).
    _f("phpcs", "lint", DETAIL, r"^\s*(?P<line>\d+) \| ERROR\s*\| (?:\[.\] )?(?P<msg>.+)$"),
    # shellcheck's tty format: "In x.sh line 12:", the line, then "  ^-- SC2086: ..." (newer
    # versions mark the span, "^--^", and the level, "(warning)"); its file and line from above.
    _f("shellcheck", "lint", DETAIL, r"^\s*\^-*\^?\s+(?P<code>SC\d{4})(?: \(\w+\))?: (?P<msg>.+)$"),
    _f("hadolint", "lint", DETAIL, r"^(?P<file>\S+):(?P<line>\d+) (?P<code>DL\d{4}|SC\d{4}) error: (?P<msg>.+)$"),
    _f("markdownlint", "lint", DETAIL, r"^\s*" + _AT + r" (?P<code>MD\d{3})(?:/[\w-]+)* (?P<msg>.+)$"),
    # TSLint's prose format: "ERROR: (no-unused-variable) src/cart.ts[12, 5]: 'x' is declared but not used."
    _f(
        "tslint",
        "lint",
        DETAIL,
        r"^(?:ERROR: )?(?:\((?P<code>[\w-]+)\) )?(?P<file>\S+\.[jt]sx?)\[(?P<line>\d+), (?P<col>\d+)\]: (?P<msg>.+)$",
    ),
    # Vint: "autoload/cart.vim:12:5: Use the full option name instead of the abbreviation (see ...)".
    _f(
        "vint",
        "lint",
        DETAIL,
        r"^(?P<file>\S+\.vim):(?P<line>\d+):(?P<col>\d+): (?P<msg>.+?)(?: \(see (?P<subject>.+)\))?$",
    ),
    # PHPStan's table: "  Line   src/Cart.php", a rule, then "  12     Call to an undefined method ...".
    _f("phpstan", "type_error", DETAIL, r"^\s*Line\s+(?P<file>\S+\.php)\s*$", True),
    _f("black", "lint", DETAIL, r"^would reformat (?P<file>\S+)$"),
    # ktlint: "src/main/kotlin/App.kt:12:5: Unexpected blank line(s) before "}" (no-blank-line-before-rbrace)".
    _f("ktlint", "lint", DETAIL, r"^" + _PATH + r":(?P<line>\d+):(?P<col>\d+): (?P<msg>.+?) \((?P<code>[\w:-]+)\)$"),
    # Checkstyle's plain format: "[ERROR] src/App.java:12:5: Missing a Javadoc comment. [MissingJavadocMethod]".
    _f(
        "checkstyle",
        "lint",
        DETAIL,
        r"^\[ERROR\] " + _PATH + r":(?P<line>\d+)(?::(?P<col>\d+))?: (?P<msg>.+) \[(?P<code>\w+)\]$",
    ),
    # A coverage threshold not reached (pytest-cov, coverage.py's fail-under, Jest): the
    # required figure in ``code``, the reached one in ``subject``.
    _f(
        "coverage",
        "lint",
        DETAIL,
        r"(?P<msg>FAIL Required test coverage of (?P<code>[\d.]+)% not reached\. Total coverage: (?P<subject>[\d.]+)%|"
        r"Coverage failure: total of (?P<s2>[\d.]+) is less than fail-under=(?P<c2>[\d.]+))\s*$",
    ),
    _f(
        "coverage",
        "lint",
        DETAIL,
        r"(?P<msg>Jest: \"[^\"]+\" coverage threshold for \w+ \((?P<code>[\d.]+)%\) not met: (?P<subject>[\d.]+)%)\s*$",
    ),
    # Spotless (Gradle, Maven): the files, indented, with their diffs, then the command that
    # fixes them: "Run './gradlew :spotlessApply' to fix these violations." (see _spotless_files)
    _f("spotless", "lint", DETAIL, r"(?:^(?:> )?|: )The following files had format violations:\s*$"),
    _f("isort", "lint", DETAIL, r"^ERROR: (?P<file>\S+) Imports are incorrectly sorted"),
    _f("prettier", "lint", DETAIL, r"^\[(?:warn|error)\] (?P<file>(?!Code style)\S+\.\w+)$"),
    # A checker in list mode prints each file it would change, alone on a line ("prettier -l",
    # "--list-different", "gofmt -l", "goimports -l"): such a line counts under its command only
    # (see _listing_command_above).
    _f("listed_file", "lint", DETAIL, r"^(?P<file>(?:[\w.@+-]+/)*[\w@+-][\w.@+-]*\.[A-Za-z]\w{0,9})\s*$"),
    # rustfmt --check: "Diff in /src/main.rs at line 12:".
    _f("rustfmt", "lint", DETAIL, r"^Diff in (?P<file>\S+?)(?::| at line )(?P<line>\d+):?\s*$"),
    _f("gofmt", "lint", DETAIL, r"^(?:diff -u )?(?P<file>\S+\.go)\.orig (?P<f2>\S+\.go)$"),
    _f("rubocop_summary", "lint", ERROR, r"^\d+ files? inspected, (?P<msg>\d+ offenses? detected.*)$"),
    _f("eslint_summary", "lint", VERDICT, r"^✖ (?P<msg>\d+ problems? \(\d+ errors?.*)$"),
    _f("prettier_summary", "lint", VERDICT, r"(?P<msg>Code style issues found in (?:the above file|\d+ files?).*)$"),
    _f(
        "format_check",
        "lint",
        ERROR,
        r"(?P<msg>(?:The following files had format violations|Formatting violations found|would be reformatted|"
        r"files? would be reformatted).*)$",
    ),
    # ---- dependencies the resolver could not satisfy ----
    _f(
        "python_import",
        "dependency_install",
        DETAIL,
        r"(?P<code>ModuleNotFoundError|ImportError): (?P<msg>No module named '?(?P<subject>[\w.]+)'?.*)$",
    ),
    _f("python_import", "dependency_install", DETAIL, r"(?P<code>ImportError): (?P<msg>cannot import name .+)$"),
    # Node.js: a package ("Cannot find module 'express'") is a dependency; a path ("./cart",
    # "/app/dist/server.js") is a file of the project the code requires.
    _f(
        "node_module",
        "dependency_install",
        DETAIL,
        r"Error: (?P<msg>Cannot find module '(?P<subject>(?![./]|[A-Za-z]:[/\\])[^']+)'.*)$",
    ),
    _f(
        "node_local_module",
        "compile",
        DETAIL,
        r"Error: (?P<msg>Cannot find module '(?P<subject>(?:\.{1,2}|[A-Za-z]:)?[/\\][^']*)'.*)$",
    ),
    _f(
        "pip",
        "dependency_install",
        DETAIL,
        r"^ERROR: (?P<msg>(?:Could not find a version that satisfies the requirement|"
        r"No matching distribution found for) (?P<subject>\S+).*)$",
    ),
    # pip's resolver: the conflict, then "The conflict is caused by:" over the requirements that
    # clash, and "ResolutionImpossible" (see _pip_conflict).
    _f(
        "pip_conflict",
        "dependency_install",
        DETAIL,
        r"^ERROR: (?P<msg>(?:Cannot install .+ because these package versions have conflicting dependencies|"
        r"ResolutionImpossible).*)$",
    ),
    _f(
        "npm",
        "dependency_install",
        DETAIL,
        r"^npm ERR! (?P<msg>(?:ERESOLVE .+|404 .+|notarget .+|peer dep missing.*|Could not resolve dependency:.*))$",
    ),
    _f(
        "yarn",
        "dependency_install",
        DETAIL,
        r'^error (?P<msg>(?:An unexpected error occurred: "[^"]*(?:Not found|404)[^"]*"|'
        r"Couldn't find (?:any versions|package) .+).*)$",
    ),
    _f(
        "composer",
        "dependency_install",
        DETAIL,
        r"^\s+- (?P<msg>(?:The requested (?:package|PHP extension) .+|Root composer\.json requires .+|"
        r"\S+ requires .+ -> .+))$",
    ),
    _f(
        "composer",
        "dependency_install",
        ERROR,
        r"^(?P<msg>Your requirements could not be resolved to an installable set of packages\.)$",
    ),
    _f(
        "bundler",
        "dependency_install",
        DETAIL,
        r"(?P<msg>Could not find (?:gem '(?P<subject>[^']+)'.*|\S+ in any of the (?:gem )?sources)|"
        r"Bundler could not find compatible versions for gem .+)$",
    ),
    # A lock file out of date with its manifest, where the install may not update it (CI's
    # frozen installs): npm ci, yarn --frozen-lockfile, pnpm, Poetry, cargo --locked.
    _f(
        "lockfile",
        "dependency_install",
        DETAIL,
        r"(?P<msg>`npm ci` can only install packages when your package\.json and package-lock\.json.*|"
        r"Your lockfile needs to be updated, but yarn was run with `--frozen-lockfile`.*|"
        r"(?P<code>ERR_PNPM_OUTDATED_LOCKFILE)\s+.*|"
        r"pyproject\.toml changed significantly since poetry\.lock was last generated.*|"
        r"the lock file \S*Cargo\.lock needs to be updated but --locked was passed.*)$",
    ),
    # pnpm: "ERR_PNPM_NO_MATCHING_VERSION  No matching version found for x@^9".
    _f("pnpm", "dependency_install", DETAIL, r"^\s*(?P<code>ERR_PNPM_\w+)\s+(?P<msg>\S.+)$"),
    # Go modules: a module go.sum lacks, a go.mod out of date with the code.
    _f(
        "go_mod",
        "dependency_install",
        DETAIL,
        r"(?P<msg>missing go\.sum entry for module providing package (?P<subject>[^\s;,()]+).*|"
        r"(?:go: )?updates to go\.mod needed.*|go: inconsistent vendoring.*)$",
    ),
    _f(
        "r_package",
        "dependency_install",
        DETAIL,
        r"(?P<msg>(?:ERROR: dependenc(?:y|ies) .+ (?:is|are) not available.*|Packages? required but not available: .+|"
        r"there is no package called .+))$",
    ),
    _f(
        "cargo_resolve",
        "dependency_install",
        DETAIL,
        r"^error: (?P<msg>(?:failed to select a version for .+|no matching package named .+|failed to (?:download|"
        r"fetch) .+))$",
    ),
    _f(
        "apt",
        "dependency_install",
        DETAIL,
        r"^E: (?P<msg>Unable to locate package (?P<subject>\S+)|Package '?\S+'? has no installation candidate.*)$",
    ),
    _f("pip_build", "dependency_install", DETAIL, r"(?P<msg>(?:ERROR: )?Failed building wheel for (?P<subject>\S+))$"),
    _f("mix", "compile", ERROR, r"^\*\* \((?P<code>Mix(?:\.Error)?)\) (?P<msg>.+)$"),
    _f(
        "missing_command",
        "dependency_install",
        DETAIL,
        r"(?:^|: )(?P<subject>[\w.+-]+): (?P<msg>(?:command )?not found)$",
    ),
    # zsh, cmd.exe and PowerShell say it their own way.
    _f(
        "missing_command",
        "dependency_install",
        DETAIL,
        r"(?:^zsh: (?P<msg>command not found): (?P<subject>\S+)$|"
        r"^'(?P<s2>[^']+)' (?P<m2>is not recognized as an internal or external command)|"
        r"The term '(?P<s3>[^']+)' (?P<m3>is not recognized as the name of a cmdlet))",
    ),
    _f(
        "perl_module",
        "dependency_install",
        DETAIL,
        r"(?P<msg>Can't locate (?P<subject>[\w/]+\.pm) in @INC.*)$",
    ),
    _f("ruby_load", "dependency_install", DETAIL, r"(?P<msg>cannot load such file -- (?P<subject>\S+))"),
    _f(
        "pkg_config",
        "dependency_install",
        DETAIL,
        r"(?P<msg>(?:Package '?(?P<subject>[\w.+-]+)'?,? (?:required by '[^']*', )?"
        r"(?:was )?not found(?: in the pkg-config search path)?|No package '(?P<s2>[\w.+-]+)' found).*)$",
    ),
    # Gradle: "   > Could not find com.acme:cart:1.2." / "> Could not resolve com.acme:cart:1.+."
    _f(
        "gradle_resolve",
        "dependency_install",
        DETAIL,
        r"^\s*> (?P<msg>Could not (?:find|resolve) (?P<subject>[\w.-]+:[\w.-]+(?::[\w.+\[\],)(-]*[\w+\])])?)"
        r"\.?(?:\s.*)?)$",
    ),
    # Maven, Leiningen: "Could not find artifact com.acme:cart:jar:1.2 in central (https://...)".
    _f(
        "maven_resolve",
        "dependency_install",
        DETAIL,
        r"(?P<msg>(?:Could not resolve dependencies for project|Could not find artifact|"
        r"The following artifacts could not be resolved:?|Failed to collect dependencies at) "
        r"(?P<subject>[^\s,:]+(?::[^\s,:]+)*).*)$",
    ),
    # Cabal's solver: "cabal: Could not resolve dependencies:"; stack's "Error: While constructing the build plan".
    _f(
        "cabal_resolve",
        "dependency_install",
        DETAIL,
        r"^(?P<msg>(?:cabal(?:\.exe)?: Could not resolve dependencies|Error: While constructing the build plan).*)$",
    ),
    _f("emacs_package", "dependency_install", DETAIL, r"(?P<msg>Package [`'‘]\S+[`'’] is unavailable)"),
    # ---- limits, runners, networks, permissions ----
    # (strerror's "No space left on device"; Go's errors spell it in lower case)
    _w("disk", "infrastructure", DETAIL, r"[Nn]o space left on device|[Dd]isk quota exceeded"),
    # Runners and their daemons (GitHub Actions, GitLab, Docker).
    _w(
        "runner",
        "infrastructure",
        DETAIL,
        r"lost communication with the server|runner has received a shutdown signal|"
        r"The job was not acquired by Runner|Cannot connect to the Docker daemon|"
        r"ERROR: Job failed \(system failure\)|The runner .* (?:is offline|went offline)",
    ),
    _w(
        "memory",
        "timeout_or_oom",
        DETAIL,
        r"(?:JavaScript heap out of memory|java\.lang\.OutOfMemoryError.*|\bMemoryError\b|Cannot allocate memory|"
        r"\bOOMKilled\b|Out of memory: Killed process)",
    ),
    # The shell's report of a job killed by SIGKILL, most often the kernel's OOM killer.
    _f(
        "killed",
        "timeout_or_oom",
        ERROR,
        r"^(?:.*?: )?(?:line \d+: +)?(?P<msg>(?:\d+ )?Killed(?: +(?P<subject>\S.*))?)$",
    ),
    _w("killed", "timeout_or_oom", GENERIC, r"(?:exited with (?:code )?137|exit code 137)\b"),
    _f("no_output", "timeout_or_oom", DETAIL, r"(?P<msg>No output has been received in the last \S+.*)$"),
    _w(
        "time_limit",
        "timeout_or_oom",
        DETAIL,
        r"(?:exceeded the maximum (?:execution )?time|took longer than \d+ \w+ and was terminated|"
        r"has exceeded the maximum execution time)",
    ),
    _w(
        "test_timeout",
        "timeout_or_oom",
        DETAIL,
        r"(?:\(ExUnit\.TimeoutError\)|Failed: Timeout >|Timeout of \d+ms exceeded|test timed out after|"
        r"timed out after \d+)",
    ),
    _f(
        "git_network",
        "network_or_flaky",
        DETAIL,
        # (401 and 403 are the server refusing the credentials: git_permission)
        r"(?P<msg>(?:fatal: unable to access (?!.*returned error: 40[13]\b).+|error: RPC failed; .+|"
        r"fatal: the remote end hung up unexpectedly))$",
    ),
    _f(
        "git_permission",
        "permission_or_secret",
        DETAIL,
        r"(?P<msg>(?:remote: |ERROR: )?Permission to (?P<subject>\S+?)\.? denied to .+|"
        r"fatal: Authentication failed for .+|fatal: could not read Username.+|"
        r"fatal: unable to access '(?P<s2>[^']+)': The requested URL returned error: 40[13]\b.*)$",
    ),
    # (A link checker's entry is its report even where it names a network error.)
    _f(
        "link_check",
        "lint",
        DETAIL,
        r"^\s*(?:[-*✗✖]\s*|\d+\. (?:\[L\d+\] )?)?(?:\[(?P<code>[1-5]\d\d|ERR|TIMEOUT)\]|"
        r"(?P<c2>[45]\d\d)) (?P<subject>https?://\S+)(?P<msg>.*)$",
    ),
    _f("link_check", "lint", DETAIL, r"(?P<msg>\s*\*\s+(?:External|Internal) link (?P<subject>\S+) failed.*)$"),
    # awesome_bot's "Issues :-(" list: "  01. [L0410] 301 https://a → https://b", a link it could
    # not open has no status ("  11. [L3303]  https://c Failed to open TCP connection ..."). Its
    # run also lists every link it checked in the same shape: only the issues list counts.
    _f(
        "link_check",
        "lint",
        DETAIL,
        r"^\s*\d+\. (?P<entry>\[L\d+\]) +(?:(?P<code>[3-5]\d\d) +)?(?P<subject>https?://\S+)(?P<msg>.*)$",
    ),
    _w(
        "network",
        "network_or_flaky",
        DETAIL,
        r"(?:Could not resolve host:? (?P<subject>[\w.-]+)|Temporary failure in name resolution|"
        r"getaddrinfo (?:ENOTFOUND|EAI_AGAIN)|ECONNRESET|ECONNREFUSED|ETIMEDOUT|Connection reset by peer|"
        r"Network is unreachable|SSL connect error|TLS handshake timeout|unable to resolve host|"
        # urllib3 and requests
        r"Max retries exceeded with url|Failed to establish a new connection|NewConnectionError|"
        r"ConnectTimeoutError|ReadTimeoutError|RemoteDisconnected|Connection aborted|"
        # strerror(ETIMEDOUT), Go's net package, Mojo::UserAgent and others
        r"Connection timed out|[Cc]onnect(?:ion)? timeout|dial tcp \S+: i/o timeout)",
    ),
    # git checking out what the remote no longer has: a branch deleted, a commit force-pushed
    # away, a pull request's merge ref gone, after the build was queued.
    _f(
        "git_ref",
        "infrastructure",
        DETAIL,
        r"(?P<msg>(?:fatal: )?Remote branch (?P<subject>\S+) not found in upstream \S+|"
        r"fatal: reference is not a tree: (?P<s2>[0-9a-f]{7,40})|"
        r"fatal: [Cc]ouldn't find remote ref (?P<s3>\S+))\s*$",
    ),
    _f("missing_variable", "permission_or_secret", DETAIL, r"KeyError: '(?P<subject>[A-Z][A-Z0-9_]{2,})'$"),
    _f(
        "missing_variable",
        "permission_or_secret",
        DETAIL,
        r"(?:environment variable|env var|secret|token)s? [`'\"]?(?P<subject>[A-Z][A-Z0-9_]{2,})[`'\"]? "
        r"(?:is )?(?:not set|missing|required|empty|undefined|must be set)",
    ),
    _f(
        "missing_variable",
        "permission_or_secret",
        DETAIL,
        r"\b(?P<subject>[A-Z][A-Z0-9_]{2,}) (?:is not set|must be set|is empty|not found in environment)\b",
    ),
    # An action's input the workflow does not pass (GitHub Actions' toolkit says so).
    _f("missing_input", "permission_or_secret", DETAIL, r"(?P<msg>Input required and not supplied: (?P<subject>\S+))"),
    # The AWS CLI and SDKs: "An error occurred (AccessDenied) when calling the PutObject operation:
    # Access Denied" (the category follows the error code, see _aws_code).
    _f(
        "aws",
        "unknown",
        ERROR,
        r"An error occurred \((?P<code>[\w.]+)\) when calling the (?P<subject>\w+) operation(?: \([^)]*\))?: "
        r"(?P<msg>.+)$",
    ),
    _f(
        "aws_credentials",
        "permission_or_secret",
        DETAIL,
        r"(?P<msg>Unable to locate credentials\b.*|Could not assume role with OIDC: .+|"
        r"Credentials could not be loaded, please check your action inputs.*)$",
    ),
    # kubectl: "Error from server (Forbidden): deployments.apps "web" is forbidden: ...".
    _f("kubectl", "unknown", ERROR, r"^Error from server \((?P<code>\w+)\): (?P<msg>.+)$"),
    # Ansible: "fatal: [web1]: FAILED! => {"msg": "..."}" (the message from its JSON, see _ansible_msg).
    _f("ansible", "unknown", ERROR, r"^fatal: \[(?P<subject>[^\]]+)\]: (?P<code>FAILED|UNREACHABLE)! => (?P<msg>.+)$"),
    # Docker's registry: a private or missing image, Docker Hub's pull rate limit.
    _f(
        "docker_pull",
        "permission_or_secret",
        DETAIL,
        r"(?P<msg>(?:Error response from daemon: )?pull access denied for (?P<subject>[^,\s]+).*)$",
    ),
    _f("docker_rate", "network_or_flaky", DETAIL, r"(?P<msg>toomanyrequests: .*pull rate limit.*)$"),
    _w(
        "not_executable",
        "permission_or_secret",
        DETAIL,
        # A shell refusing to run a script whose execute bit is not set (exit status 126): "bash:
        # ./gradlew: Permission denied", "sh: 1: ./ci/test.sh: Permission denied", "x.sh: line 3: ..."
        r"^(?:(?:ba|z|da)?sh: (?:line \d+: |\d+: )?|\S+: line \d+: )"
        r"(?P<subject>\.{0,2}/[\w./-]+|[\w.-]+(?:/[\w.-]+)+|[\w.-]+\.sh): "
        r"Permission denied\s*$",
    ),
    _w(
        "permission",
        "permission_or_secret",
        GENERIC,
        r"(?:Permission denied|\bEACCES\b|\bEPERM\b|403 Forbidden|401 Unauthorized|Bad credentials|"
        r"Resource not accessible by integration)",
    ),
    _w(
        "actions_config",
        "github_actions_config",
        DETAIL,
        r"(?:Invalid workflow file|The workflow is not valid|Unable to resolve action|Can't find 'action\.ya?ml'|"
        r"Unrecognized named-value)",
    ),
    _f("buildkit", "docker_build", DETAIL, r"^#(?P<step>\d+) ERROR: (?P<msg>.+)$"),
    _f(
        "docker",
        "docker_build",
        ERROR,
        r"^(?:ERROR: |error: )?(?P<msg>failed to solve: .+|executor failed running .+|COPY failed: .+)$",
    ),
    _f("pre_commit", "lint", ERROR, r"^(?P<subject>\S.*?)\.{3,}(?:\(no files to check\))?Failed$", True),
    # ---- error statements: an exception, a tool's error line ----
    _f(
        "assertion",
        "test_assertion",
        ERROR,
        r"^(?:E\s+)?(?P<msg>(?:\w+\.)*AssertionError\b.*|Assertion failed.*|Failed asserting .+)$",
    ),
    _f(
        "exception",
        "unknown",
        GENERIC,
        # Java's uncaught exception, a "Caused by:", .NET's "Unhandled exception. System.X: ..."
        r"^(?:Exception in thread \"[^\"]+\" |Unhandled [Ee]xception[.:] |\s*(?:Caused by: )?)"
        r"(?P<code>(?:[A-Za-z]\w*\.)+[A-Z]\w*(?:Error|Exception|Failure))(?::? (?P<msg>.*))?$",
    ),
    _f("exception", "unknown", GENERIC, r"^(?:\w+\.)*(?P<code>[A-Z]\w*(?:Error|Exception))(?:: (?P<msg>.+))?$"),
    _f("panic", "unknown", GENERIC, r"^(?:thread '(?P<test>[^']+)' panicked at (?P<msg>.+)|panic: (?P<m2>.+))$"),
    _f(
        "npm_error",
        "unknown",
        GENERIC,
        r"^npm ERR! (?P<msg>(?!code |errno |syscall |A complete log|Exit status|Failed at the|This is probably|"
        r"Test failed\.|\s*$)\S.+)$",
    ),
    _f("gradle_wrong", "unknown", ERROR, r"^\* What went wrong:$", True),
    # Rake: "rake aborted!", then the error ("NameError: ...", or the message alone for a
    # RuntimeError), its backtrace, "Tasks: TOP => ..." (see _rake_reason).
    _f("rake", "unknown", ERROR, r"^rake aborted!\s*$", True),
    _f("link_summary", "lint", ERROR, r"(?P<msg>\b[1-9]\d* (?:dead|broken) links? (?:found|detected).*)$"),
    _f(
        "maven_goal",
        "unknown",
        ERROR,
        r"^\[ERROR\] Failed to execute goal (?P<subject>[\w.-]+:[\w.-]+)(?::[\w.-]+)?:(?P<code>[\w-]+) "
        r"\([^)]*\) on project [\w.-]+: (?P<msg>.+)$",
    ),
    _f(
        "error_line",
        "unknown",
        GENERIC,
        r"^\s*(?:\[(?:ERROR|error)\]\s*|(?:[\w.-]+: )?(?:error|ERROR|Error|FATAL|"
        r"fatal)(?:\[\w+\])?:\s+)"
        # Maven's closing boilerplate says nothing of the cause, nor do tox's verdicts.
        r"(?P<msg>(?!BUILD FAIL|-> \[Help|Re-run Maven|To see the full stack|For more information about|"
        r"InvocationError for command|[\w.-]+: commands failed)\S.{3,})$",
    ),
    _f(
        "no_such_file",
        "unknown",
        GENERIC,
        r"^(?!\s*(?:SKIP|skip|ok|PASS))(?P<msg>.*: (?:No such file or directory|cannot find the path specified)\.?)$",
    ),
    # Lua's interpreter (lua, luajit, luvit, busted) prints the error, then "stack traceback:"
    # and the frames: the report stands on the line above (see _lua_error_above).
    _f("lua_error", "unknown", GENERIC, r"^stack traceback:\s*$"),
    _w("crash", "unknown", GENERIC, r"\b(?:Segmentation fault|Bus error|Abort trap|core dumped)\b"),
    # ---- verdicts: the tool says it failed; the cause is elsewhere ----
    _f(
        "travis_command",
        "unknown",
        VERDICT,
        # Travis prints it for each command; exit code 0 is a command that passed.
        r"^The command \"(?P<subject>.+)\" (?:exited with|failed(?: and exited with)?) (?P<code>[1-9]\d*)",
    ),
    # GitHub Actions' error annotation ("##[error]msg" in the log, "::error file=a,line=3::msg" as
    # a step writes it) when what it says is no known tool's report (see parse_line).
    _f("actions_error", "unknown", ERROR, r"^(?:##\[error\]|::error(?: [^:]*)?::)(?P<msg>\S.*)$"),
    _f("actions_cancel", "unknown", VERDICT, r"^(?:##\[error\])?(?P<msg>The operation was canceled\.)$"),
    _f("actions_exit", "unknown", VERDICT, r"^(?:##\[error\])?Process completed with exit code (?P<code>\d+)\.?$"),
    _f(
        "make",
        "unknown",
        VERDICT,
        r"^(?:g?make(?:\[\d+\])?|mingw32-make): \*\*\* \[(?P<subject>[^\]]+)\] (?:Error (?P<code>\d+))",
    ),
    _f(
        "build_failure",
        "unknown",
        VERDICT,
        r"^(?:\[ERROR\] |\[INFO\] )?(?:BUILD FAILED|BUILD FAILURE|FAILURE: Build failed with an exception\.|"
        r"\*\* (?:BUILD|TEST|ARCHIVE|ANALYZE) FAILED \*\*)",
    ),
    _f("yarn_failed", "unknown", VERDICT, r"^error Command failed with exit code (?P<code>\d+)\.?$"),
    # tox: the command that failed in an environment, and its summary line per environment.
    _f(
        "tox",
        "unknown",
        VERDICT,
        r"^ERROR: (?:InvocationError for command (?P<subject>.+?) \(exited with code (?P<code>\d+)\)|"
        r"\s*(?P<s2>[\w.-]+): commands failed)",
    ),
    # npm test (npm 6 and before) when the test script failed: the script's output says why.
    _f("npm_test", "unknown", VERDICT, r"^(?:npm ERR! )?(?P<msg>Test failed\.\s+See above for more details\.)\s*$"),
    _f("npm_failed", "unknown", VERDICT, r"^npm ERR! (?:Failed at the (?P<subject>\S+) \S+ script|code ELIFECYCLE)"),
    _f("test_summary", "test_assertion", VERDICT, r"(?P<msg>\b[1-9]\d* (?:failed|failing|failures?)\b.*)$"),
)


# One pass that tells whether a line can match any format: most lines match none, and one
# search of the union costs less than a search per format.
# Python's \w, \d and \s are Unicode-aware and RE2's are ASCII: for RE2 they take every
# non-ASCII character (word and digit) or Unicode space too, so the loosened pattern still
# matches wherever Python's does. RE2's \W, \D, \S and negated classes already take more.
_NON_ASCII: Final = "\\x{80}-\\x{10ffff}"
_UNICODE_SPACE: Final = (
    "\\x{1c}-\\x{1f}\\x{85}\\x{a0}\\x{1680}\\x{2000}-\\x{200a}\\x{2028}\\x{2029}\\x{202f}\\x{205f}\\x{3000}"
)
_WIDER: Final = {"\\w": _NON_ASCII, "\\d": _NON_ASCII, "\\s": _UNICODE_SPACE}


def loosened(pattern: str) -> str:
    """``pattern`` as a looser RE2 pattern that matches wherever it does, and more: lookaround
    groups, group names and word boundaries dropped, \\w, \\d and \\s widened to Unicode."""
    out: list[str] = []
    index = 0
    while index < len(pattern):
        if pattern.startswith("\\", index):
            escape = pattern[index : index + 2]
            if escape in _WIDER:
                out.append(f"[{escape}{_WIDER[escape]}]")
            elif escape not in ("\\b", "\\B"):
                out.append(escape)
            index += 2
        elif pattern.startswith("[", index):
            end = _class_end(pattern, index)  # a ")" inside a class closes nothing
            members = pattern[index + 1 : end - 1]
            extra = "" if members.startswith("^") else "".join(w for e, w in _WIDER.items() if e in members)
            out.append(f"[{extra}{members}]")  # first: a "-" at the end of members stays a "-"
            index = end
        elif pattern.startswith(("(?=", "(?!", "(?<=", "(?<!"), index):
            index = _group_end(pattern, index)
        elif pattern.startswith("(?P<", index):
            out.append("(?:")
            index = pattern.index(">", index) + 1
        else:
            out.append(pattern[index])
            index += 1
    return "".join(out)


def _class_end(pattern: str, start: int) -> int:
    """The index just past the character class that opens at ``start``."""
    index = start + 1
    index += pattern[index] == "^"
    index += pattern[index] == "]"
    while pattern[index] != "]":
        index += 2 if pattern[index] == "\\" else 1
    return index + 1


def _group_end(pattern: str, start: int) -> int:
    """The index just past the group that opens at ``start``."""
    depth, index = 0, start
    while index < len(pattern):
        char = pattern[index]
        if char == "\\":
            index += 2
            continue
        if char == "[":
            index = _class_end(pattern, index)
            continue
        depth += (char == "(") - (char == ")")
        index += 1
        if depth == 0:
            return index
    raise ValueError(f"unbalanced group in {pattern!r}")


@functools.cache
def _candidates() -> Callable[[str], list[int]]:
    """Which formats can match a line, in RE2 passes over it: most lines match none, and Python's
    engine would try each format at each position. The formats' lookarounds are dropped for RE2,
    so it may name a format that does not match (the format's own pattern decides), never miss
    one. The formats anchored at a line's start are tried there only (three quarters of them:
    a fraction of the cost of a search). Built on first use: importing the engine stays cheap."""
    anchored = re2.Set.MatchSet(re2.Options())
    unanchored = re2.Set.SearchSet(re2.Options())
    anchored_ids: list[int] = []
    unanchored_ids: list[int] = []
    for index, fmt in enumerate(FORMATS):
        pattern = loosened(fmt.pattern.pattern)
        if pattern.startswith("^"):
            anchored.Add(pattern)
            anchored_ids.append(index)
        else:
            unanchored.Add(pattern)
            unanchored_ids.append(index)
    anchored.Compile()
    unanchored.Compile()
    # The sets' own matchers, on bytes encoded once (the wrapper would encode for each set).
    match_start, search = anchored._set.Match, unanchored._set.Match

    def candidates(text: str) -> list[int]:
        data = text.encode()
        at_start, anywhere = match_start(data), search(data)
        if not at_start and not anywhere:
            return []  # most lines: nothing to build
        return sorted([*(anchored_ids[i] for i in at_start or ()), *(unanchored_ids[i] for i in anywhere or ())])

    return candidates


# Warnings are never failure statements, however they are worded (prettier --check says what
# failed at its "[warn]" level: the files, and its closing "Code style issues found ...").
_WARNING: Final = re.compile(
    r"(?i)^\s*(?:\[warn(?:ing)?\](?! \S+\.\w+\s*$| Code style issues)|warning[:\[ ]|"
    r"\S+:\d+(?::\d+)?:? warning\b|w: |deprecat|##\[warning\]|::warning\b)"
)
_MESSAGE: Final = re.compile(
    r"(?:\b\w*(?:Error|Exception)\b|\b(?:Assertion|assert|expected|Expected|error|FAIL|Fail|fail|Failed|failed|Failure|"
    r"failure|panicked|not ok|"
    r"got|but was|to (?:be|equal)|should|Undefined|undefined|cannot|Cannot|missing|Missing|mismatch|"
    r"differ|Timeout|timed out)\b|^\s*E\s+|\*\* \()"
)
_NEVER: Final = re.compile(r"(?!)")
# The line that starts a format's next block: its message search stops there.
_HEADER_OF: Final[dict[str, re.Pattern[str]]] = {"pytest": re.compile(r"^_{3,} \S.* _{3,}$|^={3,} ")}
# A label over a test's message ("Error Message:", Jasmine's "Message:"), not the message.
_BLOCK_LABEL: Final = re.compile(
    r"^\s*(?:(?:Error Message|Messages?|Stack(?: Trace)?|Standard Output|Output|Error|Expected|Actual|Passed in):"
    # nextest's heads of a test's output: "stdout ───" (0.9.70 on), "--- STDOUT: crate::test ---"
    r"|(?:stdout|stderr) ─+|--- STD(?:OUT|ERR):.*---)\s*$"
)
# A test run's closing count says how many failed, not why this one did; nor do libtest's
# "running 3 tests", its result lines ("test cart::total ... FAILED") and its "failures:" heading.
_RUN_SUMMARY: Final = re.compile(
    r"(?i)^\s*(?:test result:|tests? run:|\d+ (?:tests? )?(?:passed|failed)\b|running \d+ tests?\s*$"
    r"|test \S+ \.\.\. (?:failed|ok|ignored)\s*$|failures:\s*$)"
)
# (testify prints "Error Trace:" with the test's frames above its "Error:" line.)
_FRAME: Final = re.compile(
    r"^\s*(?:at |in |from |File \"|#\d+ |\d+: |\.\.\.|Stack|stack traceback|Traceback|Error Trace:)"
)


def _message_below(lines: Lines, index: int, kind: str = "") -> tuple[int, str] | None:
    """The first line under ``lines[index]`` that says what went wrong (not a frame, not blank)."""
    start = lines[index][0]
    marked = _MARKED_MESSAGE.get(kind)
    if marked is not None:
        pattern, reach = marked
        for lineno, text in lines[index + 1 : index + 1 + reach]:
            if lineno - start > reach or _HEADER_OF.get(kind, _NEVER).match(text):
                break
            match = pattern.match(text)
            if match:
                return lineno, match.group("msg")
    fallback: tuple[int, str] | None = None
    for lineno, text in lines[index + 1 : index + 1 + MESSAGE_LOOKAHEAD]:
        if lineno - start > MESSAGE_LOOKAHEAD:
            break
        stripped = text.strip()
        if (
            not stripped
            or _FRAME.match(text)
            or _RUN_SUMMARY.match(text)
            or _BLOCK_LABEL.match(text)
            or set(stripped) <= set("-=_─═*~^|+ ")
        ):
            continue
        if _MESSAGE.search(text):
            return lineno, stripped
        if fallback is None:
            fallback = lineno, stripped
    return fallback


def _goes_on(kind: str, message: str) -> bool:
    """Whether a compiler's message goes on below its line: GHC's "error:" and its flags
    ("error: [-Wunused-imports, -Werror=unused-imports]") over the message; gcc and clang echo
    the source under a message that is whole."""
    return kind == "gcc" and (message.endswith(":") or message.startswith("["))


def _report(fmt: Format, lines: Lines, index: int, match: re.Match[str]) -> Report:
    lineno, text = lines[index]
    groups = {k: v for k, v in match.groupdict().items() if v}
    message = text.strip() if fmt.whole_line else groups.get("msg") or groups.get("m2") or groups.get("m3") or ""
    message_line = lineno
    if fmt.message_below:
        below = _message_below(lines, index, fmt.kind)
        test = groups.get("test", "")
        if below is not None and test and test.endswith(below[1]):
            below = None  # the test's name again, as a list of failures prints it: no reason
        if below is not None and (not message or fmt.kind in ("rspec", "pre_commit") or _goes_on(fmt.kind, message)):
            message_line, message = below[0], below[1] if not message else f"{message} {below[1]}"
    file = groups.get("file") or groups.get("file2") or ""
    line = groups.get("line") or groups.get("l2") or ""
    location = ":".join(part for part in (file, line, groups.get("col", "") if line else "") if part)
    if not line:
        location = ""
    return Report(
        kind=fmt.kind,
        category=fmt.category,
        strength=fmt.strength,
        line=lineno,
        message=" ".join((message or text).split()),
        message_line=message_line,
        test=" ".join(groups.get("test", "").split()),
        file=file,
        location=location,
        code=groups.get("code") or groups.get("c2") or "",
        subject=groups.get("subject") or groups.get("s2") or groups.get("s3", ""),
    )


# A stack frame names a place but states nothing ("  at f (x.js:1:2)", "x.lua:3: in function 'f'").
_STACK_FRAME: Final = re.compile(
    r"^\s*(?:at |from |File \"|#\d+ 0x|\d+: 0x)|: in (?:function|method|main chunk|upvalue|local)\b|\bin <module>$"
)
# A list under such a heading holds what a check was told to ignore, not its failures.
_IGNORED_SECTION: Final = re.compile(r"(?i)white[- ]?list|allow(?:ed|list)|ignor|skipp|exclu|known")
_LIST_ITEM: Final = re.compile(r"^\s*(?:\d+\.|[-*✓✗✖])\s")
# The file a stylish report's lines (ESLint, stylelint, yamllint) stand under: a path alone.
_FILE_HEADING: Final = re.compile(r"^\s*(?:[A-Za-z]:)?[\w./\\@+-]*[\w@+-]\.[A-Za-z]\w{0,9}\s*$")
HEADING_LOOKBACK: Final = 40


_MINITEST_TEST: Final = re.compile(r"^\s*(?P<test>\w+#\w+.*?|\w+\(\w+\))(?:\s+\[(?P<file>[^\]:]+):(?P<line>\d+)\])?:?$")
_MINITEST_SKIPPED: Final = re.compile(r"^\s*(?:\d+\) )?Skipped:\s*$")
_RUSTC_LOCATION: Final = re.compile(r"^\s*--> (?P<file>\S+?):(?P<line>\d+):(?P<col>\d+)$")
RUSTC_LOCATION_LINES: Final = 3


def _in_ignored_list(lines: Lines, index: int) -> bool:
    """Whether ``lines[index]`` is an item of a list headed as ignored ("White listed:")."""
    for lineno, text in reversed(lines[max(0, index - MESSAGE_LOOKAHEAD) : index]):
        if lines[index][0] - lineno > MESSAGE_LOOKAHEAD:
            return False
        if text.strip() and not _LIST_ITEM.match(text):
            return bool(_IGNORED_SECTION.search(text))
    return False


# A sanitizer's stack frame: "    #0 0x455084 in free_buffer /src/nvim/buffer.c:612:3".
# (A harness may prefix each line: "=     #0 0x455084 in ...".)
_SANITIZER_FRAME: Final = re.compile(r"(?:^|\s)#\d+ 0x[0-9a-fA-F]+ in (?P<function>\S+)(?P<place>.*)$")
# Frames of the sanitizer's own runtime: the same for every crash of a kind (every bad free).
_RUNTIME_FRAME: Final = re.compile(
    r"^(?:__(?:asan|lsan|msan|tsan|ubsan|sanitizer|interceptor)_?)|compiler-rt/|/sanitizer_"
)
SANITIZER_FRAMES: Final = 3
SANITIZER_LOOKAHEAD: Final = 30


def _top_frames(lines: Lines, index: int) -> list[str]:
    """The functions of the first SANITIZER_FRAMES frames of the stack under a sanitizer's report
    that are the program's, not the sanitizer runtime's: what tells one crash from another (the
    addresses change from run to run)."""
    start = lines[index][0]
    frames: list[str] = []
    for lineno, text in lines[index + 1 : index + 1 + SANITIZER_LOOKAHEAD]:
        if lineno - start > SANITIZER_LOOKAHEAD or len(frames) >= SANITIZER_FRAMES:
            break
        found = _SANITIZER_FRAME.search(text)
        if found is None:
            if frames:
                break  # the first stack ends: "allocated by", "freed by" stacks are not the crash's
            continue
        if not (_RUNTIME_FRAME.search(found["function"]) or _RUNTIME_FRAME.search(found["place"])):
            frames.append(found["function"])
    return frames


# What a link checker's entry says after the link.
_LINK_REST: Final = re.compile(r"https?://\S+(.*)$")
_ISSUES_HEADING: Final = re.compile(r"^\s*Issues :-\(\s*$")
_SECTION_HEADING: Final = re.compile(r"^\s*> \S")
ISSUES_LOOKBACK: Final = 400


def _in_issues_list(lines: Lines, index: int) -> bool:
    """Whether ``lines[index]`` is an entry under awesome_bot's "Issues :-(" heading (its
    sections, "> Links" and "> Dupes", and their entries between)."""
    start = lines[index][0]
    for lineno, text in reversed(lines[max(0, index - ISSUES_LOOKBACK) : index]):
        if start - lineno > ISSUES_LOOKBACK:
            return False
        if _ISSUES_HEADING.match(text):
            return True
        if text.strip() and not (_LIST_ITEM.match(text) or _SECTION_HEADING.match(text)):
            return False
    return False


def _heading_above(lines: Lines, index: int) -> tuple[int, str] | None:
    """The file heading a stylish report's line stands under, if the lines between are its own."""
    for lineno, text in reversed(lines[max(0, index - HEADING_LOOKBACK) : index]):
        if lines[index][0] - lineno > HEADING_LOOKBACK:
            return None
        if _FILE_HEADING.match(text):
            return lineno, text.strip()
    return None


# A checker run in list mode: it prints the files it would change, one per line.
_LISTING_COMMAND: Final = re.compile(r"\bprettier\b.*\s(?:--list-different|-l)\b|\b(?:gofmt|goimports)\b.*\s-l\b")
LISTING_LOOKBACK: Final = 30


def _listing_command_above(lines: Lines, index: int) -> bool:
    """Whether the bare path ``lines[index]`` stands under a list-mode checker's command, with
    only other such paths or blank lines between."""
    start = lines[index][0]
    for lineno, text in reversed(lines[max(0, index - LISTING_LOOKBACK) : index]):
        if start - lineno > LISTING_LOOKBACK:
            return False
        if _LISTING_COMMAND.search(text):
            return True
        if text.strip() and not _FILE_HEADING.match(text):
            return False
    return False


def _buildkit_number(text: str) -> str:
    """The number of the BuildKit step whose error ``text`` reports ("#7 ERROR: ..." -> "7")."""
    found = re.match(r"^#(\d+) ", text)
    return found.group(1) if found else ""


def _buildkit_step(lines: Lines, index: int, number: str) -> tuple[int, str] | None:
    """BuildKit's header of step ``#number`` ("#7 [stage 2/5] RUN make") above its error, if shown."""
    header = re.compile(rf"^#{number} \[[^\]]+\] (?P<step>\S.*)$")
    for lineno, text in reversed(lines[:index]):
        match = header.match(text)
        if match:
            return lineno, match.group("step")
    return None


# run-tests.php prints a failing test's diff above its result line: "========DIFF========", then
# numbered lines, "+" for what the test printed and "-" for what was expected, "========DONE========".
_PHP_DIFF_START: Final = re.compile(r"^={4,}DIFF={4,}\s*$")
_PHP_DIFF_LINE: Final = re.compile(r"^\d{3,}\+ (?P<msg>.*\S.*)$")
_PHP_RESULT: Final = re.compile(r"^[A-Z&]{3,9} .+ \[[^\]\s]+\.phpt\]")
PHP_DIFF_LINES: Final = 60


def _php_diff_above(lines: Lines, index: int) -> tuple[int, str] | None:
    """The first line a failing run-tests.php test printed that was not expected ("001+ ..."),
    from its diff above its result line (``lines[index]``), if shown."""
    start = lines[index][0]
    block = lines[max(0, index - PHP_DIFF_LINES) : index]
    for at in range(len(block) - 1, -1, -1):
        lineno, text = block[at]
        if start - lineno > PHP_DIFF_LINES or _PHP_RESULT.match(text):
            break  # another test's result, or too far: only what stands right over it is this one's
        if _PHP_DIFF_START.match(text):
            return next(
                ((n, found["msg"].strip()) for n, t in block[at + 1 :] if (found := _PHP_DIFF_LINE.match(t))),
                None,
            )
    return _php_diff_shown(lines, index)


_PHP_DIFF_DONE: Final = re.compile(r"^={4,}DONE={4,}\s*$")
_PHP_DIFF_ANY: Final = re.compile(r"^(?P<number>\d{3,})[+-](?: |$)")


def _php_diff_shown(lines: Lines, index: int) -> tuple[int, str] | None:
    """When the diff's header is not shown: its first unexpected line, if the diff lines shown
    without a gap over "========DONE========" (itself right over the result line) are the
    diff's start: they reach the line over the diff, or begin at the output's first line (001)."""
    if index < 1 or not _PHP_DIFF_DONE.match(lines[index - 1][1]):
        return None
    first: tuple[int, str] | None = None
    top = ""
    below = lines[index - 1][0]
    for at in range(index - 2, -1, -1):
        lineno, text = lines[at]
        numbered = _PHP_DIFF_ANY.match(text)
        if lineno != below - 1:
            break  # past a gap: what is above may be another test's diff
        if numbered is None:
            return first  # the line over the diff: all of it is shown
        below, top = lineno, numbered["number"]
        found = _PHP_DIFF_LINE.match(text)
        if found:
            first = (lineno, found["msg"].strip())
    return first if top and int(top) == 1 else None


# Mocha's spec reporter heads a failure with its suites, one per line, each indented deeper, the
# test's own title last and ending in a colon: "  1) Cart", "       applies the discount:".
_TITLE_PART: Final = re.compile(r"^(?P<indent>\s+)(?P<title>\S.*?)(?P<colon>:?)\s*$")
TITLE_LINES: Final = 6


def _numbered_title(report: Report, lines: Lines, index: int) -> Report | None:
    """A numbered report's test with the title parts the lines under it add (Mocha), when its
    title goes on below; the message is then looked for under the title."""
    head = _TITLE_PART.match(lines[index][1])
    indent = len(head["indent"]) if head else 0
    parts = [report.test]
    lineno = lines[index][0]
    for at in range(index + 1, min(index + 1 + TITLE_LINES, len(lines))):
        number, text = lines[at]
        part = _TITLE_PART.match(text)
        if number != lineno + 1 or part is None or len(part["indent"]) <= indent or _BLOCK_LABEL.match(text):
            return report  # no title below (Jasmine's "Message:" labels its block): the report as it is
        parts.append(part["title"])
        indent, lineno = len(part["indent"]), number
        if part["colon"]:
            below = _message_below(lines, at)
            message = below[1] if below is not None else report.message
            where = below[0] if below is not None else report.message_line
            return replace(report, test=" ".join(parts), message=" ".join(message.split()), message_line=where)
    return report


def _busted_test(report: Report, lines: Lines, index: int) -> Report | None:
    """busted's test: the line under "Failure → spec/x_spec.lua @ 12" names it; its message follows."""
    if index + 1 >= len(lines) or lines[index + 1][0] != lines[index][0] + 1 or not lines[index + 1][1].strip():
        return report
    below = _message_below(lines, index + 1)
    report = replace(report, test=" ".join(lines[index + 1][1].split()))
    if below is not None:
        report = replace(report, message=" ".join(below[1].split()), message_line=below[0])
    return report


def _minitest(report: Report, lines: Lines, index: int) -> Report | None:
    """Minitest's report with its test and message: a "Failure:" or "Error:" heading has the test
    and its place on the next line and the message under that; a test under "Skipped:" did not fail."""
    if report.test:
        above = lines[index - 1] if index else None
        if above is not None and above[0] == lines[index][0] - 1 and _MINITEST_SKIPPED.match(above[1]):
            return None
        return report
    if index + 1 >= len(lines):
        return report
    named = _MINITEST_TEST.match(lines[index + 1][1])
    if not named:
        return report
    location = f"{named['file']}:{named['line']}" if named["file"] else ""
    report = replace(report, test=named["test"], file=named["file"] or "", location=location)
    below = _message_below(lines, index + 1)
    if below is not None:
        report = replace(report, message=" ".join(below[1].split()), message_line=below[0])
    return report


LUA_MESSAGE_LINES: Final = 6
# Where a Lua error starts: the chunk's name and line ("x.lua:3: ", '[string "y"]:12: ').
_LUA_POSITION: Final = re.compile(r"\S+:\d+: ")


def _lua_error_above(lines: Lines, index: int) -> tuple[int, str] | None:
    """The error Lua printed above its "stack traceback:" (``lines[index]``). Its message may take
    several lines (a blank line may follow it): of the block of lines above, the nearest that
    has a position, else the block's first when a blank line shows where it starts; none when
    that is a warning (a test framework may print a traceback for its warnings)."""
    start = lines[index][0]
    block: list[tuple[int, str]] = []
    headed = False  # whether the line above the block is shown and blank: its start is known
    for lineno, text in reversed(lines[max(0, index - LUA_MESSAGE_LINES - 1) : index]):
        expected = block[-1][0] - 1 if block else start - 1
        if lineno != expected and not (not block and lineno == expected - 1):
            break
        if not text.strip():
            if block:
                headed = True
                break
            continue  # the blank line under the message
        block.append((lineno, text.strip()))
    found = next(((n, t) for n, t in block if _LUA_POSITION.search(t)), None)
    if found is None and headed:
        found = block[-1]
    if found is None or is_warning(found[1]):
        return None
    return found


def is_warning(text: str) -> bool:
    """Whether the line is a warning (which never states why a job failed)."""
    return bool(_WARNING.match(text))


def _link_entry(report: Report, lines: Lines, index: int) -> Report | None:
    """A link entry's own words, not the line again: its status and what follows the link."""
    if not report.code.isdigit():
        return report
    found = _LINK_REST.search(lines[index][1])
    rest = " ".join(found.group(1).split()) if found else ""
    return replace(report, message=f"status {report.code} {rest}".strip())


def _annotation_place(report: Report, lines: Lines, index: int) -> Report | None:
    """The file and line a workflow command's parameters name ("::error file=a.js,line=3::")."""
    params = _ANNOTATION_PARAMS.match(lines[index][1])
    if params is None or not params["file"]:
        return report
    where = f"{params['file']}:{params['line']}" if params["line"] else ""
    return replace(report, file=params["file"], location=where)


def _sanitizer_frames(report: Report, lines: Lines, index: int) -> Report | None:
    """A sanitizer's report named by its program's top frames."""
    frames = _top_frames(lines, index)
    return replace(report, subject=" < ".join(frames)) if frames else report


def _buildkit_place(report: Report, lines: Lines, index: int) -> Report | None:
    """A BuildKit error placed on its step's header, which names the step."""
    step = _buildkit_step(lines, index, _buildkit_number(lines[index][1]))
    return replace(report, line=step[0], subject=step[1]) if step is not None else report


def _lua_message(report: Report, lines: Lines, index: int) -> Report | None:
    """Lua's "stack traceback:" as the error above it (none when there is no such error)."""
    above = _lua_error_above(lines, index)
    if above is None:
        return None
    return replace(report, line=above[0], message=above[1], message_line=above[0])


# What rake's `sh` raises when a command fails: the command's own output, above, says why.
_RAKE_FOOTER: Final = re.compile(r"^(?:Tasks: |\(See full trace)")
_RAKE_COMMAND: Final = re.compile(r"^Command failed with status \((?P<code>\d+)\): \[?(?P<subject>.*?)\]?\s*$")


def _rake_reason(report: Report, lines: Lines, index: int) -> Report | None:
    """ "rake aborted!" with the error under it; a command that failed (`sh`) is only a verdict."""
    command = _RAKE_COMMAND.match(report.message)
    if command is None:
        # Without its error shown ("Tasks: TOP => test" is rake's footer), "rake aborted!" only
        # says that the task failed.
        if report.message_line == report.line or _RAKE_FOOTER.match(report.message):
            return replace(report, strength=VERDICT, message="rake aborted!", message_line=report.line)
        # "rake aborted!" only heads the error: the error's line is the statement.
        return replace(report, line=report.message_line)
    return replace(report, strength=VERDICT, code=command["code"], subject=" ".join(command["subject"].split())[:200])


# .NET prints an exception's inner exceptions after " ---> ", on its line or on the next ones
# ("System.AggregateException: One or more errors occurred. ---> System.IO.IOException: ..."),
# down to "--- End of inner exception stack trace ---": the innermost states the cause.
_INNER_EXCEPTION: Final = re.compile(r"^(?P<code>(?:\w+\.)*\w+(?:Exception|Error))(?: \(\d+\))?: (?P<msg>.+)$")
_INNER_END: Final = re.compile(r"^\s*--- End of inner exception stack trace ---")


def _inner_exception(report: Report, lines: Lines, index: int) -> Report | None:
    """An exception with the innermost exception it wraps (.NET's " ---> "), when it names one."""
    inner: tuple[int, re.Match[str]] | None = None
    if " ---> " in lines[index][1]:
        found = _INNER_EXCEPTION.match(lines[index][1].rsplit(" ---> ", 1)[1].strip())
        inner = (lines[index][0], found) if found is not None else None
    start = lines[index][0]
    for lineno, text in lines[index + 1 : index + 1 + MESSAGE_LOOKAHEAD]:
        stripped = text.strip()
        if lineno - start > MESSAGE_LOOKAHEAD or _INNER_END.match(text):
            break
        if stripped.startswith("---> "):
            found = _INNER_EXCEPTION.match(stripped.rsplit("---> ", 1)[1])
            inner = (lineno, found) if found is not None else inner
        elif not _STACK_FRAME.search(text):
            break
    if inner is None:
        return report
    lineno, match = inner
    # The wrapper says only that something inside failed: the innermost's line is the statement.
    return replace(
        report,
        line=lineno,
        code=match["code"].rsplit(".", 1)[-1],
        message=" ".join(match["msg"].split()),
        message_line=lineno,
    )


_SPOTLESS_FILE: Final = re.compile(r"^\s+(?P<file>(?:[\w.@+-]+/)*[\w@+-][\w.@+-]*\.[A-Za-z]\w{0,9})\s*$")
_SPOTLESS_APPLY: Final = re.compile(r"Run '(?P<command>[^']+)' to fix these violations")
SPOTLESS_LINES: Final = 60


def _spotless_files(report: Report, lines: Lines, index: int) -> Report:
    """Spotless's list: the first file it names, and the command it says fixes them (subject)."""
    start = lines[index][0]
    file, command = "", ""
    for lineno, text in lines[index + 1 : index + 1 + SPOTLESS_LINES]:
        if lineno - start > SPOTLESS_LINES:
            break
        listed = _SPOTLESS_FILE.match(text) if not file else None
        file = listed["file"] if listed else file
        fix = _SPOTLESS_APPLY.search(text)
        if fix:
            command = fix["command"]
            break
    # Without a file shown, it only says that files would change.
    return replace(report, file=file, subject=command, strength=DETAIL if file else ERROR)


_CONFLICT_HEAD: Final = re.compile(r"^The conflict is caused by:\s*$")
CONFLICT_LINES: Final = 12
CONFLICT_CAUSES: Final = 4


def _pip_conflict(report: Report, lines: Lines, index: int) -> Report:
    """pip's conflict with the requirements that clash, from under "The conflict is caused by:"
    (shown above or below the statement) as its message."""
    start = lines[index][0]
    near = [(at, n) for at, (n, _) in enumerate(lines) if abs(n - start) <= CONFLICT_LINES]
    head = next((at for at, _ in near if _CONFLICT_HEAD.match(lines[at][1])), None)
    if head is None:
        return report
    causes: list[tuple[int, str]] = []
    for lineno, text in lines[head + 1 : head + 1 + CONFLICT_CAUSES]:
        if not text.startswith((" ", "\t")) or not text.strip():
            break
        causes.append((lineno, text.strip()))
    if not causes:
        return report
    return replace(report, message="; ".join(text for _, text in causes), message_line=causes[0][0])


# Common Test prints each line of a case's failure after "%%% <suite> ==> ".
_CT_PREFIX: Final = re.compile(r"^%%% \w+ ==> ")


def _common_test(report: Report, lines: Lines, index: int) -> Report:
    return replace(report, message=_CT_PREFIX.sub("", report.message))


# GHC names the warning flags that made a warning an error before its message ("error:
# [-Wunused-imports, -Werror=unused-imports]"), and since 9.6 the error's code ("[GHC-88464]").
_GHC_FLAGS: Final = re.compile(r"^\[(?:(?P<code>GHC-\d+)|(?P<flags>-W[^\]]*))\] (?P<msg>\S.*)$")


def _compiler(report: Report, lines: Lines, index: int) -> Report:
    """A compiler's error: a class file built for a newer Java, GHC's flags after the message."""
    report = _class_version(report, lines, index)
    flags = _GHC_FLAGS.match(report.message)
    if flags is None:
        return report
    if flags["code"]:
        return replace(report, code=report.code or flags["code"], message=flags["msg"])
    werror = [f.strip() for f in flags["flags"].split(",") if f.strip().startswith("-Werror")]
    return replace(report, message=f"{flags['msg']} ({', '.join(werror or [flags['flags']])})")


# javac reading a class file newer than it supports: "cannot access com.acme.Lib", then "bad
# class file: <jar>(<class>)" and "class file has wrong version 55.0, should be 52.0".
_CLASS_VERSION: Final = re.compile(r"class file has wrong version (?P<built>\d+)\.0, should be (?P<runs>\d+)\.0")
_BAD_CLASS_FILE: Final = re.compile(r"bad class file:? (?P<file>\S+)")
CLASS_VERSION_LINES: Final = 4


def _class_version(report: Report, lines: Lines, index: int) -> Report:
    """A javac error whose cause is a class file built for a newer Java: its versions (the class
    file major version, as "55:52") in ``code`` and the class file in ``subject``."""
    start = lines[index][0]
    shown = [(n, t) for n, t in lines[index : index + 1 + CLASS_VERSION_LINES] if n - start <= CLASS_VERSION_LINES]
    found = next(((n, m) for n, t in shown if (m := _CLASS_VERSION.search(t))), None)
    if found is None:
        return report
    bad = next((m["file"] for _, t in shown if (m := _BAD_CLASS_FILE.search(t))), "")
    lineno, match = found
    return replace(
        report,
        kind="class_version",
        code=f"{match['built']}:{match['runs']}",
        subject=bad or report.subject,
        message=match.group(0)
        if report.message.startswith(("bad class file", "class file"))
        else f"{report.message}: {match.group(0)}",
        message_line=lineno,
    )


def _php_diff(report: Report, lines: Lines, index: int) -> Report | None:
    """A run-tests.php result with the first unexpected line of its diff as the message."""
    diff = _php_diff_above(lines, index)
    return replace(report, message=diff[1], message_line=diff[0]) if diff is not None else report


def _rustc_place(report: Report, lines: Lines, index: int) -> Report | None:
    """rustc states the place on the line under its message: " --> src/main.rs:3:13"."""
    if report.location:
        return report
    for _lineno, below in lines[index + 1 : index + 1 + RUSTC_LOCATION_LINES]:
        found = _RUSTC_LOCATION.match(below)
        if found:
            return replace(report, file=found["file"], location=f"{found['file']}:{found['line']}:{found['col']}")
    return report


_TERRAFORM_PLACE: Final = re.compile(r"^(?:│)?\s+on (?P<file>\S+\.(?:tf|tfvars|hcl|tofu)) line (?P<line>\d+)")
_TERRAFORM_DETAIL: Final = re.compile(r"^(?:│ )?(?P<msg>[A-Z][^│]*\S)\s*$")
TERRAFORM_LINES: Final = 8


def _terraform_place(report: Report, lines: Lines, index: int) -> Report | None:
    """Terraform's "Error: ..." with the place under it, and its detail as the message (the
    sentence after the quoted source); None without a place (another tool's "Error:")."""
    start = lines[index][0]
    shown = [(n, t) for n, t in lines[index + 1 : index + 1 + TERRAFORM_LINES] if n - start <= TERRAFORM_LINES]
    found = next(((i, m) for i, (_, t) in enumerate(shown) if (m := _TERRAFORM_PLACE.match(t))), None)
    if found is None:
        return None
    at, place = found
    detail = next(
        (
            (n, m["msg"])
            for n, t in shown[at + 1 :]
            if (m := _TERRAFORM_DETAIL.match(t)) and not re.match(r"^(?:│ )?\s*\d+:", t)
        ),
        None,
    )
    message = f"{report.message}: {detail[1]}" if detail is not None else report.message
    return replace(
        report,
        file=place["file"],
        location=f"{place['file']}:{place['line']}",
        message=message,
        message_line=detail[0] if detail is not None else report.line,
    )


# AWS error codes that mean the credentials or their permissions, and those that mean a limit.
_AWS_PERMISSION: Final = re.compile(
    r"AccessDenied|AccessDeniedException|UnauthorizedOperation|UnauthorizedAccess|ExpiredToken|"
    r"InvalidClientTokenId|SignatureDoesNotMatch|AuthFailure|InvalidAccessKeyId|UnrecognizedClientException"
)
_AWS_LIMIT: Final = re.compile(r"Throttling|ThrottlingException|RequestLimitExceeded|SlowDown|TooManyRequests")


def _aws_code(report: Report, lines: Lines, index: int) -> Report:
    """An AWS error, its category by its code: credentials and permissions, or a rate limit."""
    if _AWS_PERMISSION.fullmatch(report.code):
        return replace(report, category="permission_or_secret", strength=DETAIL)
    if _AWS_LIMIT.fullmatch(report.code):
        return replace(report, category="network_or_flaky", strength=DETAIL)
    return report


def _kubectl_code(report: Report, lines: Lines, index: int) -> Report:
    """kubectl's server error, a permission when the API server refused the credentials."""
    if report.code in ("Forbidden", "Unauthorized"):
        return replace(report, category="permission_or_secret", strength=DETAIL)
    return report


_ANSIBLE_MSG: Final = re.compile(r'"msg": "(?P<msg>(?:[^"\\]|\\.)*)"')


def _ansible_msg(report: Report, lines: Lines, index: int) -> Report:
    """Ansible's failed task with the "msg" of its result; an unreachable host is a network failure."""
    found = _ANSIBLE_MSG.search(report.message)
    message = found["msg"].replace('\\"', '"') if found else report.message
    category = "network_or_flaky" if report.code == "UNREACHABLE" else report.category
    return replace(report, message=message, category=category)


def _error_at_place(report: Report, lines: Lines, index: int) -> Report | None:
    """An "error: ..." line with rustc's place under it (" --> src/lib.rs:72:13") is rustc's
    error without a code: a compile error at that place."""
    located = _rustc_place(report, lines, index)
    if located is None or not located.location:
        return report
    return replace(located, kind="rustc", category="compile", strength=DETAIL)


def _eslint_file(report: Report, lines: Lines, index: int) -> Report | None:
    """A stylish report's line placed under its file heading."""
    heading = _heading_above(lines, index)
    if heading is None:
        return report
    location = f"{heading[1]}:{report.location}" if report.location else heading[1]
    return replace(report, line=heading[0], file=heading[1], location=location)


_GO_PACKAGE: Final = re.compile(r"^# [\w.-]+(?:/[\w.-]+)*(?: \[[\w./ -]+\])?\s*$")
_GO_ERROR: Final = re.compile(r"^(?:\.{1,2}/)?[\w./-]+\.go:\d+:\d+: ")
GO_ERRORS: Final = 20


def _go_build(report: Report, lines: Lines, index: int) -> Report | None:
    """A Go compiler error stands under its package's "# import/path" heading, with only other
    errors (and their indented detail) between; elsewhere the same shape is a linter's."""
    start = lines[index][0]
    for lineno, text in reversed(lines[max(0, index - GO_ERRORS) : index]):
        if start - lineno > GO_ERRORS:
            return None
        if _GO_PACKAGE.match(text):
            return report
        if not (_GO_ERROR.match(text) or text.startswith(("\t", "  "))):
            return None
    return None


_SHELLCHECK_PLACE: Final = re.compile(r"^In (?P<file>\S+) line (?P<line>\d+):\s*$")
_PHPCS_FILE: Final = re.compile(r"^FILE: (?P<file>\S+)\s*$")
PLACE_LOOKBACK: Final = 40


def _place_above(pattern: re.Pattern[str], lines: Lines, index: int) -> re.Match[str] | None:
    """The nearest line above ``lines[index]`` (within PLACE_LOOKBACK lines) that ``pattern`` matches."""
    start = lines[index][0]
    for lineno, text in reversed(lines[max(0, index - PLACE_LOOKBACK) : index]):
        if start - lineno > PLACE_LOOKBACK:
            return None
        found = pattern.match(text)
        if found:
            return found
    return None


def _shellcheck_place(report: Report, lines: Lines, index: int) -> Report | None:
    """shellcheck's finding placed at the "In x.sh line N:" above it."""
    place = _place_above(_SHELLCHECK_PLACE, lines, index)
    if place is None:
        return report
    return replace(report, file=place["file"], location=f"{place['file']}:{place['line']}")


def _phpcs_file(report: Report, lines: Lines, index: int) -> Report | None:
    """PHP_CodeSniffer's row placed in the file its "FILE:" heading names."""
    heading = _place_above(_PHPCS_FILE, lines, index)
    if heading is None:
        return report
    return replace(report, file=heading["file"], location=f"{heading['file']}:{report.location}")


# What a format's match is completed with from the lines around it (None: it is no report).
_REFINE: Final[dict[str, Callable[[Report, Lines, int], Report | None]]] = {
    "link_check": _link_entry,
    "actions_error": _annotation_place,
    "sanitizer": _sanitizer_frames,
    "buildkit": _buildkit_place,
    "lua_error": _lua_message,
    "minitest": _minitest,
    "numbered": _numbered_title,
    "busted": _busted_test,
    "go_build": _go_build,
    "shellcheck": _shellcheck_place,
    "phpcs": _phpcs_file,
    "php_run_tests": _php_diff,
    "rake": _rake_reason,
    "spotless": _spotless_files,
    "javac": _class_version,
    "maven_javac": _class_version,
    "gcc": _compiler,
    "pip_conflict": _pip_conflict,
    "common_test": _common_test,
    "exception": _inner_exception,
    "rustc": _rustc_place,
    "error_start": _error_at_place,
    "terraform": _terraform_place,
    "aws": _aws_code,
    "kubectl": _kubectl_code,
    "ansible": _ansible_msg,
    "eslint": _eslint_file,
}


_ANNOTATION: Final = re.compile(r"^(?:##\[error\]|::error(?: [^:]*)?::)(?P<rest>\S.*)$")
# A workflow command's parameters: "::error file=app.js,line=10,col=5::msg".
_ANNOTATION_PARAMS: Final = re.compile(r"^::error [^:]*?\bfile=(?P<file>[^,:]+)(?:[^:]*?\bline=(?P<line>\d+))?")


def parse_line(lines: Lines, index: int, candidates: Sequence[int] | None = None) -> Report | None:
    """The strongest report that ``lines[index]`` starts, if any (the first format wins a tie);
    ``candidates`` are the formats that may match it, when the caller knows them already."""
    text = lines[index][1]
    annotation = _ANNOTATION.match(text)
    if annotation is not None:
        # An annotation quotes a tool's own line ("##[error]src/a.ts(3,5): error TS2322: ..."):
        # that tool's report, on this line, when it is one.
        inner = [*lines[:index], (lines[index][0], annotation["rest"]), *lines[index + 1 :]]
        quoted = parse_line(inner, index)
        if quoted is not None or is_warning(annotation["rest"]):
            return quoted
    if candidates is None:
        candidates = _candidates()(text)
    if not candidates or is_warning(text) or _STACK_FRAME.search(text):
        return None
    best: Report | None = None
    for fmt in (FORMATS[index] for index in candidates):
        if best is not None and fmt.strength <= best.strength:
            continue
        match = fmt.pattern.search(text)
        if (
            match is None
            or (fmt.kind == "link_check" and _in_ignored_list(lines, index))
            or (match.groupdict().get("entry") and not _in_issues_list(lines, index))
            or (fmt.kind == "listed_file" and not _listing_command_above(lines, index))
        ):
            continue
        found: Report | None = _report(fmt, lines, index, match)
        refine = _REFINE.get(fmt.kind)
        if refine is not None and found is not None:
            # A refiner may find the line is not this tool's after all (None): the next
            # format that matches it gets its turn.
            found = refine(found, lines, index)
        if found is None or (best is not None and found.strength <= best.strength):
            continue
        best = found
        if best.strength == DETAIL:
            break
    return best


# stack (Haskell) prefixes each line of a package's build output with the package's name
# ("cart> src/Cart.hs:12:5: error:"): the compiler's and the test runner's own lines follow it.
_PACKAGE_PREFIX: Final = re.compile(r"^[A-Za-z][\w.-]*> ")
PREFIXED_LINES: Final = 3


def _without_package_prefixes(lines: Lines) -> Lines:
    """``lines`` without stack's package prefixes, when at least PREFIXED_LINES carry one."""
    found = [_PACKAGE_PREFIX.match(text) for _, text in lines]
    if sum(match is not None for match in found) < PREFIXED_LINES:
        return lines
    return [(n, text[match.end() :] if match else text) for (n, text), match in zip(lines, found, strict=True)]


def parse_reports(lines: Lines) -> list[Report]:
    """Every failure statement in ``lines`` (numbered lines in order), in line order."""
    lines = _without_package_prefixes(lines)
    found = []
    candidates = _candidates()
    for index, (_, text) in enumerate(lines):
        possible = candidates(text)
        if not possible:
            continue  # most lines: no format can match, and no call is made for them
        report = parse_line(lines, index, possible)
        if report is not None:
            found.append(report)
    return _outside_test_blocks(found)


def _outside_test_blocks(reports: list[Report]) -> list[Report]:
    """The reports that are not lines of a failing test's block: between a test's header and its
    message stand the test's source and frames (pytest prints the code it ran), whose words
    ("except ConnectTimeoutError:") state nothing."""
    spans = [(r.line, r.message_line) for r in reports if r.test and r.strength == DETAIL and r.message_line > r.line]
    if not spans:
        return reports
    return [r for r in reports if r.test or not any(start < r.line < end for start, end in spans)]
