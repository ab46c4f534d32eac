"""The code part of a code task's output: the real change as labelled blocks.

Both drafters answer a code task with the same code — the change the commit made — so it is
rendered once, here, in the block contract the ``resolves`` check applies
(``warehouse/assay/output_blocks.py``). File by file: the module-level statements the change adds
or edits (imports, constants, an ``if`` block), each changed definition complete, and a line for
each import or definition it deletes; then the existing tests the commit edits, in the same form
(applied without them, the suite would fail on the old expectations); then the data files the
tests read. The prose around it is each drafter's own.

Deletions are stated, not shown: `` `app.py` — removed: `from collections import deque` `` says
which imported name goes (one per line, so a reader sees exactly what is dropped and the patcher
can apply it to any layout of the import), `` `helpers.py` — removed: `async_to_sync` `` which
definition or module-level name.
"""

from __future__ import annotations

import re

from miners.change_support import ChangeSupport
from miners.code_symbols import language_for_path
from miners.commit_kinds import is_test_path
from warehouse.assay.output_blocks import LabelledBlock, Removal, removal_line, render_block
from warehouse.outcomes import Skip, SkipCategory
from warehouse.redacted_code import spare_problem
from warehouse.selection.task_context import CodeUnit, TaskContext

_IMPORT = re.compile(r"^(?:from\s+\S+\s+import|import|#include|use|using)\b")


def answer_code(context: TaskContext, lang: str, *, with_tests: bool = False) -> str:
    """The labelled blocks of the change, in ``lang`` (``en`` or ``zh``), as the output carries
    them: each changed file's module level, definitions and deletions, then the edited tests,
    then the data files. ``with_tests``: the tests the commit adds for the change (and the
    fixtures it adds for them) go in too, with the test files' new imports — an answer that
    fixes a bug writes its regression test."""
    parts: list[str] = []
    for path in answer_paths(context, with_tests=with_tests):
        blocks = file_blocks(context, path, with_tests=with_tests)
        parts += [render_block(block, lang) for block in blocks]
        parts += [removal_line(removal, lang) for removal in file_removals(context, path)]
    parts += [
        render_block(
            LabelledBlock(path, "file", None, data_fence(path), text), lang, new_file=False
        )
        for path, text in needed_files(context).items()
        if text is not None
    ]
    return "\n\n".join(parts)


def new_tests(context: TaskContext) -> list[CodeUnit]:
    """The tests the commit writes for the change: the added tests that name a changed unit, or,
    when none does (a route tested through the client), every test it adds. A test "added" under
    a name the commit deleted elsewhere was moved, not written; the tests family's tests are its
    units already."""
    if context.family in {"tests", "review", "docs"}:
        return []
    added = [
        t
        for t in context.tests
        if t.change == "added" and t.qualified_name not in context.deleted_names
    ]
    exercising = [t for t in exercising_tests(context) if t in added]
    return exercising or added


def new_fixtures(context: TaskContext) -> list[CodeUnit]:
    """The fixtures and ``setUp`` methods the commit adds for its tests (absent at the parent)."""
    return [f for f in context.fixtures if f.change == "added"] if new_tests(context) else []


def answer_paths(context: TaskContext, *, with_tests: bool = False) -> list[str]:
    """The code files the answer changes, in order: the units' files, the other files whose module
    level the change edits, then the test files it edits tests of or deletes something from (and,
    ``with_tests``, those it adds tests to; else a test file's imports for the tests the commit
    adds go with those tests, not the answer)."""
    others = [
        path
        for path, support in context.supports.items()
        if not is_test_path(path) and support.changes_module
    ]
    tests = [t.path for t in context.test_edits]
    tests += [
        path for path, support in context.supports.items() if is_test_path(path) and support.removed
    ]
    if with_tests:
        tests += [t.path for t in (*new_tests(context), *new_fixtures(context))]
    return list(dict.fromkeys([*context.paths, *others, *tests]))


def file_blocks(
    context: TaskContext, path: str, *, with_tests: bool = False
) -> list[LabelledBlock]:
    """One file's blocks: its module-level statements, then its changed definitions (a
    definition inside a shown class or module statement is shown by it)."""
    support = context.supports.get(path)
    fence = fence_tag(language_for_path(path) or "")
    blocks = []
    if support is not None and support.module_statements:
        blocks.append(LabelledBlock(path, "module", None, fence, _module_text(support)))
    added = (*new_fixtures(context), *new_tests(context)) if with_tests else ()
    units = [u for u in (*context.units, *context.test_edits, *added) if u.path == path]
    covered = set(support.covered) if support is not None else set()
    names = {u.qualified_name for u in units}
    blocks += [
        LabelledBlock(path, "unit", u.qualified_name, fence_tag(u.lang), u.after)
        for u in units
        if u.qualified_name not in covered and not _inside_shown(u.qualified_name, names)
    ]
    return blocks


def file_removals(context: TaskContext, path: str) -> list[Removal]:
    """What the change deletes from one file: imported names, then definitions and names."""
    support = context.supports.get(path)
    return [Removal(path, target) for target in (support.removed if support else ())]


def removals_view(context: TaskContext) -> list[dict[str, str]]:
    """Every deletion of the answer, for the instruction's requirements: ``path``, ``target`` and
    ``kind`` (``import`` or ``name``)."""
    return [
        {
            "path": removal.path,
            "target": removal.target,
            "kind": "import" if _IMPORT.match(removal.target) else "name",
        }
        for path in answer_paths(context)
        for removal in file_removals(context, path)
    ]


def module_texts(context: TaskContext, *, with_tests: bool = False) -> dict[str, str]:
    """Per changed file with module-level statements to show, those statements as the file
    holds them (``with_tests``: the test files the new tests go in too)."""
    paths = answer_paths(context, with_tests=with_tests)
    return {
        path: _module_text(support)
        for path, support in context.supports.items()
        if support.module_statements and path in paths
    }


def exercising_tests(context: TaskContext) -> list[CodeUnit]:
    """The changed tests that exercise a changed unit (name it), not merely sit in the commit."""
    names = {u.name for u in context.units if len(u.name) > 2}
    return [
        t
        for t in context.tests
        if any(re.search(rf"\b{re.escape(name)}\b", t.after) for name in names)
    ]


def needed_files(context: TaskContext) -> dict[str, str | None]:
    """The non-code files the commit changed that the shown code or tests name (a fixture's
    ``static/config.json``): the answer must include them."""
    code = "\n".join(
        u.after
        for u in (
            *context.units,
            *exercising_tests(context),
            *context.fixtures,
            *context.test_edits,
        )
    )
    return {
        path: text
        for path, text in context.other_files.items()
        if path in code or (len(path.rsplit("/", 1)[-1]) > 4 and path.rsplit("/", 1)[-1] in code)
    }


def fence_tag(lang: str) -> str:
    """The code fence's tag for a unit's language."""
    return {"tsx": "tsx", "cpp": "cpp"}.get(lang, lang)


def data_fence(path: str) -> str:
    """The code fence's tag for a data file, from its suffix."""
    suffix = path.rsplit(".", 1)[-1].lower() if "." in path.rsplit("/", 1)[-1] else ""
    return {"yml": "yaml", "htm": "html", "cfg": "ini", "txt": "text"}.get(suffix, suffix or "text")


def _inside_shown(name: str, names: set[str]) -> bool:
    """Whether a definition's enclosing class or function is shown too (it shows this one)."""
    parts = name.split(".")
    return any(".".join(parts[:n]) in names for n in range(1, len(parts)))


def _module_text(support: ChangeSupport) -> str:
    """Module-level statements as a file holds them: imports together, then a blank line, the
    other statements apart."""
    statements = support.module_statements
    imports = [s for s in statements if _IMPORT.match(s)]
    others = [s for s in statements if not _IMPORT.match(s)]
    parts = ["\n".join(imports)] if imports else []
    return "\n\n".join(parts + others)


def answer_problem(context: TaskContext) -> Skip | None:
    """Why the real change cannot be the whole answer, or None: it edits or removes lines outside
    what the answer shows, it needs a file too large to show, or its code holds a redacted
    secret. Both drafters answer with the real change, so both skip on these."""
    stray = {path: s for path, s in context.supports.items() if not s.complete}
    if stray:
        path, support = next(iter(stray.items()))
        where = (
            f"edits {path} outside its functions (line {support.stray_lines[0]})"
            if support.stray_lines
            else f"removes lines of {path} outside its functions and module-level names "
            f"(line {support.stray_removals[0]} before it)"
        )
        return Skip(
            SkipCategory.INCOMPLETE_ANSWER,
            f"the change also {where}: the answer would not be complete",
        )
    missing = [path for path, text in needed_files(context).items() if text is None]
    if missing:
        return Skip(
            SkipCategory.INCOMPLETE_ANSWER,
            f"the change needs {missing[0]}, which is too large to show",
        )
    redacted = spare_problem([code for u in context.units for code in (u.before, u.after)])
    if redacted:  # a placeholder in a literal the code uses once becomes a neutral value instead
        return Skip(SkipCategory.REDACTED_CODE, f"the code holds a redacted secret: {redacted}")
    return None
