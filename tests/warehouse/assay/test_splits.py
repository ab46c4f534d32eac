"""Train/holdout by commit time, grouped by ticket, honoured by the export."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

from tests.builders import GOOD
from warehouse.assay.splits import SplitRule, assign_splits
from warehouse.export.datasets import export_accepted
from warehouse.store import Warehouse

START = datetime(2024, 1, 1, tzinfo=UTC)


def _history(warehouse: Warehouse, tickets: dict[int, str]) -> None:
    """Ten accepted candidates from ten commits on consecutive days; ``tickets`` links day →
    ticket."""
    commits, tasks, candidates = [], [], []
    for day in range(10):
        commits.append(
            {
                "id": f"m{day}",
                "source_id": "s",
                "sha": f"{day:040d}",
                "parents": [],
                "subject": "s",
                "body": "",
                "is_merge": False,
                "non_utf8": False,
                "files_changed": 1,
                "added_lines": 1,
                "deleted_lines": 0,
                "miner_version": "m",
                "run_id": "r",
                "committed_at": START + timedelta(days=day),
            }
        )
        tasks.append(
            {
                "id": f"t{day}",
                "source_id": "s",
                "commit_id": f"m{day}",
                "family": "bugfix",
                "polarity": "positive",
                "status": "selected",
                "reason": "r",
                "facts": "{}",
                "selector_version": "v",
                "run_id": "r",
            }
        )
        record = json.dumps(GOOD | {"id": f"c{day}", "output": GOOD["output"] + f" Day {day}."})
        candidates.append(
            {
                "id": f"c{day}",
                "task_id": f"t{day}",
                "kind": "instruction",
                "task_type": "bugfix",
                "lang": "en",
                "drafter": "extractive",
                "template": "t",
                "status": "accepted",
                "record": record,
                "provenance": "{}",
                "run_id": "r",
                "created_at": START,
            }
        )
    warehouse.insert("commits", commits)
    warehouse.insert("tasks", tasks)
    warehouse.insert("candidates", candidates)
    warehouse.insert(
        "ticket_links",
        [
            {
                "ticket_id": key,
                "commit_id": f"m{day}",
                "method": "closing_keyword",
                "confidence": 0.9,
            }
            for day, key in tickets.items()
        ],
    )


def _split(warehouse: Warehouse) -> dict[str, str]:
    return dict(warehouse.query("SELECT candidate_id, split FROM splits").rows)


def test_the_newest_share_goes_to_the_holdout(warehouse: Warehouse) -> None:
    _history(warehouse, {})
    assert assign_splits(warehouse, SplitRule(holdout_percent=20), "r") == {
        "train": 8,
        "holdout": 2,
    }
    assert {c for c, s in _split(warehouse).items() if s == "holdout"} == {"c8", "c9"}


def test_a_ticket_never_straddles_the_split(warehouse: Warehouse) -> None:
    # T-1: a fix on day 2 and a follow-up on day 9
    _history(warehouse, {2: "T-1", 9: "T-1", 5: "T-2"})
    assign_splits(warehouse, SplitRule(holdout_percent=10), "r")
    split = _split(warehouse)
    assert split["c2"] == split["c9"] == "holdout" and split["c8"] == "train"
    groups = dict(warehouse.query("SELECT candidate_id, group_key FROM splits").rows)
    assert groups["c2"] == groups["c9"] != groups["c5"]


def test_after_a_date_moves_whole_tickets(warehouse: Warehouse) -> None:
    _history(warehouse, {3: "T-1", 7: "T-1"})
    counts = assign_splits(
        warehouse, SplitRule(holdout_after=START + timedelta(days=6, hours=12)), "r"
    )
    split = _split(warehouse)
    assert (
        counts == {"train": 6, "holdout": 4} and split["c3"] == "holdout" and split["c6"] == "train"
    )
    assert warehouse.scalar("SELECT DISTINCT rule FROM splits").startswith("after 2024-01-07")


def test_export_writes_the_holdout_to_its_own_dataset(warehouse: Warehouse, tmp_path: Path) -> None:
    _history(warehouse, {})
    assign_splits(warehouse, SplitRule(holdout_percent=30), "r")
    summary = export_accepted(warehouse, tmp_path, "r", ["alpaca"])
    info = json.loads((tmp_path / "dataset_info.json").read_text())
    assert info["goldmine_alpaca_holdout"]["file_name"] == "goldmine_alpaca_holdout.jsonl"
    assert info["goldmine_alpaca_holdout"]["formatting"] == "alpaca"
    assert summary.records == {"alpaca": 7, "alpaca_holdout": 3}
    holdout = (tmp_path / "goldmine_alpaca_holdout.jsonl").read_text()
    assert all(f"Day {day}." in holdout for day in (7, 8, 9))
