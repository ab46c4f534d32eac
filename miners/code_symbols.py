"""Functions, methods and classes found with tree-sitter, and the ones a change touched.

Grammars come from the per-language wheels (``tree-sitter-python`` …), so nothing is downloaded
at run time. Definitions are found with one query per language (the walk happens in C); only the
matched nodes are inspected from Python.
"""

from __future__ import annotations

import io
import re
import textwrap
import tokenize
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import cache
from pathlib import PurePosixPath

import tree_sitter as ts
import tree_sitter_c
import tree_sitter_cpp
import tree_sitter_go
import tree_sitter_java
import tree_sitter_javascript
import tree_sitter_python
import tree_sitter_rust
import tree_sitter_typescript

SYMBOLS_VERSION = "symbols-1"


@dataclass(frozen=True, slots=True)
class LanguageSpec:
    """How to find definitions in one language."""

    name: str
    grammar: Callable[[], object]
    # node type -> kind ("function", "class"); functions inside a class become "method"
    definitions: dict[str, str]


_JS_DEFINITIONS = {
    "function_declaration": "function",
    "generator_function_declaration": "function",
    "method_definition": "function",
    "class_declaration": "class",
    "variable_declarator": "function",  # kept only when its value is a function
}
_TS_DEFINITIONS = {
    **_JS_DEFINITIONS,
    "interface_declaration": "class",
    "abstract_class_declaration": "class",
}
_C_DEFINITIONS = {"function_definition": "function", "struct_specifier": "class"}

LANGUAGES: dict[str, LanguageSpec] = {
    spec.name: spec
    for spec in (
        LanguageSpec(
            "python",
            tree_sitter_python.language,
            {"function_definition": "function", "class_definition": "class"},
        ),
        LanguageSpec("javascript", tree_sitter_javascript.language, _JS_DEFINITIONS),
        LanguageSpec("typescript", tree_sitter_typescript.language_typescript, _TS_DEFINITIONS),
        LanguageSpec("tsx", tree_sitter_typescript.language_tsx, _TS_DEFINITIONS),
        LanguageSpec(
            "go",
            tree_sitter_go.language,
            {
                "function_declaration": "function",
                "method_declaration": "method",
                "type_spec": "class",
            },
        ),
        LanguageSpec(
            "java",
            tree_sitter_java.language,
            {
                "method_declaration": "function",
                "constructor_declaration": "function",
                "class_declaration": "class",
                "interface_declaration": "class",
                "enum_declaration": "class",
                "record_declaration": "class",
            },
        ),
        LanguageSpec(
            "rust",
            tree_sitter_rust.language,
            {
                "function_item": "function",
                "impl_item": "class",
                "trait_item": "class",
                "struct_item": "class",
                "enum_item": "class",
            },
        ),
        LanguageSpec("c", tree_sitter_c.language, _C_DEFINITIONS),
        LanguageSpec(
            "cpp",
            tree_sitter_cpp.language,
            {**_C_DEFINITIONS, "class_specifier": "class", "namespace_definition": "class"},
        ),
    )
}

_EXTENSIONS = {
    ".py": "python",
    ".pyi": "python",
    ".js": "javascript",
    ".mjs": "javascript",
    ".cjs": "javascript",
    ".jsx": "javascript",
    ".ts": "typescript",
    ".mts": "typescript",
    ".cts": "typescript",
    ".tsx": "tsx",
    ".go": "go",
    ".java": "java",
    ".rs": "rust",
    ".c": "c",
    ".h": "c",
    ".cc": "cpp",
    ".cpp": "cpp",
    ".cxx": "cpp",
    ".hh": "cpp",
    ".hpp": "cpp",
    ".hxx": "cpp",
}
_FUNCTION_VALUES = {"arrow_function", "function_expression", "function", "generator_function"}
_COMMENT_TYPES = {"comment", "line_comment", "block_comment"}
# Nodes that wrap a definition; its leading comment sits above the wrapper.
_WRAPPERS = {
    "export_statement",
    "decorated_definition",
    "lexical_declaration",
    "variable_declaration",
    "template_declaration",
}


@dataclass(frozen=True, slots=True)
class SymbolFact:
    """One definition in one version of a file (lines are 1-based and inclusive)."""

    qualified_name: str
    name: str
    kind: str
    start_line: int
    end_line: int
    code: str
    doc: str


@dataclass(frozen=True, slots=True)
class SymbolChange:
    """A definition a commit added, modified or deleted, with both versions when they exist."""

    qualified_name: str
    kind: str
    change: str
    before: SymbolFact | None
    after: SymbolFact | None


def language_for_path(path: str) -> str | None:
    """The language goldmine parses for this path, or None when it has no grammar for it."""
    return _EXTENSIONS.get(PurePosixPath(path).suffix.lower())


@cache
def _parser(language: str) -> tuple[ts.Parser, ts.Query]:
    spec = LANGUAGES[language]
    grammar = ts.Language(spec.grammar())
    pattern = " ".join(f"({node_type}) @def" for node_type in spec.definitions)
    if spec.name == "python":  # decorators sit outside the definition node, inside its wrapper
        pattern += " (decorated_definition) @wrap"
    return ts.Parser(grammar), ts.Query(grammar, pattern)


def parse(source: bytes, language: str, old_tree: ts.Tree | None = None) -> ts.Tree:
    """The syntax tree of ``source``; given an ``old_tree`` already edited to match it,
    tree-sitter reparses only what the edits touched."""
    parser, _ = _parser(language)
    return parser.parse(source, old_tree) if old_tree is not None else parser.parse(source)


@dataclass(frozen=True, slots=True, eq=False)
class Definition:
    """Where a definition is and what it is called; its code is read only when asked for."""

    qualified_name: str
    kind: str
    start_line: int
    end_line: int
    node: ts.Node
    target: ts.Node  # the node whose text is the definition (a declarator's whole declaration)

    def code(self, source: bytes) -> str:
        """The definition's source text, its own indentation removed (a method reads like a
        function)."""
        return _dedented(source, self.target)

    def fact(self, source: bytes) -> SymbolFact:
        """The full symbol, with its code and docstring or leading comment."""
        return SymbolFact(
            qualified_name=self.qualified_name,
            name=self.qualified_name.rsplit(".", 1)[-1],
            kind=self.kind,
            start_line=self.start_line,
            end_line=self.end_line,
            code=self.code(source),
            doc=_docstring(self.node) or _leading_comment(self.target),
        )


def outline(
    tree: ts.Tree, language: str, lines: Iterable[tuple[int, int]] | None = None
) -> list[Definition]:
    """Every function, method and class definition of a parsed file, outermost first — or, given
    ``lines`` (1-based inclusive ranges), only those that overlap them (with their enclosing ones).

    Qualified names come from a stack of the definitions still open at each node (nodes arrive
    in document order), so no node walks up its parents.
    """
    nodes = _definition_nodes(tree, language, lines)
    definitions = LANGUAGES[language].definitions
    found: list[Definition] = []
    scopes: list[tuple[int, str, str]] = []  # (end byte, name, role) of the enclosing definitions
    for node in sorted(nodes, key=lambda n: (n.start_byte, -n.end_byte)):
        while scopes and scopes[-1][0] <= node.start_byte:
            scopes.pop()
        name = _definition_name(node)
        if name and (node.type != "variable_declarator" or _declares_function(node)):
            target = _target(node)
            qualified = ".".join([*(scope for _, scope, _ in scopes if scope), name])
            kind = _kind(definitions[node.type], [role for _, _, role in scopes])
            found.append(
                Definition(
                    qualified,
                    kind,
                    target.start_point[0] + 1,
                    target.end_point[0] + 1,
                    node,
                    target,
                )
            )
        # a declarator is a scope for names, but a helper inside it is not "nested" in a function
        scopes.append(
            (
                node.end_byte,
                name,
                "declarator" if node.type == "variable_declarator" else definitions[node.type],
            )
        )
    return found


def _kind(kind: str, enclosing: list[str]) -> str:
    """``nested`` for a helper inside a function (it is part of that function), ``method`` for a
    function in a class, else the node's own kind."""
    if "function" in enclosing:
        return "nested"
    if kind == "function" and "class" in enclosing:
        return "method"
    return kind


def _definition_nodes(
    tree: ts.Tree, language: str, lines: Iterable[tuple[int, int]] | None
) -> list[ts.Node]:
    _, query = _parser(language)
    if lines is None:
        return list(ts.QueryCursor(query).captures(tree.root_node).get("def", []))
    found: dict[tuple[int, int, str], ts.Node] = {}
    for first, last in lines:
        cursor = ts.QueryCursor(query)
        cursor.set_point_range((max(first - 1, 0), 0), (last, 0))
        captures = cursor.captures(tree.root_node)
        # a touched decorator line overlaps the wrapper, not the definition it decorates
        wrapped = (
            wrapper.child_by_field_name("definition") for wrapper in captures.get("wrap", [])
        )
        for node in [*captures.get("def", []), *(node for node in wrapped if node is not None)]:
            found.setdefault((node.start_byte, node.end_byte, node.type), node)
    return list(found.values())


def extract_symbols(source: bytes, language: str) -> list[SymbolFact]:
    """Every function, method and class definition in ``source``, outermost first."""
    return [definition.fact(source) for definition in outline(parse(source, language), language)]


def _target(node: ts.Node) -> ts.Node:
    """The node whose text is the whole definition: a declarator's declaration, a Python
    definition with its decorators."""
    parent = node.parent
    if parent is not None and (
        node.type == "variable_declarator" or parent.type == "decorated_definition"
    ):
        return parent
    return node


def _dedented(source: bytes, node: ts.Node) -> str:
    """The node's text with its own indentation removed (a method reads like a function)."""
    line_start = source.rfind(b"\n", 0, node.start_byte) + 1
    prefix = source[line_start : node.start_byte]
    start = line_start if not prefix.strip() else node.start_byte
    return textwrap.dedent(source[start : node.end_byte].decode("utf-8", "replace"))


def _declares_function(node: ts.Node) -> bool:
    value = node.child_by_field_name("value")
    return value is not None and value.type in _FUNCTION_VALUES


def _definition_name(node: ts.Node) -> str:
    """The declared name: a ``name`` field, a Rust impl's type, or a C declarator's identifier."""
    named = node.child_by_field_name("name")
    if named is None and node.child_by_field_name("declarator") is not None:
        named = node.child_by_field_name("declarator")
        while named is not None and named.child_by_field_name("declarator") is not None:
            named = named.child_by_field_name("declarator")
    if named is None:
        named = node.child_by_field_name("type")
    if named is None or named.text is None:
        return ""
    return named.text.decode("utf-8", "replace")


def _docstring(node: ts.Node) -> str:
    """A Python docstring: the first statement of the body when it is a string."""
    body = node.child_by_field_name("body")
    if body is None or node.type not in ("function_definition", "class_definition"):
        return ""
    first = body.named_children[0] if body.named_children else None
    if first is None or first.type != "expression_statement" or not first.named_children:
        return ""
    literal = first.named_children[0]
    if literal.type != "string" or literal.text is None:
        return ""
    return literal.text.decode("utf-8", "replace").strip("\"' \n")


def _leading_comment(node: ts.Node) -> str:
    """Comment lines directly above a definition (Go, Java, JS, Rust, C doc comments)."""
    while node.parent is not None and node.parent.type in _WRAPPERS:
        node = node.parent
    lines: list[str] = []
    sibling = node.prev_named_sibling
    expected_end = node.start_point[0] - 1
    while (
        sibling is not None
        and sibling.type in _COMMENT_TYPES
        and sibling.end_point[0] >= expected_end
    ):
        lines.insert(0, (sibling.text or b"").decode("utf-8", "replace"))
        expected_end = sibling.start_point[0] - 1
        sibling = sibling.prev_named_sibling
    return "\n".join(lines)


@dataclass(frozen=True, slots=True)
class GuardClause:
    """An early exit on bad input: ``if <condition>: raise <error>(<message>)`` or its
    equivalent."""

    condition: str
    error: str
    message: str


_RAISING = {"raise_statement", "throw_statement"}
_STRING_TYPES = {
    "string",
    "string_literal",
    "interpreted_string_literal",
    "raw_string_literal",
    "template_string",
}


def guard_clauses(code: str, language: str) -> list[GuardClause]:
    """The guard clauses of a unit, in order (Python raise, JS/TS/Java throw, Go error returns).

    A guard clause is an ``if`` whose own block exits with a named error: ``if x: raise E(…)``.
    A raise buried deeper (in a loop or a ``try`` inside the block) or a bare re-raise is not a
    guard, so it is not listed.
    """
    if language not in LANGUAGES:
        return []
    parser, _ = _parser(language)
    tree = parser.parse(code.encode("utf-8"))
    guards = []
    for node in _walk(tree.root_node):
        if node.type != "if_statement":
            continue
        guard = _guard(node)
        if guard is not None:
            guards.append(guard)
    return guards


def _walk(node: ts.Node) -> Iterable[ts.Node]:
    yield node
    for child in node.named_children:
        yield from _walk(child)


def _guard(node: ts.Node) -> GuardClause | None:
    condition = node.child_by_field_name("condition")
    consequence = node.child_by_field_name("consequence")
    if condition is None or consequence is None:
        return None
    exit_node = next(
        (
            n
            for n in _walk(consequence)
            if (n.type in _RAISING or _returns_error(n)) and _directly_in(n, consequence)
        ),
        None,
    )
    error = _error_name(exit_node) if exit_node is not None else ""
    if exit_node is None or not error:
        return None
    return GuardClause(
        _one_line(_unparenthesised(_text(condition))), error, _first_string(exit_node)
    )


def _directly_in(node: ts.Node, consequence: ts.Node) -> bool:
    """True when ``node`` is the ``if``'s consequence or one of its own statements (Go wraps them
    in a ``statement_list``)."""
    parent = node.parent
    return (
        node == consequence
        or parent == consequence
        or (parent is not None and parent.type == "statement_list" and parent.parent == consequence)
    )


def new_guards(before: str, after: str, language: str) -> list[GuardClause]:
    """The guard clauses ``after`` has that ``before`` did not: a condition ``before`` never
    tested (a guard whose message or error type changed is the same guard, not a new one)."""
    tested = {_squeezed(g.condition) for g in guard_clauses(before, language)} if before else set()
    found = [g for g in guard_clauses(after, language) if _squeezed(g.condition) not in tested]
    return list(dict.fromkeys(found))


def _squeezed(text: str) -> str:
    return re.sub(r"\s+", "", text)


def _one_line(text: str) -> str:
    """A condition written over several lines (``a or \\`` / ``b``) on one, as a list item shows
    it."""
    return re.sub(r"\s*\\?\n\s*", " ", text) if "\n" in text else text


def _unparenthesised(text: str) -> str:
    """``(a && b)`` → ``a && b``; ``f(0)`` stays as it is."""
    text = text.strip()
    while text.startswith("(") and text.endswith(")") and _balanced(text[1:-1]):
        text = text[1:-1].strip()
    return text


def _balanced(text: str) -> bool:
    depth = 0
    for char in text:
        depth += {"(": 1, ")": -1}.get(char, 0)
        if depth < 0:
            return False
    return depth == 0


def _returns_error(node: ts.Node) -> bool:
    return node.type == "return_statement" and any(
        n.type == "call_expression" and _text(n).startswith(("errors.New", "fmt.Errorf"))
        for n in _walk(node)
    )


def _error_name(node: ts.Node) -> str:
    for child in _walk(node):
        if child.type == "call" and child.child_by_field_name("function") is not None:
            return _text(child.child_by_field_name("function"))  # type: ignore[arg-type]
        if child.type in ("new_expression", "object_creation_expression"):
            named = child.child_by_field_name("constructor") or child.child_by_field_name("type")
            return _text(named) if named is not None else ""
        if child.type == "call_expression" and node.type == "return_statement":
            function = child.child_by_field_name("function")
            return _text(function) if function is not None else ""
    named = node.named_children[0] if node.named_children else None
    return _text(named) if named is not None else ""


def _first_string(node: ts.Node) -> str:
    literal = next((n for n in _walk(node) if n.type in _STRING_TYPES), None)
    if literal is None:
        return ""
    text = _text(literal)
    return re.sub(r"^[a-zA-Z]*(['\"`]{1,3})|(['\"`]{1,3})$", "", text)


def _text(node: ts.Node) -> str:
    return (node.text or b"").decode("utf-8", "replace")


def strip_docs(code: str, language: str) -> str:
    """The code without comments and docstrings, whitespace squeezed: equal means only docs
    changed."""
    if language not in LANGUAGES:
        return re.sub(r"\s+", " ", code).strip()
    return _cut(code, language, with_strings=False)


def code_without_text(code: str, language: str) -> str:
    """The code without comments and docstrings and with every string literal emptied, whitespace
    squeezed: equal for two versions means they differ only in prose (comments, docstrings,
    messages)."""
    if language not in LANGUAGES:
        return re.sub(r"\s+", " ", code).strip()
    return _cut(code, language, with_strings=True)


def string_literals(code: str, language: str) -> list[str]:
    """The string literals of the code, in order, as written (quotes and prefixes included)."""
    if language not in LANGUAGES:
        return []
    parser, _ = _parser(language)
    tree = parser.parse(code.encode("utf-8"))
    found = ts.QueryCursor(_prose_query(language)).captures(tree.root_node).get("text", [])
    outermost = [n for n in found if not any(_encloses(other, n) for other in found)]
    return [_text(n) for n in sorted(outermost, key=lambda n: n.start_byte)]


def _encloses(outer: ts.Node, inner: ts.Node) -> bool:
    return (
        outer != inner and outer.start_byte <= inner.start_byte and inner.end_byte <= outer.end_byte
    )


def _cut(code: str, language: str, *, with_strings: bool) -> str:
    """The code with its comments and docstrings cut out (and string literals emptied), whitespace
    squeezed. The nodes are found by one tree-sitter query, so no Python walks the tree."""
    parser, _ = _parser(language)
    source = code.encode("utf-8")
    captures = ts.QueryCursor(_prose_query(language)).captures(parser.parse(source).root_node)
    cuts = sorted(
        [(n.start_byte, n.end_byte, b"") for n in captures.get("doc", [])]
        + [(n.start_byte, n.end_byte, b'""') for n in captures.get("text", []) if with_strings]
    )
    kept, position = [], 0
    for start, end, replacement in cuts:
        if start >= position:
            kept.append(source[position:start] + replacement)
            position = end
    kept.append(source[position:])
    return re.sub(r"\s+", " ", b"".join(kept).decode("utf-8", "replace")).strip()


@cache
def _prose_query(language: str) -> ts.Query:
    """Comments and docstrings (``@doc``) and string literals (``@text``) of a language."""
    grammar = ts.Language(LANGUAGES[language].grammar())
    known = [t for t in sorted(_COMMENT_TYPES | _STRING_TYPES) if grammar.id_for_node_kind(t, True)]
    patterns = [f"({t}) @{'doc' if t in _COMMENT_TYPES else 'text'}" for t in known]
    if language == "python":  # a block's first statement, when it is a string, is its docstring
        patterns.append("(block . (expression_statement . (string)) @doc)")
    return ts.Query(grammar, " ".join(patterns))


def same_code(before: str, after: str, language: str, *, ignore_docs: bool = False) -> bool:
    """True when two versions of a unit differ in layout alone (and, with ``ignore_docs``, in
    their comments and docstrings too): the unit did not really change.

    Both sides are first compared with their whitespace removed (and, with ``ignore_docs``,
    their comments and docstrings, read by tree-sitter): that is the whole answer for every
    language but Python. Python is then compared token by token, because indentation is syntax
    there: moving a statement out of an ``if`` is a change, re-wrapping a call over two lines is
    not. Python that does not tokenize (Python 2 oddities) is compared line by line, indentation
    kept.
    """
    if before == after:
        return True
    if ignore_docs:
        if _squeezed(strip_docs(before, language)) != _squeezed(strip_docs(after, language)):
            return False
    elif _squeezed(before) != _squeezed(after):
        return False
    if language == "python":
        tokens = (_python_tokens(before, ignore_docs), _python_tokens(after, ignore_docs))
        if tokens[0] is not None and tokens[1] is not None:
            return tokens[0] == tokens[1]
        if not ignore_docs:
            return _layout_lines(before) == _layout_lines(after)
    return True


def _layout_lines(code: str) -> list[str]:
    """Non-blank lines with their indentation, inner runs of whitespace squeezed."""
    return [
        line[: len(line) - len(line.lstrip())] + " ".join(line.split())
        for line in code.splitlines()
        if line.strip()
    ]


_LAYOUT_TOKENS = frozenset({tokenize.NL, tokenize.ENCODING})


def _python_tokens(code: str, drop_docs: bool) -> list[tuple[int, str]] | None:
    """The tokens of Python code without layout (``INDENT``/``DEDENT`` keep only their place), and
    with ``drop_docs`` also without comments and docstrings; None when it does not tokenize."""
    try:
        tokens = list(tokenize.generate_tokens(io.StringIO(code).readline))
    except (tokenize.TokenError, SyntaxError):
        return None
    kept: list[tuple[int, str]] = []
    line: list[tuple[int, str]] = []
    for token in tokens:
        if token.type in _LAYOUT_TOKENS or (drop_docs and token.type == tokenize.COMMENT):
            continue
        text = "" if token.type in (tokenize.INDENT, tokenize.DEDENT) else token.string
        line.append((token.type, text))
        if token.type == tokenize.NEWLINE:
            kept += _without_docstring(line) if drop_docs else line
            line = []
    return kept + line


def _without_docstring(line: list[tuple[int, str]]) -> list[tuple[int, str]]:
    """A logical line, or only its indentation tokens when it is a block's docstring (the first
    line after an ``INDENT`` that holds nothing but string literals)."""
    layout = [t for t in line if t[0] in (tokenize.INDENT, tokenize.DEDENT)]
    rest = [t for t in line[len(layout) :] if t[0] != tokenize.NEWLINE]
    opens_block = any(t[0] == tokenize.INDENT for t in layout)
    if opens_block and rest and all(t[0] == tokenize.STRING for t in rest):
        return layout
    return line
