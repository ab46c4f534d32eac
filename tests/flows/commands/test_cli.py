from __future__ import annotations

import csv
import io
import json
import subprocess
from pathlib import Path

from tests.builders import Cli
from warehouse.store import Warehouse

DATA_TABLES = (
    "sources",
    "watermarks",
    "commits",
    "file_changes",
    "symbols",
    "tickets",
    "ticket_links",
    "tasks",
    "candidates",
    "checks",
    "exports",
    "exported_records",
    "secret_findings",
)


def _rows(workspace: Path) -> dict[str, int]:
    with Warehouse(workspace / "goldmine.duckdb", read_only=True) as warehouse:
        return {table: warehouse.count(table) for table in DATA_TABLES}


def test_run_mines_drafts_assays_and_exports(
    cli: Cli, stock_repo: Path, stock_tickets: Path, tmp_path: Path
) -> None:
    workspace = tmp_path / "ws"
    result = cli(
        "run",
        "--inline",
        "--repo",
        stock_repo,
        "--tickets",
        stock_tickets,
        "--workspace",
        workspace,
    )
    assert result.exit_code == 0, result.output
    rows = _rows(workspace)
    assert rows["commits"] == 3 and rows["tickets"] == 2 and rows["ticket_links"] == 1
    with Warehouse(workspace / "goldmine.duckdb", read_only=True) as warehouse:
        accepted = warehouse.query(
            "SELECT task_type, lang FROM candidates WHERE status = 'accepted' ORDER BY 1"
        ).rows
    assert accepted == [("bugfix", "en"), ("edge_cases", "en")]
    openai_tools = json.loads((workspace / "export" / "tools.openai.json").read_text())
    assert {tool["type"] for tool in openai_tools} == {"function"} and openai_tools[0]["function"][
        "parameters"
    ]
    info = json.loads((workspace / "export" / "dataset_info.json").read_text())
    lines = (workspace / "export" / info["goldmine_alpaca"]["file_name"]).read_text().splitlines()
    assert len(lines) == 2 and all(
        json.loads(line)["instruction"] and json.loads(line)["output"] for line in lines
    )


def test_a_second_run_on_an_unchanged_repository_adds_no_rows(
    cli: Cli, stock_repo: Path, stock_tickets: Path, tmp_path: Path
) -> None:
    workspace = tmp_path / "ws"
    args = (
        "run",
        "--inline",
        "--repo",
        stock_repo,
        "--tickets",
        stock_tickets,
        "--lang",
        "both",
        "--workspace",
        workspace,
    )
    assert cli(*args).exit_code == 0
    first = _rows(workspace)
    assert cli(*args).exit_code == 0
    assert _rows(workspace) == first
    with Warehouse(workspace / "goldmine.duckdb", read_only=True) as warehouse:
        assert warehouse.query("SELECT status FROM runs ORDER BY started_at").rows == [
            ("completed",),
            ("completed",),
        ]


def test_stage_commands_run_one_stage_each(cli: Cli, stock_repo: Path, tmp_path: Path) -> None:
    workspace = tmp_path / "ws"
    assert cli("mine", "--repo", stock_repo, "--workspace", workspace).exit_code == 0
    assert _rows(workspace)["tasks"] == 0
    assert cli("draft", "--lang", "zh", "--workspace", workspace).exit_code == 0
    assert cli("assay", "--workspace", workspace).exit_code == 0
    result = cli("export", "--format", "alpaca", "--workspace", workspace)
    assert result.exit_code == 0, result.output
    row = json.loads((workspace / "export" / "goldmine_alpaca.jsonl").read_text().splitlines()[0])
    assert "你是一名" in row["instruction"]


def test_a_path_that_is_not_a_repository_is_one_line_and_exit_1(cli: Cli, tmp_path: Path) -> None:
    result = cli("run", "--inline", "--repo", tmp_path / "nowhere", "--workspace", tmp_path / "ws")
    assert result.exit_code == 1
    assert result.output.strip().splitlines() == [
        f"Error: {tmp_path / 'nowhere'} is not a git repository: "
        "pass the path of a git clone (or a folder inside one)"
    ]


def test_an_empty_repository_gives_a_clear_message(cli: Cli, tmp_path: Path) -> None:
    subprocess.run(["git", "init", "-q", str(tmp_path / "empty")], check=True)
    result = cli("run", "--inline", "--repo", tmp_path / "empty", "--workspace", tmp_path / "ws")
    assert result.exit_code == 1 and "empty git repository (no commits yet)" in result.output
    assert "Traceback" not in result.output


def test_a_malformed_ticket_export_is_named(cli: Cli, stock_repo: Path, tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text("[{,]")
    result = cli(
        "run", "--inline", "--repo", stock_repo, "--tickets", bad, "--workspace", tmp_path / "ws"
    )
    assert result.exit_code == 1 and f"{bad}: not valid JSON" in result.output


def test_sql_prints_a_table_json_or_csv(cli: Cli, stock_repo: Path, tmp_path: Path) -> None:
    workspace = tmp_path / "ws"
    cli("run", "--inline", "--repo", stock_repo, "--workspace", workspace)
    query = "select subject from commits order by committed_at"
    as_json = json.loads(cli("sql", query, "--json", "--workspace", workspace).output)
    assert as_json[0]["subject"] == "Add stock module"
    as_csv = list(
        csv.reader(io.StringIO(cli("sql", query, "--csv", "--workspace", workspace).output))
    )
    assert as_csv[0] == ["subject"] and len(as_csv) == 4
    assert "Reformat stock module" in cli("sql", query, "--workspace", workspace).output
    failed = cli(
        "sql",
        'select "check", count(*) from checks where not passed group by 1',
        "--workspace",
        workspace,
    )
    assert failed.exit_code == 0
    broken = cli("sql", "select * from nope", "--workspace", workspace)
    assert broken.exit_code == 1 and "nope" in broken.output


def test_status_counts_rows_and_rejections(cli: Cli, stock_repo: Path, tmp_path: Path) -> None:
    workspace = tmp_path / "ws"
    cli("run", "--inline", "--repo", stock_repo, "--workspace", workspace)
    output = cli("status", "--workspace", workspace).output
    assert "commits" in output and "last run:" in output and "accepted" in output


def test_status_before_any_run_says_what_to_do(cli: Cli, tmp_path: Path) -> None:
    result = cli("status", "--workspace", tmp_path)
    assert result.exit_code == 1 and "run `goldmine run` or `goldmine demo` first" in result.output


def test_init_writes_a_config_that_run_reads(cli: Cli, stock_repo: Path, tmp_path: Path) -> None:
    workspace = tmp_path / "ws"
    assert cli("init", workspace).exit_code == 0
    config = (workspace / "goldmine.toml").read_text()
    assert "[sources]" in config and "[llm]" in config
    (workspace / "goldmine.toml").write_text(
        config.replace("repos = []", f'repos = ["{stock_repo}"]').replace(
            'lang = ["en"]', 'lang = ["zh"]'
        )
    )
    assert cli("run", "--inline", "--workspace", workspace).exit_code == 0
    with Warehouse(workspace / "goldmine.duckdb", read_only=True) as warehouse:
        assert warehouse.query("SELECT DISTINCT lang FROM candidates").rows == [("zh",)]


def test_a_bad_config_names_the_key(cli: Cli, tmp_path: Path) -> None:
    (tmp_path / "goldmine.toml").write_text('[draft]\nlang = ["fr"]\n')
    result = cli("run", "--inline", "--workspace", tmp_path)
    assert result.exit_code == 1 and "draft.lang.0" in result.output


def test_nothing_to_mine_says_what_to_pass(cli: Cli, tmp_path: Path) -> None:
    result = cli("run", "--inline", "--workspace", tmp_path)
    assert result.exit_code == 1 and "pass --repo PATH or --tickets FILE" in result.output
