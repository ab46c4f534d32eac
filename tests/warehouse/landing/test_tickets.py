"""Ticket exports in the warehouse: fields, updates, and what the drafter may see of a thread."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from miners.ticket_links import remote_project, ticket_project
from tests.builders import STOCK_V1, STOCK_V2, TEST_KEY, BuildRepo, Cli, Commit
from warehouse.landing.commit_rows import LandingOptions
from warehouse.landing.repositories import land_repository, land_ticket_export, link_tickets
from warehouse.selection.commits import select_tasks
from warehouse.selection.task_context import ContextLoader
from warehouse.store import Warehouse

OPTIONS = LandingOptions(key=TEST_KEY)
FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "tickets"


def _comment(day: int, body: str) -> dict[str, object]:
    return {"user": {"login": "ana"}, "created_at": f"2024-01-{day:02d}T08:00:00Z", "body": body}


def _issue(comments: list[dict[str, object]]) -> list[dict[str, object]]:
    return [
        {
            "number": 1,
            "title": "reserve() accepts negative quantities",
            "body": "It should fail.",
            "state": "closed",
            "user": {"login": "ana"},
            "html_url": "u",
            "created_at": "2024-01-03T08:00:00Z",
            "comments": comments,
        }
    ]


def test_only_comments_written_before_the_first_linked_commit_reach_the_drafter(
    warehouse: Warehouse, make_repo: BuildRepo, tmp_path: Path
) -> None:
    halfway = STOCK_V2.replace('        logger.warning("not enough %s in stock", sku)\n', "")
    repo = make_repo(
        [
            {
                "message": "Add stock module",
                "date": "2024-01-02T10:00:00+00:00",
                "files": {"src/stock.py": STOCK_V1},
            },
            {
                "message": "Fix negative reservations, part one\n\nRefs #1",
                "date": "2024-01-05T10:00:00+00:00",
                "files": {"src/stock.py": halfway},
            },
            {
                "message": "Fix oversized reservations\n\nFixes #1",
                "date": "2024-01-10T10:00:00+00:00",
                "files": {"src/stock.py": STOCK_V2},
            },
        ]
    )
    export = tmp_path / "issues.json"
    export.write_text(
        json.dumps(
            _issue(
                [
                    _comment(4, "before any fix"),
                    _comment(7, "between the fixes"),
                    _comment(11, "after both"),
                ]
            )
        )
    )
    land_repository(warehouse, repo, "r1", OPTIONS)
    land_ticket_export(warehouse, export, "r1", OPTIONS)
    assert link_tickets(warehouse) == 2
    select_tasks(warehouse, "r1")
    task_id = warehouse.scalar(
        "SELECT t.id FROM tasks t JOIN commits c ON c.id = t.commit_id WHERE c.subject LIKE 'Fix "
        "oversized%'"
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
    export.write_text(
        json.dumps([{**_issue([])[0], "milestone": {"title": "ask ana.lima@corp.io"}}])
    )
    land_ticket_export(warehouse, export, "r1", OPTIONS)
    stored = warehouse.scalar("SELECT fields FROM tickets WHERE key = '#1'")
    assert (
        json.loads(stored) == {"reporter": "ana", "milestone": "ask <EMAIL>"}
        and "corp.io" not in stored
    )


def test_a_newer_export_replaces_the_tickets_it_changed(
    warehouse: Warehouse, tmp_path: Path
) -> None:
    export = tmp_path / "issues.json"
    export.write_text(json.dumps(_issue([_comment(4, "first")])))
    assert land_ticket_export(warehouse, export, "r1", OPTIONS).added["tickets"] == 1
    # the same file: nothing to do
    assert land_ticket_export(warehouse, export, "r2", OPTIONS).added == {}
    export.write_text(json.dumps(_issue([_comment(4, "first"), _comment(6, "second")])))
    again = land_ticket_export(warehouse, export, "r3", OPTIONS)
    assert again.added["tickets"] == 1 and any(
        "1 ticket(s) changed" in note for note in again.notes
    )
    assert warehouse.count("tickets") == 1
    assert len(json.loads(warehouse.scalar("SELECT comments FROM tickets"))) == 2


def _set_remote(repo: Path, url: str) -> None:
    subprocess.run(["git", "-C", str(repo), "remote", "add", "origin", url], check=True)


def _numbered_export(path: Path, number: int, url: str) -> Path:
    path.write_text(json.dumps([{**_issue([])[0], "number": number, "html_url": url}]))
    return path


def test_a_numbered_ticket_links_only_to_the_repository_its_url_names(
    warehouse: Warehouse, make_repo: BuildRepo, tmp_path: Path
) -> None:
    fix: list[Commit] = [
        {"message": "Fix reservations\n\nFixes #1", "files": {"src/stock.py": STOCK_V1}}
    ]
    shop, billing = make_repo(fix, "shop"), make_repo(fix, "billing")
    for repo in (shop, billing):
        land_repository(warehouse, repo, "r1", OPTIONS)
    shop_issues = _numbered_export(
        tmp_path / "shop.json", 1, "https://github.com/acme/shop/issues/1"
    )
    billing_issues = _numbered_export(
        tmp_path / "billing.json", 1, "https://gitlab.example.com/acme/billing/-/issues/1"
    )
    for export in (shop_issues, billing_issues):
        land_ticket_export(warehouse, export, "r1", OPTIONS)
    notes: list[str] = []
    # no remotes yet: each #1 could be either repository's
    assert link_tickets(warehouse, notes) == 4
    assert notes == [
        f"{name}: 1 numbered ticket(s) have no URL naming a project that one of the 2 "
        "repositories has as a "
        "remote, so a #N in any of them links to them; export the tickets with their URLs and "
        "give each "
        "repository its tracker's remote (git remote add origin URL)"
        for name in ("shop.json", "billing.json")
    ]

    subprocess.run(
        ["git", "-C", str(shop), "config", "url.git@github.com:.insteadOf", "gh:"], check=True
    )
    _set_remote(shop, "gh:Acme/shop.git")  # git's own URL rewriting applies
    _set_remote(billing, "ssh://git@gitlab.example.com:2222/acme/billing.git")
    for repo in (shop, billing):
        # nothing new to mine; the remotes are read again
        land_repository(warehouse, repo, "r2", OPTIONS)
    notes.clear()
    assert link_tickets(warehouse, notes) == 0
    assert notes == [
        "ticket links: 2 dropped: the rules no longer find them (a ticket of another repository's "
        "tracker)"
    ]
    linked = warehouse.query(
        "SELECT ts.name, cs.name FROM ticket_links l JOIN tickets t ON t.id = l.ticket_id "
        "JOIN sources ts ON ts.id = t.source_id JOIN commits c ON c.id = l.commit_id "
        "JOIN sources cs ON cs.id = c.source_id ORDER BY 1"
    ).rows
    # the cross links were dropped
    assert linked == [
        ("billing.json", "billing"),
        ("shop.json", "shop"),
    ]


@pytest.mark.parametrize(
    ("url", "project"),
    [
        ("https://github.com/Acme/Shop/issues/12", "github.com/acme/shop"),
        ("https://github.com/acme/shop/pull/3", "github.com/acme/shop"),
        ("https://api.github.com/repos/acme/shop/issues/12", "github.com/acme/shop"),
        ("https://ghe.corp.example/api/v3/repos/acme/shop/issues/1", "ghe.corp.example/acme/shop"),
        ("https://gitlab.com/acme/tools/shop/-/issues/12", "gitlab.com/acme/tools/shop"),
        ("https://gitlab.com/acme/shop/-/merge_requests/4", "gitlab.com/acme/shop"),
        ("https://acme.atlassian.net/browse/PROJ-1", None),
        ("u", None),
    ],
)
def test_a_ticket_url_names_its_project(url: str, project: str | None) -> None:
    assert ticket_project(url) == project


@pytest.mark.parametrize(
    ("remote", "project"),
    [
        ("git@github.com:Acme/shop.git", "github.com/acme/shop"),
        ("https://token@github.com/acme/shop", "github.com/acme/shop"),
        (
            "ssh://git@gitlab.example.com:2222/acme/tools/shop.git",
            "gitlab.example.com/acme/tools/shop",
        ),
        ("/srv/git/shop.git", None),
        ("file:///srv/git/shop.git", None),
    ],
)
def test_a_remote_names_its_project_the_same_way(remote: str, project: str | None) -> None:
    assert remote_project(remote) == project


def test_a_ticket_of_a_project_nobody_mines_stays_off_the_repositories_that_have_a_project(
    warehouse: Warehouse, make_repo: BuildRepo, tmp_path: Path
) -> None:
    fix: list[Commit] = [
        {"message": "Fix reservations\n\nFixes #1, refs #2", "files": {"src/stock.py": STOCK_V1}}
    ]
    shop, local, mirror = make_repo(fix, "shop"), make_repo(fix, "local"), make_repo(fix, "mirror")
    _set_remote(shop, "https://github.com/acme/shop.git")
    _set_remote(mirror, "https://git.corp.example/mirrors/legacy.git")  # a project no ticket names
    for repo in (shop, local, mirror):
        land_repository(warehouse, repo, "r1", OPTIONS)
    export = tmp_path / "issues.json"  # one export, two GitHub projects
    export.write_text(
        json.dumps(
            [
                {**_issue([])[0], "number": 1, "html_url": "https://github.com/acme/shop/issues/1"},
                {**_issue([])[0], "number": 2, "html_url": "https://github.com/acme/lib/issues/2"},
            ]
        )
    )
    land_ticket_export(warehouse, export, "r1", OPTIONS)
    notes: list[str] = []
    link_tickets(warehouse, notes)
    linked = warehouse.query(
        "SELECT t.key, s.name FROM ticket_links l JOIN tickets t ON t.id = l.ticket_id "
        "JOIN commits c ON c.id = l.commit_id JOIN sources s ON s.id = c.source_id ORDER BY 1, 2"
    ).rows
    # lib's #2 is not shop's #2, nor the mirror's; a clone without remotes may be lib
    assert linked == [("#1", "shop"), ("#2", "local")] and notes == []


def _rest_issue(number: int, state: str, comments: object) -> dict[str, object]:
    return {
        "number": number,
        "title": f"Issue {number}",
        "body": "It breaks.",
        "state": state,
        "user": {"login": "ana"},
        "html_url": f"https://github.com/acme/shop/issues/{number}",
        "created_at": "2024-01-03T08:00:00Z",
        "closed_at": "2024-01-04T08:00:00Z" if state == "closed" else None,
        "comments": comments,
    }


def test_a_rest_export_without_comment_texts_says_so_once_with_the_command_to_export_them(
    cli: Cli, tmp_path: Path
) -> None:
    export = tmp_path / "issues.json"
    issues = [_rest_issue(1, "closed", 3), _rest_issue(2, "closed", 1), _rest_issue(3, "open", 2)]
    export.write_text(json.dumps(issues), encoding="utf-8")
    result = cli("mine", "--tickets", export, "--workspace", tmp_path / "ws")
    assert result.exit_code == 0, result.output
    notes = [line for line in result.output.splitlines() if "count comments" in line]
    assert len(notes) == 1, result.output
    assert "2 of 2 closed ticket(s)" in notes[0] and "#1 has 3" in notes[0]
    assert "gh issue list --repo acme/shop --state all" in notes[0]
    with Warehouse(tmp_path / "ws" / "goldmine.duckdb", read_only=True) as warehouse:
        stored = warehouse.query("SELECT counts FROM runs WHERE counts IS NOT NULL").rows
    assert any("gh issue list --repo acme/shop" in row[0] for row in stored)


def test_an_export_with_its_comments_inline_gets_no_such_note(cli: Cli, tmp_path: Path) -> None:
    export = tmp_path / "issues.json"
    export.write_text(
        json.dumps([_rest_issue(1, "closed", [_comment(4, "Fixed in 1.2, thanks.")])]),
        encoding="utf-8",
    )
    result = cli("mine", "--tickets", export, "--workspace", tmp_path / "ws")
    assert result.exit_code == 0, result.output
    assert "count comments" not in result.output
