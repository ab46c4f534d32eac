"""`goldmine run` with a GitHub and a Jira export links tickets to commits by every method."""

from __future__ import annotations

import json
from pathlib import Path

from tests.builders import STOCK_V1, STOCK_V2, BuildRepo, Cli, Commit

JIRA_CSV = Path(__file__).resolve().parents[2] / "fixtures" / "tickets" / "jira_export.csv"
LINKS = (
    "select t.key, l.method, c.subject from ticket_links l join tickets t on t.id = l.ticket_id "
    "join commits c on c.id = l.commit_id order by t.key"
)


def _history() -> list[Commit]:
    return [
        {"message": "Add stock module", "files": {"src/stock.py": STOCK_V1}},
        {
            "message": "Reject negative reservations\n\nFixes #1",
            "files": {"src/stock.py": STOCK_V2},
        },
        {
            "message": "PROJ-21 speed up the export",
            "files": {"src/export.py": "def export():\n    return []\n"},
        },
        {
            "branch": "feature/PROJ-30-csv-import",
            "message": "Read CSV rows",
            "files": {"src/importer.py": "def rows():\n    return []\n"},
        },
        {
            "checkout": "main",
            "message": "Tidy the export\n\nFixes: PROJ-40",
            "files": {"src/export.py": "def export():\n    return list()\n"},
        },
        {
            "merge": "feature/PROJ-30-csv-import",
            "message": "Merge branch 'feature/PROJ-30-csv-import'",
        },
        {
            "branch": "restock-csv",
            "message": "Restock from CSV",
            "files": {"src/restock.py": "def restock():\n    pass\n"},
        },
        {
            "checkout": "main",
            "merge": "restock-csv",
            "message": "Merge pull request #2 from team/restock-csv",
        },
        {
            "message": "Explain the export\n\nThe row bug is PROJ-12; read UTF-8, hash with "
            "SHA-256, stamp ISO-8601.",
            "files": {"docs/export.md": "UTF-8 in, SHA-256 out\n"},
        },
    ]


def test_run_links_github_and_jira_tickets_and_sql_shows_the_links(
    cli: Cli, make_repo: BuildRepo, stock_tickets: Path, tmp_path: Path
) -> None:
    repo = make_repo(_history(), "stocky")
    workspace = tmp_path / "ws"
    result = cli(
        "run",
        "--inline",
        "--repo",
        repo,
        "--tickets",
        stock_tickets,
        "--tickets",
        JIRA_CSV,
        "--workspace",
        workspace,
    )
    assert result.exit_code == 0, result.output
    # the bad Jira row, counted
    assert "record 5 (line 12): 4 values for 37 columns" in result.output
    shown = cli("sql", LINKS, "--json", "--workspace", workspace)
    links = {row["key"]: (row["method"], row["subject"]) for row in json.loads(shown.output)}
    assert links == {
        "#1": ("closing_keyword", "Reject negative reservations"),
        "#2": ("merge_pull_request", "Merge pull request #2 from team/restock-csv"),
        "PROJ-12": ("mention", "Explain the export"),
        "PROJ-21": ("subject_key", "PROJ-21 speed up the export"),
        "PROJ-30": ("branch_name", "Merge branch 'feature/PROJ-30-csv-import'"),
        "PROJ-40": ("trailer", "Tidy the export"),
    }
    table = cli(
        "sql",
        "select method, count(*) as links from ticket_links group by 1 order by 1",
        "--workspace",
        workspace,
    ).output
    assert "closing_keyword" in table and "branch_name" in table


def test_a_mapped_export_named_in_goldmine_toml(cli: Cli, stock_repo: Path, tmp_path: Path) -> None:
    workspace = tmp_path / "ws"
    workspace.mkdir()
    export = Path(__file__).resolve().parents[2] / "fixtures" / "tickets" / "support_export.csv"
    (workspace / "goldmine.toml").write_text(
        f'[sources]\ntickets = ["{export}"]\n\n[tickets]\nsource = "helpdesk"\nkey_prefix = '
        '"SUP-"\n\n'
        '[tickets.mapping]\nkey = "ticket_id"\ntitle = "subject"\nbody = "description"\nstate = '
        '"status"\n'
        'created = "opened_at"\nclosed = "solved_at"\ncomments = "thread"\ncomponent = '
        '"product_area"\n'
    )
    result = cli("mine", "--workspace", workspace)
    assert result.exit_code == 0, result.output
    assert "record 3" in result.output  # the row without a key, counted in the notes
    rows = json.loads(
        cli(
            "sql",
            "select tracker, key, state, fields from tickets order by key",
            "--json",
            "--workspace",
            workspace,
        ).output
    )
    assert [(r["tracker"], r["key"], r["state"]) for r in rows] == [
        ("helpdesk", "SUP-481", "closed"),
        ("helpdesk", "SUP-482", "open"),
    ]
    assert json.loads(rows[0]["fields"])["component"] == "checkout"


def test_the_mine_stage_reports_what_it_skipped(cli: Cli, stock_repo: Path, tmp_path: Path) -> None:
    workspace = tmp_path / "ws"
    assert cli("mine", "--repo", stock_repo, "--workspace", workspace).exit_code == 0
    counts = json.loads(
        cli("sql", "select counts from runs", "--json", "--workspace", workspace).output
    )[0]
    assert json.loads(counts["counts"])["mine"]["skipped"] == {"no_grammar": 2}
