"""What a change needs besides its changed definitions: the module-level lines it adds.

A record whose answer is "the changed functions, complete" does not run when the commit also
added an import, a module constant or a ``TypeVar`` the new code uses. This module reads the
commit's patch against the file after the change and sorts every added line into one of three
places: inside a changed definition (the answer shows it), in a top-level statement that is not a
definition (an import, an assignment: the answer must show it too), or somewhere else (a class
attribute of a class the task does not show, another function): then the task's answer would be
incomplete, and the drafter says so.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterator
from dataclasses import dataclass

import tree_sitter as ts

from miners.code_symbols import outline, parse

_HUNK = re.compile(r"^@@ -\d+(?:,\d+)? \+(\d+)(?:,\d+)? @@")
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
_TRIVIAL = re.compile(r"^\s*(?:#.*|//.*|/\*.*|\*.*|[()\[\]{},;]*)\s*$")


@dataclass(frozen=True, slots=True)
class ChangeSupport:
    """Where a file's added lines sit, relative to the definitions a task shows."""

    module_statements: tuple[str, ...]  # top-level statements with an added line, in file order
    stray_lines: tuple[int, ...]  # added code lines outside the shown definitions and statements

    @property
    def complete(self) -> bool:
        """True when the shown definitions and module statements hold every added code line."""
        return not self.stray_lines


def added_line_numbers(patch: str) -> list[int]:
    """The new-side line numbers of the lines a unified patch adds."""
    numbers: list[int] = []
    line_number = 0
    in_hunk = False
    for line in patch.splitlines():
        hunk = _HUNK.match(line)
        if hunk:
            line_number, in_hunk = int(hunk.group(1)), True
            continue
        if not in_hunk or line.startswith("\\"):
            continue
        if line.startswith("+"):
            numbers.append(line_number)
            line_number += 1
        elif line.startswith(" ") or line == "":
            line_number += 1
    return numbers


def change_support(
    after: bytes, patch: str, language: str, shown: Collection[str]
) -> ChangeSupport:
    """Sort the lines ``patch`` adds to ``after`` (the file after the change): inside a shown
    definition (qualified names in ``shown``), in a top-level non-definition statement, or stray."""
    tree = parse(after, language)
    lines = after.split(b"\n")
    added = [n for n in added_line_numbers(patch) if not _trivial(lines, n)]
    spans = [
        (d.start_line, d.end_line) for d in outline(tree, language) if d.qualified_name in shown
    ]
    statements = list(_top_level_statements(tree))
    taken: dict[int, str] = {}
    stray: list[int] = []
    for number in added:
        if any(first <= number <= last for first, last in spans):
            continue
        statement = _statement_at(statements, number)
        if statement is None:
            stray.append(number)
        else:
            taken[statement.start_point[0]] = _text(statement)
    return ChangeSupport(
        tuple(text for _, text in sorted(taken.items())),
        tuple(stray),
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


def _text(node: ts.Node) -> str:
    return node.text.decode("utf-8", "replace") if node.text is not None else ""


def _trivial(lines: list[bytes], number: int) -> bool:
    if number - 1 >= len(lines):
        return True
    text = lines[number - 1].decode("utf-8", "replace")
    return not text.strip() or bool(_TRIVIAL.match(text))
