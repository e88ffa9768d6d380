from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from chalicelib.excerpt.cleaning import clean_line, last_carriage_state, shorten, strip_invisible, was_cut


def test_ansi_colours_and_orphaned_codes_are_removed() -> None:
    assert clean_line(b"\x1b[31;1mERROR\x1b[0m: boom") == "ERROR: boom"
    assert clean_line(b"FAIL [39m[22mtest/a.js") == "FAIL test/a.js"
    assert clean_line(b"\x1b]8;;https://x\x07link\x1b]8;;\x07") == "link"
    assert clean_line(b"\x1b(B\x1b[mplain again") == "plain again"  # tput sgr0
    assert clean_line(b"\x1b[?1h\x1b=    [-] a failed test") == "    [-] a failed test"  # keypad mode


def test_github_actions_timestamp_and_group_markers() -> None:
    assert clean_line(b"2026-11-20T09:14:02.1370000Z ##[group]Run pytest -q") == "Run pytest -q"
    assert clean_line(b"2026-11-20T09:14:02.1370000Z ##[endgroup]") == ""
    assert clean_line(b"\xef\xbb\xbf2026-11-20T09:14:02.1370000Z hello") == "hello"
    assert clean_line(b"2026-11-20T09:14:02.1Z ##[error]Process completed with exit code 1.") == (
        "##[error]Process completed with exit code 1."
    )


def test_travis_fold_and_time_markers() -> None:
    marker = b"travis_time:end:0af98d9e:start=1,finish=2,duration=3\r\x1b[0K"
    raw = marker + b'\x1b[31;1mThe command "make" exited with 2.\x1b[0m'
    assert clean_line(raw) == 'The command "make" exited with 2.'
    assert clean_line(b"travis_fold:start:install\r\x1b[0K$ bundle install") == "$ bundle install"


def test_progress_lines_keep_their_last_state() -> None:
    assert last_carriage_state(b"10%\r50%\r100% done\r") == b"100% done"
    assert clean_line(b"Downloading 1%\rDownloading 99%\rDownloaded\r\r") == "Downloaded"


def test_long_lines_are_capped_with_a_note() -> None:
    text = clean_line(b"x" * 5000, max_chars=100)
    assert text.startswith("x" * 100) and text.endswith("…[4900 more chars]")


def test_bad_bytes_never_break_cleaning() -> None:
    assert clean_line(b"ok\x00\xff\xfe\x07 tail\tend") == "ok\ufffd\ufffd tail    end"


@given(st.binary(max_size=400))
def test_any_bytes_give_printable_text(raw: bytes) -> None:
    text = clean_line(raw)
    assert "\x1b" not in text and "\x00" not in text and "\r" not in text and "\n" not in text


def test_escapes_in_caret_notation_are_stripped() -> None:
    raw = b"2026-05-04T06:35:22.5Z [gw1]^[[36m [ 94%] ^[[0m^[[33mRERUN^[[0m tests/test_a.py::test_x"
    assert clean_line(raw) == "[gw1] [ 94%] RERUN tests/test_a.py::test_x"
    assert clean_line(b"^[^[E       AssertionError: boom^[") == "E       AssertionError: boom"


def test_paths_under_the_checkout_are_shown_from_the_repository_root() -> None:
    assert clean_line(b'  File "/home/runner/work/shop/shop/src/cart.py", line 3') == '  File "./src/cart.py", line 3'
    assert clean_line(b"    at /home/travis/build/acme/shop/lib/a.js:1:2") == "    at ./lib/a.js:1:2"
    assert clean_line(b"/Users/runner/work/shop/shop/Sources/A.swift:9: error") == "./Sources/A.swift:9: error"
    assert clean_line(b"/__w/shop/shop/t.py:1: in test_x") == "./t.py:1: in test_x"  # a container job
    assert clean_line(b"/opt/actions-runner/_work/shop/shop/t.py:1") == "./t.py:1"  # self-hosted
    assert clean_line(b"/builds/group/shop/main.go:4:2: undefined: x") == "./main.go:4:2: undefined: x"
    assert clean_line(b"/home/circleci/project/app.js:3") == "./app.js:3"
    assert clean_line(rb"D:\a\shop\shop\src\Cart.cs(3,4): error CS0103") == r".\src\Cart.cs(3,4): error CS0103"
    assert clean_line(rb"C:\Users\travis\build\acme\shop\Tests\A.ps1:3") == r".\Tests\A.ps1:3"


def test_other_paths_and_urls_are_left_alone() -> None:
    for text in (
        "cd /home/travis/build/acme/shop",  # the checkout itself, not a path under it
        "https://example.com/home/runner/work/a/b/c",
        "/srv/home/runner/work/a/b/c",
        "/usr/lib/python3/dist-packages/x.py:3",
    ):
        assert clean_line(text.encode()) == text


def test_lines_are_capped_at_300_characters_by_default() -> None:
    text = clean_line(b"E   AssertionError: " + b"y" * 400)
    assert len(text) == 300 + len(" …[120 more chars]") and text.endswith("…[120 more chars]")


def test_shorten_cuts_after_redaction_and_counts_what_an_earlier_cut_left_out() -> None:
    assert shorten("short line") == "short line"
    assert shorten("a" * 310, 300) == "a" * 300 + " …[10 more chars]"
    # clean_line cut 100 chars already: the note adds them up.
    assert shorten("b" * 400 + " …[100 more chars]", 300) == "b" * 300 + " …[200 more chars]"
    # A mark across the cut goes whole.
    marked = "c" * 290 + " [REDACTED:github-token] tail"
    assert shorten(marked, 300) == "c" * 290 + f" …[{len(marked) - 291} more chars]"
    # A mark that ends before the cut stays.
    early = "d" * 10 + " [REDACTED:jwt] " + "e" * 400
    assert shorten(early, 300).startswith("d" * 10 + " [REDACTED:jwt] e")


def test_a_cut_line_says_so() -> None:
    assert was_cut(clean_line(b"x" * 400)) and not was_cut(clean_line(b"x" * 300))
    assert not was_cut("the server sent 12 more chars]")


def test_invisible_characters_are_dropped_from_lines() -> None:
    assert clean_line("a\u200bb\u2060c\u202ed\U000e0041e\u00adf".encode()) == "abcdef"
    assert strip_invisible("caf\u00e9 \u2192 ok") == "caf\u00e9 \u2192 ok"  # visible non-ASCII stays
