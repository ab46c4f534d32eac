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
from functools import cache, lru_cache
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

SYMBOLS_VERSION = "symbols-2"


@dataclass(frozen=True, slots=True)
class LanguageSpec:
    """How to find definitions in one language."""

    name: str
    grammar: Callable[[], object]
    # node type -> kind ("function", "class"); functions inside a class become "method"
    definitions: dict[str, str]


# JavaScript as its developers write it: besides declarations, functions assigned to variables,
# object properties, prototypes and ``exports`` (``res.send = function send(body) {…}``),
# object-literal members and class fields holding functions.
_JS_DEFINITIONS = {
    "function_declaration": "function",
    "generator_function_declaration": "function",
    "method_definition": "function",
    "class_declaration": "class",
    "variable_declarator": "function",  # each of these is kept only when its value is a function
    "assignment_expression": "function",
    "pair": "function",
    "field_definition": "function",
    "public_field_definition": "function",  # TypeScript's class field
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
# A declarator, assignment, pair or class field defines a unit when the value it names is a
# function; when it is an object literal or a class it is the scope of the members inside.
_VALUE_FIELDS = {
    "variable_declarator": "value",
    "assignment_expression": "right",
    "pair": "value",
    "field_definition": "value",
    "public_field_definition": "value",
}
_SCOPE_VALUES = {"object": "object", "class": "class"}
# An assignment to these defines a module's function, not an object's method.
_MODULE_OBJECTS = frozenset({"", "exports", "module", "module.exports"})
_COMMENT_TYPES = {"comment", "line_comment", "block_comment"}
# Marks that sit beside the item they mark: Rust's ``#[…]``, a TypeScript member's decorators
_ATTRIBUTES = {"attribute_item", "decorator"}
_ANNOTATIONS = {"decorator", "marker_annotation", "annotation", *_ATTRIBUTES}
# Nodes that wrap a definition; its leading comment sits above the wrapper.
_WRAPPERS = {
    "export_statement",
    "decorated_definition",
    "lexical_declaration",
    "variable_declaration",
    "template_declaration",
}
# Wrappers that belong to the one definition they hold: the unit is written with them
# (``export``, decorators, ``template <…>``, Go's ``type`` keyword).
_WHOLE_WRAPPERS = {"export_statement", "decorated_definition", "template_declaration"}
INDENT = "    "


@dataclass(frozen=True, slots=True)
class Enclosure:
    """A block a unit sits in — a class, an ``impl``, an object literal, a ``type (…)`` group —
    as written: the text that opens it (``impl<T> Display for Wrapper<T> {``) and the text that
    closes it (``}``, ``};``)."""

    opening: str
    closing: str


@dataclass(frozen=True, slots=True)
class SymbolFact:
    """One definition in one version of a file (lines are 1-based and inclusive).

    ``code`` is the unit as it stands in the file, with its doc comment, attributes, annotations
    and wrappers (``export``, ``template <…>``, Go's ``type``): what replaces its lines when a
    change is applied. ``enclosing`` holds the blocks it sits in, outermost first.
    """

    qualified_name: str
    name: str
    kind: str
    start_line: int
    end_line: int
    code: str
    doc: str
    enclosing: tuple[Enclosure, ...] = ()

    @property
    def context(self) -> str:
        """The openings of the blocks the unit sits in, one per line ("" at the top level)."""
        return "\n".join(enclosure.opening for enclosure in self.enclosing)

    @property
    def standalone(self) -> str:
        """The unit inside the blocks it sits in: code that parses on its own (a JavaScript
        method needs its ``class … {``, a Rust method shows its ``impl``)."""
        if not self.enclosing:
            return self.code
        depth = len(self.enclosing)
        lines = [
            textwrap.indent(enclosure.opening, INDENT * n)
            for n, enclosure in enumerate(self.enclosing)
        ]
        lines.append(textwrap.indent(self.code.rstrip("\n"), INDENT * depth))
        lines += [
            INDENT * n + enclosure.closing
            for n, enclosure in reversed(list(enumerate(self.enclosing)))
            if enclosure.closing
        ]
        return "\n".join(lines) + "\n"


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
    known = [t for t in spec.definitions if grammar.id_for_node_kind(t, True)]
    values = " ".join(
        f"({t})" for t in sorted(_FUNCTION_VALUES | set(_SCOPE_VALUES)) if _has(grammar, t)
    )
    patterns = [
        f"({t} {_VALUE_FIELDS[t]}: [{values}]) @def"
        if t in _VALUE_FIELDS and t != "variable_declarator"  # any declarator is a scope
        else f"({t}) @def"
        for t in known
    ]
    if spec.name == "python":  # decorators sit outside the definition node, inside its wrapper
        patterns.append("(decorated_definition) @wrap")
    return ts.Parser(grammar), ts.Query(grammar, " ".join(patterns))


def _has(grammar: ts.Language, node_type: str) -> bool:
    return bool(grammar.id_for_node_kind(node_type, True))


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
    first: ts.Node | None = None  # where the unit starts: its doc comment or attributes
    last: ts.Node | None = None  # where it ends: the ``;`` that closes a C struct or a field
    enclosing: tuple[ts.Node, ...] = ()  # the classes, impls and objects it sits in

    def code(self, source: bytes) -> str:
        """The definition's source text with its doc comment and attributes, its own indentation
        removed (a method reads like a function)."""
        start = (self.first or self.target).start_byte
        return _dedented(source, start, (self.last or self.target).end_byte)

    def fact(self, source: bytes) -> SymbolFact:
        """The full symbol, with its code, its docstring or leading comment and the blocks it sits
        in."""
        return SymbolFact(
            qualified_name=self.qualified_name,
            name=self.qualified_name.rsplit(".", 1)[-1],
            kind=self.kind,
            start_line=self.start_line,
            end_line=self.end_line,
            code=self.code(source),
            doc=_docstring(self.node) or _leading_comment(self.target),
            enclosing=tuple(
                enclosure
                for enclosure in (_enclosure(node, source) for node in self.enclosing)
                if enclosure is not None
            ),
        )


@dataclass(frozen=True, slots=True)
class _Scope:
    """A definition still open while the outline walks the file."""

    end_byte: int
    qualified_name: str
    # "function", "class", "object" (members inside are methods), "namespace" or "declarator"
    role: str
    node: ts.Node


def outline(
    tree: ts.Tree, language: str, lines: Iterable[tuple[int, int]] | None = None
) -> list[Definition]:
    """Every function, method and class definition of a parsed file, outermost first — or, given
    ``lines`` (1-based inclusive ranges), only those that overlap them (with their enclosing ones).

    Qualified names come from a stack of the definitions still open at each node (nodes arrive
    in document order), so no node walks up its parents. An assignment names itself
    (``Router.prototype.route``); other definitions are named inside their scope
    (``module.exports.render``, ``Cart.total``).
    """
    nodes = _definition_nodes(tree, language, lines)
    definitions = LANGUAGES[language].definitions
    found: list[Definition] = []
    scopes: list[_Scope] = []
    for node in sorted(nodes, key=lambda n: (n.start_byte, -n.end_byte)):
        while scopes and scopes[-1].end_byte <= node.start_byte:
            scopes.pop()
        name = _definition_name(node)
        qualified = _qualified(node, name, scopes[-1].qualified_name if scopes else "")
        role = _role(node, definitions)
        if name and (node.type not in _VALUE_FIELDS or role == "function"):
            found.append(_definition(node, qualified, language, definitions, scopes))
        scopes.append(_Scope(node.end_byte, qualified, role, node))
    return found


def _qualified(node: ts.Node, name: str, outer: str) -> str:
    """A definition's name inside the scope it sits in; an assignment's target says where it
    lives already (``Router.prototype.route``); a nameless node continues its scope."""
    if not name:
        return outer
    if node.type == "assignment_expression" or not outer:
        return name
    return f"{outer}.{name}"


def _definition(
    node: ts.Node,
    qualified: str,
    language: str,
    definitions: dict[str, str],
    scopes: list[_Scope],
) -> Definition:
    target = _target(node)
    # a Python unit starts at its decorators (its docstring is inside); elsewhere at its doc comment
    first = target if language == "python" else _first_node(target)
    last = _closing_semicolon(target)
    base = definitions[node.type]
    if node.type == "assignment_expression" and qualified.rpartition(".")[0] not in _MODULE_OBJECTS:
        base = "method"  # ``res.send = function …``, ``Router.prototype.route = …``
    enclosing = tuple(s.node for s in scopes if s.role in ("class", "object", "namespace"))
    if target is node and node.type == "type_spec" and node.parent is not None:
        enclosing += (node.parent,)  # one type of a ``type ( … )`` group
    return Definition(
        qualified,
        _kind(base, [s.role for s in scopes]),
        first.start_point[0] + 1,
        last.end_point[0] + 1,
        node,
        target,
        first,
        last,
        enclosing,
    )


def _role(node: ts.Node, definitions: dict[str, str]) -> str:
    """What a definition is to the definitions inside it: a function, a class, an object whose
    members are methods, or a declarator (a scope for names and nothing more)."""
    if node.type == "namespace_definition":
        return "namespace"  # C++: a function in a namespace is still a function
    field = _VALUE_FIELDS.get(node.type)
    if field is None:
        return definitions[node.type]
    value = node.child_by_field_name(field)
    if value is None:
        return "declarator"
    if value.type in _FUNCTION_VALUES:
        return "function"
    return _SCOPE_VALUES.get(value.type, "declarator")


def _kind(kind: str, enclosing: list[str]) -> str:
    """``nested`` for a helper inside a function (it is part of that function), ``method`` for a
    function in a class or an object literal, else the node's own kind."""
    if "function" in enclosing:
        return "nested"
    if kind == "function" and ("class" in enclosing or "object" in enclosing):
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
    found.update(_documented_below(tree, language, lines, found))
    return list(found.values())


def _documented_below(
    tree: ts.Tree,
    language: str,
    lines: Iterable[tuple[int, int]],
    found: dict[tuple[int, int, str], ts.Node],
) -> dict[tuple[int, int, str], ts.Node]:
    """The definitions whose doc comment or attributes (part of the unit) a touched line is on:
    the query sees only the definition's own node, which starts below them."""
    if language == "python":
        return {}
    _, query = _parser(language)
    extra: dict[tuple[int, int, str], ts.Node] = {}
    for first, last in lines:
        cursor = ts.QueryCursor(query)
        # a doc comment is rarely longer than this; the unit's start is checked below
        cursor.set_point_range((max(first - 1, 0), 0), (last + _MAX_DOC_LINES, 0))
        for node in cursor.captures(tree.root_node).get("def", []):
            key = (node.start_byte, node.end_byte, node.type)
            if key in found or key in extra:
                continue
            if _first_node(_target(node)).start_point[0] + 1 <= last:
                extra[key] = node
    return extra


_MAX_DOC_LINES = 40


def extract_symbols(source: bytes, language: str) -> list[SymbolFact]:
    """Every function, method and class definition in ``source``, outermost first.

    The same file is asked for again and again (a test module and its ``conftest.py`` by every
    task whose tests live there, in every kind and language drafted), so the facts of the last
    files read are kept: they depend on the bytes alone.
    """
    return list(_symbols_of(source, language))


@lru_cache(maxsize=128)
def _symbols_of(source: bytes, language: str) -> tuple[SymbolFact, ...]:
    return tuple(
        definition.fact(source) for definition in outline(parse(source, language), language)
    )


def _target(node: ts.Node) -> ts.Node:
    """The node whose text is the whole definition: a declarator's declaration, an assignment's
    statement, a definition with the ``export``, decorators or ``template <…>`` it carries, a Go
    type with its ``type`` keyword (unless it is one of a group)."""
    target = node
    if node.type == "assignment_expression":
        while target.parent is not None and target.parent.type == "assignment_expression":
            target = target.parent  # ``exports = module.exports = function …``
        if target.parent is not None and target.parent.type in (
            "expression_statement",
            "variable_declarator",
        ):
            target = target.parent
    if target.type == "variable_declarator" and target.parent is not None:
        target = target.parent
    parent = target.parent
    if node.type == "type_spec" and parent is not None and _holds_one_type(parent):
        target = parent
    while target.parent is not None and target.parent.type in _WHOLE_WRAPPERS:
        target = target.parent
    return target


def _holds_one_type(declaration: ts.Node) -> bool:
    return sum(1 for child in declaration.named_children if child.type == "type_spec") == 1


def _first_node(target: ts.Node) -> ts.Node:
    """The first node of a unit: the doc comments and attributes directly above its definition
    (each on a line of its own, no blank line between), else the definition itself. A ``/** … */``
    doc block may stand one blank line above (the way express documents ``res.send = …``)."""
    first = target
    sibling = target.prev_named_sibling
    while (
        sibling is not None
        and (sibling.type in _COMMENT_TYPES or sibling.type in _ATTRIBUTES)
        and _starts_its_line(sibling)
        and line_gap(sibling, first) <= (2 if first is target and _is_doc_block(sibling) else 1)
    ):
        first = sibling
        sibling = sibling.prev_named_sibling
    return first


def line_gap(above: ts.Node, below: ts.Node) -> int:
    """Lines from the end of ``above`` to the start of ``below`` (1: the next line)."""
    last_row = above.end_point[0] - (1 if above.end_point[1] == 0 else 0)
    return below.start_point[0] - last_row


# What makes a doc block the file's, not the next definition's.
_FILE_DOC = re.compile(rb"@(?:file|fileoverview|overview|module|license)\b|copyright", re.I)


def _is_doc_block(comment: ts.Node) -> bool:
    text = comment.text or b""
    return text.startswith(b"/**") and not _FILE_DOC.search(text)


def _starts_its_line(node: ts.Node) -> bool:
    """True when nothing but whitespace precedes ``node`` on its line (a Rust ``///`` comment
    ends at the start of the next line: its newline is part of it)."""
    before = node.prev_sibling
    return before is None or before.end_point[0] < node.start_point[0] or before.end_point[1] == 0


def _closing_semicolon(target: ts.Node) -> ts.Node:
    """The ``;`` that ends a definition outside its node (a C struct, a class field), else the
    definition itself."""
    after = target.next_sibling
    if after is not None and after.type == ";" and after.start_point[0] == target.end_point[0]:
        return after
    return target


def _enclosure(scope: ts.Node, source: bytes) -> Enclosure | None:
    """How the block ``scope`` opens and closes, as written."""
    if scope.type == "type_declaration":
        return Enclosure("type (", ")")
    body = _members(scope)
    if body is None:
        return None
    target = _target(scope)
    braced = source[body.start_byte : body.start_byte + 1] == b"{"
    opened = body.start_byte + (1 if braced else 0)
    constants_end = next(  # a Java enum's members follow its constants and their ``;``
        (c.start_byte + 1 for c in body.named_children if c.type == "enum_body_declarations"), None
    )
    opening = _dedented(source, target.start_byte, constants_end or opened)
    closing = source[body.end_byte - 1 : _closing_semicolon(target).end_byte] if braced else b""
    return Enclosure(opening.rstrip(), closing.decode("utf-8", "replace"))


def _members(scope: ts.Node) -> ts.Node | None:
    """The node holding a scope's members: a class's body, an object literal."""
    field = _VALUE_FIELDS.get(scope.type)
    if field is None:
        return scope.child_by_field_name("body")
    value = scope.child_by_field_name(field)
    if value is not None and value.type == "class":
        return value.child_by_field_name("body")
    return value


def _dedented(source: bytes, start: int, end: int) -> str:
    """The text from ``start`` to ``end`` with its own indentation removed (a method reads like a
    function)."""
    line_start = source.rfind(b"\n", 0, start) + 1
    prefix = source[line_start:start]
    begin = line_start if not prefix.strip() else start
    return textwrap.dedent(source[begin:end].decode("utf-8", "replace"))


def _definition_name(node: ts.Node) -> str:
    """The declared name: a ``name`` field, an assignment's target (``res.send``), an object key,
    a Go method's receiver type and name, a Rust impl's type, or a C declarator's identifier."""
    if node.type == "assignment_expression":
        return _member_path(node.child_by_field_name("left"))
    if node.type == "pair":
        return _key_name(node.child_by_field_name("key"))
    named = node.child_by_field_name("name") or node.child_by_field_name("property")
    if named is None and node.child_by_field_name("declarator") is not None:
        named = node.child_by_field_name("declarator")
        while named is not None and named.child_by_field_name("declarator") is not None:
            named = named.child_by_field_name("declarator")
    if named is None:
        named = _impl_type(node)
    if named is None or named.text is None:
        return ""
    name = named.text.decode("utf-8", "replace")
    receiver = _receiver_type(node)
    return f"{receiver}.{name}" if receiver else name


def _impl_type(node: ts.Node) -> ts.Node | None:
    """A Rust impl's type without its generic arguments (``impl<T> Wrapper<T>`` → ``Wrapper``)."""
    named = node.child_by_field_name("type")
    if named is not None and named.type == "generic_type":
        return named.child_by_field_name("type") or named
    return named


def _receiver_type(node: ts.Node) -> str:
    """The type a Go method belongs to (``func (c *Command) Find`` → ``Command``), else ""."""
    receiver = node.child_by_field_name("receiver")
    if receiver is None:
        return ""
    named = next((n for n in _walk(receiver) if n.type == "type_identifier"), None)
    return _text(named) if named is not None else ""


def _member_path(node: ts.Node | None) -> str:
    """``res.send``, ``Router.prototype.route``, ``module.exports``; "" for any other target
    (``items[0]``, a destructuring)."""
    if node is None:
        return ""
    if node.type in ("identifier", "this"):
        return _text(node)
    if node.type == "member_expression":
        owner = _member_path(node.child_by_field_name("object"))
        member = node.child_by_field_name("property")
        if owner and member is not None and member.type == "property_identifier":
            return f"{owner}.{_text(member)}"
    return ""


def _key_name(key: ts.Node | None) -> str:
    """An object key as a name: ``send``, ``'send'``; "" for a computed or numeric key."""
    if key is None:
        return ""
    text = _text(key)
    if key.type == "string":
        text = text[1:-1]
    return text if re.fullmatch(r"[A-Za-z_$][\w$]*", text) else ""


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
    """The doc comment above a definition (Go, Java, JS, Rust, C doc comments): the comment lines
    of its unit (attributes between them and the item are passed over)."""
    while node.parent is not None and node.parent.type in _WRAPPERS:
        node = node.parent
    first = _first_node(node)
    lines: list[str] = []
    sibling = node.prev_named_sibling
    while sibling is not None and sibling.start_byte >= first.start_byte:
        if sibling.type in _COMMENT_TYPES:
            lines.insert(0, _text(sibling).rstrip("\n"))
        sibling = sibling.prev_named_sibling
    return "\n".join(lines)


def signature_of(code: str, language: str) -> str:
    """The declaration of the function ``code`` defines, without its doc comment, attributes,
    annotations or body, on one line (``func (c *Command) PrintErrln(i ...interface{})``); ""
    when the code does not parse as a function."""
    if language not in LANGUAGES:
        return ""
    source = code.encode("utf-8")
    tops = [d for d in outline(parse(source, language), language) if d.kind != "nested"]
    if not tops or tops[0].kind == "class":
        return ""
    definition = tops[0]
    body = _function_body(definition.node)
    if body is None:
        return ""
    head = source[_declaration_start(definition.target) : body.start_byte]
    text = re.sub(r"\s+", " ", head.decode("utf-8", "replace")).strip()
    return text.removesuffix("=>").rstrip()


def _function_body(node: ts.Node) -> ts.Node | None:
    field = _VALUE_FIELDS.get(node.type)
    if field is not None:
        value = node.child_by_field_name(field)
        return value.child_by_field_name("body") if value is not None else None
    return node.child_by_field_name("body")


def _declaration_start(node: ts.Node) -> int:
    """Where a declaration's own text starts: after its comments, decorators, annotations and
    attributes."""
    for child in node.children:
        if child.type in _ANNOTATIONS or child.type in _COMMENT_TYPES:
            continue
        if child.type == "modifiers":  # Java: annotations then keywords
            keywords = [c for c in child.children if c.type not in _ANNOTATIONS]
            if keywords:
                return keywords[0].start_byte
            continue
        return child.start_byte
    return node.start_byte


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
    """The guard clauses of a unit, in order (Python raise, JS/TS/Java throw, Go error returns and
    ``panic``, Rust ``return Err(…)``, ``bail!`` and ``panic!``).

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
        if node.type not in ("if_statement", "if_expression"):
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
        (n for n in _walk(consequence) if _exits_with_error(n) and _directly_in(n, consequence)),
        None,
    )
    error = _error_name(exit_node) if exit_node is not None else ""
    if exit_node is None or not error:
        return None
    return GuardClause(
        _one_line(_unparenthesised(_text(condition))), error, _first_string(exit_node)
    )


_PANICS = frozenset({"panic", "bail", "unreachable", "todo", "unimplemented"})


def _exits_with_error(node: ts.Node) -> bool:
    """A raise or throw, a return of an error (Go's ``errors.New``/``fmt.Errorf``/``ErrX``, Rust's
    ``Err(…)``), a ``panic(…)`` or a Rust ``panic!``/``bail!``."""
    if node.type in _RAISING or _returns_error(node):
        return True
    if node.type == "macro_invocation":
        return _text(node.child_by_field_name("macro") or node).split("::")[-1] in _PANICS
    function = node.child_by_field_name("function") if node.type == "call_expression" else None
    return function is not None and _text(function) == "panic"


def _directly_in(node: ts.Node, consequence: ts.Node) -> bool:
    """True when ``node`` is the ``if``'s consequence or one of its own statements (Go wraps them
    in a ``statement_list``; a call or a Rust ``return`` sits in an expression statement)."""
    current: ts.Node | None = node
    while current is not None and current != consequence:
        if current != node and current.type not in ("statement_list", "expression_statement"):
            return False
        current = current.parent
    return current == consequence


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
    """A Go ``return`` of ``errors.New(…)``, ``fmt.Errorf(…)`` or a sentinel (``ErrNotFound``), or
    a Rust ``return Err(…)``."""
    if node.type == "return_expression":
        return any(
            n.type == "call_expression" and _text(n.child_by_field_name("function") or n) == "Err"
            for n in node.named_children
        )
    if node.type != "return_statement":
        return False
    return any(
        (n.type == "call_expression" and _text(n).startswith(("errors.New", "fmt.Errorf")))
        or (n.type in ("identifier", "selector_expression") and _SENTINEL.search(_text(n)))
        for n in _walk(node)
    )


# Go's sentinel errors: ``ErrNotFound``, ``io.EOF`` is not one (it ends a read, it is no refusal)
_SENTINEL = re.compile(r"(?:^|\.)Err[A-Z]\w*$")


def _error_name(node: ts.Node) -> str:
    if node.type == "macro_invocation":
        return _text(node.child_by_field_name("macro") or node) + "!"
    if (
        node.type == "call_expression"
        and node.parent is not None
        and _text(node).startswith("panic")
    ):
        return "panic"
    if node.type == "return_expression":
        return _rust_error_name(node)
    for child in _walk(node):
        if child.type == "call" and child.child_by_field_name("function") is not None:
            return _text(child.child_by_field_name("function"))  # type: ignore[arg-type]
        if child.type in ("new_expression", "object_creation_expression"):
            named = child.child_by_field_name("constructor") or child.child_by_field_name("type")
            return _text(named) if named is not None else ""
        if child.type == "call_expression" and node.type == "return_statement":
            function = child.child_by_field_name("function")
            return _text(function) if function is not None else ""
        if child.type in ("identifier", "selector_expression") and _SENTINEL.search(_text(child)):
            return _text(child)
    named = node.named_children[0] if node.named_children else None
    return _text(named) if named is not None else ""


def _rust_error_name(node: ts.Node) -> str:
    """What ``return Err(…)`` returns: the error's constructor or variant (``Error::InvalidQty``),
    the macro that builds it (``anyhow!``), else ``Err``."""
    call = next((n for n in node.named_children if n.type == "call_expression"), None)
    arguments = call.child_by_field_name("arguments") if call is not None else None
    inner = (
        arguments.named_children[0] if arguments is not None and arguments.named_children else None
    )
    if inner is None:
        return "Err"
    if inner.type == "macro_invocation":
        return _text(inner.child_by_field_name("macro") or inner) + "!"
    if inner.type == "call_expression":
        inner = inner.child_by_field_name("function") or inner
    text = _text(inner)
    return text if re.fullmatch(r"(?:\w+::)*[A-Z]\w*", text) else "Err"


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
