"""Resolved tickets become tasks of their own (the ``resolution`` family), with or without a
repository.

A ticket teaches when it was closed with an answer: the problem as the reporter wrote it, and the
resolution as the thread reached it. Unresolved, duplicate, won't-fix, invalid and spam tickets,
pull requests, and threads with no substantive answer are skipped with the reason.
"""

from __future__ import annotations

import json
from collections import defaultdict
from typing import Any

from miners.ticket_threads import (
    ThreadComment,
    clean_comment,
    promises_a_code_change,
    resolution_comment,
)
from warehouse.ids import stable_id
from warehouse.outcomes import Skip, SkipCategory, TaskStatus, count_by_category
from warehouse.selection.commits import SelectionSummary
from warehouse.store import Warehouse

TICKET_SELECTOR_VERSION = "tickets-1"
FAMILY = "resolution"
_NOT_RESOLVED = (
    "duplicate",
    "not planned",
    "wontfix",
    "won't fix",
    "wont fix",
    "won't do",
    "wont do",
    "invalid",
    "cannot reproduce",
    "can't reproduce",
    "incomplete",
    "spam",
    "obsolete",
    "rejected",
    "declined",
    "unresolved",
)


def select_ticket_tasks(warehouse: Warehouse, run_id: str) -> SelectionSummary:
    """Make a task (selected or skipped) for every ticket that has none yet."""
    pending = warehouse.query(
        "SELECT t.id, t.source_id, t.key, coalesce(t.type, ''), coalesce(t.labels, []), "
        "coalesce(t.state, ''), "
        "coalesce(t.resolution, ''), t.comments, coalesce(t.fields, '{}') FROM tickets t "
        "WHERE t.id NOT IN (SELECT ticket_id FROM tasks WHERE commit_id IS NULL AND ticket_id IS "
        "NOT NULL "
        "AND selector_version = ?) ORDER BY t.created_at, t.id",
        [TICKET_SELECTOR_VERSION],
    ).rows
    links = _linked_commits(warehouse)
    rows = [_task_row(row, links.get(row[0], []), run_id) for row in pending]
    warehouse.insert("tasks", rows)
    skips = [
        Skip(SkipCategory(row["skip_category"]), row["reason"])
        for row in rows
        if row["status"] == TaskStatus.SKIPPED
    ]
    selected = sum(row["status"] == TaskStatus.SELECTED for row in rows)
    families = {FAMILY: selected} if selected else {}
    return SelectionSummary(selected, count_by_category(skips), families)


def _linked_commits(warehouse: Warehouse) -> dict[str, list[str]]:
    linked: dict[str, list[str]] = defaultdict(list)
    for ticket_id, commit_id in warehouse.query(
        "SELECT l.ticket_id, l.commit_id FROM ticket_links l JOIN commits c ON c.id = l.commit_id "
        "ORDER BY c.committed_at, c.sha, l.ticket_id"
    ).rows:
        linked[ticket_id].append(commit_id)
    return linked


def thread_of(comments_json: str | None) -> list[ThreadComment]:
    """The human comments of a ticket, cleaned of quotes and signatures, in order."""
    comments: list[dict[str, Any]] = json.loads(comments_json or "[]")
    return [
        ThreadComment(
            str(c.get("author") or ""), clean_comment(str(c.get("body") or "")), c.get("created_at")
        )
        for c in comments
        if not c.get("is_bot")
    ]


def reporters_of(fields: dict[str, Any]) -> set[str]:
    """Every name the export gives the person who opened the ticket (a display name, an account
    id)."""
    return {str(fields[name]) for name in ("reporter", "reporter_id", "author") if fields.get(name)}


def _task_row(row: tuple[Any, ...], commit_ids: list[str], run_id: str) -> dict[str, Any]:
    ticket_id, source_id, key, kind, labels, state, resolution, comments_json, fields_json = row
    fields = json.loads(fields_json) if isinstance(fields_json, str) else dict(fields_json or {})
    thread = thread_of(comments_json)
    answer = resolution_comment(thread, reporters_of(fields))
    reason = _skip_reason(kind, labels, state, resolution, fields, answer is not None)
    if (
        reason is None
        and answer is not None
        and (commit_ids or promises_a_code_change(answer.text))
    ):
        reason = Skip(
            SkipCategory.RESOLVED_BY_CODE,
            "resolved by a code change: its commit teaches the fix (mine the repository "
            "with --repo)",
        )
    facts = {
        "ticket_id": ticket_id,
        "linked_commit_ids": commit_ids,
        "resolution_comment": thread.index(answer) if answer is not None else None,
    }
    return {
        "id": stable_id(ticket_id, FAMILY, TICKET_SELECTOR_VERSION),
        "source_id": source_id,
        "commit_id": None,
        "ticket_id": ticket_id,
        "family": FAMILY,
        "polarity": "positive",
        "status": TaskStatus.SKIPPED if reason else TaskStatus.SELECTED,
        "reason": reason.detail if reason else _why_chosen(key, answer, commit_ids),
        "skip_category": reason.category if reason else None,
        "facts": json.dumps(facts),
        "selector_version": TICKET_SELECTOR_VERSION,
        "run_id": run_id,
    }


def _skip_reason(
    kind: str,
    labels: list[str],
    state: str,
    resolution: str,
    fields: dict[str, Any],
    answered: bool,
) -> Skip | None:
    status = str(fields.get("status") or "")
    verdicts = [v.lower().replace("_", " ") for v in (resolution, status, *labels) if v]
    kind = kind.lower()
    closed_as = next((v for v in verdicts if v in _NOT_RESOLVED), "")
    feature = any(
        v in ("enhancement", "feature", "feature request", "story", "new feature")
        for v in (kind, *verdicts)
    )
    checks = (
        (
            state.lower() != "closed",
            SkipCategory.UNRESOLVED,
            f"unresolved: the ticket is {state or 'not closed'}",
        ),
        (
            bool(closed_as),
            SkipCategory.CLOSED_UNRESOLVED,
            f"closed as {closed_as}: no resolution to teach",
        ),
        (
            kind in ("pull_request", "merge_request"),
            SkipCategory.PULL_REQUEST,
            f"{kind.replace('_', ' ')}: its commits teach the change",
        ),
        (
            feature,
            SkipCategory.FEATURE_REQUEST,
            "feature request: its implementation teaches it (mine the repository with --repo)",
        ),
        (
            not answered,
            SkipCategory.NO_RESOLUTION,
            "no resolution in the thread: nobody but the reporter answered with substance",
        ),
    )
    return next((Skip(category, detail) for failed, category, detail in checks if failed), None)


def _why_chosen(key: str, answer: ThreadComment | None, commit_ids: list[str]) -> str:
    parts = [f"{key} resolved in the thread by {answer.author if answer else 'a resolver'}"]
    if commit_ids:
        parts.append(f"fixed by {len(commit_ids)} linked commit(s)")
    return ", ".join(parts)
