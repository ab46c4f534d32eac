"""Finding changed definitions fast: innermost segments, incremental parses, the parse cache."""

from __future__ import annotations

import difflib
import re
from collections.abc import Sequence

from hypothesis import given, settings
from hypothesis import strategies as st

from miners.code_symbols import Definition, outline, parse
from miners.git_log_parser import _ranges
from miners.symbol_changes import SymbolMiner, changed_symbols, touched_names

_HUNK = re.compile(r"^@@ -(\d+)(?:,(\d+))? \+(\d+)(?:,(\d+))? @@", re.MULTILINE)


def _brute_force(definitions: list[Definition], touched: list[tuple[int, int]]) -> set[str]:
    """The old O(lines × definitions) rule: each touched line's smallest containing span, later
    wins ties."""
    names = set()
    for first, last in touched:
        for line in range(first, last + 1):
            best = None
            for d in definitions:
                if d.start_line <= line <= d.end_line and (
                    best is None or d.end_line - d.start_line <= best.end_line - best.start_line
                ):
                    best = d
            if best is not None:
                names.add(best.qualified_name)
    return names


_spans = st.lists(st.tuples(st.integers(1, 60), st.integers(0, 25)), max_size=25)
_touched_lines = st.lists(st.tuples(st.integers(1, 70), st.integers(0, 6)), max_size=8)


@settings(max_examples=300, deadline=None)
@given(spans=_spans, touched=_touched_lines)
def test_innermost_segments_agree_with_the_line_by_line_rule(
    spans: list[tuple[int, int]], touched: list[tuple[int, int]]
) -> None:
    tree = parse(b"x = 1\n", "python")
    node = tree.root_node
    definitions = sorted(
        (
            Definition(f"d{n}", "function", start, start + length, node, node)
            for n, (start, length) in enumerate(spans)
        ),
        key=lambda d: d.start_line,
    )
    ranges = [(first, first + length) for first, length in touched]
    assert touched_names(definitions, ranges) == _brute_force(definitions, ranges)


def _module(functions: list[tuple[str, int]]) -> bytes:
    lines = ['"""Module."""', "import logging", ""]
    for name, body in functions:
        decorator = [f"@cache(size={body})"] if body % 3 == 0 else []  # decorator lines change too
        lines += ["", *decorator, f"def {name}(x):", f'    """{name} docs."""']
        lines += [f"    x = x + {n}" for n in range(body)] + ["    return x"]
    lines += [
        "",
        "class Box:",
        "    @property",
        "    def size(self):",
        f"        return {len(functions)}",
    ]
    return ("\n".join(lines) + "\n").encode()


def _go_module(functions: list[tuple[str, int]]) -> bytes:
    lines = ["package shop", ""]
    for name, body in functions:
        lines += [f"// {name} scales x.", f"func {name}(x int) int {{"] + [
            f"\tx += {n}" for n in range(body)
        ]
        lines += ["\treturn x", "}", ""]
    lines += ["func (b *Box) Size() int {", f"\treturn {len(functions)}", "}"]
    return ("\n".join(lines) + "\n").encode()


MODULES = {"python": _module, "go": _go_module}


def _code_lines(source: bytes, touched: Sequence[tuple[int, int]]) -> list[tuple[int, int]]:
    """Each touched line that is not blank, as a one-line range."""
    lines = source.split(b"\n")
    return [
        (n, n)
        for first, last in touched
        for n in range(first, last + 1)
        if n <= len(lines) and lines[n - 1].strip()
    ]


def _reference(
    language: str,
    before: bytes,
    after: bytes,
    old_touched: Sequence[tuple[int, int]],
    new_touched: Sequence[tuple[int, int]],
) -> list[tuple[str, str, str, str]]:
    """What changed, by the plain rule: full outlines, each touched line's innermost definition."""
    old = outline(parse(before, language), language)
    new = outline(parse(after, language), language)
    names = _brute_force([d for d in old if d.kind != "nested"], _code_lines(before, old_touched))
    names |= _brute_force([d for d in new if d.kind != "nested"], _code_lines(after, new_touched))
    old_by, new_by = {d.qualified_name: d for d in old}, {d.qualified_name: d for d in new}
    out = []
    for name in sorted(names):
        code_before = old_by[name].code(before) if name in old_by else ""
        code_after = new_by[name].code(after) if name in new_by else ""
        if code_before != code_after:
            out.append(
                (
                    name,
                    "added" if not code_before else "deleted" if not code_after else "modified",
                    code_before,
                    code_after,
                )
            )
    return out


def _hunks(before: bytes, after: bytes) -> list[tuple[int, int, int, int]]:
    diff = "".join(
        difflib.unified_diff(before.decode().splitlines(True), after.decode().splitlines(True), n=3)
    )
    return [(int(a), int(n or 1), int(b), int(m or 1)) for a, n, b, m in _HUNK.findall(diff)]


def _touched(
    before: bytes, after: bytes
) -> tuple[tuple[tuple[int, int], ...], tuple[tuple[int, int], ...]]:
    old, new = [], []
    matcher = difflib.SequenceMatcher(a=before.splitlines(), b=after.splitlines(), autojunk=False)
    for tag, a1, a2, b1, b2 in matcher.get_opcodes():
        if tag != "equal":
            old += list(range(a1 + 1, a2 + 1)) or [max(a1, 1)]
            new += list(range(b1 + 1, b2 + 1)) or [max(b1, 1)]
    return _ranges(old), _ranges(new)


_functions = st.lists(
    st.tuples(st.sampled_from(["alpha", "beta", "gamma", "delta", "eps"]), st.integers(0, 6)),
    min_size=1,
    max_size=5,
    unique_by=lambda f: f[0],
)


@settings(max_examples=80, deadline=None)
@given(
    language=st.sampled_from(sorted(MODULES)), history=st.lists(_functions, min_size=2, max_size=5)
)
def test_a_history_mined_incrementally_gives_what_full_parses_give(
    language: str, history: list[list[tuple[str, int]]]
) -> None:
    versions = [MODULES[language](functions) for functions in history]  # oldest first
    blobs = {f"blob{n}": source for n, source in enumerate(versions)}
    miner = SymbolMiner(blobs.get)
    for n in range(len(versions) - 1, 0, -1):  # newest first, as git log walks
        before, after = versions[n - 1], versions[n]
        old_touched, new_touched = _touched(before, after)
        got = miner.changes(
            language, f"blob{n - 1}", f"blob{n}", _hunks(before, after), old_touched, new_touched
        )
        expected = changed_symbols(language, before, after, old_touched, new_touched)
        assert got == expected
        reference = _reference(language, before, after, old_touched, new_touched)
        assert [
            (
                c.qualified_name,
                c.change,
                c.before.code if c.before else "",
                c.after.code if c.after else "",
            )
            for c in got
        ] == reference
    if len(versions) > 2 and len(set(versions)) == len(versions):
        assert miner.incremental_parses >= len(versions) - 1 and miner.full_parses == 1


def test_decorated_python_definitions_include_their_decorators() -> None:
    source = b"class A:\n    @property\n    def size(self):\n        return 1\n"
    definition = next(
        d for d in outline(parse(source, "python"), "python") if d.qualified_name == "A.size"
    )
    fact = definition.fact(source)
    assert fact.code.startswith("@property\ndef size") and fact.start_line == 2


def test_a_change_to_a_decorator_alone_modifies_the_function() -> None:
    before = (
        b"import functools\n\n\n@functools.lru_cache(maxsize=8)\ndef price(sku):\n    return 1\n"
    )
    after = before.replace(b"maxsize=8", b"maxsize=64")
    changes = changed_symbols("python", before, after, [(4, 4)], [(4, 4)])
    assert [(c.qualified_name, c.change) for c in changes] == [("price", "modified")]
    assert changes[0].after is not None and "maxsize=64" in changes[0].after.code


CONTEXT = b"""class Context:
    def __init__(self, app):
        self.app = app
        if app.adapter is not None:
            self.match()

    @property
    def g(self):
        return self.app.g

    @g.setter
    def g(self, value):
        self.app.g = value
"""


def _diffed(before: bytes, after: bytes) -> list[tuple[str, str, str, str]]:
    old_touched, new_touched = _touched(before, after)
    return [
        (
            c.qualified_name,
            c.change,
            c.before.code if c.before else "",
            c.after.code if c.after else "",
        )
        for c in changed_symbols("python", before, after, old_touched, new_touched)
    ]


def test_a_property_getter_and_setter_are_never_paired_with_each_other() -> None:
    """flask 1ff98a2d deleted the last lines of ``__init__``, right above the getter of
    ``RequestContext.g``: git marks the new side's next line (the getter's ``@property``) as
    touched, and the getter was paired with the setter (the last definition of that name) and
    listed as changed."""
    moved_out = CONTEXT.replace(
        b"        if app.adapter is not None:\n            self.match()\n\n", b""
    )
    changes = changed_symbols("python", CONTEXT, moved_out, [(4, 6)], [(4, 4)])
    assert [(c.qualified_name, c.change) for c in changes] == [("Context.__init__", "modified")]
    setter_changed = CONTEXT.replace(b"self.app.g = value", b"self.app.g = dict(value)")
    [(name, change, before, after)] = _diffed(CONTEXT, setter_changed)
    assert (name, change) == ("Context.g", "modified")
    assert before.startswith("@g.setter") and after.endswith("self.app.g = dict(value)")
    both_changed = setter_changed.replace(b"return self.app.g", b"return self.app.g or {}")
    [(name, change, before, after)] = _diffed(CONTEXT, both_changed)  # a name is one unit
    assert (name, change) == ("Context.g", "modified")
    assert after == (
        "@property\ndef g(self):\n    return self.app.g or {}\n\n"
        "@g.setter\ndef g(self, value):\n    self.app.g = dict(value)"
    )
