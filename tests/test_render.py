from __future__ import annotations

import re
import unicodedata
from types import SimpleNamespace

from chalicelib.render import md_fence, md_text, one_line, render


def test_markdown_from_logs_cannot_link_embed_or_mention() -> None:
    hostile = "![x](https://evil.example/?q=1) <img src=x> @org/team [link](http://a) www.evil.example"
    out = md_text(hostile)
    assert "![x](" not in out and "[link](" not in out
    assert not re.search(r"(?<!\\)[@<\[!]", out)
    assert "https://" not in out and "www." not in out


def test_code_spans_survive_and_contents_stay_literal() -> None:
    assert md_text("run `pytest -k a_b` now") == "run `pytest -k a_b` now"


def test_fence_cannot_be_closed_from_inside() -> None:
    fenced = md_fence("a\n```\n<b>\n````")
    assert fenced.startswith("`````text\n") and fenced.endswith("\n`````")


def test_html_templates_escape() -> None:
    analysis = SimpleNamespace(
        summary="<script>alert(1)</script>",
        root_cause="<b>bold</b>",
        suggested_fix="x",
        category="lint",
        id="20260101-0123456789abcdef",
        fingerprint="0123456789abcdef",
        evidence=[{"line": 1, "text": "<img src=x onerror=alert(1)>"}],
        metadata={"repo": "a/b", "branch": "main", "job": "j"},
        engine={"name": "heuristic", "model": "rules-v1"},
        actions=[],
        occurrences=1,
        flaky=None,
    )
    html = render("email.html.j2", a=analysis, links={"run": "", "issue": "javascript:alert(1)"})
    assert "javascript:" not in html
    assert "<script>" not in html and "&lt;script&gt;" in html and "<img" not in html


def test_no_rendered_output_holds_characters_that_render_as_nothing() -> None:
    hidden = "\u202eevil\u202c \U000e0049\U000e0047\U000e004e\U000e004f\U000e0052\U000e0045 \u200bzero\u2066iso\u2069"
    analysis = SimpleNamespace(
        summary=f"boom {hidden}",
        root_cause=f"because {hidden}",
        suggested_fix=f"fix {hidden}",
        category="lint",
        id="20260101-0123456789abcdef",
        fingerprint="0123456789abcdef",
        evidence=[{"line": 1, "text": f"Error: {hidden}"}],
        metadata={"repo": "a/b", "branch": "main", "job": "j"},
        engine={"name": "heuristic", "model": "rules-v1"},
        actions=[],
        occurrences=1,
        flaky={"verdict": "flaky", "reason": "known_flaky_tests", "evidence": [f"t: {hidden}"], "tests": [hidden]},
    )
    links = {"run": "", "issue": ""}
    for name in ("email.html.j2", "email.txt.j2"):
        out = render(name, a=analysis, links=links)
        assert "zeroiso" in out and "every test that failed is known to be flaky" in out
        assert out.isascii() or all(unicodedata.category(ch) != "Cf" for ch in out), name
    note = render("flaky_verdict.md.j2", v=analysis.flaky, pr=None, report="")
    assert "zeroiso" in note and all(unicodedata.category(ch) != "Cf" for ch in note)


def test_a_title_is_cut_at_a_words_end() -> None:
    assert one_line("short\ntitle", 20) == "short title"
    assert one_line("Dependency installation failed for package leftpad", 30) == "Dependency installation …"
    assert one_line("x" * 50, 20) == "x" * 18 + " …"


def test_a_code_span_holds_any_text_whole() -> None:
    from chalicelib.render import md_code

    assert md_code("tests/test_a.py::test_b") == "`tests/test_a.py::test_b`"
    assert md_code("it `quotes` things") == "``it `quotes` things``"
    assert md_code("`edge`") == "`` `edge` ``"
    assert md_code("two\nlines") == "`two lines`"
