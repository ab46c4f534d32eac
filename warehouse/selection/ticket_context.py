"""What a drafter needs about a ticket task: the problem as reported, the thread, the resolution."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from miners.ticket_threads import Resolution, ThreadComment, read_resolution, resolution_comment
from warehouse.selection.tickets import reporters_of, thread_of
from warehouse.store import Warehouse

_ENVIRONMENT_LINE = re.compile(
    r"^\s*(?:environment|env|versions?|os|platform|python|stockroom|postgres(?:ql)?|browser)\b.{0,"
    r"12}[:=].+$"
    r"|^\s*(?:python|node|go|java|postgres(?:ql)?|mysql|ubuntu|debian|windows|macos)\s*v?\d[\w.]*."
    r"*$",
    re.IGNORECASE | re.MULTILINE,
)
_CONTEXT_FIELDS = (
    "product",
    "project",
    "component",
    "components",
    "product_area",
    "version",
    "versions",
    "affects_versions",
    "app_version",
    "environment",
    "priority",
)


@dataclass(frozen=True, slots=True)
class LinkedCommit:
    """A commit that fixed the ticket (when a repository is mined too)."""

    sha: str
    subject: str


@dataclass(frozen=True, slots=True)
class TicketContext:
    """The facts of one ticket task."""

    task_id: str
    family: str
    polarity: str
    source_name: str
    tracker: str
    ticket_id: str
    key: str
    title: str
    body: str
    type: str
    labels: tuple[str, ...]
    url: str
    reporter: str
    fields: dict[str, Any]
    thread: tuple[ThreadComment, ...]
    answer: ThreadComment
    resolution: Resolution
    follow_ups: tuple[str, ...]  # what the reporter added before the answer
    environment: tuple[str, ...]
    linked_commits: tuple[LinkedCommit, ...]
    other_tickets: dict[str, dict[str, str]]  # key -> id, title, status, created, snippet

    @property
    def context_fields(self) -> dict[str, str]:
        """The tracker fields that say where the problem lives: product, component, version …"""
        return {
            name: _as_text(self.fields[name]) for name in _CONTEXT_FIELDS if self.fields.get(name)
        }

    @property
    def thread_text(self) -> str:
        """Everything the thread says, for tracing a record's sentences back to it."""
        return "\n\n".join([self.title, self.body, *(comment.text for comment in self.thread)])


def load_ticket_context(warehouse: Warehouse, task_id: str) -> TicketContext:
    """The context of one selected ``resolution`` task."""
    row = warehouse.query(
        "SELECT t.id, t.family, t.polarity, t.facts, s.name, k.tracker, k.id, k.key, k.title, "
        "k.body, "
        "coalesce(k.type, ''), coalesce(k.labels, []), coalesce(k.url, ''), k.comments, "
        "coalesce(k.fields, '{}'), "
        "k.source_id FROM tasks t JOIN tickets k ON k.id = t.ticket_id JOIN sources s ON s.id = "
        "k.source_id "
        "WHERE t.id = ?",
        [task_id],
    ).rows[0]
    facts = json.loads(row[3])
    fields = json.loads(row[14]) if isinstance(row[14], str) else dict(row[14])
    thread = thread_of(row[13])
    reporters = reporters_of(fields)
    # The answer is found again in the thread as stored now (a newer export may have added to it).
    answer = resolution_comment(thread, reporters) or ThreadComment("", "")
    answer_index = thread.index(answer) if answer.text else len(thread)
    reporter = str(fields.get("reporter") or next(iter(reporters), ""))
    return TicketContext(
        task_id=row[0],
        family=row[1],
        polarity=row[2],
        source_name=row[4],
        tracker=row[5],
        ticket_id=row[6],
        key=row[7],
        title=row[8],
        body=row[9],
        type=row[10],
        labels=tuple(row[11]),
        url=row[12],
        reporter=reporter,
        fields=fields,
        thread=tuple(thread),
        answer=answer,
        resolution=read_resolution(answer),
        follow_ups=tuple(c.text for c in thread[:answer_index] if c.author in reporters and c.text),
        environment=_environment(row[9], fields),
        linked_commits=_linked(warehouse, facts.get("linked_commit_ids", [])),
        other_tickets=_other_tickets(warehouse, row[15], row[6]),
    )


def _as_text(value: Any) -> str:
    return ", ".join(map(str, value)) if isinstance(value, list) else str(value)


def _environment(body: str, fields: dict[str, Any]) -> tuple[str, ...]:
    lines = [_as_text(fields["environment"])] if fields.get("environment") else []
    lines += [m.group(0).strip() for m in _ENVIRONMENT_LINE.finditer(body)]
    cleaned = (
        re.sub(r"^(?:environment|env)\s*[:=]\s*", "", line, flags=re.IGNORECASE).rstrip(". ")
        for line in lines
    )
    return tuple(dict.fromkeys(line for line in cleaned if line))


def _linked(warehouse: Warehouse, commit_ids: list[str]) -> tuple[LinkedCommit, ...]:
    if not commit_ids:
        return ()
    rows = warehouse.query(
        "SELECT sha, subject FROM commits WHERE id IN (SELECT unnest(?::VARCHAR[])) ORDER BY "
        "committed_at, sha",
        [commit_ids],
    ).rows
    return tuple(LinkedCommit(sha, subject) for sha, subject in rows)


def _other_tickets(
    warehouse: Warehouse, source_id: str, ticket_id: str
) -> dict[str, dict[str, str]]:
    """The export's other tickets, as a ticket search shows them (what ``search_tickets``
    returns)."""
    rows = warehouse.query(
        "SELECT key, title, coalesce(state, ''), created_at, body FROM tickets WHERE source_id = "
        "? AND id <> ?",
        [source_id, ticket_id],
    ).rows
    return {
        key: {
            "id": key,
            "title": title,
            "status": state,
            "created": created.date().isoformat() if created else "",
            "snippet": " ".join(body.split())[:160],
        }
        for key, title, state, created, body in rows
    }
