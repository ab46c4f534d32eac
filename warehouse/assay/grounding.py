"""Code grounding: the paths and symbols a record names exist at the record's commit.

A record drafted from history names its commit, the files it touches and the functions it
changes (``provenance``), and its instruction names files in backticks. Each must exist in the
repository as of that commit. The mined facts answer most questions without touching git (the
commit's own changed files and symbols are in ``file_changes`` and ``symbols``); anything else is
read from the repository itself (``git cat-file``) and parsed with tree-sitter, once per file.
Records without a commit (the golds, ticket-only records) have nothing to ground.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import lru_cache
from typing import Any

from miners.code_symbols import extract_symbols, language_for_path
from miners.errors import GoldmineError
from miners.git_objects import BlobReader, git_dir_of
from warehouse.assay.checks.base import Verdict
from warehouse.record_text import prose
from warehouse.records import InstructionRecord, Record
from warehouse.store import Warehouse

_language = lru_cache(maxsize=4_096)(language_for_path)  # pathlib is slow, and paths repeat
_NAMED_PATH = re.compile(r"`([\w.-]+(?:/[\w.-]+)+)`")
MAX_BLOB_BYTES = 2_000_000


class Grounder:
    """Answers "does this exist at that commit?" for the records of one assay pass."""

    def __init__(self, warehouse: Warehouse, task_ids: Iterable[str]) -> None:
        ids = sorted(set(task_ids))
        rows = warehouse.query(
            "SELECT t.id, s.location, c.id, c.sha FROM tasks t JOIN sources s ON s.id = "
            "t.source_id "
            "JOIN commits c ON c.id = t.commit_id WHERE t.id IN (SELECT unnest(?::VARCHAR[]))",
            [ids],
        ).rows
        self._tasks = {
            task_id: (location, commit_id, sha) for task_id, location, commit_id, sha in rows
        }
        commit_ids = sorted({row[2] for row in rows})
        self._paths = _pairs(
            warehouse,
            "SELECT commit_id, new_path FROM file_changes WHERE new_path IS NOT NULL "
            "AND commit_id IN (SELECT unnest(?::VARCHAR[]))",
            commit_ids,
        )
        self._symbols = _pairs(
            warehouse,
            "SELECT commit_id, path || '::' || qualified_name FROM symbols "
            "WHERE change <> 'deleted' AND commit_id IN (SELECT unnest(?::VARCHAR[]))",
            commit_ids,
        )
        self._readers: dict[str, BlobReader] = {}

    def __getstate__(self) -> dict[str, Any]:
        """What a worker process receives: the facts, not the parent's git processes."""
        return {"_tasks": self._tasks, "_paths": self._paths, "_symbols": self._symbols}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        self._readers = {}

    def close(self) -> None:
        """Stop the git processes opened for reading."""
        for reader in self._readers.values():
            reader.close()
        self._readers.clear()

    def verdict(self, record: Record) -> Verdict | None:
        """Do the record's commit, paths and symbols exist? None when the record has no commit."""
        task = self._tasks.get(record.provenance.task_id)
        if task is None:
            return None
        location, commit_id, sha = task
        if record.provenance.commits and sha not in record.provenance.commits:
            return Verdict.fail(
                f"provenance names commits {record.provenance.commits} but the task is {sha[:10]}"
            )
        paths = list(dict.fromkeys([*record.provenance.paths, *_named_paths(record)]))
        try:
            missing = [p for p in paths if not self._path_exists(location, commit_id, sha, p)]
            missing += [
                s
                for s in record.provenance.symbols
                if not self._symbol_exists(location, commit_id, sha, paths, s)
            ]
        except GoldmineError as error:
            return Verdict.fail(f"cannot read the repository at {location} to check: {error}")
        if missing:
            named = len(paths) + len(record.provenance.symbols)
            return Verdict.fail(
                f"not at {sha[:10]}: {', '.join(missing[:4])}", 1 - len(missing) / named
            )
        return Verdict.ok(
            f"{len(paths)} path(s) and {len(record.provenance.symbols)} symbol(s) exist at "
            f"{sha[:10]}"
        )

    def _path_exists(self, location: str, commit_id: str, sha: str, path: str) -> bool:
        if (commit_id, path) in self._paths:
            return True
        return self._blob(location, sha, path) is not None

    def _symbol_exists(
        self, location: str, commit_id: str, sha: str, paths: list[str], symbol: str
    ) -> bool:
        if any((commit_id, f"{path}::{symbol}") in self._symbols for path in paths):
            return True
        for path in paths:
            language = _language(path)
            if language and symbol in self._defined(location, sha, path, language):
                return True
        return False

    def _blob(self, location: str, sha: str, path: str) -> bytes | None:
        if location not in self._readers:
            self._readers[location] = BlobReader(git_dir_of(location))
        return self._readers[location].read(f"{sha}:{path}", MAX_BLOB_BYTES)

    @lru_cache(maxsize=256)  # noqa: B019 - one grounder lives for one assay pass
    def _defined(self, location: str, sha: str, path: str, language: str) -> frozenset[str]:
        source = self._blob(location, sha, path)
        if source is None:
            return frozenset()
        symbols = extract_symbols(source, language)
        return frozenset(s.qualified_name for s in symbols) | frozenset(s.name for s in symbols)


def _named_paths(record: Record) -> list[str]:
    """Repository paths the instruction names in backticks (files in a language goldmine knows).

    Quoted material (``> …``: the ticket, the discussion) is the reporter's words, not a claim.
    """
    if not isinstance(record, InstructionRecord):
        return []
    own_words = "\n".join(
        line for line in prose(record.instruction).splitlines() if not line.lstrip().startswith(">")
    )
    return [p for p in _NAMED_PATH.findall(own_words) if _language(p)]


def _pairs(warehouse: Warehouse, sql: str, ids: list[str]) -> set[tuple[str, str]]:
    if not ids:
        return set()
    return {(row[0], row[1]) for row in warehouse.query(sql, [ids]).rows}
