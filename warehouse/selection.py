"""Choosing teachable moments: commits become ``tasks`` (selected, or skipped with a reason)."""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from miners.commit_kinds import ChangeShape, classify, is_test_path, whitespace_only
from warehouse.ids import stable_id
from warehouse.store import Warehouse, in_chunks

SELECTOR_VERSION = "select-1"
MAX_UNITS = 6
MAX_CHANGED_LINES = 600
_UNIT_KINDS = ("function", "method", "class")


@dataclass(frozen=True, slots=True)
class SelectionSummary:
    """How many commits became tasks, and why the others were skipped."""

    selected: int
    skipped: dict[str, int]


def select_tasks(warehouse: Warehouse, run_id: str) -> SelectionSummary:
    """Make a task for every commit that has none yet; skipped commits keep their reason."""
    commits = warehouse.query(
        "SELECT c.id, c.source_id, c.subject, c.body, c.author, len(c.parents), "
        "c.added_lines, c.deleted_lines FROM commits c "
        "WHERE c.id NOT IN (SELECT commit_id FROM tasks WHERE selector_version = ? AND commit_id IS NOT NULL) "
        "ORDER BY c.committed_at",
        [SELECTOR_VERSION],
    ).rows
    selected, skipped = 0, defaultdict[str, int](int)
    for chunk in in_chunks(commits, 500):
        rows = _task_rows(warehouse, chunk, run_id)
        warehouse.insert("tasks", rows)
        for row in rows:
            if row["status"] == "selected":
                selected += 1
            else:
                skipped[row["reason"].split(":", 1)[0]] += 1
    return SelectionSummary(selected, dict(skipped))


def _task_rows(warehouse: Warehouse, commits: list[tuple[Any, ...]], run_id: str) -> list[dict[str, Any]]:
    ids = [c[0] for c in commits]
    changes = _grouped(warehouse, "SELECT commit_id, path, diff FROM file_changes WHERE commit_id IN "
                       "(SELECT unnest(?::VARCHAR[])) ORDER BY position", ids)  # fmt: skip
    symbols = _grouped(warehouse, "SELECT commit_id, id, path, kind, change FROM symbols WHERE commit_id IN "
                       "(SELECT unnest(?::VARCHAR[])) ORDER BY path, start_line", ids)  # fmt: skip
    links = _grouped(
        warehouse,
        "SELECT l.commit_id, l.ticket_id, l.method, coalesce(t.labels, []) || [coalesce(t.type, '')] "
        "FROM ticket_links l JOIN tickets t ON t.id = l.ticket_id "
        "WHERE l.commit_id IN (SELECT unnest(?::VARCHAR[])) ORDER BY l.confidence DESC, t.key",
        ids,
    )
    return [
        _task_row(commit, changes.get(commit[0], []), symbols.get(commit[0], []), links.get(commit[0], []), run_id)
        for commit in commits
    ]


def _grouped(warehouse: Warehouse, sql: str, ids: list[str]) -> dict[str, list[tuple[Any, ...]]]:
    grouped: dict[str, list[tuple[Any, ...]]] = defaultdict(list)
    for row in warehouse.query(sql, [ids]).rows:
        grouped[row[0]].append(row[1:])
    return grouped


def _task_row(
    commit: tuple[Any, ...],
    changes: list[tuple[Any, ...]],
    symbols: list[tuple[Any, ...]],
    links: list[tuple[Any, ...]],
    run_id: str,
) -> dict[str, Any]:
    commit_id, source_id, subject, body, author, parents, added, deleted = commit
    shape = ChangeShape(
        subject=subject,
        body=body,
        author=author or "",
        parents=parents,
        paths=[path for path, _ in changes],
        added_lines=added,
        deleted_lines=deleted,
        whitespace_only=bool(changes) and all(whitespace_only(diff) for _, diff in changes),
        ticket_labels=[label for link in links for label in link[2]],
    )
    kind = classify(shape)
    units = [s for s in symbols if s[2] in _UNIT_KINDS and s[3] != "deleted" and not is_test_path(s[1])]
    tests = [s for s in symbols if is_test_path(s[1]) and s[3] != "deleted"]
    reason = kind.skip_reason or _unit_problem(units, added + deleted)
    if not reason and parents == 0:
        reason = "initial commit: there is no earlier code to change"
    facts = {
        "commit_id": commit_id,
        "symbol_ids": [s[0] for s in units],
        "test_symbol_ids": [s[0] for s in tests],
        "ticket_ids": [link[0] for link in links],
        "link_methods": [link[1] for link in links],
    }
    return {
        "id": stable_id(commit_id, SELECTOR_VERSION),
        "source_id": source_id,
        "commit_id": commit_id,
        "ticket_id": links[0][0] if links else None,
        "family": kind.family,
        "polarity": "positive",
        "status": "skipped" if reason else "selected",
        "reason": reason or _why_chosen(kind.family, units, tests, links),
        "facts": json.dumps(facts),
        "selector_version": SELECTOR_VERSION,
        "run_id": run_id,
    }


def _unit_problem(units: list[tuple[Any, ...]], changed_lines: int) -> str:
    if not units:
        return "no function or class changed in a language goldmine parses"
    if len(units) > MAX_UNITS:
        return f"sprawling change: {len(units)} functions or classes changed (at most {MAX_UNITS} per task)"
    if changed_lines > MAX_CHANGED_LINES:
        return f"sprawling change: {changed_lines} lines changed (at most {MAX_CHANGED_LINES} per task)"
    return ""


def _why_chosen(
    family: str, units: list[tuple[Any, ...]], tests: list[tuple[Any, ...]], links: list[tuple[Any, ...]]
) -> str:
    parts = [f"{family} touching {len(units)} unit(s) in {len({u[1] for u in units})} file(s)"]
    if tests:
        parts.append(f"with {len(tests)} test(s) changed")
    if links:
        parts.append(f"linked to {len(links)} ticket(s) by {links[0][1]}")
    return ", ".join(parts)
