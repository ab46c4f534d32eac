"""The code part of a code task's output: the real change as labelled blocks.

Both drafters answer a code task with the same code — the change the commit made — so it is
rendered once, here, in the block contract the ``resolves`` check applies
(``warehouse/assay/output_blocks.py``): each changed file's module-level lines, each changed
definition complete, and the data files the tests read. The prose around it is each drafter's
own.
"""

from __future__ import annotations

import re

from warehouse.assay.output_blocks import LabelledBlock, render_block
from warehouse.selection.task_context import CodeUnit, TaskContext

_IMPORT = re.compile(r"^(?:from\s+\S+\s+import|import|#include|use|using)\b")


def answer_code(context: TaskContext, lang: str) -> str:
    """The labelled blocks of the change, in ``lang`` (``en`` or ``zh``), as the output carries
    them: module level, then the changed units, then the data files."""
    blocks = [
        *module_blocks(context),
        *(
            LabelledBlock(u.path, "unit", u.qualified_name, fence_tag(u.lang), u.after)
            for u in context.units
        ),
    ]
    rendered = [render_block(block, lang) for block in blocks]
    rendered += [
        render_block(
            LabelledBlock(path, "file", None, data_fence(path), text), lang, new_file=False
        )
        for path, text in needed_files(context).items()
        if text is not None
    ]
    return "\n\n".join(rendered)


def module_blocks(context: TaskContext) -> list[LabelledBlock]:
    """Per changed file, the module-level statements the change adds (imports, constants …)."""
    fence = fence_tag(context.units[0].lang) if context.units else ""
    return [
        LabelledBlock(path, "module", None, fence, text)
        for path, text in module_texts(context).items()
    ]


def module_texts(context: TaskContext) -> dict[str, str]:
    """Per changed file with module-level additions, those statements as the file holds them."""
    return {
        path: _module_text(support.module_statements)
        for path, support in context.supports.items()
        if support.module_statements
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
        u.after for u in (*context.units, *exercising_tests(context), *context.fixtures)
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


def _module_text(statements: tuple[str, ...]) -> str:
    """Module-level statements as a file holds them: imports together, then a blank line, the
    other statements apart."""
    imports = [s for s in statements if _IMPORT.match(s)]
    others = [s for s in statements if not _IMPORT.match(s)]
    parts = ["\n".join(imports)] if imports else []
    return "\n\n".join(parts + others)
