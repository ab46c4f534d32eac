from __future__ import annotations

import pytest

from miners.code_symbols import (
    code_without_text,
    extract_symbols,
    guard_clauses,
    language_for_path,
    new_guards,
    same_code,
)
from miners.symbol_changes import changed_symbols

PY_BEFORE = b'''class Cart:
    """A shopping cart."""

    def total(self, prices):
        """Sum the prices."""
        return sum(prices)

    def empty(self):
        return not self.items


def helper():
    return 1
'''
PY_AFTER = PY_BEFORE.replace(
    b"return sum(prices)", b"if not prices:\n            return 0\n        return sum(prices)"
)


def test_python_definitions_have_qualified_names_kinds_spans_and_docstrings() -> None:
    symbols = {s.qualified_name: s for s in extract_symbols(PY_BEFORE, "python")}
    assert set(symbols) == {"Cart", "Cart.total", "Cart.empty", "helper"}
    total = symbols["Cart.total"]
    assert (total.kind, total.start_line, total.end_line) == ("method", 4, 6)
    assert total.doc == "Sum the prices."
    assert symbols["helper"].kind == "function" and symbols["Cart"].kind == "class"


def test_changed_symbols_pairs_the_innermost_definition_across_versions() -> None:
    changes = changed_symbols("python", PY_BEFORE, PY_AFTER, [(6, 6)], [(6, 7)])
    assert [(c.qualified_name, c.change) for c in changes] == [("Cart.total", "modified")]
    change = changes[0]
    assert change.before is not None and change.after is not None
    assert "return 0" in change.after.code and "return 0" not in change.before.code


def test_added_and_deleted_functions() -> None:
    after = PY_BEFORE + b"\n\ndef fresh():\n    return 2\n"
    added = changed_symbols("python", PY_BEFORE, after, [(13, 13)], [(14, 16)])
    assert [(c.qualified_name, c.change) for c in added] == [("fresh", "added")]
    deleted = changed_symbols("python", after, None, [(1, 16)], [])
    assert {c.change for c in deleted} == {"deleted"}


def test_javascript_functions_methods_and_arrow_functions() -> None:
    source = b"""// Formats prices for display.
export const formatPrice = (cents) => `$${(cents / 100).toFixed(2)}`;

class Basket {
  add(item) { this.items.push(item); }
}

function checkout(basket) {
  return basket.items.length;
}
"""
    names = {s.qualified_name: s for s in extract_symbols(source, "javascript")}
    assert {"formatPrice", "Basket", "Basket.add", "checkout"} <= set(names)
    assert names["Basket.add"].kind == "method"
    assert names["formatPrice"].doc == "// Formats prices for display."


def test_go_functions_and_methods_before_and_after() -> None:
    before = b"""package stock

// Reserve takes qty units.
func (s *Store) Reserve(sku string, qty int) error {
\ts.levels[sku] -= qty
\treturn nil
}

func Helper() int { return 1 }
"""
    after = before.replace(
        b"\ts.levels[sku] -= qty\n",
        b'\tif qty <= 0 {\n\t\treturn errors.New("bad qty")\n\t}\n\ts.levels[sku] -= qty\n',
    )
    changes = changed_symbols("go", before, after, [(5, 5)], [(5, 7)])
    assert [(c.qualified_name, c.kind, c.change) for c in changes] == [
        ("Store.Reserve", "method", "modified")
    ]
    assert changes[0].after is not None and "bad qty" in changes[0].after.code
    assert changes[0].after.doc == "// Reserve takes qty units."


def test_every_supported_language_parses_a_function() -> None:
    samples = {
        "typescript": b"function f(a: number): number { return a; }",
        "tsx": b"export function App(): JSX.Element { return <div/>; }",
        "java": b"class A { int f() { return 1; } }",
        "rust": b"impl Foo { fn bar(&self) -> i32 { 1 } }",
        "c": b"int add(int a, int b) { return a + b; }",
        "cpp": b"namespace n { class C { int m() { return 1; } }; }",
    }
    expected = {
        "typescript": "f",
        "tsx": "App",
        "java": "A.f",
        "rust": "Foo.bar",
        "c": "add",
        "cpp": "n.C.m",
    }
    for language, source in samples.items():
        names = [s.qualified_name for s in extract_symbols(source, language)]
        assert expected[language] in names, (language, names)


def test_language_for_path() -> None:
    assert language_for_path("src/a.py") == "python"
    assert language_for_path("web/App.tsx") == "tsx"
    assert language_for_path("README.md") is None


def test_a_guard_written_over_several_lines_reads_as_one() -> None:
    code = (
        "def safe_join(directory, *pathnames):\n"
        "    for filename in pathnames:\n"
        "        if os.path.isabs(filename) or \\\n"
        "           filename == '..':\n"
        "            raise NotFound()\n"
        "        if (filename.startswith('../') and\n"
        "                strict):\n"
        '            raise ValueError("outside the directory")\n'
    )
    assert [(g.condition, g.error) for g in guard_clauses(code, "python")] == [
        ("os.path.isabs(filename) or filename == '..'", "NotFound"),
        ("filename.startswith('../') and strict", "ValueError"),
    ]


def test_only_an_if_whose_own_block_raises_a_named_error_is_a_guard() -> None:
    code = (
        "def load(path, items):\n"
        "    if not path:\n"
        '        raise ValueError("no path")\n'
        "    if items:\n"
        "        for item in items:\n"
        '            raise KeyError("deep inside a loop")\n'
        "    if path.startswith('~'):\n"
        "        raise\n"
        "    if path == '-':\n"
        "        return None\n"
    )
    assert [(g.condition, g.error) for g in guard_clauses(code, "python")] == [
        ("not path", "ValueError")
    ]
    go = 'func f(x int) error {\n\tif x < 0 {\n\t\treturn errors.New("neg")\n\t}\n\treturn nil\n}'
    assert [(g.condition, g.error) for g in guard_clauses(go, "go")] == [("x < 0", "errors.New")]


def test_a_new_guard_tests_a_condition_the_old_code_did_not() -> None:
    before = "def f(qty):\n    if qty < 0:\n        raise ValueError('negative')\n    return qty\n"
    reworded = before.replace("ValueError('negative')", "TypeError('below zero')")
    assert new_guards(before, reworded, "python") == []
    added = reworded.replace(
        "    return qty", "    if qty > 9:\n        raise OverflowError\n    return qty"
    )
    assert [g.condition for g in new_guards(before, added, "python")] == ["qty > 9"]
    returning = before.replace(
        "    return qty", "    if qty > 9:\n        return 9\n    return qty"
    )
    assert new_guards(before, returning, "python") == []


UNIT = 'def f(x):\n    """Double x."""\n    if x:\n        y = x * 2\n    return y\n'


@pytest.mark.parametrize(
    ("after", "layout_only", "docs_only"),
    [
        (UNIT.replace("y = x * 2", "y  =  x*2"), True, True),
        (UNIT.replace("def f(x):", "def f(\n    x\n):"), True, True),
        (UNIT.replace("    return y", "\n    return y  # the result"), False, True),
        (UNIT.replace("Double x.", "Return twice x."), False, True),
        # indentation is syntax in Python: the return moves into the if
        (UNIT.replace("    return y", "        return y"), False, False),
        (UNIT.replace("x * 2", "x * 3"), False, False),
    ],
)
def test_a_unit_whose_layout_alone_changed_did_not_change(
    after: str, layout_only: bool, docs_only: bool
) -> None:
    assert same_code(UNIT, after, "python") is layout_only
    assert same_code(UNIT, after, "python", ignore_docs=True) is docs_only


def test_other_languages_ignore_whitespace_and_with_docs_their_comments() -> None:
    before = "function f(x) {\n  return x + 1;\n}"
    assert same_code(before, "function f(x) { return x+1; }", "javascript")
    commented = "function f(x) {\n  // one more\n  return x + 1;\n}"
    assert not same_code(before, commented, "javascript")
    assert same_code(before, commented, "javascript", ignore_docs=True)


def test_code_without_text_sets_comments_docstrings_and_strings_aside() -> None:
    before = 'def f():\n    """Doc."""\n    raise ValueError("quantiy")  # why\n'
    after = 'def f():\n    """Docs."""\n    raise ValueError("quantity")\n'
    assert code_without_text(before, "python") == code_without_text(after, "python")
    assert code_without_text(before, "python") != code_without_text(
        after.replace("ValueError", "KeyError"), "python"
    )
