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

from miners.code_under_test import code_under_test
from miners.git_objects import BlobReader, git_dir_of, tree_names
from miners.project_profile import ProjectProfile, first_prose_paragraph, read_profile
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
        units = self._units(facts["symbol_ids"])
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
            tests=self._units(facts["test_symbol_ids"]),
            tickets=self._tickets(facts["ticket_ids"], facts.get("link_methods", []), task[10]),
            module_docs={u.path: self._module_doc(read, u.path, u.lang) for u in units},
            under_test=self._under_test(task[5], task[7], read, units)
            if task[1] == "tests"
            else (),
            reverted_by=self._revert(facts.get("revert_commit_id")),
            diffs=self._diffs(task[6], [u.path for u in units]) if task[1] == "review" else {},
        )

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

    def _diffs(self, commit_id: str, paths: list[str]) -> dict[str, str]:
        rows = self.warehouse.query(
            "SELECT path, diff FROM file_changes WHERE commit_id = ? AND NOT is_binary ORDER BY "
            "position",
            [commit_id],
        ).rows
        return {path: diff for path, diff in rows if path in paths}

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
            return redact(data.decode("utf-8", "replace"), self.key)[0].encode("utf-8")

        return read

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
        return tuple(code_unit(row) for row in sorted(rows, key=lambda r: order[r[0]]))

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
        return _module_docstring(data.decode("utf-8", "replace"), lang)  # read() redacted it


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


def _module_docstring(text: str, lang: str) -> str:
    """The first sentence of a module docstring (Python) or header comment (other languages)."""
    if lang == "python":
        match = re.match(r'\s*(?:#[^\n]*\n\s*)*(?:[rRuU]?)("""|\'\'\')(.*?)\1', text, re.DOTALL)
    else:
        match = re.match(r"\s*(/\*\*?|//)(.*?)(?:\*/|\n\s*\n|\n(?!\s*//))", text, re.DOTALL)
    if not match:
        return ""
    doc = re.sub(r"^\s*(?:\*|//)\s?", "", match.group(2), flags=re.MULTILINE).strip()
    lines = doc.splitlines()
    # A heading ("flask.testing" over "~~~~~~") is not a description: skip it and its underline.
    return first_prose_paragraph(lines, _is_heading_or_blank, min_words=3)[:300]


def _is_heading_or_blank(line: str) -> bool:
    return not line or bool(re.fullmatch(r"[=\-~^*#.:]+", line))


Context = TaskContext | TicketContext
