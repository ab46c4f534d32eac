"""Facts an LLM prompt carries beyond the changed code, read off the repository at the commit.

A strong model answering from the prompt alone guessed what the prompt left out: where
``string_types`` comes from, how ``decimal`` is imported, what a module constant holds. So the
prompt shows, for every file of the change and of its acceptance tests, the module-level lines
the shown code uses — the imports that bind its names and the definitions of the module's own
names — and it says where the commit message and the code disagree, so that a model trusts the
code. Units whose before and after differ in layout alone are not part of the change.

Files are read at the task's commit through one ``git cat-file`` per repository (history does
not change, so what is read is a function of the task) and redacted as every mined text is.
"""

from __future__ import annotations

import ast
import atexit
import difflib
import re
import textwrap
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

import tree_sitter as ts

from flows.draft.answer_code import exercising_tests
from miners.code_symbols import Definition, language_for_path, outline, parse, same_code
from miners.errors import GoldmineError
from miners.git_objects import BlobReader, git_dir_of
from warehouse.redaction import redact
from warehouse.selection.task_context import CodeUnit, TaskContext

MAX_FILE_BYTES = 2_000_000
MAX_DEFINITION_LINES = 12  # a longer definition is shown by its first line
MAX_LINES_PER_FILE = 60
_IDENTIFIER = re.compile(r"[A-Za-z_]\w*")
# Top-level nodes that can bind a name, in the grammars goldmine reads (Python 2 included).
_DECLARATION = re.compile(
    r"declaration|assignment|expression_statement|const_item|static_item|type_item|preproc_def"
)
_DECLARING_WORDS = frozenset(
    {"var", "const", "let", "type", "static", "pub", "mut", "export", "default", "define"}
)
_IMPORT_NODES = ("import", "use_declaration", "preproc_include", "using_declaration", "package")


@dataclass(frozen=True, slots=True)
class UsedLines:
    """The module-level lines of one file that the shown code uses."""

    path: str
    fence: str
    text: str


class CommitFiles:
    """Files at a commit, one long-lived ``git cat-file`` per repository; closed at exit."""

    def __init__(self) -> None:
        self._readers: dict[str, BlobReader | None] = {}
        self._cache: dict[tuple[str, str, str], str | None] = {}

    def read(self, location: str, sha: str, path: str) -> str | None:
        """The file's text at ``sha``, redacted; None when it, or the repository, is not there."""
        key = (location, sha, path)
        if key not in self._cache:
            if len(self._cache) > 256:
                self._cache.clear()
            self._cache[key] = self._read(location, sha, path)
        return self._cache[key]

    def _read(self, location: str, sha: str, path: str) -> str | None:
        if location not in self._readers:
            try:
                self._readers[location] = BlobReader(git_dir_of(location))
            except (GoldmineError, OSError):
                self._readers[location] = None
        reader = self._readers[location]
        data = reader.read(f"{sha}:{path}", MAX_FILE_BYTES) if reader is not None else None
        if data is None:
            return None
        return redact(data.decode("utf-8", "replace"), b"")[0]  # the text needs no key

    def close(self) -> None:
        """Stop the git processes."""
        for reader in self._readers.values():
            if reader is not None:
                reader.close()
        self._readers.clear()
        self._cache.clear()


COMMIT_FILES = CommitFiles()
atexit.register(COMMIT_FILES.close)


def changed(units: Iterable[CodeUnit]) -> list[CodeUnit]:
    """The units that really changed: not those whose before and after differ in layout alone."""
    return [
        unit
        for unit in units
        if not (unit.change == "modified" and same_code(unit.before, unit.after, unit.lang))
    ]


def used_lines(context: TaskContext, files: CommitFiles = COMMIT_FILES) -> list[UsedLines]:
    """Per file of the changed units and of the tests that exercise them: the imports and
    module-level definitions their code uses, leaving out what the prompt already shows."""
    shown = [*changed(context.units), *exercising_tests(context), *context.fixtures]
    added = {s for support in context.supports.values() for s in support.module_statements}
    found = []
    for path in dict.fromkeys(unit.path for unit in shown):
        language = language_for_path(path)
        text = files.read(context.source_location, context.sha, path)
        if language is None or text is None:
            continue
        own = [unit for unit in shown if unit.path == path]
        lines = _module_lines(text, language, own, added)
        if lines:
            found.append(UsedLines(path, _fence(language), _capped(lines)))
    return found


def _module_lines(text: str, language: str, own: list[CodeUnit], added: set[str]) -> list[str]:
    """The top-level statements of ``text`` that bind a name the ``own`` units use."""
    used = set().union(*(_names_used(unit.after, language) for unit in own))
    defined = {unit.qualified_name.split(".")[0] for unit in own}
    picked = []
    for statement, bound in _top_level(text, language):
        if statement.strip() in added or not (bound & used) or bound <= defined:
            continue
        picked.append(_shortened(statement))
    return picked


def _top_level(text: str, language: str) -> list[tuple[str, set[str]]]:
    """Each top-level statement with the names it binds (Python 2 is read by tree-sitter)."""
    if language == "python":
        try:
            module = ast.parse(text)
        except (SyntaxError, ValueError):
            module = None
        if module is not None:
            return [
                (ast.get_source_segment(text, node, padded=False) or "", _bound(node))
                for node in module.body
            ]
    tree = parse(text.encode("utf-8"), language)
    top = [d for d in outline(tree, language) if "." not in d.qualified_name]
    return [
        (_text(node), _declared(node, top))
        for node in tree.root_node.named_children
        if "comment" not in node.type
    ]


def _bound(node: ast.stmt) -> set[str]:
    """The names a Python top-level statement binds (inside ``if``/``try`` too)."""
    if isinstance(node, ast.Import | ast.ImportFrom):
        return {(a.asname or a.name).split(".")[0] for a in node.names if a.name != "*"}
    if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
        return {node.name}
    if isinstance(node, ast.Assign | ast.AnnAssign | ast.AugAssign):
        targets = node.targets if isinstance(node, ast.Assign) else [node.target]
        return {n.id for t in targets for n in ast.walk(t) if isinstance(n, ast.Name)}
    if isinstance(node, ast.If | ast.Try):
        inner = [*node.body, *node.orelse]
        if isinstance(node, ast.Try):
            inner += [s for handler in node.handlers for s in handler.body]
        return set().union(*(_bound(s) for s in inner)) if inner else set()
    return set()


def _declared(node: ts.Node, top: list[Definition]) -> set[str]:
    """The names a top-level node declares: an import's names, the definitions it holds, else the
    identifiers left of its ``=`` (or on its first line)."""
    text = _text(node)
    if node.type.startswith(_IMPORT_NODES) or "import" in node.type:
        return set(_IDENTIFIER.findall(text))
    inside = {
        d.qualified_name for d in top if node.start_byte <= d.target.start_byte < node.end_byte
    }
    if inside:
        return inside
    if not _DECLARATION.search(node.type) or (
        node.type == "expression_statement" and "=" not in text
    ):
        return set()  # a statement that binds nothing (``if __name__ == "__main__": …``)
    head = text.split("=", 1)[0] if "=" in text else text.split("\n", 1)[0]
    return set(_IDENTIFIER.findall(head)) - _DECLARING_WORDS


def _names_used(code: str, language: str) -> set[str]:
    """The bare names the code refers to (the root of ``a.b.c``)."""
    if language == "python":
        try:
            tree = ast.parse(textwrap.dedent(code))
        except (SyntaxError, ValueError):
            return set(_IDENTIFIER.findall(code))
        return {n.id for n in ast.walk(tree) if isinstance(n, ast.Name)}
    return set(_IDENTIFIER.findall(code))


def _shortened(statement: str) -> str:
    """A long definition by its first line (its header), the rest elided."""
    lines = statement.splitlines()
    if len(lines) <= MAX_DEFINITION_LINES:
        return statement
    return f"{lines[0]}\n    ...  # {len(lines) - 1} more lines"


def _capped(statements: list[str]) -> str:
    kept: list[str] = []
    total = 0
    for statement in statements:
        total += statement.count("\n") + 1
        if total > MAX_LINES_PER_FILE:
            kept.append(f"# … {len(statements) - len(kept)} more statements")
            break
        kept.append(statement)
    return "\n".join(kept)


def _text(node: ts.Node) -> str:
    return (node.text or b"").decode("utf-8", "replace")


def _fence(language: str) -> str:
    return {"tsx": "tsx", "cpp": "cpp"}.get(language, language)


# ---- where the commit message and the code disagree -------------------------------------------

_ADDS = re.compile(r"^(?:add|adds|added|adding|introduce[sd]?|implement(?:s|ed)?|new)\b", re.I)
_REMOVES = re.compile(
    r"^(?:remove[sd]?|removing|drop(?:s|ped)?|delete[sd]?|deleting|get rid of)\b", re.I
)
_PREFIX = re.compile(r"^\w+(?:\([^)]*\))?!?:\s*")
_CODE_NAME = re.compile(
    r"`([A-Za-z_][\w.]*)(?:\(\))?`"  # a name in backticks
    r"|(?<![\w./-])([A-Za-z_]\w*(?:\.[A-Za-z_]\w*)+|[a-z]+_[a-z_]\w*|[A-Za-z_]\w*(?=\(\)))"
)
_URL = re.compile(r"\b(?:https?://|www\.)\S+")
_FILE_NAME = re.compile(r"(?<![\w/.-])((?:[\w-]+/)*[\w-]+\.(?:py|js|ts|tsx|go|java|rs|c|h|cpp))\b")


@dataclass(frozen=True, slots=True)
class Doubt:
    """One place where the commit message and the code disagree: it names a ``file`` the change
    does not touch or a ``name`` the changed code does not hold, or its subject says it ``adds``
    where the change only removes code (``removes``: the other way round)."""

    kind: Literal["file", "name", "adds", "removes"]
    name: str = ""


def message_doubts(context: TaskContext) -> list[Doubt]:
    """Where the commit message says something the code does not bear out (at most four)."""
    message = _URL.sub(" ", f"{context.subject}\n{context.body}")
    code = "\n".join(
        text for unit in (*context.units, *context.tests) for text in (unit.before, unit.after)
    )
    code += "\n" + "\n".join(s for x in context.supports.values() for s in x.module_statements)
    paths = {*context.paths, *(t.path for t in context.tests), *context.other_files}
    paths |= set(context.supports)
    doubts = [
        Doubt("file", name)
        for name in _named_files(message)
        if not any(p == name or p.endswith(f"/{name}") for p in paths)
    ]
    doubts += [
        Doubt("name", name)
        for name in _named_code(message)
        if not _appears(name, code) and not any(p.endswith(name) for p in paths)
    ]
    direction = _direction_doubt(_PREFIX.sub("", context.subject.strip()), context.units)
    return doubts[:3] + ([direction] if direction else [])


def _named_files(message: str) -> list[str]:
    return list(dict.fromkeys(m.group(1) for m in _FILE_NAME.finditer(message)))


def _named_code(message: str) -> list[str]:
    names = []
    for match in _CODE_NAME.finditer(message):
        name = (match.group(1) or match.group(2) or "").strip(".")
        if len(name) > 3 and not _FILE_NAME.fullmatch(name):
            names.append(name)
    return list(dict.fromkeys(names))


def _appears(name: str, code: str) -> bool:
    """A dotted name appears when its last part does (``flask.Flask.run`` → ``run``)."""
    last = name.rsplit(".", 1)[-1]
    return re.search(rf"(?<![\w]){re.escape(last)}(?![\w])", code) is not None


def _direction_doubt(subject: str, units: tuple[CodeUnit, ...]) -> Doubt | None:
    added, removed = _line_counts(units)
    if _ADDS.match(subject) and removed and not added:
        return Doubt("adds")
    if _REMOVES.match(subject) and added and not removed:
        return Doubt("removes")
    return None


def _line_counts(units: tuple[CodeUnit, ...]) -> tuple[int, int]:
    """Code lines added and removed across the units (blank lines aside)."""
    added = removed = 0
    for unit in units:
        before = [line.strip() for line in unit.before.splitlines() if line.strip()]
        after = [line.strip() for line in unit.after.splitlines() if line.strip()]
        for line in difflib.ndiff(before, after):
            added += line.startswith("+ ")
            removed += line.startswith("- ")
    return added, removed
