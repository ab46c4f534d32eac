"""Record text → HTML: everything escaped, code highlighted, quotations nested, diffs numbered
and marked."""

from __future__ import annotations

from flows.review.render import blocks, changed_words, diff_rows, prose_html, text_diff

DIFF = """diff --git a/src/stock.py b/src/stock.py
index 1111111..2222222 100644
--- a/src/stock.py
+++ b/src/stock.py
@@ -10,4 +10,5 @@ def reserve(levels, sku, qty):
     \"\"\"Reserve qty of sku.\"\"\"
--- a comment that starts with dashes
+    if qty <= 0:
+        raise ValueError(qty)
     levels[sku] -= qty
"""


def test_prose_is_escaped_and_placeholders_and_inline_code_are_marked() -> None:
    html = str(
        prose_html(
            "Use `reserve()` with <SECRET:aws-access-key> from <EMAIL>, not "
            "<script>alert(1)</script> **now**"
        )
    )
    assert "<script>" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<code>reserve()</code>" in html and "<strong>now</strong>" in html
    assert (
        html.count('<mark class="redacted"') == 2 and "&lt;SECRET:aws-access-key&gt;</mark>" in html
    )


def test_text_splits_into_prose_code_and_quotations_with_their_own_code() -> None:
    text = (
        "Intro.\n\n```python\ndef f():\n    return 1\n```\nReport:\n> It fails:\n> ```\n> "
        "Traceback\n> ```\n\nAfter."
    )
    found = blocks(text)
    assert [b.kind for b in found] == ["prose", "code", "prose", "quote", "prose"]
    # `def` is a keyword
    assert found[1].lang == "python" and found[1].lines == 2 and 'class="k"' in found[1].html
    assert [b.kind for b in found[3].children] == ["prose", "code"]
    unclosed = blocks("```go\nfunc main() {}")
    assert [(b.kind, b.lang) for b in unclosed] == [("code", "go")]
    assert blocks("```\nplain\n```", default_lang="rust")[0].lang == "rust"


def test_a_diff_gets_old_and_new_line_numbers_and_header_lines_stay_headers() -> None:
    rows = diff_rows(DIFF)
    assert [r.kind for r in rows] == ["meta"] * 4 + [
        "hunk",
        "context",
        "deleted",
        "added",
        "added",
        "context",
    ]
    assert [(r.old, r.new) for r in rows[5:]] == [
        (10, 10),
        (11, None),
        (None, 11),
        (None, 12),
        (12, 13),
    ]
    assert rows[6].text == "-- a comment that starts with dashes"


def test_changed_words_are_marked_in_both_lines_and_escaped() -> None:
    old, new = changed_words("total = price * qty", "total = price * qty  # <rounded>")
    assert str(old) == "total = price * qty"
    assert str(new) == "total = price * qty<ins>  # &lt;rounded&gt;</ins>"
    rows = text_diff("a\nreturn x + 1\nb", "a\nreturn x + 2\nb", "output")
    assert [str(r.html) for r in rows if r.kind in ("deleted", "added")] == [
        "return x + <del>1</del>",
        "return x + <ins>2</ins>",
    ]
    assert text_diff("same", "same", "output") == []
