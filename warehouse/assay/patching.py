"""Applying a record's output to a file as it was at the parent commit.

A file is read once into a :class:`FileLayout`: where each definition sits (tree-sitter's
``outline``: a Python definition's span includes its decorators), where its import section ends,
and which names its module level binds (``ast`` for Python, the top-level nodes of the tree for
the other languages). :func:`apply_blocks` turns the output's blocks into edits on the parent's
lines and applies them in one pass:

- a **unit** replaces the definition of the same qualified name, re-indented to where that
  definition stood; a definition the parent lacks goes at the end of its enclosing class (or
  function) body, or at the end of the file;
- a **module** block is split into its top-level statements: an import the parent lacks goes after
  the import section, a name the parent binds at module level is replaced where it is bound,
  anything else goes after the import section;
- a **file** block is the file's whole content (the caller starts from it instead of the parent);
- a **removal** (``output_blocks.Removal``) deletes what it names: an imported name (a Python
  ``from x import a, b`` losing ``b`` is rewritten as ``from x import a``; a Go import spec
  goes), a definition (all of its places: a property's getter and setter), or the statement that
  binds a module-level name. A removal that names nothing of the parent is reported
  (``Patched.unplaced``).
"""

from __future__ import annotations

import ast
import re
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field

import tree_sitter as ts

from miners.change_support import IMPORT_NODES, declared_names, python_import_entries
from miners.code_symbols import outline, parse
from warehouse.assay.output_blocks import LabelledBlock

_PREAMBLES = {"package_clause", "package_declaration"}
_COMMENTS = {"comment", "line_comment", "block_comment"}
_BRACE_CLOSE = re.compile(r"^\s*}")
DEFAULT_INDENT = "    "
ImportKey = tuple[str, int, str, str | None]  # module, level, name, alias of one imported name


@dataclass(frozen=True, slots=True)
class Place:
    """Where a definition sits: 0-based line indexes (``end`` exclusive), its indentation, and
    where a member added to it goes (the end of its body) with the body's indentation."""

    start: int
    end: int
    indent: str
    first_line: str
    members_at: int
    member_indent: str


@dataclass(frozen=True, slots=True)
class ImportSpan:
    """One top-level import of a file: its lines (0-based, ``end`` exclusive), the entries it
    brings in (``miners.change_support.import_entries``'s form) and, for Python, the statement."""

    start: int
    end: int
    entries: tuple[str, ...]
    statement: ast.Import | ast.ImportFrom | None = None


@dataclass(slots=True)
class FileLayout:
    """One version of a file, read for patching."""

    lines: list[str]
    language: str
    definitions: dict[str, list[Place]] = field(default_factory=dict)
    header_end: int = 0  # the line index after the import section
    future_at: int = 0  # where a Python ``from __future__`` import may go
    imports: frozenset[ImportKey] = frozenset()  # Python: every name the module imports
    import_texts: frozenset[str] = frozenset()  # other languages: each import, normalised
    bound: dict[str, tuple[int, int]] = field(default_factory=dict)  # module-level name → lines
    import_spans: list[ImportSpan] = field(default_factory=list)
    # Python: top-level statements that bind no name (an ``if`` block), by their first line
    heads: dict[str, tuple[int, int]] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Edit:
    """Lines ``start:end`` of the parent replaced by ``text`` (an insertion when equal)."""

    start: int
    end: int
    text: str
    order: int


@dataclass(frozen=True, slots=True)
class Patched:
    """A patched file and the 1-based, inclusive line ranges that hold the output's code."""

    text: str
    new_lines: tuple[tuple[int, int], ...]
    unplaced: tuple[str, ...] = ()  # removals that name nothing of the file


def read_layout(text: str, language: str, module: ast.Module | None = None) -> FileLayout:
    """A file's definitions and module-level facts (one tree-sitter parse; for Python, ``ast``'s
    ``module`` of it, parsed here unless the caller has it)."""
    lines = text.splitlines(keepends=True)
    tree = parse(text.encode("utf-8"), language)
    layout = FileLayout(lines, language, _places(tree, language, lines))
    if language == "python":
        _read_python_module(layout, module if module is not None else _module_or_nothing(text))
    else:
        _read_declarations(layout, tree, language)
    return layout


def apply_blocks(
    layout: FileLayout,
    blocks: Sequence[LabelledBlock],
    symbols: Sequence[str],
    removed: Sequence[str] = (),
) -> Patched:
    """The file with the unit and module ``blocks`` applied and the ``removed`` imports and names
    deleted (``symbols``: the record's symbols of this file, which name the definitions of a
    block that does not say which unit it is)."""
    edits, unplaced = _removal_edits(layout, removed)
    taken: list[str] = []  # a symbol already placed is the last choice for the next definition
    for block in blocks:
        if block.part == "unit":
            ordered = [*(s for s in symbols if s not in taken), *symbols]
            pieces = unit_pieces(block, layout.language, ordered)
            taken += [name for name, _ in pieces]
            edits += [_unit_edit(layout, name, code, len(edits)) for name, code in pieces]
        elif block.part == "module":
            edits += _module_edits(layout, block.code, len(edits))
    applied = _applied(layout.lines, edits)
    return Patched(applied.text, applied.new_lines, unplaced)


def unit_pieces(
    block: LabelledBlock, language: str, symbols: Sequence[str]
) -> list[tuple[str, str]]:
    """The definitions a unit block holds, each with the qualified name it replaces.

    A block is usually one definition, named by its label. An older output may join several in
    one block; each is then named after the record's symbol it matches.
    """
    lines = block.code.splitlines(keepends=True)
    tops = [
        d
        for d in outline(parse(block.code.encode("utf-8"), language), language)
        if "." not in d.qualified_name
    ]
    if len(tops) <= 1:
        if block.symbol:
            return [(block.symbol, block.code)]
        return (
            [(_matching_symbol(tops[0].qualified_name, None, symbols), block.code)] if tops else []
        )
    pieces: list[tuple[str, str]] = []
    position = 0
    for n, definition in enumerate(tops):
        end = len(lines) if n == len(tops) - 1 else definition.end_line
        taken = [name for name, _ in pieces]
        untaken = [s for s in symbols if s not in taken]
        name = _matching_symbol(definition.qualified_name, block.symbol, [*untaken, *symbols])
        pieces.append((name, "".join(lines[position:end])))
        position = end
    return pieces


def _matching_symbol(name: str, symbol: str | None, symbols: Sequence[str]) -> str:
    """The qualified name of a definition called ``name``: the label's symbol when it ends so,
    else the first of ``symbols`` that does, else ``name`` beside the label's symbol (a sibling
    method)."""
    if symbol and symbol.rsplit(".", 1)[-1] == name:
        return symbol
    for candidate in symbols:
        if candidate == name or candidate.endswith(f".{name}"):
            return candidate
    if symbol and "." in symbol:
        return f"{symbol.rsplit('.', 1)[0]}.{name}"
    return name


def _unit_edit(layout: FileLayout, name: str, code: str, order: int) -> Edit:
    """Replace the definition called ``name``, or add it where it belongs."""
    places = layout.definitions.get(name)
    if places:
        place = _closest(places, code)
        return Edit(place.start, place.end, reindented(code, place.indent), order)
    owner = layout.definitions.get(name.rpartition(".")[0]) if "." in name else None
    if owner:
        place = owner[-1]
        text = "\n" + reindented(code, place.member_indent)
        return Edit(place.members_at, place.members_at, text, order)
    return Edit(len(layout.lines), len(layout.lines), "\n\n" + reindented(code, ""), order)


def _closest(places: list[Place], code: str) -> Place:
    """Of definitions sharing a name (a property's getter and setter, Go methods of two types),
    the one whose first line the new code keeps."""
    first = next((line.strip() for line in code.splitlines() if line.strip()), "")
    return next((p for p in places if p.first_line == first), places[0])


def reindented(code: str, indent: str) -> str:
    """``code`` moved so that its first line starts at ``indent`` (the rest keep their offsets),
    without blank lines around it."""
    lines = code.splitlines()
    first = next((line for line in lines if line.strip()), "")
    width = len(first) - len(first.lstrip())
    moved = [indent + _unindented(line, width) if line.strip() else "" for line in lines]
    while moved and not moved[-1]:
        moved.pop()
    while moved and not moved[0]:
        moved.pop(0)
    return "\n".join(moved) + "\n"


def _unindented(line: str, width: int) -> str:
    """``line`` without ``width`` leading whitespace characters (or all it has, when fewer)."""
    if not width or line[:width].isspace():
        return line[width:]
    return line.lstrip()


def _module_edits(layout: FileLayout, code: str, order: int) -> list[Edit]:
    if layout.language == "python":
        return _python_module_edits(layout, code, order)
    return _declaration_edits(layout, code, order)


def _applied(lines: list[str], edits: list[Edit]) -> Patched:
    """The edits applied in one pass; an edit inside a range another replaces is dropped."""
    if lines and not lines[-1].endswith("\n"):
        lines = [*lines[:-1], lines[-1] + "\n"]
    out: list[str] = []
    new_lines: list[tuple[int, int]] = []
    position = 0
    for edit in sorted(edits, key=lambda e: (e.start, e.end != e.start, e.order)):
        if edit.start < position:
            continue
        out += lines[position : edit.start]
        added = edit.text.splitlines(keepends=True)
        if added:
            new_lines.append((len(out) + 1, len(out) + len(added)))
        out += added
        position = max(position, edit.end)
    out += lines[position:]
    return Patched("".join(out), tuple(new_lines))


# ---- removals ----------------------------------------------------------------------------------


def _removal_edits(
    layout: FileLayout, removed: Sequence[str]
) -> tuple[list[Edit], tuple[str, ...]]:
    """The edits that delete ``removed`` (imports, then definitions and names), and the removals
    that name nothing of the file."""
    wanted = {_squeezed_text(target) for target in removed}
    edits: list[Edit] = []
    found: set[str] = set()
    for span in layout.import_spans:
        lost = [entry for entry in span.entries if entry in wanted]
        if lost:
            found |= set(lost)
            edits.append(Edit(span.start, span.end, _import_without(span, lost), len(edits)))
    for target in removed:
        name = _squeezed_text(target)
        if name in found:
            continue
        places = [(p.start, p.end) for p in layout.definitions.get(name, [])]
        if not places and name in layout.bound:
            places = [layout.bound[name]]
        if places:
            found.add(name)
            edits += [Edit(start, end, "", len(edits)) for start, end in places]
    unplaced = tuple(t for t in removed if _squeezed_text(t) not in found)
    return edits, unplaced


def _import_without(span: ImportSpan, lost: list[str]) -> str:
    """What is left of an import once the ``lost`` entries go: nothing, or (Python) the statement
    with the other names."""
    statement = span.statement
    if statement is None or len(lost) == len(span.entries):
        return ""
    kept = [a for a, entry in zip(statement.names, span.entries, strict=True) if entry not in lost]
    rest: ast.stmt = (
        ast.Import(names=kept)
        if isinstance(statement, ast.Import)
        else ast.ImportFrom(module=statement.module, names=kept, level=statement.level)
    )
    return ast.unparse(rest) + "\n"


def _squeezed_text(text: str) -> str:
    return " ".join(text.split())


# ---- where definitions sit ----------------------------------------------------------------------


def _places(tree: ts.Tree, language: str, lines: list[str]) -> dict[str, list[Place]]:
    places: dict[str, list[Place]] = {}
    for definition in outline(tree, language):
        start, end = definition.start_line - 1, definition.end_line
        indent = _indent_of(lines[start]) if start < len(lines) else ""
        members_at, member_indent = _member_slot(definition.node, language, lines, end, indent)
        first = lines[start].strip() if start < len(lines) else ""
        place = Place(start, end, indent, first, members_at, member_indent)
        places.setdefault(definition.qualified_name, []).append(place)
    return places


def _member_slot(
    node: ts.Node, language: str, lines: list[str], end: int, indent: str
) -> tuple[int, str]:
    """Where a member added to this definition goes, and how it is indented: after the body in
    Python, before the closing brace elsewhere."""
    body = node.child_by_field_name("body")
    members = (
        [child for child in body.named_children if child.type not in _COMMENTS] if body else []
    )
    member_indent = (
        _indent_of(lines[members[0].start_point[0]]) if members else indent + DEFAULT_INDENT
    )
    if language != "python" and end - 1 < len(lines) and _BRACE_CLOSE.match(lines[end - 1]):
        return end - 1, member_indent
    return end, member_indent


def _indent_of(line: str) -> str:
    return line[: len(line) - len(line.lstrip())]


# ---- Python module level ----------------------------------------------------------------------


def _module_or_nothing(text: str) -> ast.Module:
    """The module, or an empty one when it does not parse (nothing to place statements among)."""
    try:
        return python_tree(text)
    except (SyntaxError, ValueError):
        return ast.Module(body=[], type_ignores=[])


def _read_python_module(layout: FileLayout, module: ast.Module) -> None:
    """Where the import section ends, what is imported, which names the module level binds."""
    body = module.body
    if body and _is_docstring(body[0]):
        layout.future_at = layout.header_end = body[0].end_lineno or 0
    imports: set[ImportKey] = set()
    in_header = True
    for statement in body:
        if isinstance(statement, ast.Import | ast.ImportFrom):
            imports |= _import_keys(statement)
            layout.import_spans.append(_python_import_span(layout.lines, statement))
            if _is_future(statement):
                layout.future_at = statement.end_lineno or 0
            if in_header:
                layout.header_end = statement.end_lineno or 0
        elif isinstance(statement, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            in_header = False
        span = (_first_line(statement) - 1, statement.end_lineno or 0)
        for name in _bound_names(statement):
            layout.bound.setdefault(name, span)
        if not _bound_names(statement) and not isinstance(statement, ast.Import | ast.ImportFrom):
            layout.heads.setdefault(_head(layout.lines[span[0]] if layout.lines else ""), span)
    layout.imports = frozenset(imports)


def _python_import_span(lines: list[str], statement: ast.Import | ast.ImportFrom) -> ImportSpan:
    start, end = statement.lineno - 1, statement.end_lineno or statement.lineno
    entries = python_import_entries("".join(lines[start:end]))
    if len(entries) != len(statement.names):  # a statement sharing its line (``import a; b()``)
        entries = python_import_entries(ast.unparse(statement))
    return ImportSpan(start, end, tuple(entries), statement)


def _head(line: str) -> str:
    """A statement's first line, squeezed (``miners.change_support.first_line``'s form)."""
    return " ".join(line.split())


def python_tree(text: str, path: str = "<output>") -> ast.Module:
    """``ast.parse`` without warnings: an invalid escape or ``x is 1`` is the code's style, not a
    reason to fail (and the test suite turns warnings into errors)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return ast.parse(text, filename=path)


def _python_module_edits(layout: FileLayout, code: str, order: int) -> list[Edit]:
    edits: list[Edit] = []
    replaced: set[int] = set()
    for statement, text in _python_statements(code):
        at = layout.header_end
        if isinstance(statement, ast.Import | ast.ImportFrom):
            if _import_keys(statement) <= layout.imports:
                continue
            at = layout.future_at if _is_future(statement) else at
        elif statement is not None:
            span = next(
                (layout.bound[n] for n in _bound_names(statement) if n in layout.bound), None
            )
            if span is None and not _bound_names(statement):
                span = layout.heads.get(_head(_statement_head(text)))
            if span is not None and span[0] not in replaced:
                replaced.add(span[0])
                edits.append(Edit(span[0], span[1], reindented(text, ""), order + len(edits)))
                continue
        edits.append(Edit(at, at, reindented(text, ""), order + len(edits)))
    return edits


def _statement_head(text: str) -> str:
    """The first line of a statement's text that is code (comments above it go with it)."""
    return next(
        (line for line in text.splitlines() if line.strip() and not line.lstrip().startswith("#")),
        "",
    )


def _python_statements(code: str) -> list[tuple[ast.stmt | None, str]]:
    """The top-level statements of a block with their source lines (comments above a statement
    go with it); a block that does not parse is one statement of unknown kind."""
    try:
        body = python_tree(code).body
    except (SyntaxError, ValueError):
        return [(None, code)]
    lines = code.splitlines(keepends=True)
    found: list[tuple[ast.stmt | None, str]] = []
    position = 0
    for statement in body:
        end = statement.end_lineno or _first_line(statement)
        found.append((statement, "".join(lines[position:end])))
        position = end
    return found


def _is_docstring(statement: ast.stmt) -> bool:
    return (
        isinstance(statement, ast.Expr)
        and isinstance(statement.value, ast.Constant)
        and isinstance(statement.value.value, str)
    )


def _is_future(statement: ast.Import | ast.ImportFrom) -> bool:
    return isinstance(statement, ast.ImportFrom) and statement.module == "__future__"


def _import_keys(statement: ast.Import | ast.ImportFrom) -> set[ImportKey]:
    if isinstance(statement, ast.Import):
        return {("", 0, alias.name, alias.asname) for alias in statement.names}
    module = statement.module or ""
    return {(module, statement.level, alias.name, alias.asname) for alias in statement.names}


def _bound_names(statement: ast.stmt) -> list[str]:
    """The names a module-level assignment or definition binds."""
    if isinstance(statement, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
        return [statement.name]
    if isinstance(statement, ast.Assign):
        return [
            n.id
            for target in statement.targets
            for n in ast.walk(target)
            if isinstance(n, ast.Name)
        ]
    if isinstance(statement, ast.AnnAssign) and isinstance(statement.target, ast.Name):
        return [statement.target.id]
    return []


def _first_line(statement: ast.stmt) -> int:
    """A statement's first line, its decorators included."""
    decorators: list[ast.expr] = getattr(statement, "decorator_list", [])
    return min([statement.lineno, *(d.lineno for d in decorators)])


# ---- the other languages' module level --------------------------------------------------------


def _read_declarations(layout: FileLayout, tree: ts.Tree, language: str) -> None:
    """The end of the package/import section, the imports, and each top-level declaration."""
    imports = IMPORT_NODES.get(language, set())
    texts: set[str] = set()
    for node in tree.root_node.named_children:
        if node.type in imports or node.type in _PREAMBLES:
            layout.header_end = node.end_point[0] + 1
            texts |= _import_texts(node, language)
            if node.type in imports:
                layout.import_spans += _declaration_import_spans(node, language)
            continue
        for name in declared_names(node):
            layout.bound.setdefault(name, (node.start_point[0], node.end_point[0] + 1))
    layout.import_texts = frozenset(texts)


def _declaration_edits(layout: FileLayout, code: str, order: int) -> list[Edit]:
    tree = parse(code.encode("utf-8"), layout.language)
    lines = code.splitlines(keepends=True)
    imports = IMPORT_NODES.get(layout.language, set())
    edits: list[Edit] = []
    position = 0
    for node in tree.root_node.named_children:
        if node.type in _COMMENTS:
            continue
        end = node.end_point[0] + 1
        text, position = "".join(lines[position:end]), end
        if node.type in _PREAMBLES:
            continue
        if node.type in imports:
            if _import_texts(node, layout.language) <= layout.import_texts:
                continue
            span = None
        else:
            span = next((layout.bound[n] for n in declared_names(node) if n in layout.bound), None)
        start, stop = span if span is not None else (layout.header_end, layout.header_end)
        moved = reindented(text, "") if span is not None else "\n" + reindented(text, "")
        edits.append(Edit(start, stop, moved, order + len(edits)))
    return edits


def _import_texts(node: ts.Node, language: str) -> set[str]:
    """An import as comparable text: each spec of a Go import, else the whole statement."""
    if language == "go":
        return {_squeezed(spec) for spec in _descendants(node) if spec.type == "import_spec"}
    return {_squeezed(node)}


def _declaration_import_spans(node: ts.Node, language: str) -> list[ImportSpan]:
    """A Go import declaration's specs, each on its lines; any other import whole."""
    if language != "go":
        return [ImportSpan(node.start_point[0], node.end_point[0] + 1, (_squeezed(node),))]
    specs = [spec for spec in _descendants(node) if spec.type == "import_spec"]
    return [
        ImportSpan(spec.start_point[0], spec.end_point[0] + 1, (f"import {_squeezed(spec)}",))
        for spec in specs
    ]


def _descendants(node: ts.Node) -> list[ts.Node]:
    found = [node]
    for child in node.named_children:
        found += _descendants(child)
    return found


def _squeezed(node: ts.Node) -> str:
    return " ".join(_text(node).split())


def _text(node: ts.Node) -> str:
    return (node.text or b"").decode("utf-8", "replace")
