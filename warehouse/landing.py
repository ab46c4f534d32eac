"""Mined facts landed in the warehouse: redacted, pseudonymised, with deterministic ids.

Mining is incremental: a watermark per repository and ref remembers the last mined head. The next
run lists only ``watermark..HEAD``; when history was rewritten (the watermark is no longer an
ancestor of the head) it lists everything again. Either way commits already stored are left out
before any is read, and insert-or-ignore keeps the rest idempotent. The watermark moves only after
a whole pass lands, so a crashed run simply resumes its pass.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from miners.git_history import RepositoryInfo, is_ancestor, list_commits, open_repository, shallow_boundary
from miners.ticket_links import KeyMatcher, link_commit
from miners.tickets import TicketFact, read_ticket_export
from warehouse.commit_rows import ROW_TABLES, LandingOptions, Redactor, RowBatch
from warehouse.ids import content_hash, stable_id
from warehouse.mining_pool import mine_rows
from warehouse.store import Warehouse, in_chunks

__all__ = ["LandingOptions", "MineSummary", "land_repository", "land_ticket_export", "link_tickets"]

_CHUNK = 500
Progress = Callable[[int], None]


@dataclass(slots=True)
class MineSummary:
    """What one source gave in one run: rows added per table, what was skipped, and notes."""

    source_id: str
    name: str
    kind: str
    added: dict[str, int] = field(default_factory=dict)
    skipped: Counter[str] = field(default_factory=Counter)
    notes: list[str] = field(default_factory=list)

    def add(self, table: str, count: int) -> None:
        self.added[table] = self.added.get(table, 0) + count


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
        summary.notes.append(
            f"{info.path} is a shallow clone: mining the {info.name} history it has; its oldest "
            f"{len(shallow_boundary(info))} commit(s) have no parent here, so no file changes"
        )
    since = _resume_point(warehouse, source_id, info, summary)
    if since == info.head_sha:
        return summary
    shas = _unstored(warehouse, source_id, list_commits(info, since=since))
    for batch in mine_rows(info, shas, source_id, run_id, options, _CHUNK):
        _land_batch(warehouse, batch, summary)
        if progress is not None:
            progress(batch.commits)
    _set_watermark(warehouse, source_id, info.head_ref, info.head_sha, run_id)
    if summary.skipped:
        summary.notes.append(_skipped_note(info.name, summary.skipped))
    return summary


def _unstored(warehouse: Warehouse, source_id: str, shas: list[str]) -> list[str]:
    """The shas not stored yet: a resumed or rewritten pass mines only what is missing."""
    stored = {row[0] for row in warehouse.query("SELECT sha FROM commits WHERE source_id = ?", [source_id]).rows}
    return [sha for sha in shas if sha not in stored] if stored else shas


def _land_batch(warehouse: Warehouse, batch: RowBatch, summary: MineSummary) -> None:
    for table in ROW_TABLES:
        summary.add(table, warehouse.insert(table, batch.rows[table]))
    summary.skipped.update(batch.skipped)


def _skipped_note(name: str, skipped: Counter[str]) -> str:
    parts = ", ".join(f"{reason.removeprefix('symbols: ')} {count}" for reason, count in skipped.most_common(8))
    return f"{name}: changed files without symbols, by reason: {parts}"


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


def land_ticket_export(warehouse: Warehouse, path: str | Path, run_id: str, options: LandingOptions) -> MineSummary:
    """Read one ticket export into ``tickets`` (redacted); bad records are counted in the notes."""
    batch = read_ticket_export(path)
    location = str(batch.path.resolve())
    source_id = stable_id("tickets", location)
    summary = MineSummary(source_id, batch.path.name, "tickets")
    _register_source(warehouse, source_id, "tickets", location, batch.path.name, run_id, {"format": batch.format})
    if batch.problems:
        summary.notes.append(f"{batch.path}: {len(batch.problems)} record(s) skipped; first: {batch.problems[0]}")
    redactor = Redactor(options.key, run_id)
    rows = [_ticket_row(t, source_id, run_id, redactor) for t in batch.tickets]
    summary.add("tickets", warehouse.insert("tickets", rows))
    summary.add("secret_findings", warehouse.insert("secret_findings", redactor.take()))
    _set_watermark(warehouse, source_id, location, content_hash(batch.path.read_bytes()), run_id)
    return summary


def _ticket_row(ticket: TicketFact, source_id: str, run_id: str, redact_text: Redactor) -> dict[str, Any]:
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
