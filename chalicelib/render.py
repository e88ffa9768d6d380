"""Render issue, pull request and email bodies from Jinja2 templates.

Text that came from a log or a model is data: in Markdown it is escaped so it cannot add
links, images, HTML or @mentions; code goes in a fence longer than any backtick run inside it;
in HTML, autoescaping is on. Every output loses the characters that render as nothing (format
characters: zero-width, bidi controls, tags), which would hide text from the people who read it.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from jinja2 import Environment

_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()<>#+!|~@:&])")
_WWW = re.compile(r"(?i)\b(www)\.")
_BACKTICKS = re.compile(r"`+")
_CODE_SPAN = re.compile(r"`([^`\n]{1,200})`")


def _escape(text: str) -> str:
    return _WWW.sub(r"\1\\.", _MD_SPECIAL.sub(r"\\\1", text))


def md_text(value: Any) -> str:
    """Escape Markdown so the text renders literally (no links, images, HTML or mentions).

    Single-backtick code spans stay code spans: GitHub renders nothing inside them.
    """
    text = " ".join(str(value).split("\n"))
    out: list[str] = []
    last = 0
    for match in _CODE_SPAN.finditer(text):
        out.append(_escape(text[last : match.start()]))
        out.append(f"`{match.group(1)}`")
        last = match.end()
    out.append(_escape(text[last:]))
    return "".join(out)


def md_fence(value: Any, info: str = "text") -> str:
    """Put ``value`` in a fenced code block that nothing inside it can close."""
    text = str(value)
    longest = max((len(m.group(0)) for m in _BACKTICKS.finditer(text)), default=0)
    fence = "`" * max(3, longest + 1)
    return f"{fence}{info}\n{text}\n{fence}"


def numbered(evidence: list[dict[str, Any]] | list[list[Any]]) -> str:
    """Evidence lines as ``  123 | text``."""
    rows = []
    for item in evidence:
        line, text = (item["line"], item["text"]) if isinstance(item, dict) else (item[0], item[1])
        rows.append(f"{line:>6} | {text}")
    return "\n".join(rows)


def md_code(value: Any) -> str:
    """``value`` as one Markdown code span: fenced by more backticks than it holds in a row
    (CommonMark), padded when it starts or ends with one; nothing inside is escaped."""
    text = " ".join(str(value).split())
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    fence = "`" * (longest + 1)
    pad = " " if text.startswith("`") or text.endswith("`") else ""
    return f"{fence}{pad}{text}{pad}{fence}"


def one_line(value: Any, limit: int = 120) -> str:
    """``value`` on one line within ``limit`` characters, cut at a word's end (never inside a word)."""
    text = " ".join(str(value).split())
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    space = cut.rfind(" ")
    return (cut[:space] if space > limit // 2 else cut[: limit - 2]).rstrip(" ,;:") + " …"


@functools.lru_cache(maxsize=1)
def environment() -> Environment:
    # Imported here: Jinja loads on the paths that render (a GET of a record does not).
    from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

    env = Environment(
        loader=PackageLoader("chalicelib", "templates"),
        autoescape=select_autoescape(enabled_extensions=("html", "html.j2"), default_for_string=False),
        undefined=StrictUndefined,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(md=md_text, fence=md_fence, numbered=numbered, one_line=one_line, code=md_code)
    return env


def visible(text: str) -> str:
    """``text`` without format characters (Unicode category Cf), which render as nothing."""
    if text.isascii():
        return text
    return "".join(ch for ch in text if unicodedata.category(ch) != "Cf")


def render(name: str, **context: Any) -> str:
    """Render template ``name`` from chalicelib/templates, without invisible characters."""
    return visible(environment().get_template(name).render(**context))
