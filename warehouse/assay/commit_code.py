"""The ``real_code`` check's reader: each record's blocks against the files of its own commit.

``checks/real_code.py`` compares; this module finds what to compare with, the way ``resolves``
finds its parent snapshot: the record's task names its commit, the commit's source is a git
repository, and each file is read with ``git cat-file`` (``<sha>:<path>``) once per assay pass.
A review record shows the code as it was before the change it reviews, so its blocks are read
at the parent (``<sha>^:<path>``).

It does not apply (None) to agent records, to records without a commit (golds, tickets), and to
an output with no block it can compare.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import lru_cache
from typing import Any

from miners.errors import GoldmineError
from miners.git_objects import BlobReader, git_dir_of
from warehouse.assay.checks.base import Verdict
from warehouse.assay.checks.real_code import real_code_verdict
from warehouse.assay.output_blocks import attributed_blocks
from warehouse.records import InstructionRecord, Record
from warehouse.store import Warehouse

MAX_BLOB_BYTES = 2_000_000
# Families whose code is the state before the change (the reviewed change is to be undone).
_BEFORE_FAMILIES = frozenset({"review"})


class CommitCode:
    """Compares each record's code with its commit, for the records of one assay pass."""

    def __init__(self, warehouse: Warehouse, task_ids: Iterable[str]) -> None:
        ids = sorted(set(task_ids))
        rows = warehouse.query(
            "SELECT t.id, s.location, c.sha, len(c.parents) > 0 FROM tasks t JOIN sources s "
            "ON s.id = t.source_id JOIN commits c ON c.id = t.commit_id "
            "WHERE t.id IN (SELECT unnest(?::VARCHAR[]))",
            [ids],
        ).rows
        self._tasks = {row[0]: (row[1], row[2], bool(row[3])) for row in rows}
        self._open()

    def __getstate__(self) -> dict[str, Any]:
        """What a worker process receives: the facts, not the git processes or the cache."""
        return {"_tasks": self._tasks}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        self._open()

    def _open(self) -> None:
        self._readers: dict[str, BlobReader] = {}
        self._file = lru_cache(maxsize=512)(self._read_file)

    def close(self) -> None:
        """Stop the git processes opened for reading."""
        for reader in self._readers.values():
            reader.close()
        self._readers.clear()

    def verdict(self, record: Record) -> Verdict | None:
        """Is every block of the output the real code? None when the check does not apply."""
        task = self._tasks.get(record.provenance.task_id)
        if task is None or not isinstance(record, InstructionRecord):
            return None
        location, sha, has_parent = task
        provenance = record.provenance
        blocks = attributed_blocks(record.output, provenance.paths, provenance.symbols)
        if not blocks:
            return None
        revision, where = sha, sha[:10]
        if record.task_type in _BEFORE_FAMILIES:
            if not has_parent:
                return None
            revision, where = f"{sha}^", f"{sha[:10]}^"
        try:
            return real_code_verdict(
                blocks, lambda path: self._file(location, revision, path), where
            )
        except GoldmineError as error:
            return Verdict.fail(f"cannot read the repository at {location}: {error}")

    def _read_file(self, location: str, revision: str, path: str) -> str | None:
        if location not in self._readers:
            self._readers[location] = BlobReader(git_dir_of(location))
        data = self._readers[location].read(f"{revision}:{path}", MAX_BLOB_BYTES)
        return data.decode("utf-8", "replace") if data is not None else None
