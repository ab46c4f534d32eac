"""The README's contract, end to end in real subprocesses, with Prefect's real ephemeral server."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from warehouse.store import Warehouse

GOLDMINE = str(Path(sys.executable).parent / "goldmine")
pytestmark = pytest.mark.prefect


def _goldmine(*args: str | Path, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PREFECT_", "GOLDMINE_"))}
    return subprocess.run(
        [GOLDMINE, *map(str, args)], cwd=cwd, env=env, capture_output=True, text=True, timeout=600
    )


def test_demo_runs_the_whole_pipeline_and_exports_for_llamafactory(tmp_path: Path) -> None:
    workspace = tmp_path / "W"
    result = _goldmine("demo", "--prefect", "--workspace", workspace, cwd=tmp_path)
    assert result.returncode == 0, result.stderr[-3000:]
    with Warehouse(workspace / "goldmine.duckdb", read_only=True) as warehouse:
        assert warehouse.scalar("SELECT count(*) FROM candidates WHERE status = 'accepted'") > 0
        assert warehouse.scalar("SELECT count(*) FROM tickets") > 0
    info = json.loads((workspace / "export" / "dataset_info.json").read_text())
    alpaca = workspace / "export" / info["goldmine_alpaca"]["file_name"]
    for line in alpaca.read_text().splitlines():
        row = json.loads(line)
        assert row["instruction"].strip() and row["output"].strip()
    assert "goldmine sql" in result.stdout and (workspace / ".prefect").is_dir()


def test_prefect_run_twice_adds_nothing_the_second_time(stock_repo: Path, tmp_path: Path) -> None:
    workspace = tmp_path / "W"
    first = _goldmine(
        "run", "--prefect", "--repo", stock_repo, "--workspace", workspace, cwd=tmp_path
    )
    assert first.returncode == 0, first.stderr[-3000:]
    tables = ("commits", "file_changes", "symbols", "tasks", "candidates", "checks", "exports")
    with Warehouse(workspace / "goldmine.duckdb", read_only=True) as warehouse:
        before = {t: warehouse.count(t) for t in tables}
    second = _goldmine(
        "run", "--prefect", "--repo", stock_repo, "--workspace", workspace, cwd=tmp_path
    )
    assert second.returncode == 0, second.stderr[-3000:]
    with Warehouse(workspace / "goldmine.duckdb", read_only=True) as warehouse:
        assert {t: warehouse.count(t) for t in tables} == before
        assert warehouse.scalar("SELECT count(*) FROM runs WHERE status = 'completed'") == 2
    assert before["candidates"] > 0
