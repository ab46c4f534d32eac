"""Mining and drafting fanned out over worker processes store exactly what one process stores."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest

from flows.demo.sample_repo import DEMO_HISTORY, DEMO_TICKETS, build_repository, load_script
from flows.errors import WorkFailed
from flows.run.fanout import PoolFanOut
from flows.run.pipeline import run_recorded
from flows.run.stages import STAGES, StageContext
from flows.settings import Settings, settings_with
from flows.workspace import Workspace
from tests.builders import TEST_KEY, JsonObject, git, json_object
from warehouse.landing.commit_rows import LandingOptions
from warehouse.landing.mining_units import fact_column_types, mine_unit, mining_units
from warehouse.landing.repositories import plan_repository
from warehouse.store import Warehouse

TABLES = ("commits", "file_changes", "symbols", "secret_findings", "tasks", "draft_skips")


def _settings(repos: list[Path], tickets: Path) -> Settings:
    return settings_with(
        Settings(),
        sources__repos=[str(r) for r in repos],
        sources__tickets=[str(tickets)],
        draft__kinds=["instruction", "agent"],
        draft__lang=["en", "zh"],
        scale__unit_commits=10,  # the 27-commit history is mined in three units
        scale__draft_batch=7,
    )


def _run(workspace: Path, settings: Settings, pool: PoolFanOut | None) -> JsonObject:
    """Mine, draft and assay in one recorded run; the run's counts (``runs.counts``)."""

    def body(context: StageContext) -> dict[str, JsonObject]:
        fanned = StageContext(
            context.workspace, context.warehouse, context.settings, context.run_id, pool
        )
        return {name: STAGES[name](fanned) for name in ("mine", "draft", "assay")}

    return run_recorded(
        Workspace.at(workspace), settings, ["mine", "draft", "assay"], body, command="run", wait=0
    )[1]


def _stored(workspace: Path) -> dict[str, list[tuple[object, ...]]]:
    """What a run stored, table by table, in a stable order."""
    with Warehouse(workspace / "goldmine.duckdb", read_only=True) as warehouse:
        rows: dict[str, list[tuple[object, ...]]] = {
            table: sorted(warehouse.query(f"SELECT id FROM {table}").rows) for table in TABLES[:4]
        }
        rows["tasks"] = sorted(warehouse.query("SELECT id, status, reason FROM tasks").rows)
        rows["draft_skips"] = sorted(
            warehouse.query("SELECT task_id, kind, lang, reason FROM draft_skips").rows
        )
        rows["candidates"] = sorted(
            warehouse.query("SELECT id, status, score, record FROM candidates").rows
        )
        rows["watermarks"] = sorted(
            warehouse.query("SELECT source_id, ref, position FROM watermarks").rows
        )
    return rows


@pytest.fixture
def two_repos(stock_repo: Path, tmp_path: Path) -> list[Path]:
    return [stock_repo, build_repository(tmp_path / "stockroom", load_script(DEMO_HISTORY))]


def test_fanned_out_mining_and_drafting_store_what_one_process_stores(
    two_repos: list[Path], tmp_path: Path
) -> None:
    settings = _settings(two_repos, DEMO_TICKETS)
    serial = _run(tmp_path / "serial", settings, None)
    with PoolFanOut(2) as pool:
        fanned = _run(tmp_path / "fanned", settings, pool)
    expected, got = _stored(tmp_path / "serial"), _stored(tmp_path / "fanned")
    assert len(expected["candidates"]) > 20 and {
        json_object(str(c[3]))["kind"] for c in expected["candidates"]
    } == {
        "instruction",
        "agent",
    }
    for table in expected:
        assert got[table] == expected[table], table
    assert fanned["mine"]["added"] == serial["mine"]["added"]
    assert fanned["draft"]["candidates"] == serial["draft"]["candidates"]


def test_a_fanned_out_rerun_mines_only_the_new_commits(
    two_repos: list[Path], tmp_path: Path
) -> None:
    settings = _settings(two_repos, DEMO_TICKETS)
    with PoolFanOut(2) as pool:
        _run(tmp_path / "W", settings, pool)
        (two_repos[0] / "src" / "stock.py").write_text(
            "def total(levels):\n    return sum(levels.values())\n"
        )
        git(two_repos[0], "commit", "-qam", "Sum the stock levels")
        again = _run(tmp_path / "W", settings, pool)
    assert again["mine"]["added"]["commits"] == 1
    with Warehouse(tmp_path / "W" / "goldmine.duckdb", read_only=True) as warehouse:
        marks = json.loads(
            warehouse.scalar("SELECT watermarks FROM runs ORDER BY started_at DESC LIMIT 1")
        )
    moved = [m for m in marks if m["before"] != m["after"]]
    head = git(two_repos[0], "rev-parse", "HEAD").strip()
    assert [m["source"] for m in moved] == ["stocky"] and moved[0]["after"] == head


def test_a_unit_that_fails_in_a_worker_is_one_line_with_the_workers_own_error(
    stock_repo: Path, tmp_path: Path
) -> None:
    with Warehouse(tmp_path / "w.duckdb") as warehouse:
        plan = plan_repository(warehouse, stock_repo, "run")
        [unit] = mining_units(
            plan, "run", LandingOptions(TEST_KEY), fact_column_types(warehouse), 1000
        )
    # a commit the repository does not have: git fails in the worker
    gone = replace(unit, shas=("0" * 40,))
    with (
        PoolFanOut(1) as pool,
        pytest.raises(WorkFailed, match=r"^git failed \(git log\): .*; check that git works"),
    ):
        list(pool.each(mine_unit, [gone], lambda u: u.label))
