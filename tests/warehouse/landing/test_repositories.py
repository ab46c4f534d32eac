from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from tests.builders import TEST_KEY, BuildRepo, git, stock_history
from warehouse.landing import repositories as landing
from warehouse.landing.repositories import (
    LandingOptions,
    land_repository,
    land_ticket_export,
    link_tickets,
)
from warehouse.store import Warehouse

OPTIONS = LandingOptions(key=TEST_KEY)
FACT_TABLES = ("commits", "file_changes", "symbols")


def _counts(warehouse: Warehouse) -> dict[str, int]:
    return {table: warehouse.count(table) for table in FACT_TABLES}


def test_mines_commits_changes_and_symbols_with_hashed_emails(
    warehouse: Warehouse, stock_repo: Path
) -> None:
    summary = land_repository(warehouse, stock_repo, "r1", OPTIONS)
    assert summary.added["commits"] == 3 and summary.name == "stocky"
    before, after = warehouse.query(
        "SELECT before_code, after_code FROM symbols WHERE qualified_name = 'reserve' AND change "
        "= 'modified' "
        "AND commit_id = (SELECT id FROM commits WHERE subject LIKE 'Reject%')"
    ).rows[0]
    assert "raise ValueError" in after and "raise ValueError" not in before
    emails = warehouse.query("SELECT author_email_hash FROM commits").rows
    assert all(len(e[0]) == 32 and "@" not in e[0] for e in emails)
    assert "bo@corp.example" not in str(warehouse.query("SELECT * FROM commits").rows)


def test_second_run_on_an_unchanged_repository_adds_nothing(
    warehouse: Warehouse, stock_repo: Path
) -> None:
    land_repository(warehouse, stock_repo, "r1", OPTIONS)
    first = _counts(warehouse)
    again = land_repository(warehouse, stock_repo, "r2", OPTIONS)
    assert again.added == {} and _counts(warehouse) == first


def test_only_new_commits_are_mined_next_time(warehouse: Warehouse, stock_repo: Path) -> None:
    land_repository(warehouse, stock_repo, "r1", OPTIONS)
    (stock_repo / "notes.py").write_text("def note():\n    return 1\n")
    git(stock_repo, "add", "-A")
    git(stock_repo, "commit", "-qm", "Add notes")
    streamed: list[int] = []
    summary = land_repository(warehouse, stock_repo, "r2", OPTIONS, progress=streamed.append)
    assert summary.added["commits"] == 1 and sum(streamed) == 1


def test_rewritten_history_is_detected_and_mined_without_duplicates(
    warehouse: Warehouse, stock_repo: Path
) -> None:
    land_repository(warehouse, stock_repo, "r1", OPTIONS)
    git(stock_repo, "commit", "-q", "--amend", "-m", "Reformat stock module (amended)")
    summary = land_repository(warehouse, stock_repo, "r2", OPTIONS)
    assert any("history was rewritten" in note for note in summary.notes)
    assert summary.added["commits"] == 1
    assert (
        warehouse.scalar("SELECT count(DISTINCT sha) FROM commits")
        == warehouse.count("commits")
        == 4
    )


def test_a_crash_mid_run_resumes_without_duplicates(
    warehouse: Warehouse, make_repo: BuildRepo, monkeypatch: pytest.MonkeyPatch
) -> None:
    repo = make_repo(stock_history() * 2)
    monkeypatch.setattr(landing, "_CHUNK", 2)

    def crash_after_first_chunk(count: int) -> None:
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        land_repository(warehouse, repo, "r1", OPTIONS, progress=crash_after_first_chunk)
    assert warehouse.count("commits") == 2 and warehouse.count("watermarks") == 0
    land_repository(warehouse, repo, "r2", OPTIONS)
    assert warehouse.count("commits") == 6
    assert (
        warehouse.scalar(
            "SELECT count(*) FROM (SELECT sha FROM commits GROUP BY sha HAVING count(*) > 1)"
        )
        == 0
    )


def test_shallow_clones_are_mined_with_a_note(
    warehouse: Warehouse, stock_repo: Path, tmp_path: Path
) -> None:
    shallow = tmp_path / "shallow"
    subprocess.run(
        ["git", "clone", "-q", "--depth", "2", f"file://{stock_repo}", str(shallow)], check=True
    )
    summary = land_repository(warehouse, shallow, "r1", OPTIONS)
    assert summary.added["commits"] == 2 and any("shallow clone" in note for note in summary.notes)


def test_tickets_are_landed_redacted_and_linked(
    warehouse: Warehouse, stock_repo: Path, tmp_path: Path
) -> None:
    export = tmp_path / "issues.json"
    export.write_text(
        '[{"number": 1, "title": "Crash", "body": "token ghp_aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa '
        'and me@corp.io",'
        ' "state": "closed", "user": {"login": "x"}, "html_url": "u", "created_at": '
        '"2024-01-01T00:00:00Z"}]'
    )
    land_repository(warehouse, stock_repo, "r1", OPTIONS)
    summary = land_ticket_export(warehouse, export, "r1", OPTIONS)
    assert summary.added == {"tickets": 1, "secret_findings": 2}
    body = warehouse.scalar("SELECT body FROM tickets")
    assert body == "token <SECRET:github-token> and <EMAIL>"
    assert link_tickets(warehouse) == 1
    method, subject = warehouse.query(
        "SELECT l.method, c.subject FROM ticket_links l JOIN commits c ON c.id = l.commit_id"
    ).rows[0]
    assert (method, subject) == ("closing_keyword", "Reject negative and oversized reservations")
    assert link_tickets(warehouse) == 0


def test_a_commit_whose_ticket_arrives_later_is_selected_again(
    warehouse: Warehouse, stock_repo: Path, stock_tickets: Path
) -> None:
    from warehouse.selection.commits import select_tasks

    land_repository(warehouse, stock_repo, "r1", OPTIONS)
    select_tasks(warehouse, "r1")
    fix = (
        "SELECT t.facts FROM tasks t JOIN commits c ON c.id = t.commit_id WHERE c.subject LIKE "
        "'Reject%' "
        "AND t.family <> 'edge_cases'"
    )
    assert '"ticket_ids": []' in warehouse.scalar(fix)
    land_ticket_export(warehouse, stock_tickets, "r2", OPTIONS)
    assert link_tickets(warehouse) == 1
    select_tasks(warehouse, "r2")
    assert '"ticket_ids": []' not in warehouse.scalar(fix)
