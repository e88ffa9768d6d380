"""Each tool's failure report, in several variants of its documented output format."""

from __future__ import annotations

import re

import pytest
import re2
from hypothesis import given, settings
from hypothesis import strategies as st

from chalicelib.engines.reports import (
    DETAIL,
    ERROR,
    FORMATS,
    GENERIC,
    VERDICT,
    is_warning,
    loosened,
    parse_line,
    parse_reports,
)


def first(*texts: str) -> dict[str, object]:
    """The report the first of ``texts`` starts (the others are the lines under it), as a dict."""
    lines = [(100 + i, t) for i, t in enumerate(texts)]
    report = parse_line(lines, 0)
    assert report is not None, texts[0]
    return {
        "kind": report.kind,
        "category": report.category,
        "strength": report.strength,
        "test": report.test,
        "file": report.file,
        "location": report.location,
        "code": report.code,
        "subject": report.subject,
        "message": report.message,
        "line": report.line,
        "message_line": report.message_line,
    }


# (lines, expected fields): the first line starts the report, the rest are its block.
CASES: list[tuple[tuple[str, ...], dict[str, object]]] = [
    # pytest: a test's block header, then the assertion on an "E" line after the test's source.
    (
        (
            "______ test_login ______",
            "    def test_login():",
            ">       assert r.status == 200",
            "E       assert 500 == 200",
        ),
        {
            "kind": "pytest",
            "test": "test_login",
            "message": "assert 500 == 200",
            "message_line": 103,
            "strength": DETAIL,
        },
    ),
    (
        ("____ TestCart.test_total[eur-2] ____", "E   AssertionError: 3 != 4"),
        {"kind": "pytest", "test": "TestCart.test_total[eur-2]", "message": "AssertionError: 3 != 4"},
    ),
    (
        ("_____ ERROR collecting tests/test_config.py _____", "E   ModuleNotFoundError: No module named 'yaml'"),
        {"kind": "pytest", "test": "tests/test_config.py", "message": "ModuleNotFoundError: No module named 'yaml'"},
    ),
    (
        ("___ ERROR at setup of test_db ___", "E   fixture 'db' not found"),
        {"kind": "pytest", "test": "test_db", "message": "fixture 'db' not found"},
    ),
    (
        ("FAILED tests/test_api.py::test_login - assert 500 == 200",),
        {"kind": "pytest", "test": "tests/test_api.py::test_login", "message": "assert 500 == 200", "strength": ERROR},
    ),
    (("ERROR tests/test_db.py::test_conn",), {"kind": "pytest", "test": "tests/test_db.py::test_conn"}),
    # unittest
    (
        ("FAIL: test_add (tests.test_math.MathTest)", "----", "AssertionError: 3 != 4"),
        {
            "kind": "unittest",
            "test": "test_add",
            "subject": "tests.test_math.MathTest",
            "message": "AssertionError: 3 != 4",
        },
    ),
    (
        ("ERROR: test_io (pkg.tests.IoTest.test_io)", "Traceback (most recent call last):", "OSError: [Errno 2] x"),
        {"kind": "unittest", "test": "test_io", "message": "OSError: [Errno 2] x"},
    ),
    # go test
    (
        ("--- FAIL: TestParse (0.00s)", "    parse_test.go:31: expected 3, got 4"),
        {"kind": "go", "test": "TestParse", "message": "parse_test.go:31: expected 3, got 4"},
    ),
    (
        ("    --- FAIL: TestParse/empty_input (0.01s)", "        parse_test.go:40: Error Trace: parse_test.go:40"),
        {"kind": "go", "test": "TestParse/empty_input"},
    ),
    (
        ("FAIL\tgithub.com/acme/x/parser\t0.012s",),
        {"kind": "go", "subject": "github.com/acme/x/parser", "strength": ERROR},
    ),
    # clojure.test, Perl's Test::More, Emacs ERT
    (
        ("FAIL in (test-total) (cart_test.clj:12)", "expected: (= 3 (total cart))", "  actual: (not (= 3 4))"),
        {"kind": "clojure_test", "test": "test-total", "location": "cart_test.clj:12"},
    ),
    (("ERROR in (test-io) (io_test.cljs:3)", "expected: ..."), {"kind": "clojure_test", "test": "test-io"}),
    (
        ("#   Failed test 'totals add up'", "#   at t/cart.t line 12.", "#          got: '4'"),
        {"kind": "test_more", "test": "totals add up"},
    ),
    (("#   Failed test (t/cart.t at line 12)",), {"kind": "test_more", "file": "t/cart.t", "location": "t/cart.t:12"}),
    (("   FAILED  2/5  cart-total-test", "    (ert-test-failed ...)"), {"kind": "ert", "test": "cart-total-test"}),
    # cargo test and nextest
    (
        ("---- parser::tests::empty stdout ----", "thread 'parser::tests::empty' panicked at src/parser.rs:9:5:"),
        {"kind": "cargo", "test": "parser::tests::empty", "strength": DETAIL},
    ),
    (("test parser::tests::empty ... FAILED",), {"kind": "cargo", "test": "parser::tests::empty", "strength": ERROR}),
    (
        ("        FAIL [   9.875s] (396/396) tests-build::macros compile_fail_full", "--- STDOUT: x"),
        {"kind": "nextest", "test": "tests-build::macros compile_fail_full"},
    ),
    (("    SIGSEGV [   0.100s] core::tests it_crashes",), {"kind": "nextest", "test": "core::tests it_crashes"}),
    # Jest
    (
        ("  ● Cart › applies the discount", "", "    expect(received).toBe(expected)", "    Expected: 90"),
        {"kind": "jest", "test": "Cart › applies the discount", "message": "expect(received).toBe(expected)"},
    ),
    (("FAIL src/cart.test.ts (5.2 s)",), {"kind": "jest", "file": "src/cart.test.ts", "strength": ERROR}),
    # RSpec
    (
        ("     Failure/Error: expect(user.name).to eq('Bob')", '       expected: "Bob"', '            got: "Al"'),
        {"kind": "rspec", "message": "expect(user.name).to eq('Bob') expected: \"Bob\""},
    ),
    (
        ("rspec ./spec/models/user_spec.rb:12 # User has a name",),
        {
            "kind": "rspec",
            "file": "./spec/models/user_spec.rb",
            "test": "User has a name",
            "location": "./spec/models/user_spec.rb:12",
        },
    ),
    # Minitest
    (
        ("Failure:", "TestCart#test_total [test/cart_test.rb:12]:", "Expected: 3", "  Actual: 4"),
        {"kind": "minitest", "test": "TestCart#test_total", "location": "test/cart_test.rb:12", "message_line": 102},
    ),
    (
        ("  1) Error:", "TestApi#test_get:", "NoMethodError: undefined method `x' for nil"),
        {"kind": "minitest", "test": "TestApi#test_get", "message": "NoMethodError: undefined method `x' for nil"},
    ),
    (
        ("TestSite#test_writes_files [/home/ci/site/test/test_site.rb:106]:", "Expected true to not be truthy."),
        {"kind": "minitest", "test": "TestSite#test_writes_files", "file": "/home/ci/site/test/test_site.rb"},
    ),
    (
        (
            "Failure:",
            "TestKramdown#test_: kramdown should use the highlighter.  [/ci/test/test_kramdown.rb:106]",
            "Minitest::Assertion: Expected true to not be truthy.",
        ),
        {
            "kind": "minitest",
            "test": "TestKramdown#test_: kramdown should use the highlighter.",
            "location": "/ci/test/test_kramdown.rb:106",
            "message": "Minitest::Assertion: Expected true to not be truthy.",
            "message_line": 102,
        },
    ),
    # PHP's run-tests.php: the result line, with the first unexpected line of the diff above it.
    (
        ("FAIL Basic array unpacking [Zend/tests/array_unpack/basic.phpt] ",),
        {
            "kind": "php_run_tests",
            "test": "Basic array unpacking",
            "file": "Zend/tests/array_unpack/basic.phpt",
            "message": "FAIL Basic array unpacking [Zend/tests/array_unpack/basic.phpt]",
            "strength": DETAIL,
        },
    ),
    (
        ("LEAK Bug #1 (leaks on close) [ext/x/tests/bug1.phpt] (warn: XFAIL section but test passes)",),
        {"kind": "php_run_tests", "test": "Bug #1 (leaks on close)", "file": "ext/x/tests/bug1.phpt"},
    ),
    # PHPUnit
    (
        ("1) App\\Tests\\CartTest::testTotal", "Failed asserting that 3 matches expected 4."),
        {
            "kind": "phpunit",
            "test": "App\\Tests\\CartTest::testTotal",
            "message": "Failed asserting that 3 matches expected 4.",
        },
    ),
    (
        ("2) Foo\\BarTest::testBaz with data set #1 (1, 2)", "Error: Call to undefined function f()"),
        {"kind": "phpunit", "test": "Foo\\BarTest::testBaz"},
    ),
    # ExUnit
    (
        ("  1) test adds numbers (MathTest)", "     test/math_test.exs:5", "     Assertion with == failed"),
        {"kind": "exunit", "test": "adds numbers", "subject": "MathTest", "message": "Assertion with == failed"},
    ),
    (
        ("  3) test times out (Phoenix.EndpointTest)", "     ** (ExUnit.TimeoutError) test timed out after 60000ms"),
        {"kind": "exunit", "test": "times out"},
    ),
    # Maven Surefire (old and new) and its summary
    (
        (
            "testTotal(com.acme.CartTest)  Time elapsed: 0.01 sec  <<< FAILURE!",
            "java.lang.AssertionError: expected:<3>",
        ),
        {
            "kind": "surefire",
            "test": "testTotal",
            "subject": "com.acme.CartTest",
            "message": "java.lang.AssertionError: expected:<3>",
        },
    ),
    (
        ("[ERROR] testGet(com.acme.ApiTest)  Time elapsed: 0.2 s  <<< ERROR!", "java.lang.NullPointerException"),
        {"kind": "surefire", "test": "testGet"},
    ),
    (
        ("  DirtyFlagTest.testIsDirty:45 expected: <false> but was: <true>",),
        {
            "kind": "surefire",
            "test": "DirtyFlagTest.testIsDirty",
            "message": "expected: <false> but was: <true>",
            "strength": ERROR,
        },
    ),
    # Gradle, ScalaTest
    (
        ("com.acme.CartTest > totalIsSummed FAILED", "    java.lang.AssertionError at CartTest.java:20"),
        {"kind": "gradle", "test": "totalIsSummed", "subject": "com.acme.CartTest"},
    ),
    (
        ("[info] - should sum the cart *** FAILED ***", "[info]   3 did not equal 4 (CartSpec.scala:12)"),
        {"kind": "scalatest", "test": "should sum the cart"},
    ),
    (("  - parses empty input *** FAILED ***", "    None was not equal to Some(1)"), {"kind": "scalatest"}),
    # XCTest and xcpretty
    (
        (
            "/src/Tests/CartTests.swift:12: error: -[CartTests.CartTests testTotal] : "
            "XCTAssertEqual failed: (3) is not equal to (4)",
        ),
        {"kind": "xctest", "test": "CartTests.CartTests testTotal", "location": "/src/Tests/CartTests.swift:12"},
    ),
    (
        ('    ✗ testTotal, XCTAssertEqual failed: ("3") is not equal to ("4")',),
        {"kind": "xcpretty", "test": "testTotal"},
    ),
    # TAP, Karma, Pester, testthat, EUnit, Common Test, Vader, busted, googletest, ctest, dotnet, xUnit, NUnit
    (("not ok 3 - parses dates", "  ---", "  message: 'expected 1'"), {"kind": "tap", "test": "parses dates"}),
    (("not ok 12 handles empty input # TODO later",), {"kind": "tap", "test": "handles empty input"}),
    (
        ("Chrome 120.0 (Linux x86_64) Cart totals the items FAILED", "\tExpected 3 to equal 4."),
        {"kind": "karma", "test": "Cart totals the items", "message": "Expected 3 to equal 4."},
    ),
    (
        ("    [-] returns the sum 25ms (20ms|5ms)", "      Expected 3, but got 4."),
        {"kind": "pester", "test": "returns the sum"},
    ),
    (("[-] handles nulls", "Expected $null, but got 1."), {"kind": "pester", "test": "handles nulls"}),
    (
        ("── Failure (test-cart.R:12:3): totals add up ──", "`x` not equal to 4."),
        {"kind": "testthat", "test": "totals add up", "file": "test-cart.R"},
    ),
    (
        ("1. Failure: totals add up (@test-cart.R#12) ", "x not equal to 4."),
        {"kind": "testthat", "test": "totals add up", "file": "test-cart.R"},
    ),
    (
        ("  cart_tests: total_test...*failed*", "in function cart_tests:'-total_test/0-fun-0-'/0"),
        {"kind": "eunit", "test": "cart_tests: total_test"},
    ),
    (("%%% cart_SUITE ==> total: FAILED", "%%% cart_SUITE ==> {badmatch,3}"), {"kind": "common_test", "test": "total"}),
    (("  (3/5) [EXECUTE] (X) Expected 1 == 2",), {"kind": "vader", "message": "Expected 1 == 2"}),
    (
        ("Failure → spec/cart_spec.lua @ 12", "cart totals", "Expected objects to be the same."),
        {"kind": "busted", "file": "spec/cart_spec.lua"},
    ),
    (
        ("src/cart_test.cc:42: Failure", "Expected equality of these values:"),
        {"kind": "gtest", "location": "src/cart_test.cc:42"},
    ),
    (("[  FAILED  ] CartTest.Total (3 ms)",), {"kind": "gtest", "test": "CartTest.Total", "strength": ERROR}),
    (
        ("  3/10 Test  #3: cart_total .......................***Failed    0.02 sec",),
        {"kind": "ctest", "test": "cart_total"},
    ),
    (
        ("  Failed Acme.Tests.CartTests.Total [12 ms]", "  Error Message:", "   Assert.Equal() Failure"),
        {"kind": "dotnet", "test": "Acme.Tests.CartTests.Total"},
    ),
    (
        ("[xUnit.net 00:00:01.23]     Acme.Tests.CartTests.Total [FAIL]",),
        {"kind": "xunit", "test": "Acme.Tests.CartTests.Total"},
    ),
    (
        ("1) Test Failure : Acme.Tests.CartTests.Total", "  Expected: 3"),
        {"kind": "nunit", "test": "Acme.Tests.CartTests.Total"},
    ),
    (
        (
            "Tests run: 3, Failures: 1, Errors: 0, Skipped: 0, Time elapsed: 0.1 sec <<< FAILURE! "
            "- in com.acme.CartTest",
        ),
        {"kind": "surefire", "subject": "com.acme.CartTest", "strength": VERDICT},
    ),
    (("> Task :app:compileJava FAILED",), {"kind": "gradle_task", "subject": ":app:compileJava"}),
    # compilers and type checkers
    (
        ("src/api/client.ts(27,9): error TS2322: Type 'string' is not assignable to type 'number'.",),
        {"kind": "tsc", "category": "type_error", "location": "src/api/client.ts:27:9", "code": "TS2322"},
    ),
    (
        ("src/a.ts:3:7 - error TS2304: Cannot find name 'x'.",),
        {"kind": "tsc", "location": "src/a.ts:3:7", "code": "TS2304"},
    ),
    (
        ("app/models.py:12: error: Incompatible return value type  [return-value]",),
        {"kind": "mypy", "category": "type_error", "location": "app/models.py:12", "code": "return-value"},
    ),
    (('pkg/x.pyi:3:5: error: Name "y" is not defined',), {"kind": "mypy", "location": "pkg/x.pyi:3:5"}),
    (
        ("Program.cs(12,5): error CS1002: ; expected [/src/App.csproj]",),
        {
            "kind": "csc",
            "category": "compile",
            "location": "Program.cs:12:5",
            "code": "CS1002",
            "message": "; expected",
        },
    ),
    (
        ("[ERROR] /src/main/java/Cart.java:[12,5] cannot find symbol",),
        {
            "kind": "maven_javac",
            "category": "compile",
            "location": "/src/main/java/Cart.java:12:5",
            "message": "cannot find symbol",
        },
    ),
    (
        ("[error] /src/main/scala/Cart.scala:38:56: type mismatch;",),
        {"kind": "sbt", "location": "/src/main/scala/Cart.scala:38:56"},
    ),
    (
        ("e: /src/main/kotlin/Cart.kt: (12, 5): Unresolved reference: x",),
        {"kind": "kotlin", "file": "/src/main/kotlin/Cart.kt"},
    ),
    (
        ("error[E0425]: cannot find value `y` in this scope", " --> src/main.rs:3:13"),
        {
            "kind": "rustc",
            "code": "E0425",
            "location": "src/main.rs:3:13",
            "message": "cannot find value `y` in this scope",
        },
    ),
    # rustc's errors without a code are placed the same way.
    (
        (
            "error: local variables in const fn are unstable",
            "  --> /home/ci/.cargo/registry/src/percent-encoding-2.0.0/lib.rs:72:13",
            "   |",
        ),
        {
            "kind": "rustc",
            "category": "compile",
            "strength": DETAIL,
            "location": "/home/ci/.cargo/registry/src/percent-encoding-2.0.0/lib.rs:72:13",
            "message": "local variables in const fn are unstable",
        },
    ),
    (
        ("error: could not find `Cargo.toml` in `/src` or any parent directory",),
        {"kind": "error_start", "strength": ERROR},
    ),
    (
        ("main.c:15:3: error: unknown type name 'fd_set'",),
        {"kind": "gcc", "category": "compile", "location": "main.c:15:3", "message": "unknown type name 'fd_set'"},
    ),
    (
        ("    vis.h:21:29: fatal error: termkey.h: No such file or directory",),
        {"kind": "gcc", "location": "vis.h:21:29"},
    ),
    (
        ("src/Lib.hs:12:5: error:", "    Variable not in scope: foo"),
        {"kind": "gcc", "location": "src/Lib.hs:12:5", "message": "Variable not in scope: foo"},
    ),
    (
        ("❌  /src/Source/JSON.swift:97:2: unknown attribute 'x'",),
        {"kind": "xcpretty_compile", "location": "/src/Source/JSON.swift:97:2"},
    ),
    (
        ("** (CompileError) lib/cart.ex:12: undefined function total/0",),
        {"kind": "elixir", "code": "CompileError", "location": "lib/cart.ex:12"},
    ),
    (
        ("bad class file: /x/A.class", "class file has wrong version 55.0, should be 52.0"),
        {"kind": "class_version", "code": "55:52", "subject": "/x/A.class"},
    ),
    (("/usr/bin/ld: cart.o: undefined reference to `total'",), {"kind": "linker", "category": "compile"}),
    (("SyntaxError: invalid syntax",), {"kind": "python_syntax", "code": "SyntaxError"}),
    # linters and format checks
    (
        ("inventory/models.py:14:1: F401 [*] `os` imported but unused",),
        {
            "kind": "flake8",
            "category": "lint",
            "code": "F401",
            "location": "inventory/models.py:14:1",
            "message": "`os` imported but unused",
        },
    ),
    (("./app.py:3:80: E501 line too long (88 > 79 characters)",), {"kind": "flake8", "code": "E501"}),
    (
        ("app/views.py:10:0: C0114: Missing module docstring (missing-module-docstring)",),
        {"kind": "pylint", "code": "C0114"},
    ),
    (
        ("app/models/user.rb:12:5: C: Style/StringLiterals: Prefer single quotes.",),
        {"kind": "rubocop", "code": "Style/StringLiterals"},
    ),
    (
        ("lib/a.rb:3:1: W: [Correctable] Lint/UselessAssignment: Useless assignment.",),
        {"kind": "rubocop", "code": "Lint/UselessAssignment"},
    ),
    (
        ("src/a.js: line 3, col 7, Error - 'x' is not defined. (no-undef)",),
        {"kind": "eslint_compact", "location": "src/a.js:3:7"},
    ),
    (
        ("  /src/app.js:12:5: Extra semicolon. (semi)",),
        {"kind": "standard", "location": "/src/app.js:12:5", "code": "semi"},
    ),
    (
        ("lib/Cart.pm: Code before strictures are enabled at line 3, column 1.  See page 429 of PBP.  (Severity: 5)",),
        {"kind": "perlcritic", "file": "lib/Cart.pm", "location": "lib/Cart.pm:3"},
    ),
    (("  12 | ERROR | [x] Missing doc comment",), {"kind": "phpcs", "message": "Missing doc comment"}),
    (("       ^-- SC2086 (info): Double quote to prevent globbing.",), {"kind": "shellcheck", "code": "SC2086"}),
    (("Dockerfile:3 DL3008 error: Pin versions in apt get install.",), {"kind": "hadolint", "code": "DL3008"}),
    (
        ("README.md:12:81 MD013/line-length Line length [Expected: 80; Actual: 99]",),
        {"kind": "markdownlint", "code": "MD013"},
    ),
    (("would reformat src/app.py",), {"kind": "black", "file": "src/app.py"}),
    (
        ("ERROR: /src/app.py Imports are incorrectly sorted and/or formatted.",),
        {"kind": "isort", "file": "/src/app.py"},
    ),
    (("[warn] src/app.js",), {"kind": "prettier", "file": "src/app.js"}),
    (
        ("ruff-format..............................................................Failed",),
        {"kind": "pre_commit", "subject": "ruff-format"},
    ),
    (("✖ 2 problems (2 errors, 0 warnings)",), {"kind": "eslint_summary", "strength": VERDICT}),
    # dependencies
    (
        ("ModuleNotFoundError: No module named 'yaml'",),
        {"kind": "python_import", "category": "dependency_install", "subject": "yaml"},
    ),
    (("Error: Cannot find module 'left-pad'",), {"kind": "node_module", "subject": "left-pad"}),
    # javac reading a class file built for a newer Java (Maven's and javac's own form).
    (
        (
            "[ERROR] /src/main/java/App.java:[3,17] cannot access com.acme.Lib",
            "  bad class file: /root/.m2/repository/com/acme/lib/2.0/lib-2.0.jar(com/acme/Lib.class)",
            "    class file has wrong version 55.0, should be 52.0",
        ),
        {
            "kind": "class_version",
            "code": "55:52",
            "subject": "/root/.m2/repository/com/acme/lib/2.0/lib-2.0.jar(com/acme/Lib.class)",
            "message": "cannot access com.acme.Lib: class file has wrong version 55.0, should be 52.0",
            "message_line": 102,
        },
    ),
    (
        (
            "src/main/java/App.java:3: error: cannot access Lib",
            "import com.acme.Lib;",
            "bad class file: /home/ci/.gradle/caches/lib-2.0.jar(com/acme/Lib.class)",
            "class file has wrong version 61.0, should be 55.0",
        ),
        {"kind": "class_version", "code": "61:55", "location": "src/main/java/App.java:3"},
    ),
    (
        ("    class file has wrong version 65.0, should be 61.0",),
        {"kind": "class_version", "code": "65:61", "message": "class file has wrong version 65.0, should be 61.0"},
    ),
    # Spotless: the files it would reformat, and the command it says fixes them.
    (
        (
            "> The following files had format violations:",
            "      src/main/java/com/acme/App.java",
            "          @@ -1,3 +1,3 @@",
            "          -import java.util.*;",
            "  Run './gradlew :spotlessApply' to fix these violations.",
        ),
        {
            "kind": "spotless",
            "category": "lint",
            "file": "src/main/java/com/acme/App.java",
            "subject": "./gradlew :spotlessApply",
        },
    ),
    (
        (
            "[ERROR] Failed to execute goal com.diffplug.spotless:spotless-maven-plugin:2.43.0:check (default) on "
            "project shop: The following files had format violations:",
            "[ERROR]     src/main/java/com/acme/Cart.java",
            "[ERROR] Run 'mvn spotless:apply' to fix these violations.",
        ),
        {"kind": "spotless", "subject": "mvn spotless:apply"},
    ),
    (
        ("Error: Cannot find module '@babel/core/lib/config'",),
        {"kind": "node_module", "subject": "@babel/core/lib/config"},
    ),
    # A path is a file of the project, not a package.
    (
        ("Error: Cannot find module './cart'",),
        {"kind": "node_local_module", "category": "compile", "subject": "./cart"},
    ),
    (
        ("Error: Cannot find module '/home/runner/work/shop/shop/dist/server.js'",),
        {"kind": "node_local_module", "subject": "/home/runner/work/shop/shop/dist/server.js"},
    ),
    (
        ("Error: Cannot find module 'D:\\a\\shop\\dist\\cli.js'",),
        {"kind": "node_local_module", "subject": "D:\\a\\shop\\dist\\cli.js"},
    ),
    (
        ("ERROR: Could not find a version that satisfies the requirement torch==9.9 (from versions: 2.0)",),
        {"kind": "pip", "subject": "torch==9.9"},
    ),
    (("ERROR: No matching distribution found for nope",), {"kind": "pip", "subject": "nope"}),
    (("npm ERR! ERESOLVE unable to resolve dependency tree",), {"kind": "npm", "category": "dependency_install"}),
    (("npm ERR! 404 Not Found - GET https://registry.npmjs.org/nope - Not found",), {"kind": "npm"}),
    (('error An unexpected error occurred: "https://registry.yarnpkg.com/nope: Not found".',), {"kind": "yarn"}),
    (
        (
            "    - The requested package acme/lib 4.4@dev exists as acme/lib[1.0] but these are rejected by "
            "your constraint.",
        ),
        {"kind": "composer"},
    ),
    (
        ("Could not find gem 'rails (= 9.0)' in any of the gem sources listed in your Gemfile.",),
        {"kind": "bundler", "subject": "rails (= 9.0)"},
    ),
    (("ERROR: dependency 'xml2' is not available for package 'shiny'",), {"kind": "r_package"}),
    (("Package required but not available: 'httpuv'",), {"kind": "r_package"}),
    (("error: no matching package named `serde_jsn` found",), {"kind": "cargo_resolve"}),
    (("E: Unable to locate package libfoo-dev",), {"kind": "apt", "subject": "libfoo-dev"}),
    (("  ERROR: Failed building wheel for lxml",), {"kind": "pip_build", "subject": "lxml"}),
    (("Failed building wheel for psycopg2",), {"kind": "pip_build", "subject": "psycopg2"}),
    (("** (Mix) Could not compile dependency :jose",), {"kind": "mix", "code": "Mix", "category": "compile"}),
    (("./build.sh: line 3: cmake: command not found",), {"kind": "missing_command", "subject": "cmake"}),
    # limits, networks, permissions, runners
    (("OSError: [Errno 28] No space left on device",), {"kind": "disk", "category": "infrastructure"}),
    (("write /var/lib/docker/tmp/x: no space left on device: No space left on device",), {"kind": "disk"}),
    (
        ("The hosted runner: GitHub Actions 12 lost communication with the server.",),
        {"kind": "runner", "category": "infrastructure"},
    ),
    (("##[error]The runner has received a shutdown signal.",), {"kind": "runner"}),
    (
        ("Cannot connect to the Docker daemon at unix:///var/run/docker.sock. Is the docker daemon running?",),
        {"kind": "runner"},
    ),
    (("ERROR: Job failed (system failure): prepare environment: exit code 1",), {"kind": "runner"}),
    (
        ("FATAL ERROR: Reached heap limit Allocation failed - JavaScript heap out of memory",),
        {"kind": "memory", "category": "timeout_or_oom"},
    ),
    (
        ("./run.sh: line 1:  2231 Killed                  python -m pytest",),
        {"kind": "killed", "subject": "python -m pytest"},
    ),
    (
        ("No output has been received in the last 10m0s, this potentially indicates a stalled build.",),
        {"kind": "no_output"},
    ),
    (("The job exceeded the maximum time limit for jobs, and has been terminated.",), {"kind": "time_limit"}),
    (("     ** (ExUnit.TimeoutError) test timed out after 60000ms.",), {"kind": "test_timeout"}),
    (("Tests timed out",), {"kind": "timed_out", "category": "timeout_or_oom"}),
    (
        ("fatal: unable to access 'https://github.com/a/b.git/': The requested URL returned error: 502",),
        {"kind": "git_network"},
    ),
    (
        ("remote: Permission to acme/site.git denied to ci-bot.",),
        {"kind": "git_permission", "subject": "acme/site.git"},
    ),
    (("curl: (6) Could not resolve host: example.invalid",), {"kind": "network", "subject": "example.invalid"}),
    # A connection that timed out, as strerror, Go's net package and HTTP clients say it.
    (("ssh: connect to host github.com port 22: Connection timed out",), {"kind": "network"}),
    (('Get "https://proxy.golang.org/x/@v/list": dial tcp 142.250.1.1:443: i/o timeout',), {"kind": "network"}),
    (("t/https.t ........ Connection error: Connect timeout at t/https.t line 17.",), {"kind": "network"}),
    (("Connection timeout. Retrying in 5 seconds.",), {"kind": "network", "category": "network_or_flaky"}),
    (
        ("  1. [L0153] 404 http://example.com/a.png",),
        {"kind": "link_check", "subject": "http://example.com/a.png", "code": "404"},
    ),
    (("  ✗ [404] https://example.com/gone",), {"kind": "link_check", "code": "404"}),
    (
        ("  *  External link http://example.com/x failed: 404 No error",),
        {"kind": "link_check", "subject": "http://example.com/x"},
    ),
    (("KeyError: 'SESSION_SECRET'",), {"kind": "missing_variable", "subject": "SESSION_SECRET"}),
    (("Error: environment variable DEPLOY_TOKEN is not set",), {"kind": "missing_variable", "subject": "DEPLOY_TOKEN"}),
    (("Error: Input required and not supplied: token",), {"kind": "missing_input", "subject": "token"}),
    (("rm: cannot open '/etc/x': Permission denied",), {"kind": "permission", "strength": GENERIC}),
    (("Error: Invalid workflow file: .github/workflows/ci.yml#L12",), {"kind": "actions_config"}),
    (
        ('#7 ERROR: process "/bin/sh -c make" did not complete successfully: exit code: 2',),
        {"kind": "buildkit", "category": "docker_build"},
    ),
    (
        ("==12==ERROR: AddressSanitizer: heap-use-after-free on address 0x6020",),
        {"kind": "sanitizer", "code": "AddressSanitizer"},
    ),
    # Ginkgo (v1 and v2), its block and its summary
    (
        (
            "• Failure [0.002 seconds]",
            "Cart",
            "/src/cart_test.go:10",
            "  adds taxes [It]",
            "  /src/cart_test.go:30",
            "  Expected",
            "      <int>: 1",
        ),
        {"kind": "ginkgo", "strength": DETAIL, "category": "test_assertion", "message": "Expected"},
    ),
    (
        ("• [FAILED] [0.013 seconds]", "Cart adds taxes [It]", "  Expected <int>: 1 to equal <int>: 2"),
        {"kind": "ginkgo", "strength": DETAIL, "message": "Expected <int>: 1 to equal <int>: 2"},
    ),
    (
        ("• Failure in Spec Setup (BeforeEach) [0.001 seconds]", "Cart", "  boom"),
        {"kind": "ginkgo", "strength": DETAIL},
    ),
    (("[Fail] Cart Total [It] adds taxes ",), {"kind": "ginkgo", "test": "Cart Total [It] adds taxes"}),
    (("  [FAIL] Cart Total [It] adds taxes",), {"kind": "ginkgo", "test": "Cart Total [It] adds taxes"}),
    # XCTest on Linux, Catch2, Boost.Test
    (
        ('/src/Tests/CartTests.swift:12: error: CartTests.testTotal : XCTAssertEqual failed: ("1") is not equal',),
        {
            "kind": "xctest",
            "category": "test_assertion",
            "test": "CartTests.testTotal",
            "location": "/src/Tests/CartTests.swift:12",
            "message": 'XCTAssertEqual failed: ("1") is not equal',
        },
    ),
    (
        ("tests/cart.cpp:12: FAILED:", "  REQUIRE( total == 3 )", "with expansion:", "  2 == 3"),
        {"kind": "catch2", "location": "tests/cart.cpp:12", "message": "REQUIRE( total == 3 )"},
    ),
    (
        ("C:\\src\\cart.cpp(12): FAILED:", "  CHECK( total == 3 )"),
        {"kind": "catch2", "file": "C:\\src\\cart.cpp", "location": "C:\\src\\cart.cpp:12"},
    ),
    (
        ('test/cart.cpp(12): error: in "cart/total": check total == 3 has failed [2 != 3]',),
        {
            "kind": "boost_test",
            "category": "test_assertion",
            "test": "cart/total",
            "location": "test/cart.cpp:12",
            "message": "check total == 3 has failed [2 != 3]",
        },
    ),
    (
        ('cart.cpp(40): fatal error: in "suite/case": critical check ok has failed',),
        {"kind": "boost_test", "test": "suite/case"},
    ),
    # Cucumber's and Cabal's closing lists
    (
        ("cucumber features/cart.feature:12 # Scenario: Adding a book",),
        {"kind": "cucumber", "test": "Scenario: Adding a book", "location": "features/cart.feature:12"},
    ),
    (("Test suite spec: FAIL",), {"kind": "cabal_test", "test": "spec", "strength": ERROR}),
    (("Test suite cart-tests: FAIL",), {"kind": "cabal_test", "test": "cart-tests"}),
    # PHP, the Emacs byte-compiler, erlc, LaTeX, Xcode, CMake
    (
        ("PHP Parse error:  syntax error, unexpected '}' in /src/Cart.php on line 12",),
        {
            "kind": "php_error",
            "category": "compile",
            "code": "Parse error",
            "location": "/src/Cart.php:12",
            "message": "syntax error, unexpected '}'",
        },
    ),
    (
        ("Parse error: syntax error, unexpected end of file in src/a.php on line 3",),
        {"kind": "php_error", "category": "compile", "file": "src/a.php"},
    ),
    (
        ("PHP Fatal error:  Uncaught Error: Class 'Cart' not found in /src/index.php:7",),
        {"kind": "php_error", "category": "unknown", "code": "Fatal error", "location": "/src/index.php:7"},
    ),
    (
        ("cart.el:12:5:Error: Symbol’s value as variable is void: total",),
        {"kind": "emacs_compile", "location": "cart.el:12:5", "message": "Symbol’s value as variable is void: total"},
    ),
    (
        ("src/cart.erl:12: syntax error before: ')'",),
        {"kind": "erlc", "category": "compile", "location": "src/cart.erl:12", "message": "syntax error before: ')'"},
    ),
    (
        ("src/cart.erl:12:5: function total/1 undefined",),
        {"kind": "erlc", "location": "src/cart.erl:12:5", "message": "function total/1 undefined"},
    ),
    (("! Undefined control sequence.", "l.12 \\foo"), {"kind": "latex", "message": "Undefined control sequence."}),
    (
        ("! LaTeX Error: File `tikz.sty' not found.",),
        {"kind": "latex", "category": "compile", "message": "LaTeX Error: File `tikz.sty' not found."},
    ),
    (("** TEST FAILED **",), {"kind": "build_failure", "strength": VERDICT}),
    (("** BUILD FAILED **",), {"kind": "build_failure", "strength": VERDICT}),
    (
        ("CMake Error at CMakeLists.txt:12 (find_package):", "  Could NOT find Boost (missing: system)"),
        {
            "kind": "cmake",
            "subject": "find_package",
            "location": "CMakeLists.txt:12",
            "message": "Could NOT find Boost (missing: system)",
        },
    ),
    (
        ("CMake Error at cmake/deps.cmake:40 (message):", "  Unsupported compiler: Intel"),
        {"kind": "cmake", "subject": "message", "location": "cmake/deps.cmake:40"},
    ),
    # TSLint, Vint, PHPStan
    (
        ("ERROR: (no-unused-variable) src/cart.ts[12, 5]: 'x' is declared but not used.",),
        {
            "kind": "tslint",
            "category": "lint",
            "code": "no-unused-variable",
            "location": "src/cart.ts:12:5",
            "message": "'x' is declared but not used.",
        },
    ),
    (("src/app.tsx[3, 1]: Missing semicolon",), {"kind": "tslint", "file": "src/app.tsx", "code": ""}),
    (
        ("autoload/cart.vim:12:5: Use the full option name instead of the abbreviation (see :help option-summary)",),
        {
            "kind": "vint",
            "category": "lint",
            "location": "autoload/cart.vim:12:5",
            "message": "Use the full option name instead of the abbreviation",
        },
    ),
    (("plugin/x.vim:3:1: Undefined variable: s:total",), {"kind": "vint", "message": "Undefined variable: s:total"}),
    (
        (
            "  Line   src/Cart.php",
            " ------ ---------------------------------------",
            "  12     Call to an undefined method Cart::total().",
        ),
        {
            "kind": "phpstan",
            "category": "type_error",
            "file": "src/Cart.php",
            "message": "12 Call to an undefined method Cart::total().",
        },
    ),
    # Format checks: rustfmt, clang-format, dotnet format
    (("Diff in /src/main.rs at line 12:",), {"kind": "rustfmt", "category": "lint", "location": "/src/main.rs:12"}),
    (("Diff in src/lib.rs:40:",), {"kind": "rustfmt", "file": "src/lib.rs"}),
    (
        ("src/cart.cpp:12:3: error: code should be clang-formatted [-Wclang-format-violations]",),
        {"kind": "clang_format", "category": "lint", "location": "src/cart.cpp:12:3"},
    ),
    (
        ("src/Cart.cs(12,5): error WHITESPACE: Fix whitespace formatting. Replace 2 characters with '\\n'.",),
        {"kind": "dotnet_format", "category": "lint", "code": "WHITESPACE", "location": "src/Cart.cs:12:5"},
    ),
    (
        ("  Cart.cs(3,1): error IMPORTS: Fix imports ordering.",),
        {"kind": "dotnet_format", "code": "IMPORTS"},
    ),
    # Dependencies: Perl, Ruby, pkg-config, Gradle, Maven, Cabal
    (
        ("Can't locate Mojo/UserAgent.pm in @INC (you may need to install the Mojo::UserAgent module) (@INC",),
        {"kind": "perl_module", "category": "dependency_install", "subject": "Mojo/UserAgent.pm"},
    ),
    (
        ("/src/lib/cart.rb:1:in `require': cannot load such file -- nokogiri (LoadError)",),
        {"kind": "ruby_load", "category": "dependency_install", "subject": "nokogiri"},
    ),
    (
        ("LoadError: cannot load such file -- cart/version",),
        {"kind": "ruby_load", "subject": "cart/version"},
    ),
    (
        ("Package glib-2.0 was not found in the pkg-config search path.",),
        {"kind": "pkg_config", "category": "dependency_install", "subject": "glib-2.0"},
    ),
    (("No package 'libffi' found",), {"kind": "pkg_config", "subject": "libffi"}),
    (
        ("   > Could not find com.acme:cart:1.2.",),
        {"kind": "gradle_resolve", "category": "dependency_install", "subject": "com.acme:cart:1.2"},
    ),
    (("> Could not resolve com.acme:cart:1.+.",), {"kind": "gradle_resolve", "subject": "com.acme:cart:1.+"}),
    (
        ("Could not find artifact com.acme:cart:jar:1.2 in central (https://repo.maven.apache.org/maven2)",),
        {"kind": "maven_resolve", "category": "dependency_install", "subject": "com.acme:cart:jar:1.2"},
    ),
    (
        (
            "[ERROR] Failed to execute goal on project shop: Could not resolve dependencies for project "
            "com.acme:shop:jar:1.0: Failure to find com.acme:cart:jar:1.2",
        ),
        {"kind": "maven_resolve", "subject": "com.acme:shop:jar:1.0"},
    ),
    (
        ("cabal: Could not resolve dependencies:",),
        {"kind": "cabal_resolve", "category": "dependency_install", "strength": DETAIL},
    ),
    (
        ("Error: While constructing the build plan, the following exceptions were encountered:",),
        {"kind": "cabal_resolve"},
    ),
    # GitHub Actions' annotations: a tool's line quoted, else the annotation itself
    (
        ("##[error]src/a.ts(3,5): error TS2322: Type 'string' is not assignable to type 'number'.",),
        {"kind": "tsc", "category": "type_error", "location": "src/a.ts:3:5", "code": "TS2322"},
    ),
    (("##[error]No space left on device",), {"kind": "disk", "category": "infrastructure"}),
    (("##[error]Missing semicolon",), {"kind": "actions_error", "strength": ERROR, "message": "Missing semicolon"}),
    (
        ("::error file=app.js,line=10,col=5::Missing semicolon",),
        {"kind": "actions_error", "file": "app.js", "location": "app.js:10", "message": "Missing semicolon"},
    ),
    (("::error::Something went wrong",), {"kind": "actions_error", "file": "", "message": "Something went wrong"}),
    (("##[error]The operation was canceled.",), {"kind": "actions_cancel", "strength": VERDICT}),
    # a missing command, as each shell says it; a push the server refused
    (("zsh: command not found: yarn",), {"kind": "missing_command", "subject": "yarn", "message": "command not found"}),
    (
        ("'tsc' is not recognized as an internal or external command,",),
        {"kind": "missing_command", "subject": "tsc", "category": "dependency_install"},
    ),
    (
        ("Invoke-Pester : The term 'Invoke-Pester' is not recognized as the name of a cmdlet, function, script file",),
        {"kind": "missing_command", "subject": "Invoke-Pester"},
    ),
    (
        ("ERROR: Permission to acme/cart.git denied to deploy-bot.",),
        {"kind": "git_permission", "subject": "acme/cart.git", "category": "permission_or_secret"},
    ),
    (("remote: Permission to acme/cart.git denied to bot.",), {"kind": "git_permission", "subject": "acme/cart.git"}),
    # ctest's closing list, R CMD check, ESLint's stylish line (its file heading: see below)
    (("\t  3 - parser_test (Failed)",), {"kind": "ctest", "test": "parser_test", "strength": ERROR}),
    (("  12 - net_timeouts (Timeout)",), {"kind": "ctest", "test": "net_timeouts"}),
    (("* checking tests ... ERROR",), {"kind": "r_check", "subject": "tests", "code": "ERROR"}),
    (("* checking examples ... [4s/4s] ERROR",), {"kind": "r_check", "subject": "examples"}),
    (
        ("  12:5  error  'x' is defined but never used  no-unused-vars",),
        {"kind": "eslint", "code": "no-unused-vars", "message": "'x' is defined but never used"},
    ),
    (("   3:1   ✖  Unexpected empty block   block-no-empty",), {"kind": "eslint", "code": "block-no-empty"}),
    # a job killed, a crash, a docker build, a link checker's count
    (("Error: Process completed with exit code 137.",), {"kind": "killed", "category": "timeout_or_oom"}),
    (('The command "npm test" exited with 137.',), {"kind": "killed", "strength": GENERIC}),
    (("/bin/bash: line 1:  4242 Segmentation fault      (core dumped) ./bin/test",), {"kind": "crash"}),
    (("Bus error: 10",), {"kind": "crash", "strength": GENERIC}),
    (
        ('ERROR: failed to solve: process "/bin/sh -c make" did not complete successfully: exit code: 2',),
        {"kind": "docker", "category": "docker_build", "strength": ERROR},
    ),
    (("COPY failed: file not found in build context",), {"kind": "docker", "category": "docker_build"}),
    (("3 broken links found",), {"kind": "link_summary", "category": "lint", "strength": ERROR}),
    (("ERROR: 12 dead links found!",), {"kind": "link_summary"}),
    # format checks and their summaries
    (
        ("diff -u cmd/app/main.go.orig cmd/app/main.go",),
        {"kind": "gofmt", "file": "cmd/app/main.go", "category": "lint"},
    ),
    (("pkg/x.go.orig pkg/x.go",), {"kind": "gofmt", "file": "pkg/x.go"}),
    (
        ("42 files inspected, 3 offenses detected, 2 offenses autocorrectable",),
        {"kind": "rubocop_summary", "strength": ERROR, "message": "3 offenses detected, 2 offenses autocorrectable"},
    ),
    (("1 file inspected, 1 offense detected",), {"kind": "rubocop_summary", "category": "lint"}),
    (
        ("[warn] Code style issues found in 2 files. Run Prettier with --write to fix.",),
        {"kind": "prettier_summary", "strength": VERDICT, "category": "lint"},
    ),
    (("Code style issues found in the above file. Forgot to run Prettier?",), {"kind": "prettier_summary"}),
    (
        ("> The following files had format violations:",),
        {"kind": "spotless", "category": "lint", "strength": ERROR, "file": ""},
    ),
    (("Oh no! 💥 💔 💥 3 files would be reformatted, 10 files would be left unchanged.",), {"kind": "format_check"}),
    # dependencies
    (
        ("ImportError: cannot import name 'soft_unicode' from 'markupsafe' (/venv/lib/markupsafe/__init__.py)",),
        {"kind": "python_import", "code": "ImportError", "category": "dependency_install"},
    ),
    (
        (
            "ERROR: Cannot install flask==2.0 and werkzeug==0.15 because these package versions have "
            "conflicting dependencies.",
        ),
        {"kind": "pip_conflict", "category": "dependency_install", "strength": DETAIL},
    ),
    (("ERROR: ResolutionImpossible: for help visit https://pip.pypa.io/",), {"kind": "pip_conflict"}),
    (
        ("Your requirements could not be resolved to an installable set of packages.",),
        {"kind": "composer", "strength": ERROR, "category": "dependency_install"},
    ),
    (
        ("Package ‘magit’ is unavailable",),
        {"kind": "emacs_package", "category": "dependency_install", "message": "Package ‘magit’ is unavailable"},
    ),
    (('Error: (error "Package `emacs-25.1\' is unavailable")',), {"kind": "emacs_package"}),
    # a variable the job needs, named in its own words
    (
        ("DATABASE_URL is not set",),
        {"kind": "missing_variable", "subject": "DATABASE_URL", "category": "permission_or_secret"},
    ),
    (("Error: AWS_REGION must be set",), {"kind": "missing_variable", "subject": "AWS_REGION"}),
    # npm's statements, a missing file
    (
        ("npm ERR! missing script: test",),
        {"kind": "npm_error", "strength": GENERIC, "message": "missing script: test"},
    ),
    (("npm ERR! Cannot read property 'match' of undefined",), {"kind": "npm_error"}),
    (
        ("npm ERR! Failed at the cart@1.0.0 test script.",),
        {"kind": "npm_failed", "subject": "cart@1.0.0", "strength": VERDICT},
    ),
    (("npm ERR! code ELIFECYCLE",), {"kind": "npm_failed", "strength": VERDICT}),
    (
        ("cp: cannot stat 'dist/app.js': No such file or directory",),
        {"kind": "no_such_file", "strength": GENERIC, "category": "unknown"},
    ),
    (("/bin/sh: 1: ./scripts/test.sh: No such file or directory",), {"kind": "no_such_file"}),
    # result lines: a test's name and its verdict
    (
        ("test_total (tests.test_cart.CartTest) ... FAIL",),
        {"kind": "unittest", "test": "test_total", "subject": "tests.test_cart.CartTest", "strength": ERROR},
    ),
    (
        ("test_total (tests.test_cart.CartTest.test_total) ... ERROR",),
        {"kind": "unittest", "test": "test_total", "strength": ERROR},
    ),
    (
        ("test_sum (tests.MathTest.test_sum) ... unexpected success",),
        {"kind": "unittest", "test": "test_sum", "strength": ERROR},
    ),
    (("motions/line-char-first                    ERROR",), {"kind": "result_line", "test": "motions/line-char-first"}),
    (("Running test ./errors/filter ... FAIL",), {"kind": "result_line", "test": "Running test ./errors/filter"}),
    (("  parser/unicode.vader ......... FAILED",), {"kind": "result_line", "test": "parser/unicode.vader"}),
    (("test_utf8\t[FAIL]",), {"kind": "result_line", "test": "test_utf8", "category": "test_assertion"}),
    # error statements and verdicts
    (
        ('Exception in thread "main" java.lang.IllegalStateException: boom',),
        {"kind": "exception", "code": "java.lang.IllegalStateException", "strength": GENERIC},
    ),
    (("TypeError: Cannot read properties of undefined (reading 'x')",), {"kind": "exception", "code": "TypeError"}),
    # .NET: the innermost exception an exception wraps, after " ---> ", on its line or below.
    (
        (
            "System.AggregateException: One or more errors occurred. ---> System.IO.FileNotFoundException: "
            "Could not find file '/src/app/config.json'.",
        ),
        {
            "kind": "exception",
            "code": "FileNotFoundException",
            "message": "Could not find file '/src/app/config.json'.",
        },
    ),
    (
        (
            "Unhandled exception. System.AggregateException: One or more errors occurred. (Connection refused)",
            " ---> System.Net.Http.HttpRequestException: Connection refused",
            " ---> System.Net.Sockets.SocketException (111): Connection refused",
            "   at System.Net.Sockets.Socket.Connect(EndPoint remoteEP)",
            "   --- End of inner exception stack trace ---",
            " ---> System.InvalidOperationException: not this one",
        ),
        # The wrapper only says something inside failed: the innermost's line is the statement.
        {
            "kind": "exception",
            "code": "SocketException",
            "message": "Connection refused",
            "line": 102,
            "message_line": 102,
        },
    ),
    (
        ("Unhandled Exception: System.InvalidOperationException: Sequence contains no elements",),
        {"kind": "exception", "code": "System.InvalidOperationException", "message": "Sequence contains no elements"},
    ),
    # Rake: "rake aborted!" over the error (its class and message, or a RuntimeError's message).
    (
        ("rake aborted!", "NameError: uninitialized constant Cart::Total", "/app/Rakefile:4:in `<top (required)>'"),
        {"kind": "rake", "strength": ERROR, "message": "NameError: uninitialized constant Cart::Total", "line": 101},
    ),
    (
        ("rake aborted!", "No Rakefile found (looking for: rakefile, Rakefile, rakefile.rb, Rakefile.rb)"),
        {"kind": "rake", "message": "No Rakefile found (looking for: rakefile, Rakefile, rakefile.rb, Rakefile.rb)"},
    ),
    (
        (
            "rake aborted!",
            'Command failed with status (1): [ruby -w -I"lib:test" /usr/lib/ruby/rake/rake_test_loader.rb '
            '"test/cart_test.rb" ]',
            "/home/ci/.rvm/gems/ruby-2.6.3/bin/ruby_executable_hooks:24:in `eval'",
            "Tasks: TOP => default => test",
            "(See full trace by running task with --trace)",
        ),
        {
            "kind": "rake",
            "strength": VERDICT,
            "code": "1",
            "subject": 'ruby -w -I"lib:test" /usr/lib/ruby/rake/rake_test_loader.rb "test/cart_test.rb"',
        },
    ),
    (
        ("rake aborted!", "", "Tasks: TOP => default"),
        {"kind": "rake", "strength": VERDICT, "line": 100, "message": "rake aborted!"},
    ),
    (("thread 'main' panicked at src/main.rs:3:5:",), {"kind": "panic", "test": "main"}),
    (("panic: runtime error: index out of range [3] with length 3",), {"kind": "panic"}),
    (
        ("* What went wrong:", "Execution failed for task ':app:test'."),
        {"kind": "gradle_wrong", "message": "Execution failed for task ':app:test'."},
    ),
    (
        (
            "[ERROR] Failed to execute goal org.apache.maven.plugins:maven-surefire-plugin:2.22:test "
            "(default-test) on project cart: There are test failures.",
        ),
        {"kind": "maven_goal", "subject": "org.apache.maven.plugins:maven-surefire-plugin", "code": "test"},
    ),
    (("error: failed to push some refs to 'origin'",), {"kind": "error_start", "strength": ERROR}),
    (("ERROR: xref failed while processing /src",), {"kind": "error_line", "strength": GENERIC}),
    (
        ('The command "make test" exited with 2.',),
        {"kind": "travis_command", "subject": "make test", "code": "2", "strength": VERDICT},
    ),
    (("##[error]Process completed with exit code 1.",), {"kind": "actions_exit", "code": "1"}),
    (("make: *** [Makefile:12: test] Error 2",), {"kind": "make", "code": "2"}),
    (("[ERROR] BUILD FAILURE",), {"kind": "build_failure"}),
    (("error Command failed with exit code 1.",), {"kind": "yarn_failed", "code": "1"}),
    # AWS: the error code decides the category.
    (
        (
            "upload failed: dist/app.js to s3://acme-site/app.js An error occurred (AccessDenied) when calling the "
            "PutObject operation: Access Denied",
        ),
        {"kind": "aws", "category": "permission_or_secret", "code": "AccessDenied", "subject": "PutObject"},
    ),
    (
        (
            "An error occurred (ThrottlingException) when calling the DescribeStacks operation (reached max retries: "
            "4): Rate exceeded",
        ),
        {"kind": "aws", "category": "network_or_flaky", "message": "Rate exceeded"},
    ),
    (
        (
            "An error occurred (NoSuchBucket) when calling the ListObjectsV2 operation: The specified bucket does not "
            "exist",
        ),
        {"kind": "aws", "category": "unknown", "strength": ERROR},
    ),
    (
        ('Unable to locate credentials. You can configure credentials by running "aws configure".',),
        {"kind": "aws_credentials"},
    ),
    (
        ("Error: Could not assume role with OIDC: Not authorized to perform sts:AssumeRoleWithWebIdentity",),
        {"kind": "aws_credentials", "category": "permission_or_secret"},
    ),
    (
        ("Error: Credentials could not be loaded, please check your action inputs: Could not load credentials",),
        {"kind": "aws_credentials"},
    ),
    # kubectl: a refusal of the credentials is a permission; other server errors are left unknown.
    (
        ('Error from server (Forbidden): deployments.apps "web" is forbidden: User "ci" cannot patch resource',),
        {"kind": "kubectl", "category": "permission_or_secret", "code": "Forbidden"},
    ),
    (('Error from server (NotFound): namespaces "prod" not found',), {"kind": "kubectl", "category": "unknown"}),
    # Ansible: the "msg" of a failed task's result; an unreachable host is a network failure.
    (
        ('fatal: [web1]: FAILED! => {"changed": false, "msg": "No package matching \'ngnix\' is available"}',),
        {"kind": "ansible", "subject": "web1", "message": "No package matching 'ngnix' is available"},
    ),
    (
        (
            'fatal: [db2]: UNREACHABLE! => {"changed": false, "msg": "Failed to connect to the host via ssh: '
            'ssh: connect to host 10.0.0.7 port 22: No route to host", "unreachable": true}',
        ),
        {"kind": "ansible", "category": "network_or_flaky", "subject": "db2"},
    ),
    # Coverage thresholds: the required figure and the reached one.
    (
        ("FAIL Required test coverage of 80% not reached. Total coverage: 78.12%",),
        {"kind": "coverage", "category": "lint", "code": "80", "subject": "78.12"},
    ),
    (
        ("Coverage failure: total of 78 is less than fail-under=80",),
        {"kind": "coverage", "code": "80", "subject": "78"},
    ),
    (
        ('Jest: "global" coverage threshold for lines (80%) not met: 78.5%',),
        {"kind": "coverage", "code": "80", "subject": "78.5"},
    ),
    # ktlint and Checkstyle.
    (
        ('src/main/kotlin/App.kt:12:5: Unexpected blank line(s) before "}" (no-blank-line-before-rbrace)',),
        {"kind": "ktlint", "location": "src/main/kotlin/App.kt:12:5", "code": "no-blank-line-before-rbrace"},
    ),
    (
        ("[ERROR] src/main/java/App.java:12:5: Missing a Javadoc comment. [MissingJavadocMethod]",),
        {"kind": "checkstyle", "location": "src/main/java/App.java:12:5", "code": "MissingJavadocMethod"},
    ),
    # A lock file out of date where the CI's install may not update it.
    (
        (
            "npm ERR! `npm ci` can only install packages when your package.json and package-lock.json or "
            "npm-shrinkwrap.json are in sync. Please update your lock file with `npm install` before continuing.",
        ),
        {"kind": "lockfile", "category": "dependency_install", "strength": DETAIL},
    ),
    (("error Your lockfile needs to be updated, but yarn was run with `--frozen-lockfile`.",), {"kind": "lockfile"}),
    (
        (
            ' ERR_PNPM_OUTDATED_LOCKFILE  Cannot install with "frozen-lockfile" because pnpm-lock.yaml is not up '
            "to date",
        ),
        {"kind": "lockfile", "code": "ERR_PNPM_OUTDATED_LOCKFILE"},
    ),
    (
        (
            "pyproject.toml changed significantly since poetry.lock was last generated. Run "
            "`poetry lock [--no-update]` to fix the lock file.",
        ),
        {"kind": "lockfile"},
    ),
    (
        ("error: the lock file /home/runner/work/app/app/Cargo.lock needs to be updated but --locked was passed",),
        {"kind": "lockfile"},
    ),
    (
        (" ERR_PNPM_NO_MATCHING_VERSION  No matching version found for left-pad@^9.0.0",),
        {
            "kind": "pnpm",
            "code": "ERR_PNPM_NO_MATCHING_VERSION",
            "message": "No matching version found for left-pad@^9.0.0",
        },
    ),
    # Go modules out of date with the code.
    (
        (
            "cmd/app/main.go:8:2: missing go.sum entry for module providing package github.com/spf13/cobra "
            "(imported by github.com/acme/app/cmd/app); to add:",
        ),
        {"kind": "go_mod", "category": "dependency_install", "subject": "github.com/spf13/cobra"},
    ),
    (("go: updates to go.mod needed; to update it:",), {"kind": "go_mod"}),
    (("go: inconsistent vendoring in /src:",), {"kind": "go_mod"}),
    # Docker's registry.
    (
        (
            "Error response from daemon: pull access denied for acme/private-base, repository does not exist or may "
            "require 'docker login': denied: requested access to the resource is denied",
        ),
        {"kind": "docker_pull", "category": "permission_or_secret", "subject": "acme/private-base"},
    ),
    (
        ("toomanyrequests: You have reached your pull rate limit. You may increase the limit by authenticating",),
        {"kind": "docker_rate", "category": "network_or_flaky"},
    ),
    # tox: the command that failed, the environment's verdict.
    (
        ("ERROR: InvocationError for command /src/.tox/py38/bin/pytest tests (exited with code 1)",),
        {"kind": "tox", "strength": VERDICT, "code": "1", "subject": "/src/.tox/py38/bin/pytest tests"},
    ),
    (("ERROR:   py38: commands failed",), {"kind": "tox", "strength": VERDICT}),
    # Terraform: the error, its place under it, and the detail after the quoted source.
    (
        (
            "│ Error: Reference to undeclared resource",
            "│ ",
            '│   on main.tf line 12, in resource "aws_instance" "web":',
            "│   12:   subnet_id = aws_subnet.main.id",
            "│ ",
            '│ A managed resource "aws_subnet" "main" has not been declared in the root module.',
            "╵",
        ),
        {
            "kind": "terraform",
            "category": "compile",
            "location": "main.tf:12",
            "message": 'Reference to undeclared resource: A managed resource "aws_subnet" "main" has not been '
            "declared in the root module.",
            "message_line": 105,
        },
    ),
    (
        (
            "Error: Unsupported argument",
            "",
            '  on modules/net/variables.tf line 3, in variable "cidr":',
            '   3:   typo = "x"',
            "",
            'An argument named "typo" is not expected here.',
        ),
        {"kind": "terraform", "location": "modules/net/variables.tf:3"},
    ),
    # Another tool's "Error: ..." (no Terraform place under it) is left to the other formats.
    (("Error: Cannot find module 'left-pad'",), {"kind": "node_module"}),
    (("Error: connect ECONNREFUSED 127.0.0.1:5432",), {"kind": "network"}),
    # npm test (npm 6 and before) when the test script exited non-zero.
    (("npm ERR! Test failed.  See above for more details.",), {"kind": "npm_test", "strength": VERDICT}),
    # pip's resolver: the requirements that clash, from under "The conflict is caused by:".
    (
        (
            "ERROR: Cannot install shop==1.0 and requests==2.31.0 because these package versions have conflicting "
            "dependencies.",
            "",
            "The conflict is caused by:",
            "    The user requested requests==2.31.0",
            "    shop 1.0 depends on requests<2.30",
            "",
            "To fix this you could try to:",
        ),
        {
            "kind": "pip_conflict",
            "category": "dependency_install",
            "message": "The user requested requests==2.31.0; shop 1.0 depends on requests<2.30",
            "message_line": 103,
        },
    ),
    (
        ("ERROR: ResolutionImpossible: for help visit https://pip.pypa.io/en/latest/topics/dependency-resolution/",),
        {"kind": "pip_conflict", "message_line": 100},
    ),
    # GHC: the code (9.6 on) and the -Werror flags that made a warning an error.
    (
        ("src/Cart.hs:3:1: error: [GHC-88464]", "    Variable not in scope: totl :: Int"),
        {"code": "GHC-88464", "message": "Variable not in scope: totl :: Int", "location": "src/Cart.hs:3:1"},
    ),
    (
        (
            "src/Cart.hs:3:1: error: [-Wunused-imports, -Werror=unused-imports]",
            "    The import of ‘Data.List’ is redundant",
        ),
        {"message": "The import of ‘Data.List’ is redundant (-Werror=unused-imports)"},
    ),
    (
        ("%%% cart_SUITE ==> total: FAILED", "%%% cart_SUITE ==> {{badmatch,3},[{cart_SUITE,total,1,[]}]}"),
        {"kind": "common_test", "test": "total", "message": "{{badmatch,3},[{cart_SUITE,total,1,[]}]}"},
    ),
    # A script the shell cannot run: its execute bit is not set (exit status 126).
    (
        ("/home/travis/.travis/functions: line 104: ./gradlew: Permission denied",),
        {"kind": "not_executable", "subject": "./gradlew", "strength": DETAIL},
    ),
    (("bash: ./scripts/deploy.sh: Permission denied",), {"kind": "not_executable", "subject": "./scripts/deploy.sh"}),
    (("sh: 1: ci/test.sh: Permission denied",), {"kind": "not_executable", "subject": "ci/test.sh"}),
    (
        ("cp: cannot create regular file '/usr/local/bin/x': Permission denied",),
        {"kind": "permission", "strength": GENERIC},
    ),
    # git checking out what the remote no longer has.
    (
        ("fatal: Remote branch feature/readme not found in upstream origin",),
        {"kind": "git_ref", "category": "infrastructure", "subject": "feature/readme"},
    ),
    (
        ("fatal: reference is not a tree: 3f9c2a1b7d4e5f60718293a4b5c6d7e8f9012345",),
        {"kind": "git_ref", "subject": "3f9c2a1b7d4e5f60718293a4b5c6d7e8f9012345"},
    ),
    (("fatal: couldn't find remote ref refs/pull/12/merge",), {"kind": "git_ref", "subject": "refs/pull/12/merge"}),
    # git over HTTPS: 401/403 is a refusal of the credentials, 5xx the server failing.
    (
        ("fatal: unable to access 'https://github.com/acme/shop/': The requested URL returned error: 403",),
        {"kind": "git_permission", "category": "permission_or_secret", "subject": "https://github.com/acme/shop/"},
    ),
    (
        ("fatal: unable to access 'https://github.com/acme/shop/': The requested URL returned error: 502",),
        {"kind": "git_network", "category": "network_or_flaky"},
    ),
    (
        ("Error: write /var/lib/docker/tmp/GetImageBlob1: no space left on device",),
        {"kind": "disk", "category": "infrastructure"},
    ),
    (("Test failed.  See above for more details.",), {"kind": "npm_test", "strength": VERDICT}),
    (("  3 failing",), {"kind": "test_summary"}),
]


@pytest.mark.parametrize(("texts", "expected"), CASES, ids=[c[0][0][:50] for c in CASES])
def test_each_format_is_read_with_its_fields(texts: tuple[str, ...], expected: dict[str, object]) -> None:
    got = first(*texts)
    assert {k: got[k] for k in expected} == expected


@pytest.mark.parametrize(
    "text",
    [
        "warning: unused variable `x`",
        "src/a.c:3:5: warning: implicit declaration of function 'f'",
        "[WARNING] The POM for x is missing",
        "DeprecationWarning: the 'generic' unit is deprecated",
        "    at Object.<anonymous> (src/cart.test.js:12:5)",
        "    test/helpers.lua:156: in function 'check_logs'",
        '  File "app.py", line 3, in <module>',
        "SKIP reading a file that does not exist: ./x.pid",
        "git fetch origin # timeout=10",
        "UV_HTTP_TIMEOUT: 900",
        "killed: false",
        "Status: FAILED",
        "##[warning]Node.js 16 actions are deprecated.",
        "::warning file=a.py,line=3::unused import",
        "[ RUN      ] suite name: FAIL",
        "",
    ],
)
def test_warnings_frames_and_settings_are_no_failure_statements(text: str) -> None:
    assert parse_line([(1, text)], 0) is None


def test_a_link_listed_as_allowed_is_no_failure() -> None:
    lines = [
        (1, "> White listed:"),
        (2, "  1. [L0020] 404 https://example.com/a"),
        (3, "Issues :-("),
        (4, "> Links"),
        (5, "  1. [L0153] 404 https://example.com/b"),
    ]
    reports = parse_reports(lines)
    assert [(r.line, r.subject) for r in reports] == [(5, "https://example.com/b")]


def test_awesome_bots_issues_list_names_each_link_and_its_run_listing_does_not() -> None:
    lines = [
        (10, "  30. [L3297] 302 https://example.com/groups/a/  → https://example.com/login/"),
        (11, "  31. [L3319] 200 https://example.com/book"),
        (12, ""),
        (13, "Issues :-("),
        (14, "> Links "),
        (15, "  01. [L0410] 301 https://github.com/a/old  → https://github.com/b/new "),
        (16, "  02. [L1622] 404 https://gone.example.com  "),
        (
            17,
            "  03. [L3303]  https://down.example.com/ Failed to open TCP connection to down.example.com:443 "
            "(Connection timed out - connect(2))",
        ),
        (18, "> Dupes "),
        (19, "  01. [L0043] https://github.com/a/twice"),
    ]
    reports = parse_reports(lines)
    assert [(r.line, r.kind, r.subject, r.code, r.message) for r in reports] == [
        (15, "link_check", "https://github.com/a/old", "301", "status 301 → https://github.com/b/new"),
        (16, "link_check", "https://gone.example.com", "404", "status 404"),
        (
            17,
            "link_check",
            "https://down.example.com/",
            "",
            "Failed to open TCP connection to down.example.com:443 (Connection timed out - connect(2))",
        ),
        (19, "link_check", "https://github.com/a/twice", "", "01. [L0043] https://github.com/a/twice"),
    ]


@pytest.mark.parametrize("prefix", ["", "= "])
def test_a_sanitizer_crash_is_named_by_the_programs_top_frames(prefix: str) -> None:
    lines = [
        (1, f"{prefix}==16563==ERROR: AddressSanitizer: SEGV on unknown address 0x000001d548d0 (pc 0x000000455084 T0)"),
        (2, f"{prefix}==16563==The signal is caused by a WRITE memory access."),
        (3, f"{prefix}    #0 0x455083 in AtomicallySetQuarantineFlag /llvm/compiler-rt/lib/asan/asan_allocator.cc:1"),
        (4, f"{prefix}    #1 0x4fb97b in __interceptor_free /llvm/compiler-rt/lib/asan/asan_malloc_linux.cc:129:3"),
        (5, f"{prefix}    #2 0x5c1d1b in xfree /src/nvim/memory.c:133:3"),
        (6, f"{prefix}    #3 0x6ac3e9 in free_string_option /src/nvim/option.c:4032:5"),
        (7, f"{prefix}    #4 0x6ac1a2 in free_all_options /src/nvim/option.c:1020:7"),
        (8, f"{prefix}    #5 0x6ac1a2 in mch_exit /src/nvim/os_unix.c:139:3"),
        (9, f"{prefix}0x602000000010 is located 0 bytes inside of 1-byte region"),
        (10, f"{prefix}    #0 0x4fb97b in other_stack /src/nvim/other.c:1:1"),
    ]
    [report] = parse_reports(lines)
    assert (report.kind, report.code, report.subject) == (
        "sanitizer",
        "AddressSanitizer",
        "xfree < free_string_option < free_all_options",
    )


def test_a_minitest_test_under_skipped_did_not_fail() -> None:
    lines = [
        (1, "Skipped:"),
        (2, "TestPosts#test_: related posts should index.  [/ci/test/test_related_posts.rb:26]:"),
        (3, "JRuby does not perform well with CExt, test disabled."),
        (5, "  1) Failure:"),
        (6, "TestCart#test_total [test/cart_test.rb:12]:"),
        (7, "Expected: 3"),
    ]
    assert [(r.line, r.test, r.message) for r in parse_reports(lines)][:1] == [
        (5, "TestCart#test_total", "Expected: 3")
    ]


@pytest.mark.parametrize(
    ("diff", "message"),
    [
        (
            ["========DIFF========", "001+ ** ERROR: process timed out **", "001- OK.", "========DONE========"],
            "** ERROR: process timed out **",
        ),
        (
            [
                "========DIFF========",
                "005-     Parameter #1 [ <optional> $ar_flags ]",
                "005+     Parameter #1 [ <optional> $flags ]",
                "========DONE========",
            ],
            "Parameter #1 [ <optional> $flags ]",
        ),
        (
            [
                "========DIFF========",
                "# original source file: ext/pdo/tests/pdo_022.phpt",
                "002+ Segmentation fault (core dumped)",
                "========DONE========",
            ],
            "Segmentation fault (core dumped)",
        ),
    ],
)
def test_a_php_test_states_the_first_unexpected_line_of_its_diff(diff: list[str], message: str) -> None:
    lines = [
        (40 + i, t)
        for i, t in enumerate([*diff, "FAIL Bug #60120 (proc_open hangs) [ext/standard/tests/file/bug60120.phpt] "])
    ]
    [report] = [r for r in parse_reports(lines) if r.kind == "php_run_tests"]
    assert (report.kind, report.test, report.message, report.line) == (
        "php_run_tests",
        "Bug #60120 (proc_open hangs)",
        message,
        lines[-1][0],
    )
    assert report.lines == sorted({report.message_line, report.line}) and report.message_line < report.line


@pytest.mark.parametrize(
    ("shown", "message"),
    [
        # The excerpt starts under the diff's header.
        (
            [(51, "001+ ** ERROR: process timed out **"), (52, "001- OK."), (53, "========DONE========")],
            "** ERROR: process timed out **",
        ),
        # A long diff, shown in two pieces, its header 100 lines over the result: its end is not
        # where it starts, and the piece above may be another test's.
        (
            [
                (-46, "========DIFF========"),
                (-45, "005+ Error: stat1 do not match with stat2 at key value: 8"),
                (-44, "005- bool(true)"),
                (50, "119+ bool(false)"),
                (51, "120+ "),
                (52, "121+ --- Done ---"),
                (53, "========DONE========"),
            ],
            "FAIL Bug #60120 (proc_open hangs) [ext/standard/tests/file/bug60120.phpt]",
        ),
        # Shown whole under a line that is not its header (a progress line the terminal overwrote).
        (
            [
                (49, "TEST 9596/13942 [2/2 concurrent test workers running]"),
                (50, "005+     Parameter #1 [ <optional> $flags ]"),
                (51, "005-     Parameter #1 [ <optional> $ar_flags ]"),
                (52, "========DONE========"),
            ],
            "Parameter #1 [ <optional> $flags ]",
        ),
        # Without its header, the diff is read up to the first gap: beyond it may be another test's.
        (
            [
                (20, "002+ Fatal error: Uncaught BadMethodCallException"),
                (51, "001+ ** ERROR: process timed out **"),
                (52, "001- OK."),
                (53, "========DONE========"),
            ],
            "** ERROR: process timed out **",
        ),
        # Only the expected side is shown: no unexpected line to quote.
        (
            [(52, "001- OK."), (53, "========DONE========")],
            "FAIL Bug #60120 (proc_open hangs) [ext/standard/tests/file/bug60120.phpt]",
        ),
        # What is shown over the result is another section, not a diff.
        (
            [(51, "001+ ** ERROR **"), (52, "tests passed so far: 12"), (53, "FAIL other [a/b.phpt]")],
            "FAIL Bug #60120 (proc_open hangs) [ext/standard/tests/file/bug60120.phpt]",
        ),
    ],
)
def test_a_php_tests_diff_is_read_from_what_the_excerpt_shows_of_it(shown: list[tuple[int, str]], message: str) -> None:
    lines = [*shown, (54, "FAIL Bug #60120 (proc_open hangs) [ext/standard/tests/file/bug60120.phpt] ")]
    report = next(r for r in parse_reports(lines) if r.line == 54)
    assert report.message == message


def test_stacks_package_prefix_does_not_hide_the_compilers_report() -> None:
    lines = [
        (1, "cart> configure (lib)"),
        (2, "cart> [2 of 3] Compiling Cart.Total"),
        (3, "cart> src/Cart/Total.hs:12:5: error:"),
        (4, "cart>     • Couldn't match expected type ‘Int’ with actual type ‘Double’"),
        (5, "cart-api> Test suite cart-api-test failed"),
    ]
    [report, *_] = parse_reports(lines)
    assert (report.kind, report.location, report.message, report.message_line) == (
        "gcc",
        "src/Cart/Total.hs:12:5",
        "• Couldn't match expected type ‘Int’ with actual type ‘Double’",
        4,
    )
    # A line or two that merely look prefixed ("mysql> ") are read as they are.
    assert parse_reports([(1, "mysql> source schema.sql"), (2, "src/Cart/Total.hs:12:5: error:")]) != []
    assert parse_reports([(1, "db> src/Cart/Total.hs:12:5: error: x"), (2, "db> y")]) == []


def test_a_php_tests_diff_is_not_taken_from_another_tests_result() -> None:
    lines = [
        (1, "========DIFF========"),
        (2, "022+ [020] Error: 2006/MySQL server has gone away"),
        (3, "========DONE========"),
        (
            4,
            "XFAIL int mysqli_poll() and kill [ext/mysqli/tests/mysqli_poll_kill.phpt]   XFAIL REASON: To be fixed.",
        ),
        (5, "FAIL recvmsg(): basic test [ext/sockets/tests/socket_recvmsg.phpt] "),
    ]
    [report] = parse_reports(lines)
    assert (report.line, report.message_line, report.message) == (
        5,
        5,
        "FAIL recvmsg(): basic test [ext/sockets/tests/socket_recvmsg.phpt]",
    )


@pytest.mark.parametrize(
    "source",
    [
        "            if isinstance(e.reason, ConnectTimeoutError):",
        ">       raise TimeoutError('No output has been received in the last 10m')",
        "        except OSError:  # No space left on device",
    ],
)
def test_a_tests_source_between_its_header_and_its_message_states_nothing(source: str) -> None:
    lines = [
        (10, "___________________ test_unknown_virtual_host ___________________"),
        (11, "    def test_unknown_virtual_host(nginxproxy):"),
        (12, source),
        (14, "E       ConnectionError: HTTPConnectionPool(host='proxy', port=80): Max retries exceeded with url: /"),
        (16, "adapters.py:487: ConnectionError"),
    ]
    assert [(r.kind, r.line) for r in parse_reports(lines)] == [("pytest", 10), ("network", 14)]


@pytest.mark.parametrize(
    ("above", "message"),
    [
        (["lua: test.lua:3: attempt to call a nil value (global 'foo')"], "lua: test.lua:3: attempt to call"),
        (['fail: [string "bundle:libs/codec.lua"]:123: No such hash: 31b8c99'], "fail: [string"),
        (["luajit: src/x.lua:10: bad argument #1 to 'ipairs' (table expected, got nil)"], "luajit: src/x.lua:10"),
        (["test/unit/helpers.lua:85: missing declaration for symbol 'buf_valid'", ""], "test/unit/helpers.lua:85"),
        # Output of its own above the error, a message that wraps, a message without a position.
        (["fetching: 1 object", "fail: x.lua:9: No such hash: 31b8c99"], "fail: x.lua:9: No such hash"),
        (
            ["test/unit/helpers.lua:727: (string) '", "test/unit/helpers.lua:85: missing x''", ""],
            "test/unit/helpers.lua:85",
        ),
        (["", "error loading module 'lpeg'", "  no field package.preload['lpeg']"], "error loading module 'lpeg'"),
    ],
)
def test_luas_error_is_the_line_above_its_stack_traceback(above: list[str], message: str) -> None:
    lines = [(20 + i, t) for i, t in enumerate([*above, "stack traceback:", "\t[C]: in function 'assert'"])]
    [report] = [r for r in parse_reports(lines) if r.kind == "lua_error"]
    assert dict(lines)[report.line].strip().startswith(message)
    assert report.message_line == report.line and report.message.startswith(message)


def test_a_lua_message_whose_start_is_not_shown_is_no_report() -> None:
    lines = [(5, "[ RUN ] x"), (9, "There are intermediate states between"), (10, ""), (11, "stack traceback:")]
    assert [r for r in parse_reports(lines) if r.kind == "lua_error"] == []


@pytest.mark.parametrize(
    "above",
    [
        [],
        ["warning: Screen test succeeded immediately. Try to avoid this unless", "to the test if they make sense.", ""],
    ],
)
def test_a_stack_traceback_under_nothing_or_a_warning_is_no_report(above: list[str]) -> None:
    lines = [(10 + i, t) for i, t in enumerate([*above, "stack traceback:", "\t[C]: in ?"])]
    assert [r for r in parse_reports(lines) if r.kind == "lua_error"] == []


@pytest.mark.parametrize(
    "command",
    [
        "$ ./node_modules/.bin/prettier --list-different 'src/**/*.js'",
        "> prettier -l 'src/**/*.{ts,tsx}'",
        "$ gofmt -s -l .",
        'Run test -z "$(goimports -l .)"',
    ],
)
def test_a_list_mode_checker_names_the_files_it_would_change(command: str) -> None:
    lines = [(1, command), (2, "src/cart.js"), (3, "lib/a/b_test.go"), (4, "error Command failed with exit code 1.")]
    reports = [(r.kind, r.file, r.category) for r in parse_reports(lines) if r.kind == "listed_file"]
    assert reports == [("listed_file", "src/cart.js", "lint"), ("listed_file", "lib/a/b_test.go", "lint")]


@pytest.mark.parametrize(
    "above",
    ["$ ls src", "$ prettier --write src/cart.js", "Compiling sources:", "$ gofmt -d ."],
)
def test_a_bare_path_under_any_other_command_is_no_failure(above: str) -> None:
    lines = [(1, above), (2, "src/cart.js")]
    assert parse_reports(lines) == []


def test_a_stylish_report_is_placed_under_its_file_heading() -> None:
    lines = [(3, "/src/app.js"), (4, "  12:5  error  'x' is defined but never used  no-unused-vars"), (6, "x")]
    [report] = parse_reports(lines)
    assert (report.kind, report.code, report.location, report.line, report.message_line) == (
        "eslint",
        "no-unused-vars",
        "/src/app.js:12:5",
        3,
        4,
    )


def test_a_buildkit_error_is_placed_on_its_step() -> None:
    lines = [
        (10, "#7 [2/4] RUN apt-get update"),
        (11, "#8 [3/4] RUN make"),
        (12, "#8 0.5 make: *** no rule"),
        (13, '#8 ERROR: process "/bin/sh -c make" did not complete successfully: exit code: 2'),
    ]
    [*_, report] = [r for r in parse_reports(lines) if r.kind == "buildkit"]
    assert (report.line, report.subject, report.message_line) == (11, "RUN make", 13)


def test_warnings_are_recognised_in_the_usual_spellings() -> None:
    assert is_warning("warning: x") and is_warning("[WARN] x") and is_warning("a.c:1:2: warning: y")
    assert not is_warning("error: x")


@pytest.mark.parametrize(
    ("texts", "expected"),
    [
        (("The following tests FAILED:", "\t  3 - cart_total (Failed)"), "cart_total"),
        (("The following tests FAILED:", "\t 12 - io_read (SEGFAULT)"), "io_read"),
    ],
)
def test_ctests_closing_list_names_the_failed_tests(texts: tuple[str, ...], expected: str) -> None:
    reports = parse_reports([(i, t) for i, t in enumerate(texts)])
    assert [r.test for r in reports if r.kind == "ctest"] == [expected]


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("* checking tests ... ERROR", "r_check"),
        ("* checking examples ... [4s/5s] ERROR", "r_check"),
        ("ERROR: 2 dead links found!", "link_summary"),
        ("Found 3 broken links detected in README.md", "link_summary"),
    ],
)
def test_checks_that_report_their_own_failure(text: str, kind: str) -> None:
    report = parse_line([(1, text)], 0)
    assert report is not None and report.kind == kind


@pytest.mark.parametrize(
    ("pattern", "loose"),
    [
        (r"^(?!SKIP)(?P<msg>.*: No such file)$", r"^(?:.*: No such file)$"),
        (r"(?<![\w/.-])eslint(?![\w/.-])", r"eslint"),
        (r"a[(?!)]b(?=c)", r"a[(?!)]b"),
        (r"\(?(?P<f>x)\)", r"\(?(?:x)\)"),
    ],
)
def test_a_format_is_loosened_for_re2_by_dropping_lookarounds_and_names(pattern: str, loose: str) -> None:
    assert loosened(pattern) == loose


def test_the_loosened_formats_match_every_line_their_formats_match() -> None:
    texts = [t for case, _ in CASES for t in case]
    for fmt in FORMATS:
        loose = re2.compile(loosened(fmt.pattern.pattern))
        for text in texts:
            if fmt.pattern.search(text):
                assert loose.search(text), (fmt.kind, text)


_PIECES = sorted({word for case, _ in CASES for text in case for word in re.split(r"(\s+)", text)} - {""})
_UNICODE = ["Ü", "é", "漢", "٣", "\u00a0", "\u2003", "\x1c", "\u2028", "ß", "\u212a"]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(_PIECES + _UNICODE + [" ", ":", "/", "-"]), max_size=14))
def test_re2_never_misses_a_line_python_matches_whatever_its_characters(pieces: list[str]) -> None:
    text = "".join(pieces)
    for fmt in FORMATS:
        if fmt.pattern.search(text):
            assert re2.search(loosened(fmt.pattern.pattern), text), (fmt.kind, text)


@pytest.mark.parametrize(
    "text",
    [
        "Übersicht.py:3:1: E302 expected 2 blank lines, found 1",  # a non-ASCII file name
        "\u00a0\u00a0--- FAIL: TestÜber (0.00s)",  # indented with no-break spaces
        "____ test_größe[ä] ____",
        "FAILED tests/test_ü.py::test_größe - assert 1 == 2",
        "\u2003  12:5  error  'ä' is defined but never used  no-unused-vars",
    ],
)
def test_a_unicode_line_is_a_candidate_of_the_formats_python_matches(text: str) -> None:
    for fmt in FORMATS:
        if fmt.pattern.search(text):
            assert re2.search(loosened(fmt.pattern.pattern), text), (fmt.kind, text)
    assert parse_line([(1, text)], 0) is not None


@pytest.mark.parametrize(
    ("heading", "error", "location"),
    [
        ("# github.com/acme/cart", "./cart.go:12:2: undefined: Total", "./cart.go:12:2"),
        (
            "# example.com/x/cmd/app [example.com/x/cmd/app.test]",
            "cmd/app/main_test.go:9:5: x declared and not used",
            "cmd/app/main_test.go:9:5",
        ),
        ("# runtime/cgo", "../gcc.go:3:1: expected declaration, found 'IDENT' foo", "../gcc.go:3:1"),
    ],
)
def test_a_go_compiler_error_stands_under_its_packages_heading(heading: str, error: str, location: str) -> None:
    lines = [(1, heading), (2, error), (3, "\tneeded by x"), (4, "./cart.go:20:1: missing return")]
    reports = [r for r in parse_reports(lines) if r.kind == "go_build"]
    assert [(r.line, r.location, r.category) for r in reports][:1] == [(2, location, "compile")]
    assert len(reports) == 2


@pytest.mark.parametrize("above", ["$ golint ./...", "Running linters:", "ok  \tgithub.com/acme/cart\t0.01s"])
def test_the_same_shape_outside_a_package_heading_is_no_compiler_error(above: str) -> None:
    lines = [(1, above), (2, "cart.go:12:1: exported function Total should have comment or be unexported")]
    assert [r for r in parse_reports(lines) if r.kind == "go_build"] == []


@pytest.mark.parametrize(
    ("lines", "location"),
    [
        (
            ["In scripts/build.sh line 12:", "rm -rf $DIR/*", '       ^--^ SC2115 (warning): Use "${var:?}" here.'],
            "scripts/build.sh:12",
        ),
        (["In ci.sh line 3:", "echo $1", "     ^-- SC2086: Double quote to prevent globbing."], "ci.sh:3"),
        (
            ["FILE: /src/Cart.php", "-" * 40, " 12 | ERROR | [x] Expected 1 space after IF keyword; 0 found"],
            "/src/Cart.php:12",
        ),
    ],
)
def test_a_checkers_place_is_read_from_its_heading(lines: list[str], location: str) -> None:
    [report] = parse_reports([(1 + i, t) for i, t in enumerate(lines)])
    assert (report.category, report.location) == ("lint", location)


# Lines of formats whose tests above need the lines around them (a command, a heading).
_IN_CONTEXT = [
    "./cart.go:12:2: undefined: Total",  # go_build, under its package's heading
    "src/cart.js",  # listed_file, under a list-mode checker
    "  01. [L0410] 301 https://github.com/a/old  → https://github.com/b/new ",  # awesome_bot's list
    "stack traceback:",  # lua_error, under Lua's message
]


def test_every_format_has_a_documented_example_in_these_tests() -> None:
    examples = [text for texts, _ in CASES for text in texts] + _IN_CONTEXT
    untested = [
        (fmt.kind, fmt.pattern.pattern) for fmt in FORMATS if not any(fmt.pattern.search(text) for text in examples)
    ]
    assert untested == []
