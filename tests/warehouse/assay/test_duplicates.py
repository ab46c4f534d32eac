"""One answer per input: the member a duplicate cluster keeps depends on the candidates alone.

The same candidates handed over in any order (runners deliver drafted batches as they finish)
keep the same member, and a tie of scores goes to the earlier commit, never to the candidate
stored first.
"""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.builders import candidate_row
from tests.damages import gold
from warehouse.assay import near_duplicates as nd
from warehouse.assay.duplicates import Contender, find_duplicates, keep_order
from warehouse.assay.runner import AssaySettings, assay
from warehouse.store import Warehouse

DEDUP = nd.DedupSettings()
SOON = datetime(2024, 3, 1, tzinfo=UTC)


def _variants(count: int) -> list[dict[str, Any]]:
    """Copies of gold 02, each a few more words marked than the one before: a chain of
    near-duplicates whose neighbours are near (Jaccard 0.83 or more) but whose ends are not (0.52):
    which pairs get compared must not decide the clusters."""
    variants = []
    for n in range(count):
        changed = copy.deepcopy(gold("02")) | {"id": f"v{n}"}
        for field in ("instruction", "output"):
            words = changed[field].split(" ")
            changed[field] = " ".join(
                f"{word}x" if i % 4 == 0 and i // 4 < n * 8 else word
                for i, word in enumerate(words)
            )
        variants.append(changed)
    return variants


def _store(warehouse: Warehouse, records: list[dict[str, Any]], hours: list[int]) -> None:
    """Each record as candidate ``c{n}`` drafted from its own commit, committed ``hours[n]``
    hours after a fixed moment (and stored in the opposite order)."""
    warehouse.insert(
        "candidates",
        [
            candidate_row(record, len(records) - n) | {"id": f"c{n}", "task_id": f"t{n}"}
            for n, record in enumerate(records)
        ],
    )
    warehouse.insert(
        "tasks",
        [
            {
                "id": f"t{n}",
                "source_id": "s",
                "commit_id": f"m{n}",
                "family": "bugfix",
                "polarity": "positive",
                "status": "selected",
                "reason": "",
                "facts": "{}",
                "selector_version": "1",
                "run_id": "r",
            }
            for n in range(len(records))
        ],
    )
    warehouse.insert(
        "commits",
        [
            {
                "id": f"m{n}",
                "source_id": "s",
                "sha": f"{n:040x}",
                "parents": [],
                "committed_at": SOON + timedelta(hours=hours[n]),
                "subject": "s",
                "body": "",
                "is_merge": False,
                "non_utf8": False,
                "files_changed": 1,
                "added_lines": 1,
                "deleted_lines": 0,
                "miner_version": "git-2",
                "run_id": "r",
            }
            for n in range(len(records))
        ],
    )


def _contenders(records: list[dict[str, Any]]) -> tuple[list[Contender], np.ndarray]:
    hashed = nd.hashed([nd.shingles(nd.dedup_text(r), DEDUP) for r in records])
    contenders = [
        Contender(f"c{n}", f"h{n}", hashes, 90.0, record["lang"])
        for n, (record, hashes) in enumerate(zip(records, hashed, strict=True))
    ]
    return contenders, nd.signatures_of(hashed, DEDUP)


@pytest.fixture(scope="module")
def chain(tmp_path_factory: pytest.TempPathFactory) -> Warehouse:
    warehouse = Warehouse(tmp_path_factory.mktemp("dups") / "w.duckdb")
    _store(warehouse, _variants(6), [5, 3, 4, 0, 2, 1])
    return warehouse


Outcome = tuple[dict[str, dict[str, tuple[bool, str]]], list[str], int, int]


def _outcome(warehouse: Warehouse, order: list[int]) -> Outcome:
    """The verdicts, the cluster rows (as sorted JSON), and the counts."""
    records = _variants(6)
    contenders, signatures = _contenders(records)
    found = find_duplicates(
        warehouse, [contenders[i] for i in order], signatures[order], [], DEDUP, "r"
    )
    verdicts = {
        candidate: {name: (v.passed, v.detail) for name, v in checks.items()}
        for candidate, checks in found.verdicts.items()
    }
    rows = sorted(json.dumps(row, sort_keys=True) for row in found.cluster_rows)
    return verdicts, rows, found.clusters, found.duplicates


@settings(
    max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(order=st.permutations(range(6)))
def test_any_arrival_order_keeps_the_same_member_with_the_same_verdicts(
    chain: Warehouse, order: list[int]
) -> None:
    assert _outcome(chain, list(order)) == _outcome(chain, list(range(6)))


def test_the_chain_is_one_cluster_that_keeps_the_earliest_commit(chain: Warehouse) -> None:
    _, rows, clusters, duplicates = _outcome(chain, [5, 4, 3, 2, 1, 0])
    assert (clusters, duplicates) == (1, 5)
    kept = [json.loads(row)["candidate_id"] for row in rows if json.loads(row)["kept"]]
    assert kept == ["c3"]  # committed first (hour 0), though stored neither first nor last


def test_equal_scores_go_to_the_earlier_commit_not_to_the_first_stored(
    warehouse: Warehouse, tmp_path: Path
) -> None:
    folder = tmp_path / "seeds"
    folder.mkdir()
    (folder / "tools.json").write_text((Path("seeds") / "tools.json").read_text(), encoding="utf-8")
    copies = [copy.deepcopy(gold("02")) | {"id": f"copy{n}"} for n in range(3)]
    # c0 is stored last (candidate_row's created_at), but its commit is the earliest
    _store(warehouse, copies, [0, 7, 9])
    assay(warehouse, "r", settings=AssaySettings(seeds=folder))
    statuses = dict(warehouse.query("SELECT id, status FROM candidates").rows)
    assert statuses == {"c0": "accepted", "c1": "rejected", "c2": "rejected"}


def test_keep_order_ranks_score_then_commit_time_then_sha_then_id() -> None:
    early, late = SOON, SOON + timedelta(seconds=1)
    ranked = sorted(
        [
            ("e", keep_order(80.0, (early, "a"), "e")),
            ("d", keep_order(90.0, (late, "a"), "d")),
            ("c", keep_order(90.0, (early, "b"), "c")),
            ("b", keep_order(90.0, (early, "a"), "z")),
            ("a", keep_order(90.0, (early, "a"), "y")),
        ],
        key=lambda item: item[1],
    )
    assert [name for name, _ in ranked] == ["a", "b", "c", "d", "e"]
