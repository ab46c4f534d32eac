from __future__ import annotations

import json
from pathlib import Path

import pytest

from miners.errors import TicketExportError
from miners.tickets import read_ticket_export
from tests.builders import STOCK_TICKETS


def test_github_rest_export_with_inline_comments(stock_tickets: Path) -> None:
    batch = read_ticket_export(stock_tickets)
    assert batch.format == "github_rest" and not batch.problems
    first = batch.tickets[0]
    assert (first.key, first.state, first.labels, first.author) == (
        "#1",
        "closed",
        ("bug",),
        "mkowalski",
    )
    assert [c.author for c in first.comments] == ["ana-lima", "bo-chen"]
    assert (
        first.created_at is not None and first.created_at.isoformat() == "2024-01-03T08:00:00+00:00"
    )


def test_gh_cli_export(tmp_path: Path) -> None:
    rows = [
        {
            "number": 7,
            "title": "Crash on empty cart",
            "body": "Steps…",
            "state": "CLOSED",
            "labels": [{"name": "bug"}],
            "createdAt": "2024-02-01T10:00:00Z",
            "closedAt": "2024-02-03T10:00:00Z",
            "url": "https://example.com/7",
            "author": {"login": "sam"},
            "comments": [
                {
                    "author": {"login": "dependabot[bot]"},
                    "body": "bump",
                    "createdAt": "2024-02-02T10:00:00Z",
                }
            ],
        }
    ]
    path = tmp_path / "gh.json"
    path.write_text(json.dumps(rows))
    batch = read_ticket_export(path)
    ticket = batch.tickets[0]
    assert batch.format == "github_cli" and ticket.key == "#7" and ticket.state == "closed"
    assert ticket.comments[0].is_bot


def test_partly_bad_export_keeps_good_records_and_names_the_bad_ones(tmp_path: Path) -> None:
    path = tmp_path / "mixed.json"
    path.write_text(
        json.dumps([STOCK_TICKETS[0], {"number": "not-a-number", "title": "x", "user": {}}])
    )
    batch = read_ticket_export(path)
    assert [t.key for t in batch.tickets] == ["#1"]
    assert (
        len(batch.problems) == 1
        and "record 2" in batch.problems[0]
        and str(path) in batch.problems[0]
    )


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("{not json", "not valid JSON"),
        ('"just a string"', "not a ticket export"),
        ("[1, 2]", "no ticket records found"),
        ('{"a": 1}', "unknown ticket export shape"),
        ('[{"id": 1}]', "unknown ticket export shape"),
    ],
)
def test_unreadable_exports_raise_one_line_errors_naming_the_file(
    tmp_path: Path, content: str, message: str
) -> None:
    path = tmp_path / "bad.json"
    path.write_text(content)
    with pytest.raises(TicketExportError, match=message) as raised:
        read_ticket_export(path)
    assert str(path) in str(raised.value) and "\n" not in str(raised.value)


def test_missing_export(tmp_path: Path) -> None:
    with pytest.raises(TicketExportError, match="no such ticket export"):
        read_ticket_export(tmp_path / "nope.json")
