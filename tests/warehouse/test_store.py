from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from warehouse.errors import QueryFailed, WarehouseBusy
from warehouse.store import Warehouse, migrations


def test_migrations_are_applied_once_and_recorded(tmp_path: Path) -> None:
    with Warehouse(tmp_path / "w.duckdb") as first:
        applied = first.query("SELECT version, name FROM schema_migrations ORDER BY 1").rows
        assert [row[0] for row in applied] == [version for version, _, _ in migrations()]
        assert first.migrate() == []
    with Warehouse(tmp_path / "w.duckdb") as again:
        assert again.migrate() == []
        assert {
            "runs",
            "commits",
            "file_changes",
            "symbols",
            "tickets",
            "ticket_links",
            "tasks",
            "candidates",
            "checks",
            "llm_calls",
            "reviews",
            "exports",
        } <= set(again.tables())


def test_insert_ignores_rows_it_already_has_and_counts_new_ones(warehouse: Warehouse) -> None:
    row = {
        "id": "a",
        "kind": "repository",
        "location": "/x",
        "name": "x",
        "detail": "{}",
        "first_run_id": "r1",
    }
    assert warehouse.insert("sources", [row, {**row, "id": "b"}]) == 2
    assert warehouse.insert("sources", [row, {**row, "id": "c"}, {**row, "id": "c"}]) == 1
    assert warehouse.count("sources") == 3


def test_list_timestamp_and_json_columns_round_trip(warehouse: Warehouse) -> None:
    from datetime import UTC, datetime

    when = datetime(2024, 1, 2, 3, 4, 5, tzinfo=UTC)
    warehouse.insert(
        "tickets",
        [
            {
                "id": "t",
                "source_id": "s",
                "tracker": "github",
                "key": "#1",
                "title": "T",
                "body": "",
                "labels": ["bug", "ui"],
                "created_at": when,
                "comments": "[]",
                "run_id": "r",
            }
        ],
    )
    labels, created = warehouse.query("SELECT labels, created_at FROM tickets").rows[0]
    assert labels == ["bug", "ui"] and created == when


def test_a_failing_query_gives_duckdbs_first_line(warehouse: Warehouse) -> None:
    with pytest.raises(QueryFailed, match="nope"):
        warehouse.query("SELECT * FROM nope")


def test_a_second_process_gets_a_clear_busy_error(tmp_path: Path) -> None:
    path = tmp_path / "held.duckdb"
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            f"import duckdb,sys,time; c=duckdb.connect({str(path)!r}); print('ready', "
            "flush=True); time.sleep(30)",
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "ready"
        with pytest.raises(WarehouseBusy, match="in use by another process"):
            Warehouse(path)
    finally:
        holder.kill()
        holder.communicate()
