"""The offline answer worded from the decisive statement: category, sentences, confidence, identity."""

from __future__ import annotations

import pytest

from chalicelib.engines.decisive import decide
from chalicelib.engines.explain import CONFIDENCE, NO_STATEMENT_CONFIDENCE, explain, failing_step, step_command
from chalicelib.engines.finding import Finding, messages
from chalicelib.engines.fingerprint import fingerprint
from chalicelib.engines.reports import DETAIL, VERDICT, parse_reports
from chalicelib.textlint import lint_text

Lines = list[tuple[int, str]]


def answer(
    lines: Lines, anchors: list[int] | None = None, step: int | None = None, markers: list[int] | None = None
) -> Finding:
    decision = decide(lines, anchors or [lines[0][0]], step, markers or [])
    return explain(decision, lines, step)


def no_defects(finding: Finding) -> None:
    for text in (finding.summary, finding.root_cause):
        assert list(lint_text(text, commands=False)) == [], text
    assert list(lint_text(finding.suggested_fix)) == [], finding.suggested_fix


def test_a_test_without_a_known_command_is_not_told_to_run_a_stand_in() -> None:
    finding = answer([(5, "--- FAIL: TestParse (0.00s)"), (6, "    parse_test.go:31: expected 3, got 4")])
    assert finding.summary == "Test TestParse failed"
    assert finding.root_cause == "TestParse failed: parse_test.go:31: expected 3, got 4"
    assert finding.suggested_fix.startswith("Reproduce the failing test locally")
    no_defects(finding)


@pytest.mark.parametrize(
    "line",
    ["motions/line-char-first                    ERROR", "test parse::tests::utf8 ... FAILED", "x_test ... FAIL"],
)
def test_a_result_line_alone_is_named_without_a_made_up_message(line: str) -> None:
    finding = answer([(7, line)])
    assert finding.category == "test_assertion"
    assert finding.root_cause.endswith("failed; its report in the log gives no reason")
    assert finding.evidence == [(7, line)]
    no_defects(finding)


def test_a_list_mode_format_check_names_the_file_it_lists() -> None:
    lines = [
        (1, "$ ./node_modules/.bin/prettier --list-different 'app/**/*.js'"),
        (2, "app/routes/about.js"),
        (3, "error Command failed with exit code 1."),
    ]
    finding = answer(lines, [3], 1, [3])
    assert (finding.category, finding.summary, finding.root_cause, finding.suggested_fix) == (
        "lint",
        "Format check failed on app/routes/about.js",
        "The format check lists app/routes/about.js as a file its formatter would change",
        "Run the formatter on app/routes/about.js locally and commit the result.",
    )
    assert finding.evidence == [(2, "app/routes/about.js")]
    no_defects(finding)


def test_an_exunit_assertion_quotes_its_left_and_right_values() -> None:
    lines = [
        (40, "  1) test totals the cart (CartTest)"),
        (41, "     test/cart_test.exs:12"),
        (42, "     Assertion with == failed"),
        (43, "     code:  assert Cart.total(cart) == 3"),
        (44, "     left:  2"),
        (45, "     right: 3"),
    ]
    finding = answer(lines, [42])
    assert finding.root_cause == '"totals the cart" failed: Assertion with == failed (left: 2, right: 3)'
    no_defects(finding)


def test_an_assertions_long_values_are_left_to_the_evidence() -> None:
    lines = [
        (40, "  1) test assets are in sync (AssetsTest)"),
        (42, "     Assertion with == failed"),
        (44, "     left:  " + "!function(e,t){return e}" * 10),
        (45, '     right: ""'),
    ]
    assert answer(lines, [42]).root_cause == '"assets are in sync" failed: Assertion with == failed'


@pytest.mark.parametrize(
    "lines",
    [
        [(5, "--- FAIL: TestSimulation (2.01s)"), (6, "FAIL")],
        [(5, "FAIL Bug #71412 reflection info [ext/spl/tests/bug71412.phpt] ")],
        # nextest's block: its output's heads, libtest's own lines and its list of failures.
        [
            (5, "        FAIL [   9.875s] (396/396) tests-build::macros compile_fail_full"),
            (6, "  stdout ───"),
            (7, ""),
            (8, "    running 1 test"),
            (9, "    test compile_fail_full ... FAILED"),
            (10, "    failures:"),
            (11, "        compile_fail_full"),
            (
                12,
                "    test result: FAILED. 0 passed; 1 failed; 0 ignored; 0 measured; 0 filtered out; finished in 9.87s",
            ),
        ],
        [
            (5, "        FAIL [   0.004s] cart::tests::total"),
            (6, "--- STDOUT:              cart::tests::total ---"),
            (7, "running 1 test"),
            (8, "test tests::total ... FAILED"),
        ],
    ],
)
def test_a_report_that_only_says_its_test_failed_is_not_quoted_as_its_reason(lines: list[tuple[int, str]]) -> None:
    finding = answer(lines)
    assert finding.root_cause.endswith("failed; its report in the log gives no reason"), finding.root_cause
    no_defects(finding)


@pytest.mark.parametrize(
    ("result", "summary"),
    [
        # run-tests.php titles a test by its --TEST-- line, often a sentence that starts "Test".
        (
            "FAIL Test lstat() and stat() functions [ext/standard/tests/file/lstat.phpt] ",
            '"Test lstat() and stat() functions" failed',
        ),
        ("FAIL tests for the array cursor [ext/spl/tests/cursor.phpt] ", '"tests for the array cursor" failed'),
        ("FAIL Bug #71412 reflection info [ext/spl/tests/bug71412.phpt] ", 'Test "Bug #71412 reflection info" failed'),
        ("--- FAIL: TestSimulation (2.01s)", "Test TestSimulation failed"),
    ],
)
def test_a_test_titled_as_a_sentence_is_not_called_a_test_twice(result: str, summary: str) -> None:
    finding = answer([(5, result)])
    assert finding.summary == summary
    no_defects(finding)


@pytest.mark.parametrize("setup", ["set -euxo pipefail", "set -e", "shopt -s globstar", "# run the tests"])
def test_a_scripts_shell_setup_line_is_not_offered_as_its_command(setup: str) -> None:
    lines = [(1, f"Run {setup}"), (2, "error: boom happened")]
    assert failing_step(lines, 1, parse_reports(lines)).command == ""


def test_phpunits_message_and_its_diffs_two_sides_are_quoted() -> None:
    lines = [
        (188, "1) Inflector_helper_test::test_plural"),
        (189, "Failed asserting that two strings are equal."),
        (190, "--- Expected"),
        (191, "+++ Actual"),
        (192, "@@ @@"),
        (193, "-'tellies'"),
        (194, "+'telly'"),
    ]
    assert answer(lines).root_cause == (
        "Inflector_helper_test::test_plural failed: Failed asserting that two strings are equal. "
        "(expected 'tellies', actual 'telly')"
    )


def test_a_go_tests_own_failure_line_is_its_message() -> None:
    lines = [
        (10, "--- FAIL: TestSimulation (0.01s)"),
        (11, "    peer_test.go:235: failed to start the first server. err: bind: address already in use"),
        (12, "FAIL"),
    ]
    assert answer(lines).root_cause == (
        "TestSimulation failed: peer_test.go:235: failed to start the first server. err: bind: address already in use"
    )


def test_a_runs_closing_count_is_not_a_tests_message() -> None:
    lines = [(10, "---- tests::parse stdout ----"), (11, "test result: FAILED. 0 passed; 1 failed; 0 ignored")]
    assert answer(lines).root_cause == "tests::parse failed; its report in the log gives no reason"


@pytest.mark.parametrize(
    ("texts", "root_cause"),
    [
        (  # Mocha's spec reporter: suites one per line, the test's title ending in a colon
            [
                "  1) Cart",
                "       applies the discount:",
                "",
                "      AssertionError [ERR_ASSERTION]: 90 == 100",
                "      + expected - actual",
            ],
            '"Cart applies the discount" failed: AssertionError [ERR_ASSERTION]: 90 == 100',
        ),
        (
            [
                "  2) Cart total",
                "       with a coupon",
                "         subtracts it:",
                "     TypeError: Cannot read property 'x' of undefined",
                "      at Context.<anonymous> (test/cart.js:9:5)",
            ],
            "\"Cart total with a coupon subtracts it\" failed: TypeError: Cannot read property 'x' of undefined",
        ),
        (  # Jasmine: "Message:" labels the block, it is no part of the title
            ["1) Cart applies the discount", "  Message:", "    Expected 100 to equal 90.", "  Stack:"],
            '"Cart applies the discount" failed: Expected 100 to equal 90.',
        ),
        (  # testify: "Error Trace:" is where, "Error:" is what
            [
                "--- FAIL: TestTotal (0.00s)",
                "    cart_test.go:12: ",
                "        \tError Trace:\tcart_test.go:12",
                "        \tError:      \tNot equal: ",
                "        \t            \texpected: 3",
                "        \t            \tactual  : 2",
            ],
            "TestTotal failed: Error: Not equal: expected: 3 (actual : 2)",
        ),
        (  # TAP 13's YAML block
            [
                "not ok 3 - applies the discount",
                "  ---",
                "    message: 'should be equal'",
                "    operator: equal",
                "    expected: 90",
                "    actual:   100",
            ],
            "\"applies the discount\" failed: message: 'should be equal' (expected: 90, actual: 100)",
        ),
        (  # Hspec
            ["  1) Cart.total adds taxes", "       expected: 3", "        but got: 2"],
            '"Cart.total adds taxes" failed: expected: 3 (but got: 2)',
        ),
        (  # RSpec: the numbered header names the test its "Failure/Error:" block is about
            [
                "  1) Cart#total adds taxes",
                "     Failure/Error: expect(cart.total).to eq(3)",
                "",
                "       expected: 3",
                "            got: 2",
            ],
            '"Cart#total adds taxes" failed: expect(cart.total).to eq(3) expected: 3 (got: 2)',
        ),
        (  # cargo test: a quoted value ends at its closing backtick
            [
                "---- tests::total stdout ----",
                "thread 'tests::total' panicked at 'assertion failed: `(left == right)`",
                "  left: `2`,",
                " right: `3`', src/lib.rs:12:9",
            ],
            "tests::total failed: thread 'tests::total' panicked at 'assertion failed: `(left == right)` "
            "(left: `2`, right: `3`)",
        ),
        (  # ScalaTest under sbt: the level prefix is sbt's, not the message's
            ["[info] - should add taxes *** FAILED ***", "[info]   2 did not equal 3 (CartSpec.scala:12)"],
            '"should add taxes" failed: 2 did not equal 3 (CartSpec.scala:12)',
        ),
        (  # dotnet test: "Error Message:" labels the message
            [
                "  Failed Cart.Tests.TotalTest [12 ms]",
                "  Error Message:",
                "   Assert.Equal() Failure",
                "Expected: 3",
                "Actual:   2",
            ],
            "Cart.Tests.TotalTest failed: Assert.Equal() Failure (Expected: 3, Actual: 2)",
        ),
        (  # busted: the test's name stands under the place
            [
                "Failure → spec/cart_spec.lua @ 12",
                "cart adds taxes",
                "spec/cart_spec.lua:14: Expected objects to be the same.",
            ],
            '"cart adds taxes" failed: spec/cart_spec.lua:14: Expected objects to be the same.',
        ),
        (  # NUnit 3
            ["  1) Failed : Cart.Tests.TotalTest", "  Expected: 3", "  But was:  2"],
            "Cart.Tests.TotalTest failed: Expected: 3 (But was: 2)",
        ),
    ],
)
def test_a_runners_test_title_and_assertion_values_are_read_from_its_block(texts: list[str], root_cause: str) -> None:
    finding = answer([(1 + i, t) for i, t in enumerate(texts)])
    assert finding.root_cause == root_cause
    no_defects(finding)


@pytest.mark.parametrize(
    "lines",
    [
        [(1, "would reformat src/cart/total.py"), (2, "1 file would be reformatted.")],
        [(1, "Checking formatting..."), (2, "[warn] src/cart/total.py"), (3, "[warn] Code style issues found.")],
    ],
)
def test_a_formatters_check_is_worded_as_the_files_it_would_change(lines: list[tuple[int, str]]) -> None:
    finding = answer(lines)
    assert finding.root_cause == "The format check lists src/cart/total.py as a file its formatter would change"


@pytest.mark.parametrize(
    ("line", "root_cause", "fix"),
    [
        (
            "Error: Input required and not supplied: token",
            "The action needs its input `token`, which the workflow does not pass: "
            "Input required and not supplied: token",
            "Pass `token` to the action under its step's `with:` (from a secret if it is one); "
            "for forks, secrets are not available.",
        ),
        (
            "/home/runner/work/_temp/x.sh: line 2: yarn: command not found",
            "The step runs `yarn`, which is not installed on the runner (command not found)",
            "Install `yarn` in an earlier step (or use an image that has it), or correct the command's name.",
        ),
        (
            "/src/lib/cart.rb:1:in `require': cannot load such file -- nokogiri (LoadError)",
            "The code loads `nokogiri`, which is not installed in the CI environment: "
            "cannot load such file -- nokogiri",
            "Declare the package that provides `nokogiri` in the project's dependency file and re-run the job.",
        ),
    ],
)
def test_a_missing_input_command_or_module_is_worded_as_what_it_is(line: str, root_cause: str, fix: str) -> None:
    finding = answer([(1, line)])
    assert (finding.root_cause, finding.suggested_fix) == (root_cause, fix)
    no_defects(finding)


@pytest.mark.parametrize(
    ("texts", "root_cause"),
    [
        (
            [
                "src/util.h:5:10: fatal error: zlib.h: No such file or directory",
                " #include <zlib.h>",
                "          ^~~~~~~~",
            ],
            "Compilation failed at src/util.h:5:10: zlib.h: No such file or directory",
        ),
        (
            ["vis.h:21:29: error: unknown type name 'fd_set'", "vis.h:22:30: error: unknown type name 'fd_set'"],
            "Compilation failed at vis.h:21:29: unknown type name 'fd_set'",
        ),
        (  # GHC: the message stands under "error:" and its flags
            ["src/Cart.hs:12:5: error:", "    • Variable not in scope: total :: Int"],
            "Compilation failed at src/Cart.hs:12:5: • Variable not in scope: total :: Int",
        ),
        (
            [
                "src/Cart.hs:3:1: error: [-Wunused-imports, -Werror=unused-imports]",
                "    The import of ‘Data.List’ is redundant",
            ],
            "Compilation failed at src/Cart.hs:3:1: The import of ‘Data.List’ is redundant (-Werror=unused-imports)",
        ),
    ],
)
def test_a_compilers_message_is_its_own_not_the_source_it_echoes(texts: list[str], root_cause: str) -> None:
    assert answer([(1 + i, t) for i, t in enumerate(texts)]).root_cause == root_cause


def test_a_best_line_of_punctuation_is_not_quoted_as_the_most_telling_line() -> None:
    finding = answer([(1, "$ make"), (2, "."), (3, 'The command "make" exited with 2.')], [2], 1, [3])
    assert (finding.summary, finding.root_cause) == (
        "`make` failed",
        "`make` failed with exit code 2; the log names no error line.",
    )
    no_defects(finding)


def test_the_failing_steps_own_command_is_named_in_the_fix() -> None:
    lines = [(1, "$ go test ./..."), (5, "--- FAIL: TestParse (0.00s)"), (6, "    parse_test.go:31: expected 3, got 4")]
    finding = answer(lines, [5], 1)
    assert finding.suggested_fix.startswith("Run TestParse locally (the step ran `go test ./...`)")


@pytest.mark.parametrize(
    "command",
    ["make test ${FLAGS}", "pixi run \\", "x" * 200, "echo `date`", 'bash -c "', "sh -c 'make && make test"],
)
def test_a_command_cut_continued_or_unexpanded_is_not_offered(command: str) -> None:
    lines = [(1, f"$ {command}"), (2, "error: boom happened")]
    assert failing_step(lines, 1, parse_reports(lines)).command == ""


def test_the_exit_code_comes_from_the_verdict() -> None:
    lines = [(1, "$ ./build.sh"), (2, "something odd"), (3, 'The command "./build.sh" exited with 3.')]
    assert failing_step(lines, 1, parse_reports(lines)).exit_code == "3"


def test_a_command_with_closed_quotes_is_offered() -> None:
    command = 'bash -c "echo it\'s done && make test"'
    lines = [(1, f"$ {command}"), (2, "error: boom happened")]
    assert failing_step(lines, 1, parse_reports(lines)).command == command


def test_a_command_that_passed_is_not_the_failing_step() -> None:
    lines = [
        (1, 'The command "env" exited with 0.'),
        (2, "$ make check"),
        (3, "error: boom happened"),
        (4, 'The command "make check" exited with 2.'),
    ]
    step = failing_step(lines, 2, parse_reports(lines))
    assert (step.command, step.exit_code) == ("make check", "2")


def test_without_a_statement_the_answer_is_an_honest_unknown() -> None:
    lines = [
        (1, "$ ./build.sh"),
        (4, "the flux capacitor took longer than expected"),
        (9, 'The command "./build.sh" exited with 3.'),
    ]
    finding = answer(lines, [4], 1, [9])
    assert (finding.category, finding.confidence) == ("unknown", NO_STATEMENT_CONFIDENCE)
    assert finding.summary == "`./build.sh` failed"
    assert finding.root_cause == (
        "`./build.sh` failed with exit code 3; the first error it printed: the flux capacitor took longer than expected"
    )
    no_defects(finding)


def test_a_word_elsewhere_in_the_log_does_not_decide_the_category() -> None:
    lines = [
        (1, "git fetch --tags origin # timeout=10"),
        (2, "UV_HTTP_TIMEOUT: 900"),
        (10, "Run pytest"),
        (11, "FAILED tests/test_a.py::test_b - assert 1 == 2"),
    ]
    assert answer(lines, [11], 10).category == "test_assertion"


def test_a_test_that_failed_on_the_network_is_a_network_failure() -> None:
    lines = [
        (10, "____ test_install ____"),
        (11, "E       AssertionError: Script returned code: 1"),
        (12, "----- Captured stdout call -----"),
        (13, "ERROR: HTTPSConnectionPool(host='github.com', port=443): Max retries exceeded with url: /x"),
    ]
    finding = answer(lines, [10], 5)
    assert finding.category == "network_or_flaky"
    assert [n for n, _ in finding.evidence] == [10, 11, 13]
    no_defects(finding)


@pytest.mark.parametrize(
    ("text", "category"),
    [
        (
            "[ERROR] Failed to execute goal org.apache.maven.plugins:maven-compiler-plugin:3.8.1:compile "
            "(default-compile) on project x: Compilation failure",
            "compile",
        ),
        (
            "[ERROR] Failed to execute goal org.apache.maven.plugins:maven-checkstyle-plugin:3.1:check "
            "(validate) on project x: You have 2 Checkstyle violations.",
            "lint",
        ),
        (
            "[ERROR] Failed to execute goal org.apache.maven.plugins:maven-surefire-plugin:2.22:test "
            "(default-test) on project x: There are test failures.",
            "test_assertion",
        ),
    ],
)
def test_a_failed_maven_goal_is_named_by_its_plugin(text: str, category: str) -> None:
    assert answer([(3, text)]).category == category


def test_a_failed_gradle_task_is_named_by_the_task() -> None:
    lines = [(7, "* What went wrong:"), (8, "Execution failed for task ':app:spotlessJavaCheck'.")]
    assert answer(lines).category == "lint"
    lines = [(7, "* What went wrong:"), (8, "Execution failed for task ':app:compileJava'.")]
    assert answer(lines).category == "compile"


def test_a_message_that_ends_in_a_colon_takes_the_line_under_it() -> None:
    lines = [
        (3, "  ● Cart › totals"),
        (4, "    Expected value to equal:"),
        (5, "      90"),
        (6, "    Received:"),
        (7, "      100"),
    ]
    finding = answer(lines)
    assert finding.root_cause == '"Cart › totals" failed: Expected value to equal: 90'
    no_defects(finding)


def test_confidence_is_high_only_for_a_tools_report_in_the_failing_step() -> None:
    lines = [
        (1, "Run make"),
        (2, "main.c:3:5: error: unknown type name 'x'"),
        (3, "##[error]Process completed with exit code 2."),
    ]
    assert answer(lines, [2], 1, [3]).confidence == CONFIDENCE[(DETAIL, True)]
    assert answer(lines[1:], [2]).confidence == CONFIDENCE[(DETAIL, False)] < 0.6


def test_every_template_key_can_always_be_worded() -> None:
    for key, variants in messages().items():
        if key.startswith("_"):
            continue
        assert "summary" in variants and "fix" in variants, key
        assert "root_cause_message" in variants or "root_cause" in variants, key


def test_the_identity_is_the_failing_tests_not_their_run() -> None:
    def identity(lines: Lines) -> str:
        finding = answer(lines)
        return fingerprint(finding.category, finding.identity, "acme/x")

    run1 = [(5, "--- FAIL: TestParse (0.02s)"), (6, "    parse_test.go:31: expected 3, got 4")]
    run2 = [(9, "--- FAIL: TestParse (1.20s)"), (10, "    parse_test.go:31: expected 3, got 4")]
    other = [(5, "--- FAIL: TestLex (0.02s)"), (6, "    parse_test.go:31: expected 3, got 4")]
    assert identity(run1) == identity(run2) != identity(other)
    lint1 = [(3, "app.py:14:1: F401 `os` imported but unused")]
    lint2 = [(3, "app.py:15:1: F401 `os` imported but unused")]
    lint3 = [(3, "app.py:14:1: F401 `re` imported but unused")]
    assert identity(lint1) == identity(lint2) != identity(lint3)


@pytest.mark.parametrize(
    ("lines", "category", "root_cause"),
    [
        # rake's `sh` verdict gives way to the test's own report above it.
        (
            [
                (1, "$ bundle exec rake"),
                (5, "  1) Failure:"),
                (6, "TestCart#test_total [test/cart_test.rb:12]:"),
                (7, "Expected: 3"),
                (8, "  Actual: 4"),
                (10, "rake aborted!"),
                (11, 'Command failed with status (1): [ruby -w -I"lib:test" rake_test_loader.rb "test/cart_test.rb" ]'),
                (12, "Tasks: TOP => default => test"),
            ],
            "test_assertion",
            "TestCart#test_total failed: Expected: 3 (Actual: 4)",
        ),
        # rake's own error is the cause.
        (
            [
                (1, "$ bundle exec rake"),
                (10, "rake aborted!"),
                (11, "LoadError: cannot load such file -- rspec/core/rake_task"),
                (12, "/app/Rakefile:3:in `require'"),
            ],
            "dependency_install",
            "The code loads `rspec/core/rake_task`, which is not installed in the CI environment: "
            "cannot load such file -- rspec/core/rake_task",
        ),
        # .NET: the innermost exception.
        (
            [
                (1, "Run dotnet run --project tools/Seed"),
                (
                    2,
                    "Unhandled exception. System.AggregateException: One or more errors occurred. (Connection refused)",
                ),
                (3, " ---> System.Net.Http.HttpRequestException: Connection refused"),
                (4, " ---> System.Net.Sockets.SocketException (111): Connection refused"),
            ],
            "network_or_flaky",
            "A network request failed: Connection refused",
        ),
        # Node.js: a path the code requires is a file of the project, not a package to install.
        (
            [
                (1, "$ npm test"),
                (3, "Error: Cannot find module './cart'"),
                (8, "npm ERR! Test failed.  See above for more details."),
            ],
            "compile",
            "Node.js cannot find `./cart`, which the code requires by its path: the file is not in the checkout, "
            "or the step that builds it did not run.",
        ),
    ],
)
def test_a_wrapped_or_delegated_error_is_answered_by_what_it_wraps(
    lines: list[tuple[int, str]], category: str, root_cause: str
) -> None:
    finding = answer(lines, [lines[2][0]], 1, [lines[-1][0] + 1])
    assert (finding.category, finding.root_cause) == (category, root_cause)
    no_defects(finding)


@pytest.mark.parametrize(
    ("lines", "summary", "root_cause", "fix"),
    [
        (
            [
                (1, "$ git clone --depth=50 --branch=feature/readme https://github.com/acme/shop.git acme/shop"),
                (2, "Cloning into 'acme/shop'..."),
                (3, "warning: Could not find remote branch feature/readme to clone."),
                (4, "fatal: Remote branch feature/readme not found in upstream origin"),
            ],
            "feature/readme is no longer on the remote",
            "The job could not check out `feature/readme`: the remote no longer has it (deleted or force-pushed after "
            "the build was queued).",
            "The code needs no change: push the branch again, or re-run the build on a commit the remote still has.",
        ),
        (
            [
                (1, "- ./_site/patterns/half-sync/index.html"),
                (2, "  *  External link http://x.example/a.pdf failed: 404"),
            ],
            "Broken link: http://x.example/a.pdf",
            "The link check failed on http://x.example/a.pdf: * External link http://x.example/a.pdf failed: 404",
            "Update or remove the link http://x.example/a.pdf (use a redirect's new address, or the page's new place), "
            "or exclude it in the checker's settings if the site is only down for now.",
        ),
    ],
)
def test_what_the_code_cannot_fix_is_told_so(
    lines: list[tuple[int, str]], summary: str, root_cause: str, fix: str
) -> None:
    finding = answer(lines, [lines[-1][0]])
    assert (finding.summary, finding.root_cause, finding.suggested_fix) == (summary, root_cause, fix)
    no_defects(finding)


@pytest.mark.parametrize(
    ("text", "fix"),
    [
        (
            "npm ERR! `npm ci` can only install packages when your package.json and package-lock.json are in sync.",
            "Run `npm install` locally and commit the updated lock file with the manifest change.",
        ),
        (
            "error Your lockfile needs to be updated, but yarn was run with `--frozen-lockfile`.",
            "Run `yarn install` locally and commit the updated lock file with the manifest change.",
        ),
        (
            ' ERR_PNPM_OUTDATED_LOCKFILE  Cannot install with "frozen-lockfile" because pnpm-lock.yaml is stale',
            "Run `pnpm install` locally and commit the updated lock file with the manifest change.",
        ),
        (
            "pyproject.toml changed significantly since poetry.lock was last generated.",
            "Run `poetry lock` locally and commit the updated lock file with the manifest change.",
        ),
        (
            "error: the lock file /src/Cargo.lock needs to be updated but --locked was passed to prevent this",
            "Run `cargo update --workspace` locally and commit the updated lock file with the manifest change.",
        ),
        (
            "main.go:8:2: missing go.sum entry for module providing package github.com/spf13/cobra; to add:",
            "Run `go mod tidy` locally and commit go.mod and go.sum.",
        ),
    ],
)
def test_an_out_of_date_lock_file_is_updated_with_its_own_tool(text: str, fix: str) -> None:
    finding = answer([(3, text)])
    assert (finding.category, finding.suggested_fix) == ("dependency_install", fix)
    no_defects(finding)


@pytest.mark.parametrize(
    ("text", "root_cause", "fix"),
    [
        (
            "An error occurred (AccessDenied) when calling the PutObject operation: Access Denied",
            "AWS refused the job's PutObject call (AccessDenied): Access Denied",
            "Allow PutObject on that resource in the IAM policy of the role the job uses, or check that the job uses "
            "the credentials meant for it.",
        ),
        (
            "Error: Could not assume role with OIDC: Not authorized to perform sts:AssumeRoleWithWebIdentity",
            "The job has no AWS credentials it can use: Could not assume role with OIDC: Not authorized to perform "
            "sts:AssumeRoleWithWebIdentity",
            "Configure credentials in a step before this one (for GitHub's OIDC, aws-actions/configure-aws-credentials "
            "with the role to assume and `id-token: write` in the job's permissions), and check that the role's trust "
            "policy admits this repository and branch.",
        ),
        (
            "FAIL Required test coverage of 80% not reached. Total coverage: 78.12%",
            "Test coverage reached 78.12%, under the required 80%.",
            "Add tests for the code this change adds, or lower the threshold if the drop is intended.",
        ),
        (
            'fatal: [web1]: FAILED! => {"changed": false, "msg": "No package matching \'ngnix\' is available"}',
            "An Ansible task failed on web1: No package matching 'ngnix' is available",
            "Fix what the task's message names (run the playbook with --check or -vvv against the same host to see "
            "more), then run it again.",
        ),
    ],
)
def test_cloud_and_deploy_tools_are_told_in_their_own_terms(text: str, root_cause: str, fix: str) -> None:
    finding = answer([(4, text)])
    assert (finding.root_cause, finding.suggested_fix) == (root_cause, fix)
    no_defects(finding)


def test_a_terraform_error_is_told_at_its_place_with_its_detail() -> None:
    lines = [
        (1, "│ Error: Reference to undeclared resource"),
        (2, "│ "),
        (3, '│   on main.tf line 12, in resource "aws_instance" "web":'),
        (4, "│   12:   subnet_id = aws_subnet.main.id"),
        (5, "│ "),
        (6, '│ A managed resource "aws_subnet" "main" has not been declared in the root module.'),
    ]
    finding = answer(lines)
    assert (finding.category, finding.summary, finding.root_cause) == (
        "compile",
        "Compilation failed at main.tf:12",
        'Compilation failed at main.tf:12: Reference to undeclared resource: A managed resource "aws_subnet" "main" '
        "has not been declared in the root module.",
    )
    assert [n for n, _ in finding.evidence] == [1, 6]
    no_defects(finding)


def test_toxs_summary_is_no_test_and_its_verdicts_point_elsewhere() -> None:
    lines = [
        (1, "E       assert 3 == 4"),
        (5, "___________________________________ summary ____________________________________"),
        (6, "ERROR:   py38: commands failed"),
    ]
    assert [(r.kind, r.strength) for r in parse_reports(lines)] == [("tox", VERDICT)]


@pytest.mark.parametrize(
    ("lines", "summary", "root_cause", "fix"),
    [
        (
            [
                (1, "[ERROR] /src/main/java/App.java:[3,17] cannot access com.acme.Lib"),
                (2, "  bad class file: /root/.m2/repository/com/acme/lib/2.0/lib-2.0.jar(com/acme/Lib.class)"),
                (3, "    class file has wrong version 55.0, should be 52.0"),
            ],
            "A class file was compiled for Java 11; the build runs Java 8",
            "`/root/.m2/repository/com/acme/lib/2.0/lib-2.0.jar(com/acme/Lib.class)` was compiled for Java 11 (class "
            "file version 55), but the build compiles with Java 8, which reads class files up to version 52.",
            "Build on Java 11 or newer (the CI's JDK setting), or depend on a release of that library built for Java 8 "
            "or older.",
        ),
        (
            [(1, "$ ./gradlew build"), (2, "/home/travis/.travis/functions: line 104: ./gradlew: Permission denied")],
            "./gradlew is not executable",
            "The shell could not run `./gradlew`: the file is not marked executable (exit status 126).",
            "Mark it executable in git (`git update-index --chmod=+x gradlew`) and commit, or run it through its "
            "interpreter (`sh ./gradlew`).",
        ),
        (
            [
                (1, "> The following files had format violations:"),
                (2, "      src/main/java/com/acme/App.java"),
                (3, "  Run './gradlew :spotlessApply' to fix these violations."),
            ],
            "Format check failed on src/main/java/com/acme/App.java",
            "The format check lists src/main/java/com/acme/App.java as a file its formatter would change",
            "Run `./gradlew :spotlessApply` locally and commit the result (it reformats "
            "src/main/java/com/acme/App.java and any other file listed).",
        ),
    ],
)
def test_a_known_cause_is_told_with_what_fixes_it(
    lines: list[tuple[int, str]], summary: str, root_cause: str, fix: str
) -> None:
    finding = answer(lines, [lines[1][0]])
    assert (finding.summary, finding.root_cause, finding.suggested_fix) == (summary, root_cause, fix)
    no_defects(finding)


def test_the_failing_command_is_the_one_run_before_the_statement() -> None:
    lines = [
        (10, "$ composer install"),
        (200, "$ ./vendor/bin/phpunit"),
        (240, "1) CartTest::testTotal"),
        (241, "Failed asserting that 3 matches expected 4."),
    ]
    # The nearest command above the statement, not the first shown.
    assert step_command(lines, None, 240) == "./vendor/bin/phpunit"
    # The failing step's start, when known, wins; Travis' verdict names it wherever it stands.
    assert step_command(lines, 10, 240) == "composer install"
    verdict = [*lines, (250, 'The command "./vendor/bin/phpunit --stop-on-failure" exited with 1.')]
    assert step_command(verdict, None, 240) == "./vendor/bin/phpunit --stop-on-failure"


def test_a_command_shown_far_above_an_unbounded_failure_is_not_claimed() -> None:
    lines = [(1018, "$ php -i"), (6089, "1) CartTest::testTotal"), (6090, "Failed asserting that 3 is 4.")]
    assert step_command(lines, None, 6089) == ""
    assert step_command(lines, 1018, 6089) == "php -i"  # the scan bounded the failing step there
