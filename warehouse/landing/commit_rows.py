"""Mined commits turned into warehouse rows: redacted, pseudonymised, with deterministic ids.

A :class:`CommitRowMaker` holds what a pass over one repository reuses — the blob reader, the
symbol miner's parse cache — and turns each chunk of commits into a :class:`RowBatch`. It runs in
the process that lands the rows or in a mining worker (``warehouse/landing/mining_pool.py``); either
way it writes nothing itself.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field
from pathlib import PurePosixPath
from typing import Any

from miners.code_facts.python import PYTHON_DETAILS_MAX_UNITS, PYTHON_FUNCTIONS
from miners.code_symbols import SYMBOLS_VERSION, SymbolChange, language_for_path
from miners.commit_messages import PERSON_TRAILERS, MessageFacts, parse_person, read_message
from miners.git_history import MINER_VERSION, CommitFact, FileChangeFact
from miners.git_objects import BlobReader
from miners.symbol_changes import SymbolMiner
from warehouse.ids import stable_id
from warehouse.outcomes import Skip, SkipCategory
from warehouse.redaction import SecretFound, keyed_hash, redact

MAX_SYMBOL_SOURCE_BYTES = 1_000_000
# Definitions' code texts a mining pass remembers redacted (see Redactor).
REMEMBERED_TEXTS = 4_096
ROW_TABLES = ("commits", "file_changes", "symbols", "secret_findings")


@dataclass(frozen=True, slots=True)
class LandingOptions:
    """How mined text is stored."""

    key: bytes
    max_diff_bytes: int = 200_000
    keep_author_names: bool = True
    jobs: int = 1  # mining processes for a large history (0: one per core)
    parallel_min_commits: int = 1_000  # below this many new commits, one process mines them


@dataclass(slots=True)
class RowBatch:
    """Rows for each fact table from one chunk of commits, and what was skipped and why."""

    rows: dict[str, list[dict[str, Any]]] = field(
        default_factory=lambda: {table: [] for table in ROW_TABLES}
    )
    skipped: Counter[Skip] = field(default_factory=Counter)

    @property
    def commits(self) -> int:
        """How many commits the batch holds."""
        return len(self.rows["commits"])


class Redactor:
    """Redacts texts for one source and collects the findings as ``secret_findings`` rows."""

    def __init__(self, key: bytes, run_id: str) -> None:
        self.key = key
        self.run_id = run_id
        self.rows: list[dict[str, Any]] = []
        self._known: dict[str, tuple[str, list[SecretFound]]] = {}

    def __call__(self, text: str, location: str, *, repeated: bool = False) -> str:
        """``text`` redacted; its findings are kept for ``location``. A ``repeated`` text (a
        definition's code: its old version is, most often, the new version of an earlier commit)
        is redacted once and remembered: its findings depend on the text alone."""
        clean, findings = self._redacted(text) if repeated else redact(text, self.key)
        for found in findings:
            self.rows.append(
                {
                    "id": stable_id(location, found.kind, found.start, found.value_hash),
                    "location": location,
                    "kind": found.kind,
                    "value_hash": found.value_hash,
                    "run_id": self.run_id,
                }
            )
        return clean

    def _redacted(self, text: str) -> tuple[str, list[SecretFound]]:
        known = self._known.get(text)
        if known is None:
            known = self._known[text] = redact(text, self.key)
            if len(self._known) > REMEMBERED_TEXTS:
                del self._known[next(iter(self._known))]  # the oldest
        return known

    def take(self) -> list[dict[str, Any]]:
        """The findings collected so far (and forget them)."""
        rows, self.rows = self.rows, []
        return rows


class CommitRowMaker:
    """Turns chunks of one repository's commits into rows."""

    def __init__(
        self, source_id: str, run_id: str, options: LandingOptions, blobs: BlobReader
    ) -> None:
        self.source_id = source_id
        self.run_id = run_id
        self.options = options
        self.redact = Redactor(options.key, run_id)
        self.symbols = SymbolMiner(lambda sha: blobs.read(sha, MAX_SYMBOL_SOURCE_BYTES))

    def rows(self, commits: list[CommitFact]) -> RowBatch:
        """The rows of ``commits`` for ``commits``, ``file_changes``, ``symbols`` and
        ``secret_findings``."""
        batch = RowBatch()
        for commit in commits:
            commit_id = stable_id(self.source_id, commit.sha)
            batch.rows["commits"].append(self._commit_row(commit, commit_id))
            symbol_rows: list[dict[str, Any]] = []
            for position, change in enumerate(commit.changes):
                change_row = self._change_row(change, commit_id, position)
                batch.rows["file_changes"].append(change_row)
                symbol_rows += self._symbol_rows(commit, change, change_row, batch.skipped)
            batch.rows["symbols"] += _with_python_details(symbol_rows, batch.skipped)
        batch.rows["secret_findings"] = self.redact.take()
        return batch

    def _commit_row(self, commit: CommitFact, commit_id: str) -> dict[str, Any]:
        facts = read_message(commit.message, commit.author_name, commit.author_email)
        where = f"commits:{commit_id}"
        return {
            "id": commit_id,
            "source_id": self.source_id,
            "sha": commit.sha,
            "parents": list(commit.parents),
            "author": self.redact(commit.author_name, f"{where}:author")
            if self.options.keep_author_names
            else "",
            "author_email_hash": keyed_hash(self.options.key, commit.author_email.strip().lower()),
            "authored_at": commit.authored_at,
            "committed_at": commit.committed_at,
            "subject": self.redact(commit.subject, f"{where}:subject"),
            "body": self.redact(commit.body, f"{where}:body"),
            "is_merge": commit.is_merge,
            "non_utf8": commit.non_utf8,
            "files_changed": len(commit.changes),
            "added_lines": sum(c.added_lines for c in commit.changes),
            "deleted_lines": sum(c.deleted_lines for c in commit.changes),
            "miner_version": MINER_VERSION,
            "run_id": self.run_id,
            "trailers": json.dumps(self._trailers(facts, where), ensure_ascii=False),
            "reverts": facts.reverts,
            "cherry_picked_from": facts.cherry_picked_from,
            "is_bot": facts.is_bot,
            "is_version_bump": facts.is_version_bump,
            "oddities": list(commit.oddities),
        }

    def _trailers(self, facts: MessageFacts, where: str) -> list[dict[str, str]]:
        """Trailers with people pseudonymised like authors: a name (if names are kept) and a keyed
        hash of the address; other values redacted."""
        trailers = []
        for n, trailer in enumerate(facts.trailers):
            if trailer.key in PERSON_TRAILERS:
                person = parse_person(trailer.value)
                name = (
                    self.redact(person.name, f"{where}:trailer{n}")
                    if self.options.keep_author_names
                    else ""
                )
                email_hash = (
                    keyed_hash(self.options.key, person.email.lower()) if person.email else ""
                )
                trailers.append({"key": trailer.key, "name": name, "email_hash": email_hash})
            else:
                trailers.append(
                    {"key": trailer.key, "value": self.redact(trailer.value, f"{where}:trailer{n}")}
                )
        return trailers

    def _change_row(self, change: FileChangeFact, commit_id: str, position: int) -> dict[str, Any]:
        change_id = stable_id(commit_id, position)
        return {
            "id": change_id,
            "commit_id": commit_id,
            "position": position,
            "change_type": change.change_type,
            "old_path": change.old_path,
            "new_path": change.new_path,
            "path": change.path,
            "lang": language_for_path(change.path),
            "old_blob": change.old_blob,
            "new_blob": change.new_blob,
            "similarity": change.similarity,
            "is_binary": change.is_binary,
            "is_submodule": change.is_submodule,
            "added_lines": change.added_lines,
            "deleted_lines": change.deleted_lines,
            "diff": self.redact(change.diff, f"file_changes:{change_id}:diff"),
            "truncated": change.truncated,
            "non_utf8": change.non_utf8,
        }

    def _symbol_rows(
        self,
        commit: CommitFact,
        change: FileChangeFact,
        change_row: dict[str, Any],
        skipped: Counter[Skip],
    ) -> list[dict[str, Any]]:
        if change.is_binary or change.is_submodule:
            return []
        reason = _why_no_symbols(commit, change, change_row["lang"])
        if reason is not None:
            skipped[reason] += 1
            return []
        unreadable = self.symbols.unreadable
        try:
            found = self.symbols.changes(
                change_row["lang"],
                change.old_blob,
                change.new_blob,
                change.hunks,
                change.old_touched,
                change.new_touched,
            )
        except (
            ValueError,
            RuntimeError,
        ) as error:  # one unreadable file must not stop a whole history
            skipped[Skip(SkipCategory.PARSE_ERROR, f"{type(error).__name__} while parsing")] += 1
            return []
        if self.symbols.unreadable > unreadable:
            too_large = f"a version larger than {MAX_SYMBOL_SOURCE_BYTES:,} bytes"
            skipped[Skip(SkipCategory.FILE_TOO_LARGE, too_large)] += 1
        return [self._symbol_row(symbol, change, change_row) for symbol in found]

    def _symbol_row(
        self, symbol: SymbolChange, change: FileChangeFact, change_row: dict[str, Any]
    ) -> dict[str, Any]:
        symbol_id = stable_id(change_row["id"], symbol.qualified_name, SYMBOLS_VERSION)
        where = f"symbols:{symbol_id}"
        latest = symbol.after or symbol.before
        return {
            "id": symbol_id,
            "commit_id": change_row["commit_id"],
            "file_change_id": change_row["id"],
            "path": change.path,
            "lang": change_row["lang"],
            "qualified_name": symbol.qualified_name,
            "kind": symbol.kind,
            "change": symbol.change,
            "start_line": latest.start_line if latest else None,
            "end_line": latest.end_line if latest else None,
            "before_code": self.redact(symbol.before.code, f"{where}:before", repeated=True)
            if symbol.before
            else None,
            "after_code": self.redact(symbol.after.code, f"{where}:after", repeated=True)
            if symbol.after
            else None,
            "doc": self.redact(latest.doc, f"{where}:doc", repeated=True) if latest else "",
            "signature": None,
            "details": None,
        }


def _why_no_symbols(
    commit: CommitFact, change: FileChangeFact, language: str | None
) -> Skip | None:
    """Why a text file's change gets no symbols (counted in the run), or None when it does."""
    if language is None:
        suffix = PurePosixPath(change.path).suffix.lower() or PurePosixPath(change.path).name
        return Skip(SkipCategory.NO_GRAMMAR, f"no grammar for {suffix}")
    if commit.is_merge:  # the merged commits carry these changes, with their own symbols
        return Skip(SkipCategory.MERGE_COMMIT_SYMBOLS, "merge commit")
    return None


def _with_python_details(
    rows: list[dict[str, Any]], skipped: Counter[Skip]
) -> list[dict[str, Any]]:
    """Count the Python functions of a commit that changes too many to read libcst's details of.

    The details themselves (``signature``, ``details``) are read when a task needs them
    (``warehouse/selection/task_context.py``), by the same rule: most commits never become a
    task, and reading every function's header with libcst was a fifth of the mine stage."""
    functions = [r for r in rows if r["lang"] == "python" and r["kind"] in PYTHON_FUNCTIONS]
    if len(functions) > PYTHON_DETAILS_MAX_UNITS:
        many = Skip(SkipCategory.MANY_PYTHON_FUNCTIONS, "more than 6 functions changed")
        skipped[many] += len(functions)
    return rows
