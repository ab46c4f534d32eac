"""Ticket exports landed in ``tickets`` (redacted), and ``ticket_links`` to the commits.

A ticket's id is a hash of its export and key, so the same export read again adds nothing; when
a newer export of the same file changes a ticket (a new comment, a new state), the stored row is
replaced — its ``content_hash`` tells them apart — and its links stay valid.
"""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

from miners.ticket_links import KeyMatcher, link_commit, ticket_project
from miners.tickets import TicketFact, TicketMapping, missing_comments_note, read_ticket_export
from warehouse.ids import content_hash, stable_id
from warehouse.landing.commit_rows import LandingOptions, Redactor
from warehouse.landing.sources import MineSummary, register_source, set_watermark, watermark
from warehouse.redaction import keyed_hash
from warehouse.store import Warehouse, in_chunks


def land_ticket_export(
    warehouse: Warehouse,
    path: str | Path,
    run_id: str,
    options: LandingOptions,
    mapping: TicketMapping | None = None,
) -> MineSummary:
    """Read one ticket export into ``tickets``; bad records are counted in the notes.
    ``mapping`` says how to read an export of a shape goldmine does not know."""
    file = Path(path)
    location = str(file.resolve())
    digest = _export_digest(file, mapping)
    batch = read_ticket_export(file, mapping)
    # A tracker's tickets are one source whatever the export file is called (nightly exports are
    # dated).
    source_id = stable_id("tickets", tracker_identity(batch.tickets) or location)
    summary = MineSummary(source_id, file.name, "tickets")
    if digest and watermark(warehouse, source_id, location) == digest:
        return summary  # the same export, read the same way, as last time
    register_source(
        warehouse, source_id, "tickets", location, file.name, run_id, {"format": batch.format}
    )
    if batch.problems:
        summary.notes.append(
            f"{file}: {len(batch.problems)} record(s) skipped; first: {batch.problems[0]}"
        )
    comments_note = missing_comments_note(batch)
    if comments_note:
        summary.notes.append(comments_note)
    redactor = Redactor(options.key, run_id)
    people = People(options.key, options.keep_author_names)
    rows = [_ticket_row(t, source_id, run_id, redactor, people) for t in batch.tickets]
    changed = _drop_changed(warehouse, rows)
    if changed:
        summary.notes.append(
            f"{file}: {changed} ticket(s) changed since the last export; stored anew"
        )
    summary.add("tickets", warehouse.insert("tickets", rows))
    summary.add("secret_findings", warehouse.insert("secret_findings", redactor.take()))
    set_watermark(warehouse, source_id, location, digest, run_id)
    return summary


def _export_digest(file: Path, mapping: TicketMapping | None) -> str:
    """What decides the rows an export gives: its bytes, and the mapping it is read with."""
    if not file.is_file():
        return ""
    how = json.dumps(asdict(mapping), sort_keys=True).encode() if mapping is not None else b""
    return content_hash(file.read_bytes() + b"\0" + how)


def _drop_changed(warehouse: Warehouse, rows: list[dict[str, Any]]) -> int:
    """Delete the stored tickets whose content differs from ``rows`` (they are inserted anew)."""
    if not rows:
        return 0
    wanted = {row["id"]: row["content_hash"] for row in rows}
    stored = warehouse.query(
        "SELECT id, content_hash FROM tickets WHERE id IN (SELECT unnest(?::VARCHAR[]))",
        [list(wanted)],
    ).rows
    changed = [ticket_id for ticket_id, digest in stored if digest != wanted[ticket_id]]
    if changed:
        warehouse.execute(
            "DELETE FROM tickets WHERE id IN (SELECT unnest(?::VARCHAR[]))", [changed]
        )
        # A ticket skipped before (still open, no answer yet) is considered again with its new
        # thread.
        warehouse.execute(
            "DELETE FROM tasks WHERE commit_id IS NULL AND status = 'skipped' "
            "AND ticket_id IN (SELECT unnest(?::VARCHAR[]))",
            [changed],
        )
    return len(changed)


def tracker_identity(tickets: list[TicketFact]) -> str:
    """``tracker:project`` shared by every ticket of an export (owner/repo, Jira project, …), or
    ''."""
    projects = {(ticket.source, _project(ticket)) for ticket in tickets}
    if len(projects) != 1:
        return ""
    tracker, project = projects.pop()
    return f"{tracker}:{project}" if project else ""


def _project(ticket: TicketFact) -> str:
    path = urlparse(ticket.url).path.strip("/")
    if "/-/" in path:  # GitLab: group/subgroup/project/-/issues/12
        return path.split("/-/", 1)[0]
    parts = path.split("/")
    if len(parts) >= 3 and parts[2] in ("issues", "pull", "pulls"):  # GitHub: owner/repo/issues/12
        return "/".join(parts[:2])
    return ticket.key.rsplit("-", 1)[0] if "-" in ticket.key else ""


class People:
    """Names of people in ticket exports: kept as written, or a keyed pseudonym.

    An author that is an e-mail address is always pseudonymised; with ``[mine] author_names =
    false`` every name is. The same person gets the same pseudonym everywhere, so who answered
    whom stays readable.
    """

    def __init__(self, key: bytes, keep_names: bool) -> None:
        self.key = key
        self.keep_names = keep_names

    def __call__(self, name: str) -> str:
        if not name or (self.keep_names and "@" not in name):
            return name
        return f"person-{keyed_hash(self.key, name.strip().lower())[:10]}"


def _ticket_row(
    ticket: TicketFact, source_id: str, run_id: str, redact_text: Redactor, person: People
) -> dict[str, Any]:
    ticket_id = stable_id(source_id, ticket.key)
    where = f"tickets:{ticket_id}"
    comments = [
        {
            "author": person(c.author),
            "created_at": c.created_at.isoformat() if c.created_at else None,
            "body": redact_text(c.body, f"{where}:comment{n}"),
            "is_bot": c.is_bot,
        }
        for n, c in enumerate(ticket.comments)
    ]
    row = {
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
        "fields": json.dumps(
            _redacted(_fields(ticket, person), redact_text, f"{where}:fields"), ensure_ascii=False
        ),
    }
    row["content_hash"] = content_hash(json.dumps(row, default=str, sort_keys=True))
    return {**row, "run_id": run_id}


_PEOPLE_FIELDS = (
    "reporter",
    "reporter_id",
    "assignee",
    "assignee_id",
    "author",
    "creator",
    "requester",
)


def _fields(ticket: TicketFact, person: People) -> dict[str, Any]:
    """The tracker's extra fields, with the reporter always named (the resolver is someone else)."""
    fields = {"reporter": ticket.author, **ticket.fields} if ticket.author else dict(ticket.fields)
    return {
        name: person(str(value)) if name in _PEOPLE_FIELDS and value else value
        for name, value in fields.items()
    }


def _redacted(value: Any, redact_text: Redactor, where: str) -> Any:
    if isinstance(value, str):
        return redact_text(value, where)
    if isinstance(value, list):
        return [_redacted(item, redact_text, where) for item in value]
    if isinstance(value, dict):
        return {key: _redacted(item, redact_text, f"{where}.{key}") for key, item in value.items()}
    return value


def link_tickets(warehouse: Warehouse, notes: list[str] | None = None) -> int:
    """Link every stored commit to the stored tickets its message refers to; return new links.

    A ticket whose URL names a project some mined repository has as a remote links only to that
    repository's commits (``#12`` of one repository is not ``#12`` of another); links the rules no
    longer find are dropped. ``notes`` gets one line per export whose numbered tickets could not be
    tied to one of several repositories.
    """
    tickets = warehouse.query("SELECT id, key, url, source_id FROM tickets").rows
    if not tickets:
        return 0
    ids_by_key: dict[str, list[str]] = {}
    for ticket_id, key, _, _ in tickets:
        ids_by_key.setdefault(key, []).append(ticket_id)
    notes = notes if notes is not None else []
    scopes = _ticket_scopes(warehouse, tickets, notes)
    matcher = KeyMatcher(ids_by_key)
    commits = warehouse.query(
        "SELECT id, source_id, subject || chr(10) || chr(10) || body FROM commits"
    ).rows
    rows = [
        {
            "ticket_id": ticket_id,
            "commit_id": commit_id,
            "method": link.method,
            "confidence": link.confidence,
        }
        for commit_id, source_id, message in commits
        for link in link_commit(matcher, commit_id, message)
        for ticket_id in ids_by_key[link.ticket_key]
        if ticket_id not in scopes or source_id in scopes[ticket_id]
    ]
    known = {
        tuple(row) for row in warehouse.query("SELECT ticket_id, commit_id FROM ticket_links").rows
    }
    found = {(row["ticket_id"], row["commit_id"]) for row in rows}
    changed = sorted({commit_id for _, commit_id in found ^ known})
    with warehouse.transaction():  # links and the tasks chosen without them change together
        _drop_links(warehouse, known - found, notes)
        added = sum(warehouse.insert("ticket_links", chunk) for chunk in in_chunks(rows))
        _reopen_tasks(warehouse, changed)
    return added


def _ticket_scopes(
    warehouse: Warehouse, tickets: list[tuple[Any, ...]], notes: list[str]
) -> dict[str, set[str]]:
    """The repositories each ticket may link to; a ticket without an entry may link to any.

    A ticket whose URL names a project goes with the repositories that have it as a remote. One
    naming another project (its export holds tickets of several projects) goes with the
    repositories whose remotes name no project goldmine recognises, if any. An export none of whose
    tickets matches a remote (clones of an internal mirror, say) is left unscoped and, with several
    repositories, noted.
    """
    repositories = warehouse.query("SELECT id, detail FROM sources WHERE kind = 'repository'").rows
    by_project: dict[str, set[str]] = {}
    unnamed: set[str] = set()
    for source_id, detail in repositories:
        projects = json.loads(detail or "{}").get("projects", [])
        for project in projects:
            by_project.setdefault(project, set()).add(source_id)
        if not projects:
            unnamed.add(source_id)
    projects_of = {ticket_id: ticket_project(url or "") for ticket_id, _, url, _ in tickets}
    matched_exports = {
        export_id for ticket_id, _, _, export_id in tickets if projects_of[ticket_id] in by_project
    }
    scopes: dict[str, set[str]] = {}
    unscoped: dict[str, int] = {}
    for ticket_id, key, _, export_id in tickets:
        project = projects_of[ticket_id]
        if project in by_project:
            scopes[ticket_id] = by_project[project]
        elif project is not None and export_id in matched_exports:
            scopes[ticket_id] = unnamed
        elif key.startswith(("#", "!")):
            unscoped[export_id] = unscoped.get(export_id, 0) + 1
    if len(repositories) > 1:
        notes += [
            _unscoped_note(warehouse, export_id, count, len(repositories))
            for export_id, count in unscoped.items()
        ]
    return scopes


def _unscoped_note(warehouse: Warehouse, export_id: str, count: int, repositories: int) -> str:
    name = warehouse.scalar("SELECT name FROM sources WHERE id = ?", [export_id])
    return (
        f"{name}: {count} numbered ticket(s) have no URL naming a project that one of the "
        f"{repositories} "
        "repositories has as a remote, so a #N in any of them links to them; export the tickets "
        "with their "
        "URLs and give each repository its tracker's remote (git remote add origin URL)"
    )


def _drop_links(warehouse: Warehouse, stale: set[tuple[Any, ...]], notes: list[str]) -> None:
    if stale:
        notes.append(
            f"ticket links: {len(stale)} dropped: the rules no longer find them "
            "(a ticket of another repository's tracker)"
        )
        warehouse.execute(
            "DELETE FROM ticket_links WHERE ticket_id || '/' || commit_id IN (SELECT "
            "unnest(?::VARCHAR[]))",
            [[f"{ticket_id}/{commit_id}" for ticket_id, commit_id in stale]],
        )


def _reopen_tasks(warehouse: Warehouse, commit_ids: list[str]) -> None:
    """Commits that just gained or lost a ticket are selected again: their tasks were chosen without
    it.

    Only tasks that made no candidate yet are dropped (with their recorded drafting skips); a
    drafted record stays as it is.
    """
    if not commit_ids:
        return
    undrafted = (
        "SELECT t.id FROM tasks t WHERE t.commit_id IN (SELECT unnest(?::VARCHAR[])) "
        "AND NOT EXISTS (SELECT 1 FROM candidates c WHERE c.task_id = t.id)"
    )
    warehouse.execute(f"DELETE FROM draft_skips WHERE task_id IN ({undrafted})", [commit_ids])
    warehouse.execute(f"DELETE FROM tasks WHERE id IN ({undrafted})", [commit_ids])
