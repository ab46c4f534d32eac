"""The ``resolves`` check: the record's output, applied to the parent snapshot, runs as given.

Reviewers rejected records whose code could not run: a function cut out of its file without the
import, the module constant or the ``TypeVar`` it uses, or the data file its test reads. This
check reads the output's blocks (``output_blocks``), applies them to each file as it was at the
parent of the record's commit (``patching``), and asks whether every name resolves
(``name_resolution``): Python compiles and pyflakes finds no undefined name the parent did not
already have; in the other languages every function the new code calls, and every Go package it
names, is defined, imported or a builtin. A file the commit adds or changes that the code names
(``static/config.json``) must be given as a ``file`` block, or shown in the input under its label.

The output is the whole change, deletions too: the deletions it states (``output_blocks.removals``)
must each name something of the parent, and every code file it patches must end with the imports
the commit gave it — an import the commit removed and the output leaves (``import imp``, a
shadowed ``iscoroutinefunction``) fails, as does a definition it deleted that stays, a code file
outside the tests whose imports the commit changed and the output does not touch, and an existing
test the commit edits that the output neither carries nor shows (the suite would keep the old
expectation). A review's or a docs record's answer is not the change: these rules skip them.

It does not apply (None) to agent records, to records without a commit (golds, tickets), to a root
commit, to an output with no block it can place, and to a record whose Python file does not
parse as Python 3 at the parent (flask's 2010 history is Python 2: nothing can be judged there).
Each parent file is read and parsed once per pass; twin records (``en`` and ``zh``) of one task
carry the same blocks and are judged once.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import PurePosixPath
from typing import Any

from miners.change_support import import_entries
from miners.code_symbols import language_for_path, parse, same_code, strip_docs
from miners.commit_kinds import is_test_case, is_test_path
from miners.errors import GoldmineError
from miners.git_objects import BlobReader, git_dir_of, tree_entries
from warehouse.assay.checks.base import Verdict
from warehouse.assay.name_resolution import (
    known_names,
    read_python,
    undefined_python_names,
    unresolved_calls,
)
from warehouse.assay.output_blocks import (
    LabelledBlock,
    Removal,
    attributed_blocks,
    labelled_blocks,
    removals,
)
from warehouse.assay.patching import FileLayout, Patched, apply_blocks, read_layout
from warehouse.record_text import code_blocks
from warehouse.records import InstructionRecord, Record
from warehouse.store import Warehouse

MAX_BLOB_BYTES = 2_000_000
MAX_SIBLINGS = 200  # files of one folder read for the names they define
_DOC_SUFFIXES = {".md", ".markdown", ".rst", ".adoc", ".asciidoc", ".rdoc", ".org", ".textile"}
_DOC_NAMES = re.compile(
    r"^(?:readme|changes|changelog|history|license|licence|authors|contributing|news|notice"
    r"|copying)\b",
    re.IGNORECASE,
)
# Languages whose files see each other's names when they share a folder (a Go package, a Java
# package, C sources and their headers).
_NOT_THE_CHANGE = frozenset({"review", "docs"})
_FAMILIES = {"c": {"c", "cpp"}, "cpp": {"c", "cpp"}, "typescript": {"typescript", "tsx"}}


@dataclass(frozen=True, slots=True)
class CommitFacts:
    """What the check needs of a task's commit: where the repository is, the commit, and the
    files it adds or changes that are neither binary nor documentation."""

    location: str
    sha: str
    changed_files: tuple[str, ...]
    edited_tests: tuple[tuple[str, str], ...] = ()  # (path, qualified name) of edited test cases


@dataclass(frozen=True, slots=True)
class ParentFile:
    """A file at the parent commit, read for patching."""

    layout: FileLayout
    python_error: str | None  # why it does not parse as Python 3 (None: it does, or not Python)


class Resolver:
    """Applies each record's output to its parent snapshot, for the records of one assay pass."""

    def __init__(self, warehouse: Warehouse, task_ids: Iterable[str]) -> None:
        ids = sorted(set(task_ids))
        rows = warehouse.query(
            "SELECT t.id, s.location, c.sha, c.id FROM tasks t JOIN sources s ON s.id = "
            "t.source_id JOIN commits c ON c.id = t.commit_id "
            "WHERE len(c.parents) > 0 AND t.id IN (SELECT unnest(?::VARCHAR[]))",
            [ids],
        ).rows
        commits = sorted({row[3] for row in rows})
        changed = _changed_files(warehouse, commits)
        edited = _edited_tests(warehouse, commits)
        self._tasks = {
            task_id: CommitFacts(
                location,
                sha,
                tuple(changed.get(commit_id, ())),
                tuple(edited.get(commit_id, ())),
            )
            for task_id, location, sha, commit_id in rows
        }
        self._open()

    def __getstate__(self) -> dict[str, Any]:
        """What a worker process receives: the facts, not the git processes or the caches."""
        return {"_tasks": self._tasks}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        self._open()

    def _open(self) -> None:
        self._readers: dict[str, BlobReader] = {}
        self._parent_file = lru_cache(maxsize=512)(self._read_parent_file)
        self._parent_undefined = lru_cache(maxsize=256)(self._read_parent_undefined)
        self._file_names = lru_cache(maxsize=4_096)(self._read_file_names)
        self._folder = lru_cache(maxsize=512)(self._read_folder)
        self._code_problems = lru_cache(maxsize=1_024)(self._judge_code)
        self._import_entries = lru_cache(maxsize=1_024)(self._read_import_entries)
        self._defined_names = lru_cache(maxsize=512)(self._read_defined_names)

    def close(self) -> None:
        """Stop the git processes opened for reading."""
        for reader in self._readers.values():
            reader.close()
        self._readers.clear()

    def verdict(self, record: Record) -> Verdict | None:
        """Does the output, applied to the parent, resolve? None when the check does not apply."""
        facts = self._tasks.get(record.provenance.task_id)
        if facts is None or not isinstance(record, InstructionRecord):
            return None
        provenance = record.provenance
        blocks = tuple(attributed_blocks(record.output, provenance.paths, provenance.symbols))
        removed = tuple(removals(record.output))
        if not blocks and not removed:
            return None
        # only a record that answers with the change must be the whole change (a review keeps the
        # code as it was, a docs record is the documentation the commit wrote)
        whole = record.task_type not in _NOT_THE_CHANGE
        try:
            problems = self._code_problems(facts, blocks, removed, tuple(provenance.symbols), whole)
        except GoldmineError as error:
            return Verdict.fail(f"cannot read the repository at {facts.location}: {error}")
        if problems is None:
            return None
        problems = [
            *problems,
            *_missing_data_files(record, facts, blocks),
            *(_left_tests(record, facts, blocks) if whole else []),
        ]
        if problems:
            more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
            return Verdict.fail(problems[0] + more)
        files = len({block.path for block in blocks} | {r.path for r in removed})
        return Verdict.ok(
            f"the output applies to {files} file{'s' if files > 1 else ''} at {facts.sha[:10]}^ "
            "and every name resolves"
        )

    def _judge_code(
        self,
        facts: CommitFacts,
        blocks: tuple[LabelledBlock, ...],
        removed: tuple[Removal, ...],
        symbols: tuple[str, ...],
        whole: bool,
    ) -> list[str] | None:
        """What does not resolve in each code file the output patches, and (``whole``: the output
        is the change) what of the change it leaves out (None: not applicable)."""
        by_path: dict[str, tuple[list[LabelledBlock], list[str]]] = {}
        for block in blocks:
            by_path.setdefault(block.path, ([], []))[0].append(block)
        for removal in removed:
            by_path.setdefault(removal.path, ([], []))[1].append(removal.target)
        problems: list[str] = []
        for path, (path_blocks, targets) in by_path.items():
            language = language_for_path(path)
            if language is None:
                continue  # a data file: its block is its content
            found = self._judge_file(facts, path, language, path_blocks, targets, symbols, whole)
            if found is None:
                return None
            problems += found
        return problems + (self._untouched_imports(facts, set(by_path)) if whole else [])

    def _judge_file(
        self,
        facts: CommitFacts,
        path: str,
        language: str,
        blocks: list[LabelledBlock],
        removed: list[str],
        symbols: tuple[str, ...],
        whole: bool,
    ) -> list[str] | None:
        location, sha = facts.location, facts.sha
        parent = self._parent_file(location, sha, path, language)
        if parent is not None and parent.python_error is not None:
            return None
        patched = _patched(parent, blocks, language, symbols, removed)
        names = (
            self._python_problems(location, sha, path, patched)
            if language == "python"
            else self._unresolved_calls(location, sha, path, language, patched)
        )
        unplaced = [
            f"the output removes `{target}` from {path}, which the parent does not have"
            for target in patched.unplaced[:1]
        ]
        if not whole:
            return names + unplaced
        imports = self._import_problems(location, sha, path, language, patched)
        if names:  # an import it lacks is already an undefined name
            imports = [problem for problem in imports if " lacks " not in problem]
        left = self._left_definitions(location, sha, path, language, parent, patched)
        return names + unplaced + imports + left

    def _left_definitions(
        self,
        location: str,
        sha: str,
        path: str,
        language: str,
        parent: ParentFile | None,
        patched: Patched,
    ) -> list[str]:
        """The definitions and module-level names of the parent that the commit deletes and the
        patched file still has."""
        after = self._defined_names(location, f"{sha}:{path}", language)
        if after is None or parent is None:
            return []
        before = _names_of(parent.layout)
        left = (_names_of(read_layout(patched.text, language)) & before) - after
        return [
            f"{path} still defines `{name}` after applying the output; the commit removes it"
            for name in sorted(left)[:1]
        ]

    def _unresolved_calls(
        self, location: str, sha: str, path: str, language: str, patched: Patched
    ) -> list[str]:
        """The first call of the new code in a file that is not Python that resolves nowhere."""
        unresolved = unresolved_calls(
            patched.text.encode("utf-8"), language, patched.new_lines, frozenset()
        )
        if unresolved:  # only then the folder: most calls resolve in the file itself
            elsewhere = self._sibling_names(
                location, sha, path, language, {u.name for u in unresolved}
            )
            unresolved = [u for u in unresolved if u.name not in elsewhere]
        return [
            f"undefined name '{u.name}' in {path} after applying the output (missing import?)"
            for u in unresolved[:1]
        ]

    def _import_problems(
        self, location: str, sha: str, path: str, language: str, patched: Patched
    ) -> list[str]:
        """Where the patched file's imports differ from the commit's version of the file: an
        import the commit removed that it still has, one the commit added that it lacks. (An
        import neither version has is the output's own: the other checks judge its code.)"""
        after = self._import_entries(location, f"{sha}:{path}", language)
        if after is None:
            return []
        before = self._import_entries(location, f"{sha}^:{path}", language) or frozenset()
        have = set(import_entries(parse(patched.text.encode("utf-8"), language), language))
        problems = [
            f"{path} still imports `{e}` after applying the output; the commit removes it"
            for e in sorted((have & before) - after)[:1]
        ]
        return problems + [
            f"{path} lacks `{e}` after applying the output; the commit adds it"
            for e in sorted(after - have)[:1]
        ]

    def _untouched_imports(self, facts: CommitFacts, patched: set[str]) -> list[str]:
        """The code files outside the tests whose imports the commit changes and the output does
        not touch."""
        problems = []
        for path in facts.changed_files:
            language = language_for_path(path)
            if language is None or path in patched or is_test_path(path):
                continue
            before = self._import_entries(facts.location, f"{facts.sha}^:{path}", language)
            after = self._import_entries(facts.location, f"{facts.sha}:{path}", language)
            if before is not None and after is not None and before != after:
                changed = sorted(before ^ after)[0]
                problems.append(
                    f"the commit also changes the imports of {path} (`{changed}`), which the "
                    "output leaves as they were"
                )
        return problems[:1]

    def _read_import_entries(
        self, location: str, name: str, language: str
    ) -> frozenset[str] | None:
        """The import entries of one version of a file (None: no such file)."""
        data = self._blob(location, name)
        if data is None:
            return None
        return frozenset(import_entries(parse(data, language), language))

    def _read_defined_names(self, location: str, name: str, language: str) -> frozenset[str] | None:
        """The definitions and module-level names of one version of a file (None: no such
        file)."""
        data = self._blob(location, name)
        if data is None:
            return None
        return _names_of(read_layout(data.decode("utf-8", "replace"), language))

    def _read_parent_file(
        self, location: str, sha: str, path: str, language: str
    ) -> ParentFile | None:
        data = self._blob(location, f"{sha}^:{path}")
        if data is None:
            return None
        text = data.decode("utf-8", "replace")
        if language != "python":
            return ParentFile(read_layout(text, language), None)
        module = read_python(text, path, compiled=False)
        if module.tree is None:
            return ParentFile(read_layout("", language), module.error)
        return ParentFile(read_layout(text, language, module.tree), None)

    def _read_parent_undefined(self, location: str, sha: str, path: str) -> frozenset[str]:
        """The undefined names pyflakes already finds at the parent (asked only when the patched
        file has some: most do not, and pyflakes is the costliest step)."""
        data = self._blob(location, f"{sha}^:{path}")
        module = (
            read_python(data.decode("utf-8", "replace"), path, compiled=False) if data else None
        )
        if module is None or module.tree is None:
            return frozenset()
        return undefined_python_names(module.tree, path)

    def _python_problems(self, location: str, sha: str, path: str, patched: Patched) -> list[str]:
        """Does the patched file compile, and with no undefined name the parent did not have?"""
        module = read_python(patched.text, path)
        if module.tree is None:
            return [f"{path} does not compile after applying the output: {module.error}"]
        new = undefined_python_names(module.tree, path, patched.new_lines)
        if new:
            new -= self._parent_undefined(location, sha, path)
        if not new:
            return []
        names = ", ".join(f"'{name}'" for name in sorted(new)[:3])
        plural = "s" if len(new) > 1 else ""
        return [
            f"undefined name{plural} {names} in {path} after applying the output (missing import?)"
        ]

    def _sibling_names(
        self, location: str, sha: str, path: str, language: str, wanted: set[str]
    ) -> frozenset[str]:
        """Which of the ``wanted`` names the other files of the path's folder (at the parent)
        define; a file is parsed only when its text holds one of them."""
        folder = str(PurePosixPath(path).parent)
        family = _FAMILIES.get(language, {language})
        mention = re.compile(rb"\b(?:" + b"|".join(re.escape(n.encode()) for n in wanted) + rb")\b")
        names: set[str] = set()
        for sibling, blob in self._folder(location, sha, folder):
            sibling_language = language_for_path(sibling)
            if sibling == path or sibling_language not in family:
                continue
            data = self._blob(location, blob)
            if data and mention.search(data):
                names |= self._file_names(location, blob, sibling_language) & wanted
        return frozenset(names)

    def _read_folder(self, location: str, sha: str, folder: str) -> list[tuple[str, str]]:
        """(path, blob id) of the files of a folder at the parent."""
        name = f"{sha}^^{{tree}}" if folder in ("", ".") else f"{sha}^:{folder}"
        listing = self._blob(location, name)
        if not listing:
            return []
        prefix = "" if folder in ("", ".") else f"{folder}/"
        return [(f"{prefix}{entry}", blob) for entry, blob in tree_entries(listing)[:MAX_SIBLINGS]]

    def _read_file_names(self, location: str, blob: str, language: str) -> frozenset[str]:
        """What one file defines, by its content's id: a sibling is often the same blob from one
        commit to the next, so it is parsed once a pass."""
        data = self._blob(location, blob)
        return known_names(data, language) if data else frozenset()

    def _blob(self, location: str, name: str) -> bytes | None:
        if location not in self._readers:
            self._readers[location] = BlobReader(git_dir_of(location))
        return self._readers[location].read(name, MAX_BLOB_BYTES)


def _patched(
    parent: ParentFile | None,
    blocks: list[LabelledBlock],
    language: str,
    symbols: tuple[str, ...],
    removed: list[str],
) -> Patched:
    """The file after the blocks: a ``file`` block's content (all of it new code), or the parent
    (empty for a new file) with the units and module statements applied and the removals made."""
    whole = [block.code for block in blocks if block.part == "file"]
    edits = [block for block in blocks if block.part != "file"]
    if whole:
        patched = apply_blocks(read_layout(whole[-1], language), edits, symbols, removed)
        lines = ((1, max(1, patched.text.count("\n") + 1)),)
        return Patched(patched.text, lines, patched.unplaced)
    layout = parent.layout if parent is not None else read_layout("", language)
    return apply_blocks(layout, edits, symbols, removed)


def _names_of(layout: FileLayout) -> frozenset[str]:
    return frozenset(layout.definitions) | frozenset(layout.bound)


def _left_tests(
    record: InstructionRecord, facts: CommitFacts, blocks: tuple[LabelledBlock, ...]
) -> list[str]:
    """The existing tests the commit edits that the output leaves as they were (applied without
    them, the suite keeps the old expectations); a test the instruction or the input shows, as
    the acceptance test, is given."""
    shown = {(b.path, b.symbol) for b in blocks if b.part == "unit"}
    shown |= {(b.path, None) for b in blocks if b.part == "file"}
    given = "\n".join(
        b.code for text in (record.instruction, record.input) for b in code_blocks(text)
    )
    left = [
        (path, name)
        for path, name in facts.edited_tests
        if (path, None) not in shown
        and not any((path, owner) in shown for owner in _owners(name))
        and not re.search(rf"\b{re.escape(name.rsplit('.', 1)[-1])}\b", given)
    ]
    return [
        f"the commit also edits the test `{name}` in {path}, which the output leaves as it was"
        for path, name in left[:1]
    ]


def _owners(name: str) -> list[str]:
    """A qualified name and every name enclosing it (``A.B.c``: ``A``, ``A.B``, ``A.B.c``)."""
    parts = name.split(".")
    return [".".join(parts[:n]) for n in range(1, len(parts) + 1)]


def _edited_tests(warehouse: Warehouse, commit_ids: list[str]) -> dict[str, list[tuple[str, str]]]:
    """Per commit, the test cases it edits (their code, not only its layout)."""
    if not commit_ids:
        return {}
    rows = warehouse.query(
        "SELECT commit_id, path, lang, qualified_name, coalesce(before_code, ''), "
        "coalesce(after_code, '') FROM symbols WHERE change = 'modified' "
        "AND commit_id IN (SELECT unnest(?::VARCHAR[])) ORDER BY commit_id, path, start_line",
        [commit_ids],
    ).rows
    edited: dict[str, list[tuple[str, str]]] = {}
    for commit_id, path, lang, name, before, after in rows:
        if (
            is_test_path(path)
            and is_test_case(name, lang, after)
            and not same_code(before, after, lang)
        ):
            edited.setdefault(commit_id, []).append((path, name))
    return edited


def _missing_data_files(
    record: InstructionRecord, facts: CommitFacts, blocks: tuple[LabelledBlock, ...]
) -> list[str]:
    """The files the commit adds or changes that the record's code names but does not give."""
    given = {block.path for block in blocks}
    given |= {block.path for block in labelled_blocks(record.input) if block.part == "file"}
    given |= set(record.provenance.paths)
    wanted = [path for path in facts.changed_files if path not in given]
    if not wanted:
        return []
    code = _code_without_comments(record)
    return [
        f"the code names {path} but the output does not give it (add it as a file block)"
        for path in wanted
        if _names_file(code, path)
    ]


def _code_without_comments(record: InstructionRecord) -> str:
    """The code blocks of the output, the instruction and the input, without comments and
    docstrings (a comment saying "see cli.py" names no file the code needs)."""
    return "\n".join(
        strip_docs(block.code, block.language or "")
        for text in (record.output, record.instruction, record.input)
        for block in code_blocks(text)
    )


def _names_file(code: str, path: str) -> bool:
    """Whether ``code`` names the file: its path or a tail of it with a folder
    (``static/config.json``), or for a data file its base name with an extension. A code file's
    base name alone (``__init__.py``, ``app.py``) names too many files to count."""
    parts = PurePosixPath(path).parts
    needles = ["/".join(parts[n:]) for n in range(max(1, len(parts) - 1))]
    if language_for_path(path) is None and "." in parts[-1].strip("."):
        needles.append(parts[-1])
    pattern = "|".join(re.escape(needle) for needle in needles)
    return re.search(rf"(?<![\w.-])(?:{pattern})(?!\.?[\w-])", code) is not None


def _changed_files(warehouse: Warehouse, commit_ids: list[str]) -> dict[str, list[str]]:
    """Per commit, the files it adds or changes that could be data the code reads."""
    if not commit_ids:
        return {}
    rows = warehouse.query(
        "SELECT commit_id, new_path FROM file_changes WHERE new_path IS NOT NULL "
        "AND change_type <> 'deleted' AND NOT is_binary AND NOT is_submodule "
        "AND commit_id IN (SELECT unnest(?::VARCHAR[])) ORDER BY commit_id, position",
        [commit_ids],
    ).rows
    changed: dict[str, list[str]] = {}
    for commit_id, path in rows:
        if not _is_documentation(path):
            changed.setdefault(commit_id, []).append(path)
    return changed


def _is_documentation(path: str) -> bool:
    parts = PurePosixPath(path)
    return (
        parts.suffix.lower() in _DOC_SUFFIXES
        or bool(_DOC_NAMES.match(parts.name))
        or parts.parts[0] in ("doc", "docs")
    )
