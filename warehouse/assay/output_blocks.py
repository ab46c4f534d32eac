"""The output contract of a code-change record: labelled fenced blocks, then the explanation.

Each block of code is preceded by a label line (and a blank line) that says where it goes::

    `src/flask/helpers.py` — module level:          imports, constants, a TypeVar …
    `src/flask/helpers.py` — `Flask.make_response`:  one definition, dedented
    `tests/static/config.json` (new file):           a whole file (a data file the tests read)
    `setup.cfg`:                                     a whole file, new or replaced

What the change deletes is a line of its own, with no block::

    `src/flask/app.py` — removed: `from collections import deque`    an imported name
    `src/flask/helpers.py` — removed: `async_to_sync`                 a definition or module name

Chinese records say ``模块级``, ``（新文件）`` and ``删除`` and end the label with a full-width
colon ``：`` (an ASCII colon is read too). :func:`label` renders a label and
:func:`labelled_blocks` reads them back (:func:`removal_line` and :func:`removals` for
deletions), so the drafter that writes the contract and the assay that applies it share one
definition. Records drafted before the contract have unlabelled blocks: in a record with one
file, those are that file's units (:func:`attributed_blocks`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from miners.code_symbols import language_for_path
from warehouse.record_text import FENCE_LANGUAGES, located_code_blocks

Part = Literal["unit", "module", "file"]
"""What a block replaces: one definition, module-level statements, or the whole file."""

_PATH = r"`(?P<path>[^`\s]*[./][^`\s]*)`"
_DASH = r"\s*(?:—|–|--?)\s*"
_COLON = r"\s*[:：]\s*$"
_LABELS: tuple[tuple[Part, re.Pattern[str]], ...] = (
    ("module", re.compile(rf"^{_PATH}{_DASH}(?:module[ -]level|模块级){_COLON}", re.IGNORECASE)),
    ("unit", re.compile(rf"^{_PATH}{_DASH}`(?P<symbol>[^`]+)`{_COLON}")),
    ("file", re.compile(rf"^{_PATH}\s*(?:\(new file\)|（新文件）|\(新文件\))?{_COLON}")),
)
_REMOVAL = re.compile(rf"^{_PATH}{_DASH}(?:removed|删除)\s*[:：]\s*`(?P<target>[^`]+)`\s*$", re.M)
_WORDS = {
    "en": {"module": "module level", "new": " (new file)", "removed": "removed", "colon": ":"},
    "zh": {"module": "模块级", "new": "（新文件）", "removed": "删除", "colon": "："},
}


@dataclass(frozen=True, slots=True)
class LabelledBlock:
    """One block of an output: the file it belongs to, what it replaces there, and its code."""

    path: str
    part: Part
    symbol: str | None  # the qualified name of a unit; None for module and file blocks
    fence_lang: str  # the fence's tag as written ("python", "json", "")
    code: str


def label(path: str, part: Part, symbol: str | None, lang: str, *, new_file: bool = True) -> str:
    """The label line of a block in a record written in ``lang`` (``en`` or ``zh``).

    A ``file`` block is labelled as a new file unless ``new_file`` is False (then the bare
    ``path:`` form says the file's whole content is replaced).
    """
    words = _WORDS["zh" if lang == "zh" else "en"]
    if part == "unit":
        if not symbol:
            raise ValueError("a unit block names its symbol")
        return f"`{path}` — `{symbol}`{words['colon']}"
    if part == "module":
        return f"`{path}` — {words['module']}{words['colon']}"
    return f"`{path}`{words['new'] if new_file else ''}{words['colon']}"


@dataclass(frozen=True, slots=True)
class Removal:
    """A deletion an output states: in ``path``, the import ``target`` (``from x import y``,
    ``import "bytes"``) or the definition or module-level name ``target`` (a qualified name)."""

    path: str
    target: str


def removal_line(removal: Removal, lang: str) -> str:
    """The line that states a deletion in a record written in ``lang``."""
    words = _WORDS["zh" if lang == "zh" else "en"]
    space = "" if lang == "zh" else " "
    return f"`{removal.path}` — {words['removed']}{words['colon']}{space}`{removal.target}`"


def removals(output: str) -> list[Removal]:
    """The deletions ``output`` states, in order."""
    return [Removal(m.group("path"), m.group("target").strip()) for m in _REMOVAL.finditer(output)]


def render_block(block: LabelledBlock, lang: str, *, new_file: bool = True) -> str:
    """A block as the output carries it: its label, a blank line, the fenced code."""
    heading = label(block.path, block.part, block.symbol, lang, new_file=new_file)
    return f"{heading}\n\n```{block.fence_lang}\n{block.code.rstrip()}\n```"


def labelled_blocks(output: str) -> list[LabelledBlock]:
    """The blocks of ``output`` that a label line places, in order (unlabelled ones are left
    out)."""
    found = []
    for start, block in located_code_blocks(output):
        placed = _label_before(output, start)
        if placed is not None:
            part, path, symbol = placed
            found.append(LabelledBlock(path, part, symbol, block.tag, block.code))
    return found


def attributed_blocks(output: str, paths: list[str], symbols: list[str]) -> list[LabelledBlock]:
    """The output's blocks with the file each belongs to.

    An output that labels its blocks says so itself. One that does not (a record drafted before
    the contract) is attributed only when the record changes one file: its blocks in that file's
    language are the file's units, paired with ``symbols`` in order when there are as many of
    each (else ``symbol`` is None: the block's definitions name themselves).
    """
    labelled = labelled_blocks(output)
    if labelled or len(paths) != 1:
        return labelled
    path = paths[0]
    language = language_for_path(path)
    if language is None:
        return []
    units = [block for _, block in located_code_blocks(output) if block.language == language]
    paired = len(units) == len(symbols)
    return [
        LabelledBlock(path, "unit", symbols[n] if paired else None, block.tag, block.code)
        for n, block in enumerate(units)
    ]


def fence_language(block: LabelledBlock) -> str | None:
    """The language goldmine parses the block's fence tag as, or None."""
    return FENCE_LANGUAGES.get(block.fence_lang.lower())


def _label_before(text: str, fence_start: int) -> tuple[Part, str, str | None] | None:
    """The label on the last non-blank line before a fence: (part, path, symbol), or None."""
    before = text[:fence_start].rstrip()
    line = before[before.rfind("\n") + 1 :].strip()
    for part, pattern in _LABELS:
        matched = pattern.match(line)
        if matched:
            symbol = matched.group("symbol") if part == "unit" else None
            return part, matched.group("path"), symbol
    return None
