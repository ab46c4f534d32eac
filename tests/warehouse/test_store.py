from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import duckdb
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


def test_skip_categories_are_backfilled_for_rows_written_before_migration_9(
    tmp_path: Path,
) -> None:
    path = tmp_path / "old.duckdb"
    connection = duckdb.connect(str(path))
    connection.execute(
        "CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name VARCHAR NOT NULL, "
        "applied_at TIMESTAMPTZ NOT NULL)"
    )
    for version, name, sql in migrations():
        if version < 9:
            connection.execute(sql)
            connection.execute(
                "INSERT INTO schema_migrations VALUES (?, ?, current_timestamp)", [version, name]
            )
    old_reasons = [
        ("t1", "skipped", "merge commit: the commits it merges teach the change"),
        ("t2", "skipped", "sprawling change: 9 functions or classes in 6 files"),
        ("t3", "skipped", "closed as duplicate: no resolution to teach"),
        ("t4", "selected", "bugfix touching 1 unit(s) in 1 file(s)"),
    ]
    for task_id, status, reason in old_reasons:
        connection.execute(
            "INSERT INTO tasks VALUES (?, 's', NULL, NULL, 'f', 'positive', ?, ?, '{}', 'v', 'r')",
            [task_id, status, reason],
        )
    connection.execute(
        "INSERT INTO draft_skips VALUES ('t4', 'agent', 'en', 'extractive', "
        "'the commit''s patch does not apply at its parent', 'r')"
    )
    connection.close()
    with Warehouse(path) as warehouse:
        categories = dict(warehouse.query("SELECT id, skip_category FROM tasks").rows)
        assert categories == {
            "t1": "merge",
            "t2": "sprawling",
            "t3": "closed_unresolved",
            "t4": None,
        }
        assert warehouse.scalar("SELECT category FROM draft_skips") == "patch_does_not_apply"
