from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest

from tests.builders import candidate_row
from tests.damages import gold
from warehouse.assay.runner import AssaySettings, assay, evaluate
from warehouse.assay.splits import EvalSet
from warehouse.store import Warehouse

NOT_A_DUPLICATE = "03"  # a gold unlike gold 02 in every way


@pytest.fixture
def no_golds(tmp_path: Path) -> AssaySettings:
    """Settings whose seeds folder holds the catalog but no gold records, so golds are not
    copies."""
    folder = tmp_path / "seeds"
    folder.mkdir()
    (folder / "tools.json").write_text((Path("seeds") / "tools.json").read_text(), encoding="utf-8")
    return AssaySettings(seeds=folder)


def _statuses(warehouse: Warehouse) -> dict[str, str]:
    return dict(warehouse.query("SELECT id, status FROM candidates").rows)


def test_every_verdict_is_a_row_and_sql_names_the_check_that_rejects(
    warehouse: Warehouse, no_golds: AssaySettings
) -> None:
    talker = copy.deepcopy(gold("02")) | {"id": "talker"}
    talker["output"] = "As an AI language model, I cannot help with that. " + talker["output"]
    warehouse.insert("candidates", [candidate_row(gold("02"), 1), candidate_row(talker, 2)])
    summary = assay(warehouse, "r", settings=no_golds)
    assert (summary.accepted, summary.rejected) == (1, 1) and dict(summary.failures) == {
        "meta_talk": 1
    }
    assert _statuses(warehouse) == {"c1": "accepted", "c2": "rejected"}
    rows = warehouse.query("SELECT candidate_id, count(*) FROM checks GROUP BY 1 ORDER BY 1").rows
    # the rejected one is not compared for duplicates
    assert rows[1][1] >= 15 and rows[0][1] == rows[1][1] + 2
    failing = warehouse.query(
        'select "check", count(*) from checks where not passed group by 1'
    ).rows
    assert failing == [("meta_talk", 1)]
    assert warehouse.scalar("SELECT score FROM candidates WHERE id = 'c1'") == 100.0
    # nothing pending: nothing redone
    assert assay(warehouse, "r2", settings=no_golds).accepted == 0


def test_exact_duplicates_keep_the_best_scored_member(
    warehouse: Warehouse, no_golds: AssaySettings
) -> None:
    best = gold("02")
    spaced = copy.deepcopy(best) | {"id": "spaced"}
    spaced["output"] = spaced["output"].replace("\n\n", "\n \n")
    weaker = copy.deepcopy(best) | {"id": "weaker"}  # logs nothing: a soft failure, a lower score
    weaker["output"] = "\n".join(
        line for line in weaker["output"].split("\n") if "logger" not in line
    )
    warehouse.insert(
        "candidates", [candidate_row(weaker, 1), candidate_row(best, 2), candidate_row(spaced, 3)]
    )
    assay(warehouse, "r", settings=no_golds)
    assert _statuses(warehouse) == {"c1": "rejected", "c2": "accepted", "c3": "rejected"}
    clusters = warehouse.query(
        "SELECT candidate_id, cluster_id, kept, method FROM dup_clusters ORDER BY 1"
    ).rows
    assert clusters == [
        ("c1", "c2", False, "near"),
        ("c2", "c2", True, "kept"),
        ("c3", "c2", False, "exact"),
    ]


def test_a_renamed_copy_is_a_near_duplicate_and_an_unrelated_record_is_not(
    warehouse: Warehouse, no_golds: AssaySettings
) -> None:
    original = gold("02")
    renamed = copy.deepcopy(original) | {"id": "renamed"}
    for old, new in (
        ("per_page", "page_size"),
        ("_int_arg", "_read_int"),
        ("BadQuery", "InvalidQuery"),
    ):
        renamed["output"] = renamed["output"].replace(old, new)
    warehouse.insert(
        "candidates",
        [
            candidate_row(original, 1),
            candidate_row(renamed, 2),
            candidate_row(gold(NOT_A_DUPLICATE), 3),
        ],
    )
    summary = assay(warehouse, "r", settings=no_golds)
    assert _statuses(warehouse) == {"c1": "accepted", "c2": "rejected", "c3": "accepted"}
    assert summary.duplicates == 1 and summary.clusters == 1
    detail = warehouse.scalar(
        """SELECT detail FROM checks WHERE candidate_id = 'c2' AND "check" = 'near_duplicate'"""
    )
    assert "near-duplicate" in detail and "c1" in detail


def test_a_later_run_compares_with_the_signatures_an_earlier_run_stored(
    warehouse: Warehouse, no_golds: AssaySettings
) -> None:
    warehouse.insert("candidates", [candidate_row(gold("02"), 1)])
    assay(warehouse, "first", settings=no_golds)
    assert warehouse.count("dup_signatures") == 1
    again = copy.deepcopy(gold("02")) | {"id": "again"}
    again["output"] = (
        again["output"].replace("per_page", "limit")
        + "\n\nThe tests above pin every reported case."
    )
    warehouse.insert("candidates", [candidate_row(again, 2, run="second")])
    assay(warehouse, "second", settings=no_golds)
    assert _statuses(warehouse) == {"c1": "accepted", "c2": "rejected"}
    assert warehouse.query("SELECT candidate_id, kept FROM dup_clusters ORDER BY 1").rows == [
        ("c1", True),
        ("c2", False),
    ]


def test_a_copy_of_a_gold_is_not_new_data(warehouse: Warehouse) -> None:
    copied = copy.deepcopy(gold("07")) | {"id": "copied"}
    copied["conversation"][0]["content"] += " Thanks!"
    warehouse.insert("candidates", [candidate_row(copied, 1)])
    assay(warehouse, "r")
    assert _statuses(warehouse) == {"c1": "rejected"}
    members = warehouse.query("SELECT candidate_id, kept FROM dup_clusters ORDER BY 1").rows
    assert members == [("c1", False), ("gold:gold-07-logslice-timezone-agent", True)]


def test_soft_failures_lower_the_score_and_weights_come_from_settings(
    warehouse: Warehouse, no_golds: AssaySettings
) -> None:
    quiet = copy.deepcopy(gold("02"))
    quiet["output"] = "\n".join(
        line for line in quiet["output"].split("\n") if "logger" not in line
    )
    warehouse.insert("candidates", [candidate_row(quiet, 1)])
    heavy = AssaySettings(seeds=no_golds.seeds, weights={"logging": 30.0})
    assay(warehouse, "r", settings=heavy)
    # weighted this much, one soft failure sinks the score
    assert _statuses(warehouse) == {"c1": "rejected"}
    assert warehouse.scalar("SELECT score FROM candidates") < 60
    verdicts, _ = evaluate(json.dumps(quiet))
    assert not verdicts["logging"].passed and verdicts["error_handling"].passed


def test_a_candidate_that_copies_the_eval_set_is_contaminated(
    warehouse: Warehouse, no_golds: AssaySettings, tmp_path: Path
) -> None:
    leaked = gold("02")
    eval_file = tmp_path / "eval.jsonl"
    eval_file.write_text(
        json.dumps({"prompt": leaked["instruction"], "answer": leaked["output"]})
        + "\n"
        + json.dumps({"prompt": "Sort a list of numbers in Python."})
        + "\n"
    )
    settings = AssaySettings(seeds=no_golds.seeds, eval_set=EvalSet.read(eval_file))
    warehouse.insert(
        "candidates", [candidate_row(leaked, 1), candidate_row(gold(NOT_A_DUPLICATE), 2)]
    )
    summary = assay(warehouse, "r", settings=settings)
    assert (
        _statuses(warehouse) == {"c1": "rejected", "c2": "accepted"} and summary.contaminated == 1
    )
    failing = warehouse.query('SELECT candidate_id, "check" FROM checks WHERE NOT passed').rows
    assert failing == [("c1", "contamination")]


def test_worker_processes_reach_the_same_verdicts_as_this_process(
    tmp_path: Path, no_golds: AssaySettings
) -> None:
    talker = copy.deepcopy(gold("02")) | {"id": "talker"}
    talker["output"] = "As an AI language model, " + talker["output"]
    rows = [candidate_row(gold(p), n) for n, p in enumerate(("01", "02", "03", "04", "07", "09"))]
    rows += [candidate_row(talker, 7), candidate_row(gold("02") | {"id": "again"}, 8)]
    outcomes = []
    for name, workers in (("serial", 1), ("parallel", 2)):
        with Warehouse(tmp_path / f"{name}.duckdb") as warehouse:
            warehouse.insert("candidates", rows)
            settings = AssaySettings(seeds=no_golds.seeds, workers=workers, parallel_from=1)
            assay(warehouse, "r", settings=settings)
            outcomes.append(
                (
                    warehouse.query(
                        'SELECT candidate_id, "check", passed, score, detail FROM checks ORDER BY '
                        "1, 2"
                    ).rows,
                    warehouse.query("SELECT id, status, score FROM candidates ORDER BY 1").rows,
                )
            )
    assert outcomes[0] == outcomes[1]
    assert {i: s for i, s, _ in outcomes[0][1]}[
        "c8"
    ] == "rejected"  # the copy of c1, judged across processes
