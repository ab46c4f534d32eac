"""Ticket exports in the warehouse: fields, updates, and what the drafter may see of a thread."""

from __future__ import annotations

import json
from pathlib import Path

from tests.conftest import STOCK_V1, STOCK_V2, BuildRepo
from warehouse.commit_rows import LandingOptions
from warehouse.landing import land_repository, land_ticket_export, link_tickets
from warehouse.selection import select_tasks
from warehouse.store import Warehouse
from warehouse.task_context import ContextLoader

OPTIONS = LandingOptions(key=b"k" * 32)
FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "tickets"


def _comment(day: int, body: str) -> dict[str, object]:
    return {"user": {"login": "ana"}, "created_at": f"2024-01-{day:02d}T08:00:00Z", "body": body}


def _issue(comments: list[dict[str, object]]) -> list[dict[str, object]]:
    return [{"number": 1, "title": "reserve() accepts negative quantities", "body": "It should fail.",
             "state": "closed", "user": {"login": "ana"}, "html_url": "u", "created_at": "2024-01-03T08:00:00Z",
             "comments": comments}]  # fmt: skip


def test_only_comments_written_before_the_first_linked_commit_reach_the_drafter(
    warehouse: Warehouse, make_repo: BuildRepo, tmp_path: Path
) -> None:
    halfway = STOCK_V2.replace('        logger.warning("not enough %s in stock", sku)\n', "")
    repo = make_repo([
        {"message": "Add stock module", "date": "2024-01-02T10:00:00+00:00", "files": {"src/stock.py": STOCK_V1}},
        {"message": "Fix negative reservations, part one\n\nRefs #1", "date": "2024-01-05T10:00:00+00:00",
         "files": {"src/stock.py": halfway}},
        {"message": "Fix oversized reservations\n\nFixes #1", "date": "2024-01-10T10:00:00+00:00",
         "files": {"src/stock.py": STOCK_V2}},
    ])  # fmt: skip
    export = tmp_path / "issues.json"
    export.write_text(json.dumps(_issue([_comment(4, "before any fix"), _comment(7, "between the fixes"),
                                         _comment(11, "after both")])))  # fmt: skip
    land_repository(warehouse, repo, "r1", OPTIONS)
    land_ticket_export(warehouse, export, "r1", OPTIONS)
    assert link_tickets(warehouse) == 2
    select_tasks(warehouse, "r1")
    task_id = warehouse.scalar(
        "SELECT t.id FROM tasks t JOIN commits c ON c.id = t.commit_id WHERE c.subject LIKE 'Fix oversized%'"
    )
    loader = ContextLoader(warehouse, OPTIONS.key)
    try:
        tickets = loader.load(task_id).tickets
    finally:
        loader.close()
    assert [t.key for t in tickets] == ["#1"] and tickets[0].comments == ("before any fix",)


def test_tracker_fields_are_stored_redacted(warehouse: Warehouse, tmp_path: Path) -> None:
    land_ticket_export(warehouse, FIXTURES / "jira_export.csv", "r1", OPTIONS)
    tracker, fields, comments = warehouse.query(
        "SELECT tracker, fields, comments FROM tickets WHERE key = 'PROJ-12'"
    ).rows[0]
    assert tracker == "jira"
    assert json.loads(fields)["components"] == ["export", "reports"]
    assert [c["is_bot"] for c in json.loads(comments)] == [False, True]
    export = tmp_path / "issues.json"
    export.write_text(json.dumps([{**_issue([])[0], "milestone": {"title": "ask ana.lima@corp.io"}}]))
    land_ticket_export(warehouse, export, "r1", OPTIONS)
    stored = warehouse.scalar("SELECT fields FROM tickets WHERE key = '#1'")
    assert json.loads(stored) == {"reporter": "ana", "milestone": "ask <EMAIL>"} and "corp.io" not in stored


def test_a_newer_export_replaces_the_tickets_it_changed(warehouse: Warehouse, tmp_path: Path) -> None:
    export = tmp_path / "issues.json"
    export.write_text(json.dumps(_issue([_comment(4, "first")])))
    assert land_ticket_export(warehouse, export, "r1", OPTIONS).added["tickets"] == 1
    assert land_ticket_export(warehouse, export, "r2", OPTIONS).added == {}  # the same file: nothing to do
    export.write_text(json.dumps(_issue([_comment(4, "first"), _comment(6, "second")])))
    again = land_ticket_export(warehouse, export, "r3", OPTIONS)
    assert again.added["tickets"] == 1 and any("1 ticket(s) changed" in note for note in again.notes)
    assert warehouse.count("tickets") == 1
    assert len(json.loads(warehouse.scalar("SELECT comments FROM tickets"))) == 2
