from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest

from warehouse.assay import assay, evaluate, normalised_text_hash
from warehouse.records import parse_record
from warehouse.store import Warehouse

GOOD: dict[str, Any] = {
    "id": "good",
    "kind": "instruction",
    "task_type": "bugfix",
    "lang": "en",
    "instruction": (
        "You are a Python developer working on stocky.\n\nRequirements:\n1. Fix `reserve`.\n"
        "2. Keep its signature.\n3. Output the complete function in one fenced block."
    ),
    "input": "",
    "output": "```python\ndef reserve(levels, sku, qty):\n    if qty <= 0:\n        raise ValueError(qty)\n```\n\nWhy.",
    "provenance": {"drafter": "extractive", "template": "t@1"},
}


def _damaged(**changes: Any) -> str:
    return json.dumps({**GOOD, **changes})


def test_a_good_record_passes_every_check() -> None:
    verdicts, record = evaluate(json.dumps(GOOD))
    assert record is not None and all(v.passed for v in verdicts.values()), verdicts


@pytest.mark.parametrize(
    ("damage", "failing"),
    [
        ({"output": ""}, "schema"),
        ({"kind": "recipe"}, "schema"),
        ({"instruction": "Fix it."}, "length"),
        ({"output": GOOD["output"].replace("\n```\n", "\n")}, "code_fences"),
        ({"output": "As an AI language model, I cannot help with that request today."}, "meta_talk"),
        ({"output": "```python\n" + "x = compute_the_total(value)\n" * 40 + "```"}, "repetition"),
        ({"lang": "zh"}, "language"),
        ({"instruction": GOOD["instruction"].replace("You are a Python developer working on stocky.", "Stocky.")}, "role_context"),
        ({"instruction": "You are a Python developer working on stocky. Please fix the function reserve now."}, "numbered_requirements"),
    ],
)  # fmt: skip
def test_each_damage_fails_the_check_it_targets(damage: dict[str, Any], failing: str) -> None:
    verdicts, _ = evaluate(_damaged(**damage))
    assert not verdicts[failing].passed, verdicts[failing]


def _candidate(record: dict[str, Any], n: int) -> dict[str, Any]:
    parsed = parse_record(record)
    return {"id": f"c{n}", "task_id": "t", "kind": "instruction", "task_type": "bugfix", "lang": "en",
            "drafter": "extractive", "template": "t@1", "status": "pending", "record": json.dumps(record),
            "provenance": "{}", "text_hash": normalised_text_hash(parsed), "run_id": "r",
            "created_at": datetime(2024, 1, 1, 0, 0, n, tzinfo=UTC)}  # fmt: skip


def test_the_runner_writes_verdicts_scores_and_rejects_exact_duplicates(warehouse: Warehouse) -> None:
    spaced = {**GOOD, "id": "spaced", "output": GOOD["output"].replace("Why.", "WHY.   ")}
    damaged = {**GOOD, "id": "bad", "output": "As an AI language model I cannot do that for you, sorry."}
    warehouse.insert("candidates", [_candidate(GOOD, 1), _candidate(spaced, 2), _candidate(damaged, 3)])
    summary = assay(warehouse, "r")
    assert (summary.accepted, summary.rejected) == (1, 2)
    assert dict(summary.failures) == {"exact_duplicate": 1, "meta_talk": 1}
    statuses = dict(warehouse.query("SELECT id, status FROM candidates").rows)
    assert statuses == {"c1": "accepted", "c2": "rejected", "c3": "rejected"}
    failed = warehouse.query('SELECT candidate_id, "check", detail FROM checks WHERE NOT passed ORDER BY 1').rows
    assert [(c, k) for c, k, _ in failed] == [("c2", "exact_duplicate"), ("c3", "meta_talk")]
    assert warehouse.scalar("SELECT score FROM candidates WHERE id = 'c1'") == 100.0
    assert assay(warehouse, "r2").accepted == 0  # nothing pending: nothing redone
