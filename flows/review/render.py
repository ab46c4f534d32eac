"""Record text → HTML for the review page: prose, highlighted code, and readable diffs.

Everything here escapes what it is given: record text is data, never markup. The redaction
placeholders (``<SECRET:aws-access-key>``, ``<EMAIL>``) are shown as what they are — escaped and
marked — so a placeholder can never vanish into the page as an unknown HTML tag.
"""

from __future__ import annotations

import contextlib
import difflib
import json
import re
from dataclasses import dataclass, field, replace
from functools import cache
from typing import Any

from markupsafe import Markup, escape
from pygments import highlight as pygments_highlight
from pygments.formatters import HtmlFormatter
from pygments.lexer import Lexer
from pygments.lexers import TextLexer, get_lexer_by_name, get_lexer_for_filename
from pygments.util import ClassNotFound

LONG_CODE_LINES = 40
_FENCE_OPEN = re.compile(r"^ {0,3}(?P<fence>`{3,}|~{3,})\s*(?P<lang>[\w+#.-]*)[^`]*$")
_PLACEHOLDER = re.compile(r"&lt;(?:SECRET:[a-z0-9-]+|EMAIL)&gt;")
_INLINE_CODE = re.compile(r"`([^`\n]+)`")
_STRONG = re.compile(r"\*\*(?=\S)([^*\n]+?)(?<=\S)\*\*")
_HUNK = re.compile(r"^@@ -(\d+)(?:,\d+)? \+(\d+)(?:,\d+)? @@")


@dataclass(frozen=True, slots=True)
class Block:
    """A run of prose, one fenced code block (highlighted), or a quotation holding blocks of its
    own."""

    kind: str  # prose | code | quote
    html: Markup = field(default_factory=Markup)
    lang: str = ""
    lines: int = 0
    children: tuple[Block, ...] = ()

    @property
    def long(self) -> bool:
        return self.lines > LONG_CODE_LINES


@dataclass(frozen=True, slots=True)
class DiffRow:
    """One line of a unified diff with its line numbers in the old and new text.

    ``html`` marks the words that changed when a deleted line has an added counterpart.
    """

    kind: str  # context | added | deleted | hunk | meta
    old: int | None
    new: int | None
    text: str
    html: Markup | None = None


def blocks(text: str, default_lang: str = "") -> list[Block]:
    """Split Markdown-ish text into prose, fenced code blocks (an unclosed fence runs to the end)
    and quotations (``> `` lines, whose own fences are highlighted too)."""
    found: list[Block] = []
    prose: list[str] = []
    lines = text.split("\n")
    index = 0
    while index < len(lines):
        line = lines[index]
        if line.startswith(">"):
            _flush_prose(prose, found)
            end = next(
                (i for i in range(index, len(lines)) if not lines[i].startswith(">")), len(lines)
            )
            quoted = "\n".join(_unquote(quoted_line) for quoted_line in lines[index:end])
            found.append(Block("quote", children=tuple(blocks(quoted, default_lang))))
            index = end
            continue
        opened = _FENCE_OPEN.match(line)
        if not opened:
            prose.append(line)
            index += 1
            continue
        _flush_prose(prose, found)
        fence = opened.group("fence")
        end = next(
            (i for i in range(index + 1, len(lines)) if lines[i].strip().startswith(fence)),
            len(lines),
        )
        code = "\n".join(lines[index + 1 : end])
        lang = opened.group("lang") or default_lang
        found.append(Block("code", highlight(code, lang), lang, code.count("\n") + 1))
        index = end + 1
    _flush_prose(prose, found)
    return found


def _unquote(line: str) -> str:
    return line[2:] if line.startswith("> ") else line[1:]


def _flush_prose(prose: list[str], found: list[Block]) -> None:
    text = "\n".join(prose).strip("\n")
    prose.clear()
    if text.strip():
        found.append(Block("prose", prose_html(text)))


def prose_html(text: str) -> Markup:
    """Escaped prose with `inline code`, **strong** text and redaction placeholders marked."""
    html = str(escape(text))
    html = _INLINE_CODE.sub(r"<code>\1</code>", html)
    html = _STRONG.sub(r"<strong>\1</strong>", html)
    html = _PLACEHOLDER.sub(
        lambda m: f'<mark class="redacted" title="redacted by goldmine">{m.group(0)}</mark>', html
    )
    return Markup(html)  # noqa: S704 - built from escaped text; only our own tags were added


@cache
def _formatter(line_numbers: bool, first_line: int = 1) -> HtmlFormatter[str]:
    return HtmlFormatter(
        cssclass="hl",
        linenos="table" if line_numbers else False,
        linenostart=first_line,
        wrapcode=True,
    )


def lexer_for(lang: str = "", path: str = "") -> Lexer:
    """A Pygments lexer by language name, else by file name, else plain text."""
    options = {"stripnl": False, "ensurenl": False}
    found: Lexer | None = None
    with contextlib.suppress(ClassNotFound):
        found = get_lexer_by_name(lang, **options) if lang else None
    if found is None and path:
        with contextlib.suppress(ClassNotFound):
            found = get_lexer_for_filename(path, None, **options)
    return found or TextLexer(**options)


def highlight(
    code: str, lang: str = "", path: str = "", *, line_numbers: bool = True, first_line: int = 1
) -> Markup:
    """Code highlighted on the server (Pygments), with line numbers counted from ``first_line``."""
    html = pygments_highlight(code, lexer_for(lang, path), _formatter(line_numbers, first_line))
    return Markup(html)  # noqa: S704 - Pygments escapes the code it formats


def json_html(value: Any) -> Markup:
    """A value as indented, highlighted JSON."""
    return highlight(json.dumps(value, ensure_ascii=False, indent=2), "json", line_numbers=False)


def diff_rows(diff: str) -> list[DiffRow]:
    """A unified diff as rows with old and new line numbers, for a side-numbered view."""
    rows: list[DiffRow] = []
    old = new = 0
    in_header = (
        True  # between "diff --git" (or the start) and the first hunk: ---/+++ are names, not lines
    )
    for line in diff.split("\n"):
        hunk = _HUNK.match(line)
        if hunk:
            old, new, in_header = int(hunk.group(1)), int(hunk.group(2)), False
            rows.append(DiffRow("hunk", None, None, line))
        elif in_header or line.startswith(("diff --git", "\\")):
            in_header = in_header or line.startswith("diff --git")
            rows.append(DiffRow("meta", None, None, line))
        elif line.startswith("+"):
            rows.append(DiffRow("added", None, new, line[1:]))
            new += 1
        elif line.startswith("-"):
            rows.append(DiffRow("deleted", old, None, line[1:]))
            old += 1
        else:
            rows.append(DiffRow("context", old, new, line[1:]))
            old, new = old + 1, new + 1
    while rows and rows[-1].kind in ("context", "meta") and not rows[-1].text:
        rows.pop()  # the empty line after the diff's final newline
    return _mark_changed_words(rows)


def _mark_changed_words(rows: list[DiffRow]) -> list[DiffRow]:
    """Pair each run of deleted lines with the added run after it, line by line, and mark what
    changed."""
    marked = list(rows)
    index = 0
    while index < len(marked):
        deleted_end = index
        while deleted_end < len(marked) and marked[deleted_end].kind == "deleted":
            deleted_end += 1
        added_end = deleted_end
        while added_end < len(marked) and marked[added_end].kind == "added":
            added_end += 1
        for offset in range(min(deleted_end - index, added_end - deleted_end)):
            old_row, new_row = marked[index + offset], marked[deleted_end + offset]
            old_html, new_html = changed_words(old_row.text, new_row.text)
            marked[index + offset] = replace(old_row, html=old_html)
            marked[deleted_end + offset] = replace(new_row, html=new_html)
        index = max(added_end, index + 1)
    return marked


_WORDS = re.compile(r"\w+|\s+|[^\w\s]")


def changed_words(before: str, after: str) -> tuple[Markup, Markup]:
    """Both lines escaped, with the words only one of them has wrapped in ``<del>`` / ``<ins>``."""
    old_words, new_words = _WORDS.findall(before), _WORDS.findall(after)
    matcher = difflib.SequenceMatcher(None, old_words, new_words, autojunk=False)
    old_html, new_html = [], []
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        old_part, new_part = escape("".join(old_words[i1:i2])), escape("".join(new_words[j1:j2]))
        if tag == "equal":
            old_html.append(old_part)
            new_html.append(new_part)
            continue
        if old_part:
            old_html.append(Markup("<del>{}</del>").format(old_part))
        if new_part:
            new_html.append(Markup("<ins>{}</ins>").format(new_part))
    return Markup("").join(old_html), Markup("").join(new_html)


def text_diff(before: str, after: str, name: str) -> list[DiffRow]:
    """The rows of a unified diff between two texts (empty when they are equal)."""
    lines = difflib.unified_diff(
        before.split("\n"), after.split("\n"), f"drafted {name}", f"edited {name}", lineterm="", n=3
    )
    return diff_rows("\n".join(lines))


@cache
def pygments_css() -> str:
    """The highlighting colours: a light style, and a dark one for dark-mode browsers."""
    light = HtmlFormatter(style="default").get_style_defs(".hl")  # type: ignore[no-untyped-call]
    dark = HtmlFormatter(style="github-dark").get_style_defs(".hl")  # type: ignore[no-untyped-call]
    return f"{light}\n@media (prefers-color-scheme: dark) {{\n{dark}\n}}\n"
