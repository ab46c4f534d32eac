"""Everything a drafter needs about one task, gathered from the warehouse and the repository.

Text read from the repository at drafting time (README, manifests, module docstrings) passes
through the same redaction as mined text before any drafter sees it.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache
from typing import Any

from miners.change_support import ChangeSupport, change_support
from miners.code_facts import module_description
from miners.code_facts.python import PYTHON_DETAILS_MAX_UNITS, PYTHON_FUNCTIONS, python_details
from miners.code_symbols import SymbolFact, extract_symbols, language_for_path, same_code
from miners.code_under_test import code_under_test
from miners.commit_kinds import is_doc_path, is_generated_path, is_test_path
from miners.git_objects import BlobReader, git_dir_of, tree_names
from miners.project_profile import ProjectProfile, read_profile
from warehouse.records import Provenance
from warehouse.redaction import redact
from warehouse.selection.ticket_context import TicketContext, load_ticket_context
from warehouse.selection.tickets import thread_of
from warehouse.store import Warehouse


@dataclass(frozen=True, slots=True)
class CodeUnit:
    """A changed function, method or class with both versions."""

    symbol_id: str
    path: str
    lang: str
    qualified_name: str
    kind: str
    change: str
    before: str
    after: str
    doc: str
    # What libcst read off a changed Python function's new version (``symbols.signature`` and
    # ``details``); empty when the miner did not read it (other languages, commits changing many).
    signature: str = ""
    decorators: tuple[str, ...] = ()
    fully_typed: bool = False

    @property
    def name(self) -> str:
        """The unqualified name."""
        return self.qualified_name.rsplit(".", 1)[-1]


def code_unit(row: tuple[Any, ...]) -> CodeUnit:
    """A ``symbols`` row (id, path, lang, qualified_name, kind, change, before, after, doc,
    signature, details) as a unit, with the libcst details the miner stored for Python."""
    symbol_id, path, lang, name, kind, change, before, after, doc, signature, stored = row
    details = json.loads(stored) if stored else {}
    return CodeUnit(
        symbol_id,
        path,
        lang,
        name,
        kind,
        change,
        before,
        after,
        doc,
        signature,
        tuple(str(d) for d in details.get("decorators", [])),
        bool(details.get("fully_typed")),
    )


@dataclass(frozen=True, slots=True)
class TicketView:
    """A linked ticket, with only the comments written before the change."""

    ticket_id: str
    key: str
    title: str
    body: str
    type: str
    labels: tuple[str, ...]
    comments: tuple[str, ...]
    link_method: str


@dataclass(frozen=True, slots=True)
class RevertView:
    """The commit that reverted a task's change, and what it says about why."""

    sha: str
    subject: str
    body: str


@dataclass(frozen=True, slots=True)
class TaskContext:
    """The facts of one task."""

    task_id: str
    family: str
    polarity: str
    source_name: str
    source_location: str
    commit_id: str
    sha: str
    subject: str
    body: str
    committed_at: datetime | None
    profile: ProjectProfile
    units: tuple[CodeUnit, ...]
    tests: tuple[CodeUnit, ...]
    tickets: tuple[TicketView, ...]
    module_docs: dict[str, str] = field(default_factory=dict)
    under_test: tuple[CodeUnit, ...] = ()
    reverted_by: RevertView | None = None
    diffs: dict[str, str] = field(default_factory=dict)
    # Where each changed code file's changed lines sit: the module-level statements the change
    # adds or edits, the imports and definitions it removes (test files too, but for the tests
    # family only its own).
    supports: dict[str, ChangeSupport] = field(default_factory=dict)
    # The definitions the commit edits in its test files (tests, fixtures, helpers), as they are
    # after it: the answer carries them, or the suite fails once the change is applied. A class
    # is left to its edited members.
    test_edits: tuple[CodeUnit, ...] = ()
    # Non-code files the commit added or changed (data, config, templates), as they are after it;
    # None when too large to show.
    other_files: dict[str, str | None] = field(default_factory=dict)
    # The pytest fixtures and unittest ``setUp`` methods the tests use, as they are at the commit.
    fixtures: tuple[CodeUnit, ...] = ()
    # Names of the definitions the commit deleted (a test "added" under a name deleted elsewhere
    # in the same commit was moved, not written).
    deleted_names: frozenset[str] = frozenset()

    @property
    def paths(self) -> list[str]:
        """The files of the units, in order, without repeats."""
        return list(dict.fromkeys(unit.path for unit in self.units))

    def provenance(
        self,
        drafter: str,
        template: str,
        *,
        seeds: Sequence[str] = (),
        observations: str | None = None,
    ) -> Provenance:
        """Where a record drafted from this task came from (the reverting commit too, for a
        review)."""
        return Provenance(
            repo=self.source_name,
            commits=[self.sha] + ([self.reverted_by.sha] if self.reverted_by else []),
            tickets=[ticket.key for ticket in self.tickets],
            paths=self.paths,
            symbols=[unit.qualified_name for unit in self.units],
            drafter=drafter,
            template=template,
            seeds=list(seeds),
            observations=observations,  # type: ignore[arg-type]
            task_id=self.task_id,
        )


class ContextLoader:
    """Loads task contexts, caching each repository's profile per commit."""

    def __init__(self, warehouse: Warehouse, key: bytes) -> None:
        self.warehouse = warehouse
        self.key = key
        self._readers: dict[str, BlobReader] = {}
        self._python_functions: dict[str, int] = {}
        self._redacted_files: dict[bytes, bytes] = {}

    def close(self) -> None:
        """Stop the git processes opened for reading."""
        for reader in self._readers.values():
            reader.close()
        self._readers.clear()

    def load_any(self, task_id: str) -> Context:
        """The context of any selected task: a commit's, or a resolved ticket's."""
        if self.warehouse.scalar("SELECT commit_id IS NULL FROM tasks WHERE id = ?", [task_id]):
            return load_ticket_context(self.warehouse, task_id)
        return self.load(task_id)

    def load(self, task_id: str) -> TaskContext:
        """The context of one selected commit task."""
        task = self.warehouse.query(
            "SELECT t.id, t.family, t.polarity, t.facts, s.name, s.location, c.id, c.sha, "
            "c.subject, c.body, "
            "c.committed_at FROM tasks t JOIN commits c ON c.id = t.commit_id JOIN sources s ON "
            "s.id = t.source_id "
            "WHERE t.id = ?",
            [task_id],
        ).rows[0]
        facts = json.loads(task[3])
        read = self._reader(task[5], task[7])
        read_parent = self._reader(task[5], f"{task[7]}^")
        units = self._units(facts["symbol_ids"])
        tests = self._units(facts["test_symbol_ids"])
        test_edits = self._test_edits(task[6]) if task[1] != "tests" else ()
        return TaskContext(
            task_id=task[0],
            family=task[1],
            polarity=task[2],
            source_name=task[4],
            source_location=task[5],
            commit_id=task[6],
            sha=task[7],
            subject=task[8],
            body=task[9],
            committed_at=task[10],
            profile=read_profile(read, task[4]),
            units=units,
            tests=tests,
            tickets=self._tickets(facts["ticket_ids"], facts.get("link_methods", []), task[10]),
            module_docs={u.path: self._module_doc(read, u.path, u.lang) for u in units},
            under_test=self._under_test(task[5], task[7], read, units)
            if task[1] == "tests"
            else (),
            reverted_by=self._revert(facts.get("revert_commit_id")),
            diffs=self._diffs(task[6], [u.path for u in units]) if task[1] == "review" else {},
            supports=self._supports(
                (read, read_parent), task[6], units, test_edits, tests_family=task[1] == "tests"
            ),
            test_edits=test_edits,
            other_files=self._other_files(read, task[6]),
            fixtures=_fixtures((read, read_parent), units + tests if task[1] == "tests" else tests),
            deleted_names=self._deleted_names(task[6]),
        )

    def _deleted_names(self, commit_id: str) -> frozenset[str]:
        rows = self.warehouse.query(
            "SELECT DISTINCT qualified_name FROM symbols WHERE commit_id = ? "
            "AND change = 'deleted'",
            [commit_id],
        ).rows
        names = {row[0] for row in rows}
        return frozenset(names | {name.rsplit(".", 1)[-1] for name in names})

    def _supports(
        self,
        reads: tuple[Callable[[str], bytes | None], Callable[[str], bytes | None]],
        commit_id: str,
        units: tuple[CodeUnit, ...],
        test_edits: tuple[CodeUnit, ...],
        *,
        tests_family: bool = False,
    ) -> dict[str, ChangeSupport]:
        """Where the changed lines of every code file the commit changed sit, read off the patch
        and the file before and after: a file the task shows no unit of must change nothing but
        module-level lines, imports and whole definitions, or the task's answer is not the whole
        change. In a test file the tests the commit adds need not be shown (they are the
        acceptance tests); the tests family's answer is those tests, its supports only the test
        files'."""
        read, read_parent = reads
        patches = self._diffs(commit_id, None)
        added = self._added_names(commit_id)
        supports = {}
        for path, patch in patches.items():
            language = language_for_path(path)
            if language is None:
                continue
            after = read(path)
            if after is None:
                continue
            shown = {u.qualified_name for u in (*units, *test_edits) if u.path == path}
            if tests_family and not is_test_path(path):
                continue
            if is_test_path(path) and not tests_family:
                shown |= added.get(path, set())
            supports[path] = change_support(after, patch, language, shown, read_parent(path))
        return supports

    def _added_names(self, commit_id: str) -> dict[str, set[str]]:
        """Per file, the definitions the commit adds."""
        rows = self.warehouse.query(
            "SELECT path, qualified_name FROM symbols WHERE commit_id = ? AND change = 'added'",
            [commit_id],
        ).rows
        found: dict[str, set[str]] = {}
        for path, name in rows:
            found.setdefault(path, set()).add(name)
        return found

    def _test_edits(self, commit_id: str) -> tuple[CodeUnit, ...]:
        """The definitions of test files the commit edits (not only their layout), a class left
        to its edited members."""
        rows = self.warehouse.query(
            "SELECT id, path, lang, qualified_name, kind, change, coalesce(before_code, ''), "
            "coalesce(after_code, ''), coalesce(doc, ''), coalesce(signature, ''), details "
            "FROM symbols WHERE commit_id = ? AND change = 'modified' "
            "ORDER BY path, start_line, id",
            [commit_id],
        ).rows
        edits = [
            unit
            for unit in self._code_units(rows)
            if is_test_path(unit.path) and not same_code(unit.before, unit.after, unit.lang)
        ]
        owners = {
            (u.path, u.qualified_name.rsplit(".", 1)[0]) for u in edits if "." in u.qualified_name
        }
        kept = [u for u in edits if (u.path, u.qualified_name) not in owners]
        return tuple(kept)

    def _other_files(
        self, read: Callable[[str], bytes | None], commit_id: str
    ) -> dict[str, str | None]:
        """The non-code, non-documentation files the commit added or changed, as they are after."""
        rows = self.warehouse.query(
            "SELECT path FROM file_changes WHERE commit_id = ? AND NOT is_binary "
            "AND change_type <> 'deleted' ORDER BY position",
            [commit_id],
        ).rows
        found: dict[str, str | None] = {}
        for (path,) in rows:
            if language_for_path(path) or is_doc_path(path) or is_generated_path(path):
                continue
            data = read(path)
            text = data.decode("utf-8", "replace") if data is not None else ""
            found[path] = text if text and text.count("\n") <= MAX_OTHER_FILE_LINES else None
        return found

    def _under_test(
        self,
        location: str,
        sha: str,
        read: Callable[[str], bytes | None],
        tests: tuple[CodeUnit, ...],
    ) -> tuple[CodeUnit, ...]:
        blobs = self._readers[location]

        def list_folder(folder: str) -> list[str]:
            listing = blobs.read(
                f"{sha}:{folder}" if folder not in ("", ".") else f"{sha}^{{tree}}"
            )
            return [f"{folder}/{name}" for name in tree_names(listing)] if listing else []

        found: dict[str, CodeUnit] = {}
        for test in tests:
            for path, symbol in code_under_test(test.path, test.after, read, list_folder):
                code = symbol.code  # read through the redacting reader
                name = symbol.qualified_name
                unit = CodeUnit(
                    "", path, test.lang, name, symbol.kind, "existing", code, code, symbol.doc
                )
                found.setdefault(f"{path}:{name}", unit)
        return tuple(found.values())

    def _revert(self, commit_id: str | None) -> RevertView | None:
        if not commit_id:
            return None
        reverts = self.warehouse.query(
            "SELECT sha, subject, body FROM commits WHERE id = ?", [commit_id]
        ).rows_as(RevertView)
        return reverts[0] if reverts else None

    def _diffs(self, commit_id: str, paths: list[str] | None) -> dict[str, str]:
        rows = self.warehouse.query(
            "SELECT path, diff FROM file_changes WHERE commit_id = ? AND NOT is_binary ORDER BY "
            "position",
            [commit_id],
        ).rows
        return {path: diff for path, diff in rows if paths is None or path in paths}

    def _reader(self, location: str, sha: str) -> Callable[[str], bytes | None]:
        if location not in self._readers:
            self._readers[location] = BlobReader(git_dir_of(location))
        blobs = self._readers[location]

        @lru_cache(maxsize=64)
        def read(path: str) -> bytes | None:
            # Everything read from the repository at drafting time is redacted as mined text is:
            # manifests (credentials in dependency URLs), READMEs, the code under test.
            data = blobs.read(f"{sha}:{path}", 2_000_000)
            if data is None:
                return None
            return self._redacted(data)

        return read

    def _redacted(self, data: bytes) -> bytes:
        """A file's bytes redacted, remembered by content: most files a task reads (the README,
        the manifests, ``conftest.py``, the modules it did not change) are the same bytes at the
        next task's commit."""
        known = self._redacted_files.get(data)
        if known is None:
            known = redact(data.decode("utf-8", "replace"), self.key)[0].encode("utf-8")
            self._redacted_files[data] = known
            if len(self._redacted_files) > REMEMBERED_FILES:
                del self._redacted_files[next(iter(self._redacted_files))]  # the oldest
        return known

    def _units(self, symbol_ids: list[str]) -> tuple[CodeUnit, ...]:
        if not symbol_ids:
            return ()
        rows = self.warehouse.query(
            "SELECT id, path, lang, qualified_name, kind, change, coalesce(before_code, ''), "
            "coalesce(after_code, ''), coalesce(doc, ''), coalesce(signature, ''), details "
            "FROM symbols WHERE id IN (SELECT unnest(?::VARCHAR[]))",
            [symbol_ids],
        ).rows
        order = {symbol_id: n for n, symbol_id in enumerate(symbol_ids)}
        return tuple(self._code_units(sorted(rows, key=lambda r: order[r[0]])))

    def _code_units(self, rows: list[tuple[Any, ...]]) -> list[CodeUnit]:
        """``symbols`` rows as units, a Python function's libcst details read now if the miner
        left them for later (``warehouse/landing/commit_rows.py``: it reads them for no commit,
        since most never become a task)."""
        return [code_unit(self._with_python_details(row)) for row in rows]

    def _with_python_details(self, row: tuple[Any, ...]) -> tuple[Any, ...]:
        """The row with ``signature`` and ``details`` filled as the miner once filled them: for a
        Python function or method of a commit that changes at most ``PYTHON_DETAILS_MAX_UNITS``
        of them, read off its new version (its old one when it was deleted)."""
        symbol_id, _, lang, _, kind, _, before, after, _, signature, stored = row
        if stored is not None or signature or lang != "python" or kind not in PYTHON_FUNCTIONS:
            return row
        if self._python_functions_changed(symbol_id) > PYTHON_DETAILS_MAX_UNITS:
            return row
        details = python_details(after or before)
        if details is None:
            return row
        return (*row[:9], details.signature, json.dumps(details.as_json()))

    def _python_functions_changed(self, symbol_id: str) -> int:
        """How many Python functions and methods the commit of ``symbol_id`` changes."""
        commit_id = self.warehouse.scalar("SELECT commit_id FROM symbols WHERE id = ?", [symbol_id])
        if commit_id not in self._python_functions:
            self._python_functions[commit_id] = int(
                self.warehouse.scalar(
                    "SELECT count(*) FROM symbols WHERE commit_id = ? AND lang = 'python' "
                    "AND kind IN ('function', 'method')",
                    [commit_id],
                )
            )
        return self._python_functions[commit_id]

    def _tickets(
        self, ticket_ids: list[str], methods: list[str], before: datetime | None
    ) -> tuple[TicketView, ...]:
        """The linked tickets, each with only the comments written before its first linked commit
        (authored or committed, whichever is earlier): later ones may describe the fix."""
        if not ticket_ids:
            return ()
        rows = self.warehouse.query(
            "SELECT t.id, t.key, t.title, t.body, coalesce(t.type, ''), coalesce(t.labels, []), "
            "t.comments, "
            "(SELECT min(least(c.authored_at, c.committed_at)) FROM ticket_links l JOIN commits c "
            "ON c.id = l.commit_id WHERE l.ticket_id = t.id) FROM tickets t "
            "WHERE t.id IN (SELECT unnest(?::VARCHAR[]))",
            [ticket_ids],
        ).rows
        method_of = dict(zip(ticket_ids, methods, strict=False))
        return tuple(
            TicketView(
                r[0],
                r[1],
                r[2],
                r[3],
                r[4],
                tuple(r[5]),
                _comments_before(r[6], _earliest(r[7], before)),
                method_of.get(r[0], ""),
            )
            for r in rows
        )

    def _module_doc(self, read: Callable[[str], bytes | None], path: str, lang: str) -> str:
        data = read(path)
        if data is None:
            return ""
        return module_description(data.decode("utf-8", "replace"), lang)  # read() redacted it


MAX_OTHER_FILE_LINES = 60
# Files a loader remembers redacted (see ContextLoader._redacted).
REMEMBERED_FILES = 256
MAX_FIXTURE_LINES = 40
_BUILTIN_FIXTURES = frozenset(
    {
        "request",
        "tmp_path",
        "tmpdir",
        "monkeypatch",
        "capsys",
        "capfd",
        "caplog",
        "recwarn",
        "tmp_path_factory",
        "pytestconfig",
        "self",
        "cls",
    }
)


def _fixtures(
    reads: tuple[Callable[[str], bytes | None], Callable[[str], bytes | None]],
    tests: tuple[CodeUnit, ...],
) -> tuple[CodeUnit, ...]:
    """The pytest fixtures the Python tests ask for (defined in their file or a ``conftest.py``
    above it) and the ``setUp`` of their unittest classes: as they are at the parent when they
    exist there (``existing``; the input shows the repository as the developer finds it, and a
    fixture the commit edits is one of its ``test_edits``), else as the commit adds them
    (``added``: part of the answer, not of what is given)."""
    read, read_parent = reads
    found: dict[str, CodeUnit] = {}
    for test in tests:
        if test.lang != "python":
            continue
        wanted = _parameters(test.after) - _BUILTIN_FIXTURES
        owner = test.qualified_name.rsplit(".", 1)[0] if "." in test.qualified_name else ""
        for path in _fixture_files(test.path):
            parent = {s.qualified_name: s for s in _python_symbols(read_parent, path)}
            for symbol in _python_symbols(read, path):
                is_fixture = symbol.name in wanted and "fixture" in symbol.code.split("def ", 1)[0]
                is_setup = path == test.path and symbol.qualified_name == f"{owner}.setUp"
                if (is_fixture or is_setup) and symbol.code.count("\n") < MAX_FIXTURE_LINES:
                    before = parent.get(symbol.qualified_name)
                    code = before.code if before is not None else symbol.code
                    unit = CodeUnit(
                        "",
                        path,
                        "python",
                        symbol.qualified_name,
                        symbol.kind,
                        "existing" if before is not None else "added",
                        before.code if before is not None else "",
                        code,
                        symbol.doc,
                    )
                    found.setdefault(symbol.name if is_fixture else unit.qualified_name, unit)
    return tuple(found.values())


def _parameters(code: str) -> set[str]:
    header = re.match(r"\s*(?:@[^\n]*\n\s*)*(?:async\s+)?def\s+\w+\s*\(([^)]*)\)", code)
    if header is None:
        return set()
    names = (part.split(":")[0].split("=")[0].strip(" *") for part in header.group(1).split(","))
    return {name for name in names if name.isidentifier()}


def _fixture_files(test_path: str) -> list[str]:
    """The test's own file, then every ``conftest.py`` from its folder up to the root."""
    parts = test_path.split("/")[:-1]
    folders = ["/".join(parts[:n]) for n in range(len(parts), -1, -1)]
    return [
        test_path,
        *(f"{folder}/conftest.py" if folder else "conftest.py" for folder in folders),
    ]


def _python_symbols(read: Callable[[str], bytes | None], path: str) -> list[SymbolFact]:
    data = read(path)
    return extract_symbols(data, "python") if data is not None else []


def _earliest(first: datetime | None, second: datetime | None) -> datetime | None:
    return min(first, second) if first is not None and second is not None else first or second


def _comments_before(comments_json: str | None, before: datetime | None) -> tuple[str, ...]:
    """Human comments written before the change, cleaned as every thread is: the fix must not leak
    into the question, and a quoted earlier comment is not said twice."""
    kept = []
    for comment in thread_of(comments_json):
        written = datetime.fromisoformat(comment.created_at) if comment.created_at else None
        if comment.text and (before is None or (written is not None and written < before)):
            kept.append(comment.text)
    return tuple(kept)


Context = TaskContext | TicketContext
