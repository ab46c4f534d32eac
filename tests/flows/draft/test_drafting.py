from __future__ import annotations

from pathlib import Path

from tests.builders import BuildRepo, Cli, Commit, stock_history
from warehouse.store import Warehouse


def test_a_task_with_too_little_context_is_skipped_once_with_its_reason(
    cli: Cli, make_repo: BuildRepo, tmp_path: Path
) -> None:
    first = stock_history()[0]
    tweaked = first["files"]["src/stock.py"].replace(
        "levels.get(sku, 0) + qty", "levels.get(sku, 0) + int(qty)"
    )
    history: list[Commit] = [
        first,
        {"message": "Tweak restock", "files": {"src/stock.py": tweaked}},
    ]
    repo = make_repo(history)
    workspace = tmp_path / "ws"
    for _ in range(2):
        assert (
            cli(
                "run", "--inline", "--repo", repo, "--kinds", "both", "--workspace", workspace
            ).exit_code
            == 0
        )
    with Warehouse(workspace / "goldmine.duckdb", read_only=True) as warehouse:
        skips = warehouse.query("SELECT kind, reason, run_id FROM draft_skips ORDER BY kind").rows
        runs = [row[0] for row in warehouse.query("SELECT id FROM runs ORDER BY started_at").rows]
        assert warehouse.count("candidates") == 0
    assert [(kind, reason.split(":")[0]) for kind, reason, _ in skips] == [
        ("agent", "too little context"),
        ("instruction", "too little context"),
    ]
    assert {run_id for _, _, run_id in skips} == {runs[0]}
