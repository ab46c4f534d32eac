from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

from flows.draft.drafters import extractive_drafters
from flows.draft.drafting import CandidateWriter, DraftSummary, draft_tasks
from flows.settings import Settings
from tests.builders import TEST_KEY, BuildRepo, Cli, Commit, stock_history
from warehouse.landing.commit_rows import LandingOptions
from warehouse.landing.repositories import land_repository
from warehouse.outcomes import Skip, SkipCategory
from warehouse.selection.commits import select_tasks
from warehouse.selection.task_context import Context, ContextLoader
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
        skips = warehouse.query(
            "SELECT kind, category, reason, run_id FROM draft_skips ORDER BY kind"
        ).rows
        runs = warehouse.query("SELECT id, counts FROM runs ORDER BY started_at").rows
        assert warehouse.count("candidates") == 0
    assert [(kind, category) for kind, category, _, _ in skips] == [
        ("agent", "too_little_context"),
        ("instruction", "too_little_context"),
    ]
    assert all(reason.startswith("too little context: ") for _, _, reason, _ in skips)
    assert {run_id for *_, run_id in skips} == {runs[0][0]}
    first_counts = json.loads(runs[0][1])["draft"]
    assert first_counts["skipped_at_drafting"] == {"too_little_context": 2}


def test_skips_are_counted_by_category_whatever_their_words() -> None:
    summary = DraftSummary()
    summary.skip(Skip(SkipCategory.UNIT_TOO_LONG, "unit too long for one record: 300 lines"))
    summary.skip(Skip(SkipCategory.UNIT_TOO_LONG, "this unit is far too long (612 lines)"))
    summary.defer(Skip(SkipCategory.TIMEOUT, "timeout after 120s"))
    summary.defer(Skip(SkipCategory.TIMEOUT, "the endpoint took longer than 120 s"))
    assert summary.skipped == {"unit_too_long": 2}
    assert summary.deferred == {"timeout": 2}
    assert summary.deferred_example == {"timeout": "timeout after 120s"}


class CountingLoader(ContextLoader):
    """The real loader, counting what it loads."""

    loaded: Counter[str]

    def load_any(self, task_id: str) -> Context:
        self.loaded[task_id] += 1
        return super().load_any(task_id)


def test_each_task_is_loaded_once_for_every_kind_and_language_and_every_result_is_stored(
    warehouse: Warehouse, make_repo: BuildRepo
) -> None:
    land_repository(warehouse, make_repo(stock_history()), "r1", LandingOptions(key=TEST_KEY))
    select_tasks(warehouse, "r1")
    loader = CountingLoader(warehouse, TEST_KEY)
    loader.loaded = Counter()
    drafter = extractive_drafters(Settings(), TEST_KEY)
    CandidateWriter.BATCH_ROWS = 3  # several batches, and a last one written at the end
    try:
        summary = draft_tasks(
            warehouse,
            loader,
            drafter,
            kinds=["instruction", "agent"],
            langs=["en", "zh"],
            limit=0,
            run_id="r1",
        )
    finally:
        CandidateWriter.BATCH_ROWS = 100
        loader.close()
    selected = warehouse.count("tasks WHERE status = 'selected'")
    assert selected and sorted(loader.loaded.values()) == [1] * selected
    stored = warehouse.count("candidates") + warehouse.count("draft_skips")
    assert stored == 4 * selected == summary.candidates + sum(summary.skipped.values())
