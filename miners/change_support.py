"""What a change needs besides its changed definitions: the module-level lines it adds, the
imports it removes or replaces, the definitions it deletes.

A record whose answer is "the changed functions, complete" does not run when the commit also
added an import, a module constant or a ``TypeVar`` the new code uses; and it is not the change
when the commit also deleted an import (``import imp`` left behind, unused), a helper, or a
constant. This module reads the commit's patch against the file before and after the change and
sorts every changed line into a place the answer can state:

- an added line inside a shown definition, or a removed line inside one's old version: the
  definition, shown whole, carries it;
- a line of a top-level statement that is not a definition (an assignment, an ``if`` block): the
  statement, as it is after, is a module statement of the answer;
- a removed line of a top-level import: the answer says which import is removed
  (``from collections import deque``), one imported name at a time, in the form
  :func:`import_entries` gives (an import only reflowed or moved removes nothing);
- a removed line of a definition or module-level name that no longer exists: the answer says it
  is removed;
- anything else (a class attribute of a class the task does not show, another function) is
  stray: the task's answer would be incomplete, and the drafter says so.
"""

from __future__ import annotations

import ast
import re
import warnings
from collections.abc import Collection, Iterator
from dataclasses import dataclass

import tree_sitter as ts

from miners.code_symbols import Definition, outline, parse

_HUNK = re.compile(r"^@@ -(\d+)(?:,\d+)? \+(\d+)(?:,\d+)? @@")
# Top-level nodes that hold definitions: their lines belong to the definition, not the module.
_DEFINITION_WRAPPERS = {
    "decorated_definition",
    "export_statement",
    "function_definition",
    "class_definition",
    "function_declaration",
    "method_declaration",
    "class_declaration",
    "type_declaration",
    "function_item",
    "impl_item",
}
# Top-level nodes that bring in other code, per language.
IMPORT_NODES = {
    "python": {"import_statement", "import_from_statement", "future_import_statement"},
    "go": {"import_declaration"},
    "javascript": {"import_statement"},
    "typescript": {"import_statement"},
    "tsx": {"import_statement"},
    "java": {"import_declaration"},
    "rust": {"use_declaration", "extern_crate_declaration"},
    "c": {"preproc_include"},
    "cpp": {"preproc_include", "using_declaration"},
}
_TRIVIAL = re.compile(r"^\s*(?:#.*|//.*|/\*.*|\*.*|[()\[\]{},;]*)\s*$")


@dataclass(frozen=True, slots=True)
class ChangeSupport:
    """Where a file's changed lines sit, relative to the definitions a task shows."""

    module_statements: tuple[str, ...]  # top-level statements the change adds or edits, in order
    stray_lines: tuple[int, ...]  # added code lines outside the shown definitions and statements
    # What the change deletes: the imports (``from x import y``, ``import "bytes"``) first, then
    # the definitions and module-level names (qualified names), each in file order.
    removed: tuple[str, ...] = ()
    # Shown definitions that sit inside a module statement (a ``def`` under an ``if``): the
    # statement shows them.
    covered: tuple[str, ...] = ()
    stray_removals: tuple[int, ...] = ()  # old-side lines removed where no answer states it

    @property
    def complete(self) -> bool:
        """True when what the answer can state holds every changed code line."""
        return not self.stray_lines and not self.stray_removals

    @property
    def changes_module(self) -> bool:
        """True when the answer must state something of this file besides its definitions."""
        return bool(self.module_statements or self.removed)


def added_line_numbers(patch: str) -> list[int]:
    """The new-side line numbers of the lines a unified patch adds."""
    return _changed_line_numbers(patch, "+")


def removed_line_numbers(patch: str) -> list[int]:
    """The old-side line numbers of the lines a unified patch removes."""
    return _changed_line_numbers(patch, "-")


def _changed_line_numbers(patch: str, sign: str) -> list[int]:
    numbers: list[int] = []
    line_number = 0
    in_hunk = False
    for line in patch.splitlines():
        hunk = _HUNK.match(line)
        if hunk:
            line_number, in_hunk = int(hunk.group(1 if sign == "-" else 2)), True
            continue
        if not in_hunk or line.startswith("\\"):
            continue
        if line.startswith(sign):
            numbers.append(line_number)
            line_number += 1
        elif line.startswith(" ") or line == "":
            line_number += 1
    return numbers


def change_support(
    after: bytes,
    patch: str,
    language: str,
    shown: Collection[str],
    before: bytes | None = None,
) -> ChangeSupport:
    """Sort the lines ``patch`` changes from ``before`` to ``after`` (the file before and after
    the change; ``before`` None: a new file): inside a shown definition (qualified names in
    ``shown``), in a top-level statement, in an import, in a deleted definition, or stray."""
    tree = parse(after, language)
    lines = after.split(b"\n")
    added = [n for n in added_line_numbers(patch) if not _trivial(lines, n)]
    definitions = outline(tree, language)
    spans = [(d.start_line, d.end_line) for d in definitions if d.qualified_name in shown]
    statements = list(_top_level_statements(tree))
    taken: dict[int, ts.Node] = {}
    stray: list[int] = []
    for number in added:
        if any(first <= number <= last for first, last in spans):
            continue
        statement = _statement_at(statements, number)
        if statement is None:
            stray.append(number)
        else:
            taken[statement.start_point[0]] = statement
    removals = (
        _Removals(parse(before, language), before, tree, language, shown)
        if before is not None
        else None
    )
    removed: tuple[str, ...] = ()
    stray_removals: tuple[int, ...] = ()
    if removals is not None:
        removals.sort(removed_line_numbers(patch), taken)
        removed, stray_removals = removals.stated(), tuple(removals.stray)
    if before is not None:  # an import edited but bringing in nothing new (a name dropped) stays
        old = set(import_entries(removals.old_tree, language)) if removals else set()
        taken = {
            start: node
            for start, node in taken.items()
            if node.type not in IMPORT_NODES.get(language, set())
            or not set(_node_import_entries(node, language)) <= old
        }
    kept = sorted(taken.items())
    return ChangeSupport(
        tuple(_text(node) for _, node in kept),
        tuple(stray),
        removed,
        _covered(definitions, shown, [node for _, node in kept]),
        stray_removals,
    )


class _Removals:
    """Sorts the removed lines of one file (the old side) into what an answer can state."""

    def __init__(
        self,
        old_tree: ts.Tree,
        before: bytes,
        new_tree: ts.Tree,
        language: str,
        shown: Collection[str],
    ) -> None:
        self.old_tree, self.new_tree, self.language = old_tree, new_tree, language
        self.old_lines = before.split(b"\n")
        old_definitions = outline(old_tree, language)
        new_names = {d.qualified_name for d in outline(new_tree, language)}
        self.shown_spans = [
            (d.start_line, d.end_line) for d in old_definitions if d.qualified_name in shown
        ]
        self.deleted = _outermost([d for d in old_definitions if d.qualified_name not in new_names])
        new_statements = list(_top_level_statements(new_tree))
        self.new_bound = {name: node for node in new_statements for name in bound_names(node)}
        self.new_heads = {first_line(node): node for node in reversed(new_statements)}
        self.removed: list[str] = []
        self.stray: list[int] = []

    def sort(self, numbers: list[int], taken: dict[int, ts.Node]) -> None:
        """Sort each removed line; a top-level statement that is still there, edited, joins
        ``taken`` (the module statements of the answer)."""
        old_statements = list(_top_level_statements(self.old_tree))
        imports = IMPORT_NODES.get(self.language, set())
        for number in (n for n in numbers if not _trivial(self.old_lines, n)):
            if any(first <= number <= last for first, last in self.shown_spans):
                continue
            deleted = next((d for d in self.deleted if d.start_line <= number <= d.end_line), None)
            if deleted is not None:
                self._remove(deleted.qualified_name)
                continue
            statement = _statement_at(old_statements, number)
            if statement is not None and statement.type in imports:
                continue  # the imports lost are stated whole (``stated``)
            if statement is None or not self._sort_statement(statement, taken):
                self.stray.append(number)

    def _sort_statement(self, statement: ts.Node, taken: dict[int, ts.Node]) -> bool:
        """A removed line of a top-level statement: the names it binds are either bound after
        (that statement, edited, is shown) or gone (removed); a statement that binds none (an
        ``if`` block) is shown when one after it opens with the same line. False when neither."""
        names = bound_names(statement)
        if not names:
            same = self.new_heads.get(first_line(statement))
            if same is not None:
                taken[same.start_point[0]] = same
            return same is not None
        for name in names:
            kept = self.new_bound.get(name)
            if kept is not None:
                taken[kept.start_point[0]] = kept
            else:
                self._remove(name)
        return True

    def _remove(self, name: str) -> None:
        if name not in self.removed:
            self.removed.append(name)

    def stated(self) -> tuple[str, ...]:
        """What the answer says is removed: the imports the new version lacks, then the names."""
        kept = set(import_entries(self.new_tree, self.language))
        lost = [e for e in import_entries(self.old_tree, self.language) if e not in kept]
        return (*dict.fromkeys(lost), *self.removed)


def import_entries(tree: ts.Tree, language: str) -> list[str]:
    """What a file's top-level imports bring in: one entry per imported name where the language
    imports names (Python's ``from x import y``, however the statement is laid out; a Go import
    spec as ``import "bytes"``), else each import statement with its whitespace squeezed. Equal
    entries are the same import in either version, and an entry reads back as one import."""
    imports = IMPORT_NODES.get(language, set())
    return [
        entry
        for node in tree.root_node.named_children
        if node.type in imports
        for entry in _node_import_entries(node, language)
    ]


def _node_import_entries(node: ts.Node, language: str) -> list[str]:
    if language == "python":
        return python_import_entries(_text(node))
    if language == "go":
        return [f"import {_squeezed(d)}" for d in _descendants(node) if d.type == "import_spec"]
    return [_squeezed(node)]


def python_import_entries(text: str) -> list[str]:
    """One ``import x``, ``import x as y``, ``from m import n`` or ``from .m import n as o`` per
    name a Python import statement brings in (the statement squeezed, when it does not parse)."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            statement = ast.parse(text.strip()).body[0]
    except (SyntaxError, ValueError, IndexError):
        return [" ".join(text.split())]
    if isinstance(statement, ast.Import):
        return [f"import {a.name}{_alias(a)}" for a in statement.names]
    if isinstance(statement, ast.ImportFrom):
        module = "." * statement.level + (statement.module or "")
        return [f"from {module} import {a.name}{_alias(a)}" for a in statement.names]
    return [" ".join(text.split())]


def _alias(name: ast.alias) -> str:
    return f" as {name.asname}" if name.asname else ""


def bound_names(node: ts.Node) -> list[str]:
    """The names a top-level statement that is not a definition binds: a Python assignment's
    targets, a declaration's names (Go ``const``/``var``, JavaScript ``const``, a C global); an
    import binds none here (imports are compared as the import section)."""
    if any(node.type in types for types in IMPORT_NODES.values()):
        return []
    if node.type == "expression_statement":  # Python: ``X = 1``, ``X: int = 1``, ``A = B = 2``
        found: list[str] = []
        for child in node.named_children:
            while child.type == "assignment":
                left = child.child_by_field_name("left")
                if left is not None:
                    found += _identifiers(left)
                right = child.child_by_field_name("right")
                if right is None:
                    break
                child = right
        return found
    return declared_names(node)


def declared_names(node: ts.Node) -> list[str]:
    """The names a top-level declaration binds (a function, a type, constants, variables)."""
    inner = node.child_by_field_name("declaration")  # export_statement, template_declaration
    if inner is not None:
        return declared_names(inner)
    named = node.child_by_field_name("name")
    if named is not None:
        return [_text(named)]
    declarator = node.child_by_field_name("declarator")
    if declarator is not None:
        return [_innermost(declarator)]
    names: list[str] = []
    for child in node.named_children:  # Go const/var/type specs, JS declarators
        if child.type in {"const_spec", "var_spec", "type_spec", "variable_declarator"}:
            names += [_text(n) for n in child.children_by_field_name("name")]
    return names


def first_line(node: ts.Node) -> str:
    """A statement's first line, its whitespace squeezed: how an edited statement that binds no
    name (``if sys.version_info >= (3, 8):``) is recognised in the other version."""
    return " ".join(_text(node).split("\n", 1)[0].split())


def _identifiers(target: ts.Node) -> list[str]:
    """The plain names an assignment target binds (``a``, ``a, b``; not ``a.b`` or ``a[0]``)."""
    if target.type == "identifier":
        return [_text(target)]
    if target.type in {"pattern_list", "tuple_pattern", "list_pattern"}:
        return [name for child in target.named_children for name in _identifiers(child)]
    return []


def _innermost(declarator: ts.Node) -> str:
    """A C declarator's identifier (``*name``, ``name(args)``, ``name[3]``)."""
    while declarator.child_by_field_name("declarator") is not None:
        declarator = declarator.child_by_field_name("declarator")  # type: ignore[assignment]
    return _text(declarator)


def _outermost(definitions: list[Definition]) -> list[Definition]:
    """The definitions not inside another of them (a deleted class, not also its methods)."""
    return [
        d
        for d in definitions
        if not any(
            o is not d and o.start_line <= d.start_line and d.end_line <= o.end_line
            for o in definitions
        )
    ]


def _covered(
    definitions: list[Definition], shown: Collection[str], statements: list[ts.Node]
) -> tuple[str, ...]:
    """The shown definitions that lie inside one of the module ``statements``."""
    return tuple(
        d.qualified_name
        for d in definitions
        if d.qualified_name in shown
        and any(
            s.start_point[0] + 1 <= d.start_line and d.end_line <= s.end_point[0] + 1
            for s in statements
        )
    )


def _top_level_statements(tree: ts.Tree) -> Iterator[ts.Node]:
    for node in tree.root_node.named_children:
        if node.type in _DEFINITION_WRAPPERS or node.type == "comment" or _docstring(node):
            continue
        yield node


def _docstring(node: ts.Node) -> bool:
    """A bare string statement (a module docstring): documentation, not something code needs."""
    return (
        node.type == "expression_statement"
        and node.named_child_count == 1
        and node.named_children[0].type in {"string", "concatenated_string"}
    )


def _statement_at(statements: list[ts.Node], line: int) -> ts.Node | None:
    for node in statements:
        if node.start_point[0] + 1 <= line <= node.end_point[0] + 1:
            return node
    return None


def _descendants(node: ts.Node) -> list[ts.Node]:
    found = [node]
    for child in node.named_children:
        found += _descendants(child)
    return found


def _squeezed(node: ts.Node) -> str:
    return " ".join(_text(node).split())


def _text(node: ts.Node) -> str:
    return node.text.decode("utf-8", "replace") if node.text is not None else ""


def _trivial(lines: list[bytes], number: int) -> bool:
    if number - 1 >= len(lines):
        return True
    text = lines[number - 1].decode("utf-8", "replace")
    return not text.strip() or bool(_TRIVIAL.match(text))
