"""Grounding against a real repository: what a record names must exist at its commit."""

from __future__ import annotations

import json
from pathlib import Path

from tests.builders import Cli, Row, json_object
from warehouse.assay.runner import assay
from warehouse.store import Warehouse


def _drafted(cli: Cli, repo: Path, tickets: Path, workspace: Path) -> Row:
    assert (
        cli("mine", "--repo", repo, "--tickets", tickets, "--workspace", workspace).exit_code == 0
    )
    assert cli("draft", "--workspace", workspace).exit_code == 0
    with Warehouse(workspace / "goldmine.duckdb", read_only=True) as warehouse:
        row = warehouse.query(
            "SELECT * FROM candidates WHERE status = 'pending' AND task_type = 'bugfix'"
        ).dicts()
    assert len(row) == 1
    return row[0]


def _variant(row: Row, name: str, **provenance: list[str]) -> Row:
    record = json_object(row["record"])
    record["id"] = name
    record["provenance"] |= provenance
    record["output"] += f"\n\n({name})"  # not an exact copy of the original
    return row | {"id": name, "record": json.dumps(record)}


def test_paths_and_symbols_must_exist_at_the_commit(
    cli: Cli, stock_repo: Path, stock_tickets: Path, tmp_path: Path
) -> None:
    workspace = tmp_path / "ws"
    original = _drafted(cli, stock_repo, stock_tickets, workspace)
    provenance = json.loads(original["provenance"])
    assert provenance["paths"] == ["src/stock.py"] and provenance["symbols"] == ["reserve"]
    # in the file, not in the commit's diff
    variants = [
        _variant(original, "unchanged-symbol", symbols=["restock"]),
        _variant(original, "unchanged-file", paths=["src/stock.py", "README.md"]),
        _variant(original, "missing-symbol", symbols=["reserve", "release_all"]),
        _variant(original, "missing-path", paths=["src/stock.py", "src/ledger.py"]),
        _variant(original, "wrong-commit", commits=["0" * 40]),
    ]
    with Warehouse(workspace / "goldmine.duckdb") as warehouse:
        warehouse.insert("candidates", variants)
        # grounding is judged before duplicates, so every variant gets its verdict
        assay(warehouse, "r")
        verdicts = dict(
            warehouse.query(
                """SELECT candidate_id, passed FROM checks WHERE "check" = 'grounding'"""
            ).rows
        )
        details = dict(
            warehouse.query(
                """SELECT candidate_id, detail FROM checks WHERE "check" = 'grounding'"""
            ).rows
        )
    expected = {
        original["id"]: True,
        "unchanged-symbol": True,
        "unchanged-file": True,
        "missing-symbol": False,
        "missing-path": False,
        "wrong-commit": False,
    }
    assert {name: verdicts[name] for name in expected} == expected
    assert "release_all" in details["missing-symbol"] and "src/ledger.py" in details["missing-path"]


def test_a_path_named_in_the_instruction_must_exist(
    cli: Cli, stock_repo: Path, stock_tickets: Path, tmp_path: Path
) -> None:
    workspace = tmp_path / "ws"
    original = _drafted(cli, stock_repo, stock_tickets, workspace)
    record = json.loads(original["record"])
    record["instruction"] = record["instruction"].replace(
        "Requirements:", "Requirements (see `src/pricing.py`):"
    )
    record["id"] = "names-a-ghost"
    quoted = json.loads(original["record"]) | {"id": "quotes-a-ghost"}
    quoted["instruction"] = quoted["instruction"].replace(
        "Requirements:", "> the reporter mentions `src/old.py`\n\nRequirements:"
    )
    with Warehouse(workspace / "goldmine.duckdb") as warehouse:
        warehouse.insert(
            "candidates",
            [
                original | {"id": "names-a-ghost", "record": json.dumps(record)},
                original | {"id": "quotes-a-ghost", "record": json.dumps(quoted)},
            ],
        )
        assay(warehouse, "r")
        verdicts = dict(
            warehouse.query(
                """SELECT candidate_id, passed FROM checks WHERE "check" = 'grounding'"""
            ).rows
        )
    assert verdicts["names-a-ghost"] is False and verdicts["quotes-a-ghost"] is True
