"""Mined facts landed in the warehouse: redacted, pseudonymised, with deterministic ids.

Mining is incremental: a watermark per repository and ref remembers the last mined head. The next
run streams only ``watermark..HEAD``; when history was rewritten (the watermark is no longer an
ancestor of the head) it streams everything again and insert-or-ignore keeps what is stored.
The watermark moves only after a whole pass lands, so a crashed run simply redoes its pass.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from miners.code_symbols import SYMBOLS_VERSION, changed_symbols, language_for_path
from miners.git_history import (
    MINER_VERSION,
    CommitFact,
    FileChangeFact,
    RepositoryInfo,
    is_ancestor,
    iter_commits,
    open_repository,
)
from miners.git_objects import BlobReader
from miners.ticket_links import KeyMatcher, link_commit
from miners.tickets import TicketFact, read_ticket_export
from warehouse.ids import content_hash, stable_id
from warehouse.redaction import keyed_hash, redact
from warehouse.store import Warehouse, in_chunks

MAX_SYMBOL_SOURCE_BYTES = 1_000_000
_CHUNK = 500
Progress = Callable[[int], None]


@dataclass(slots=True)
class MineSummary:
    """What one source gave in one run."""

    source_id: str
    name: str
    kind: str
    added: dict[str, int] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    def add(self, table: str, count: int) -> None:
        self.added[table] = self.added.get(table, 0) + count


@dataclass(frozen=True, slots=True)
class LandingOptions:
    """How mined text is stored."""

    key: bytes
    max_diff_bytes: int = 200_000
    keep_author_names: bool = True


class _Redactor:
    """Redacts texts for one source and collects the findings as rows."""

    def __init__(self, key: bytes, run_id: str) -> None:
        self.key = key
        self.run_id = run_id
        self.rows: list[dict[str, Any]] = []

    def __call__(self, text: str, location: str) -> str:
        clean, findings = redact(text, self.key)
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

    def flush(self, warehouse: Warehouse) -> int:
        added = warehouse.insert("secret_findings", self.rows)
        self.rows = []
        return added


def repository_source_id(info: RepositoryInfo) -> str:
    """The id of a repository source: stable for the same clone on the same path."""
    return stable_id("repository", str(info.path))


def land_repository(
    warehouse: Warehouse,
    path: str | Path,
    run_id: str,
    options: LandingOptions,
    progress: Progress | None = None,
) -> MineSummary:
    """Mine a repository's new commits into ``commits``, ``file_changes`` and ``symbols``."""
    info = open_repository(path)
    source_id = repository_source_id(info)
    summary = MineSummary(source_id, info.name, "repository")
    _register_source(warehouse, source_id, "repository", str(info.path), info.name, run_id, _repo_detail(info))
    if info.is_shallow:
        summary.notes.append(f"{info.path} is a shallow clone: mining the {info.name} history it has")
    since = _resume_point(warehouse, source_id, info, summary)
    if since == info.head_sha:
        return summary
    redactor = _Redactor(options.key, run_id)
    with BlobReader(info.git_dir) as blobs:
        for chunk in in_chunks(iter_commits(info, since=since, max_diff_bytes=options.max_diff_bytes), _CHUNK):
            _land_commit_chunk(warehouse, source_id, chunk, run_id, options, blobs, redactor, summary)
            if progress is not None:
                progress(len(chunk))
    summary.add("secret_findings", redactor.flush(warehouse))
    _set_watermark(warehouse, source_id, info.head_ref, info.head_sha, run_id)
    return summary


def _repo_detail(info: RepositoryInfo) -> dict[str, Any]:
    return {"root_commits": list(info.root_commits), "bare": info.is_bare, "shallow": info.is_shallow}


def _register_source(
    warehouse: Warehouse, source_id: str, kind: str, location: str, name: str, run_id: str, detail: dict[str, Any]
) -> None:
    row = {"id": source_id, "kind": kind, "location": location, "name": name,
           "detail": json.dumps(detail), "first_run_id": run_id}  # fmt: skip
    warehouse.insert("sources", [row])


def _resume_point(warehouse: Warehouse, source_id: str, info: RepositoryInfo, summary: MineSummary) -> str | None:
    mark = warehouse.scalar(
        "SELECT position FROM watermarks WHERE source_id = ? AND ref = ?", [source_id, info.head_ref]
    )
    if mark is None or mark == info.head_sha:
        return mark  # type: ignore[no-any-return]
    if not is_ancestor(info, mark, info.head_sha):
        summary.notes.append(
            f"{info.name}: history was rewritten since the last run (watermark {mark[:10]} is gone); "
            "mining it all again without duplicating stored commits"
        )
        return None
    return mark  # type: ignore[no-any-return]


def _set_watermark(warehouse: Warehouse, source_id: str, ref: str, position: str, run_id: str) -> None:
    warehouse.execute(
        "INSERT OR REPLACE INTO watermarks VALUES (?, ?, ?, ?, ?)",
        [source_id, ref, position, run_id, datetime.now(UTC)],
    )


def _land_commit_chunk(
    warehouse: Warehouse,
    source_id: str,
    commits: list[CommitFact],
    run_id: str,
    options: LandingOptions,
    blobs: BlobReader,
    redact_text: _Redactor,
    summary: MineSummary,
) -> None:
    ids = {c.sha: stable_id(source_id, c.sha) for c in commits}
    stored = _existing_ids(warehouse, "commits", list(ids.values()))
    fresh = [c for c in commits if ids[c.sha] not in stored]
    commit_rows, change_rows, symbol_rows = [], [], []
    for commit in fresh:
        commit_id = ids[commit.sha]
        commit_rows.append(_commit_row(commit, commit_id, source_id, run_id, options, redact_text))
        for position, change in enumerate(commit.changes):
            change_row = _change_row(change, commit_id, position, redact_text)
            change_rows.append(change_row)
            symbol_rows += _symbol_rows(change, change_row, commit, blobs, redact_text)
    summary.add("commits", warehouse.insert("commits", commit_rows))
    summary.add("file_changes", warehouse.insert("file_changes", change_rows))
    summary.add("symbols", warehouse.insert("symbols", symbol_rows))


def _existing_ids(warehouse: Warehouse, table: str, ids: list[str]) -> set[str]:
    if not ids:
        return set()
    rows = warehouse.query(f"SELECT id FROM {table} WHERE id IN (SELECT unnest(?::VARCHAR[]))", [ids]).rows
    return {row[0] for row in rows}


def _commit_row(
    commit: CommitFact, commit_id: str, source_id: str, run_id: str, options: LandingOptions, redact_text: _Redactor
) -> dict[str, Any]:
    return {
        "id": commit_id,
        "source_id": source_id,
        "sha": commit.sha,
        "parents": list(commit.parents),
        "author": redact_text(commit.author_name, f"commits:{commit_id}:author") if options.keep_author_names else "",
        "author_email_hash": keyed_hash(options.key, commit.author_email.strip().lower()),
        "authored_at": commit.authored_at,
        "committed_at": commit.committed_at,
        "subject": redact_text(commit.subject, f"commits:{commit_id}:subject"),
        "body": redact_text(commit.body, f"commits:{commit_id}:body"),
        "is_merge": commit.is_merge,
        "non_utf8": commit.non_utf8,
        "files_changed": len(commit.changes),
        "added_lines": sum(c.added_lines for c in commit.changes),
        "deleted_lines": sum(c.deleted_lines for c in commit.changes),
        "miner_version": MINER_VERSION,
        "run_id": run_id,
    }


def _change_row(change: FileChangeFact, commit_id: str, position: int, redact_text: _Redactor) -> dict[str, Any]:
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
        "diff": redact_text(change.diff, f"file_changes:{change_id}:diff"),
        "truncated": change.truncated,
        "non_utf8": change.non_utf8,
    }


def _symbol_rows(
    change: FileChangeFact, change_row: dict[str, Any], commit: CommitFact, blobs: BlobReader, redact_text: _Redactor
) -> list[dict[str, Any]]:
    language = change_row["lang"]
    if language is None or change.is_binary or change.is_submodule:
        return []
    before = blobs.read(change.old_blob, MAX_SYMBOL_SOURCE_BYTES) if change.old_blob else None
    after = blobs.read(change.new_blob, MAX_SYMBOL_SOURCE_BYTES) if change.new_blob else None
    rows = []
    for symbol in changed_symbols(language, before, after, change.old_touched, change.new_touched):
        symbol_id = stable_id(change_row["id"], symbol.qualified_name, SYMBOLS_VERSION)
        location = f"symbols:{symbol_id}"
        latest = symbol.after or symbol.before
        rows.append(
            {
                "id": symbol_id,
                "commit_id": change_row["commit_id"],
                "file_change_id": change_row["id"],
                "path": change.path,
                "lang": language,
                "qualified_name": symbol.qualified_name,
                "kind": symbol.kind,
                "change": symbol.change,
                "start_line": latest.start_line if latest else None,
                "end_line": latest.end_line if latest else None,
                "before_code": redact_text(symbol.before.code, f"{location}:before") if symbol.before else None,
                "after_code": redact_text(symbol.after.code, f"{location}:after") if symbol.after else None,
                "doc": redact_text(latest.doc, f"{location}:doc") if latest else "",
            }
        )
    return rows


def land_ticket_export(warehouse: Warehouse, path: str | Path, run_id: str, options: LandingOptions) -> MineSummary:
    """Read one ticket export into ``tickets`` (redacted); bad records are counted in the notes."""
    batch = read_ticket_export(path)
    location = str(batch.path.resolve())
    source_id = stable_id("tickets", location)
    summary = MineSummary(source_id, batch.path.name, "tickets")
    _register_source(warehouse, source_id, "tickets", location, batch.path.name, run_id, {"format": batch.format})
    if batch.problems:
        summary.notes.append(f"{batch.path}: {len(batch.problems)} record(s) skipped; first: {batch.problems[0]}")
    redactor = _Redactor(options.key, run_id)
    rows = [_ticket_row(t, source_id, run_id, redactor) for t in batch.tickets]
    summary.add("tickets", warehouse.insert("tickets", rows))
    summary.add("secret_findings", redactor.flush(warehouse))
    _set_watermark(warehouse, source_id, location, content_hash(batch.path.read_bytes()), run_id)
    return summary


def _ticket_row(ticket: TicketFact, source_id: str, run_id: str, redact_text: _Redactor) -> dict[str, Any]:
    ticket_id = stable_id(source_id, ticket.key)
    where = f"tickets:{ticket_id}"
    comments = [
        {
            "author": c.author,
            "created_at": c.created_at.isoformat() if c.created_at else None,
            "body": redact_text(c.body, f"{where}:comment{n}"),
            "is_bot": c.is_bot,
        }
        for n, c in enumerate(ticket.comments)
    ]
    return {
        "id": ticket_id,
        "source_id": source_id,
        "tracker": ticket.source,
        "key": ticket.key,
        "title": redact_text(ticket.title, f"{where}:title"),
        "body": redact_text(ticket.body, f"{where}:body"),
        "type": ticket.type,
        "labels": list(ticket.labels),
        "state": ticket.state,
        "resolution": ticket.resolution,
        "created_at": ticket.created_at,
        "closed_at": ticket.closed_at,
        "url": ticket.url,
        "comments": json.dumps(comments, ensure_ascii=False),
        "run_id": run_id,
    }


def link_tickets(warehouse: Warehouse) -> int:
    """Link every stored commit to the stored tickets its message refers to; return new links."""
    tickets = warehouse.query("SELECT id, key FROM tickets").rows
    if not tickets:
        return 0
    ids_by_key: dict[str, list[str]] = {}
    for ticket_id, key in tickets:
        ids_by_key.setdefault(key, []).append(ticket_id)
    matcher = KeyMatcher(ids_by_key)
    commits = warehouse.query("SELECT id, subject || chr(10) || body FROM commits").rows
    rows = [
        {"ticket_id": ticket_id, "commit_id": commit_id, "method": link.method, "confidence": link.confidence}
        for commit_id, message in commits
        for link in link_commit(matcher, commit_id, message)
        for ticket_id in ids_by_key[link.ticket_key]
    ]
    return sum(warehouse.insert("ticket_links", chunk) for chunk in in_chunks(rows))
