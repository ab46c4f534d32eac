"""Verdicts: validated, redacted and stored at once; the export and the counter-examples honour
the latest one."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TypedDict, Unpack

import pytest

from tests.builders import GOOD, PLANTED_KEY, TEST_KEY, insert_candidates
from warehouse.errors import InvalidVerdict
from warehouse.export.datasets import export_accepted
from warehouse.review.counter_examples import COUNTER_EXAMPLES_FILE
from warehouse.review.verdicts import VerdictGiven, latest_verdicts, record_verdict
from warehouse.store import Warehouse


class VerdictExtra(TypedDict, total=False):
    """What a verdict may carry besides its candidate, kind, reviewer and nonce."""

    reasons: tuple[str, ...]
    note: str
    edited_record: dict[str, object]


def _give(
    warehouse: Warehouse,
    candidate_id: str,
    verdict: str,
    nonce: str,
    **extra: Unpack[VerdictExtra],
) -> str:
    return record_verdict(
        warehouse, VerdictGiven(candidate_id, verdict, "ana", nonce, **extra), TEST_KEY
    )


def _outputs(target: Path) -> list[str]:
    return [
        json.loads(line)["output"]
        for line in (target / "goldmine_alpaca.jsonl").read_text().splitlines()
    ]


@pytest.mark.parametrize(
    ("verdict", "extra", "message"),
    [
        ("maybe", {}, "unknown verdict 'maybe'"),
        ("rejected", {}, "a rejection needs at least one reason"),
        ("rejected", {"reasons": ("too_long",)}, "unknown rejection reason 'too_long'"),
        ("rejected", {"reasons": ("other",), "note": "  "}, "'other' needs a note"),
        ("edited", {}, "an edit needs the edited record"),
        (
            "edited",
            {"edited_record": {**GOOD, "output": ""}},
            "the edited record is not valid at instruction.output",
        ),
    ],
)
def test_a_verdict_that_cannot_be_stored_as_given_stores_nothing(
    warehouse: Warehouse, verdict: str, extra: VerdictExtra, message: str
) -> None:
    insert_candidates(warehouse, [("bugfix", "en", "accepted")])
    with pytest.raises(InvalidVerdict, match=message):
        _give(warehouse, "c0", verdict, "n", **extra)
    assert warehouse.count("reviews") == 0


def test_a_double_submit_stores_one_row_and_the_latest_verdict_counts(warehouse: Warehouse) -> None:
    insert_candidates(warehouse, [("bugfix", "en", "accepted")])
    first = _give(warehouse, "c0", "rejected", "form-1", reasons=("wrong",), note="off")
    assert _give(warehouse, "c0", "rejected", "form-1", reasons=("wrong",), note="off") == first
    assert warehouse.count("reviews") == 1
    _give(warehouse, "c0", "accepted", "form-2")
    latest = latest_verdicts(warehouse, ["c0", "c-none"])
    assert list(latest) == ["c0"] and latest["c0"].verdict == "accepted"
    # the rejection's reasons are not carried over
    assert latest["c0"].reasons == () and latest["c0"].note == ""


def test_text_a_reviewer_types_is_redacted_like_mined_text(warehouse: Warehouse) -> None:
    insert_candidates(warehouse, [("bugfix", "en", "accepted")])
    pasted = {
        **GOOD,
        "id": "c0",
        "output": GOOD["output"] + f"\nAWS key {PLANTED_KEY}, mail ana.lima@corp.example",
    }
    review_id = _give(warehouse, "c0", "edited", "n", edited_record=pasted)
    stored = warehouse.scalar("SELECT edited_record FROM reviews WHERE id = ?", [review_id])
    assert PLANTED_KEY not in stored and "ana.lima@corp.example" not in stored
    assert "<SECRET:aws-access-key>" in stored and "<EMAIL>" in stored
    kinds = warehouse.query(
        "SELECT kind FROM secret_findings WHERE location LIKE 'reviews:%' ORDER BY 1"
    ).rows
    assert kinds == [("aws-access-key",), ("email",)]


def test_the_export_follows_the_latest_verdict_and_the_unreviewed_policy(
    warehouse: Warehouse, tmp_path: Path
) -> None:
    insert_candidates(
        warehouse, [("bugfix", "en", "accepted")] * 4 + [("bugfix", "en", "rejected")]
    )
    drafted = {
        cid: json.loads(warehouse.scalar("SELECT record FROM candidates WHERE id = ?", [cid]))[
            "output"
        ]
        for cid in ("c0", "c1", "c2", "c3", "c4")
    }
    _give(
        warehouse,
        "c0",
        "edited",
        "a",
        edited_record={**GOOD, "id": "c0", "output": "```python\nx = 1\n```\n\nEdited."},
    )
    _give(
        warehouse,
        "c1",
        "edited",
        "b",
        edited_record={**GOOD, "id": "c1", "output": "```python\ny = 2\n```\n\nDropped."},
    )
    _give(warehouse, "c1", "accepted", "c")  # accepting after an edit keeps the draft
    _give(warehouse, "c2", "rejected", "d", reasons=("mismatch",), note="tests another function")
    _give(warehouse, "c4", "accepted", "e")  # a person keeps what the assay rejected
    export_accepted(warehouse, tmp_path / "all", "run")
    assert sorted(_outputs(tmp_path / "all")) == sorted(
        ["```python\nx = 1\n```\n\nEdited.", drafted["c1"], drafted["c3"], drafted["c4"]]
    )
    summary = export_accepted(warehouse, tmp_path / "reviewed", "run", include_unreviewed=False)
    assert drafted["c3"] not in _outputs(tmp_path / "reviewed") and summary.records["alpaca"] == 3
    counter = [
        json.loads(line)
        for line in (tmp_path / "all" / COUNTER_EXAMPLES_FILE).read_text().splitlines()
    ]
    assert [(c["id"], c["reasons"], c["reason_labels"], c["note"]) for c in counter] == [
        ("c2", ["mismatch"], ["instruction/output mismatch"], "tests another function")
    ]
    assert counter[0]["record"]["output"] == drafted["c2"] and "reviewer" not in counter[0]
    _give(warehouse, "c2", "accepted", "f")  # overturned: the stale counter-example file goes
    assert "counter_examples" not in export_accepted(warehouse, tmp_path / "all", "run").files
    assert not (tmp_path / "all" / COUNTER_EXAMPLES_FILE).exists()


def test_a_secret_a_reviewer_types_into_code_becomes_a_neutral_value_or_the_edit_is_refused(
    warehouse: Warehouse,
) -> None:
    insert_candidates(warehouse, [("bugfix", "en", "accepted")])
    in_a_literal = GOOD["output"].replace(
        "    if qty", f'    logger.info("key %s", "{PLANTED_KEY}")\n    if qty', 1
    )
    review_id = _give(
        warehouse, "c0", "edited", "n1", edited_record={**GOOD, "id": "c0", "output": in_a_literal}
    )
    stored = json.loads(
        warehouse.scalar("SELECT edited_record FROM reviews WHERE id = ?", [review_id])
    )
    assert 'logger.info("key %s", "example-secret")' in stored["output"]
    assert stored["provenance"]["neutralised"] == ["aws-access-key"]
    outside = GOOD["output"].replace("    if qty", f"    key = {PLANTED_KEY}\n    if qty", 1)
    with pytest.raises(InvalidVerdict, match="puts a secret into the record's code"):
        _give(
            warehouse, "c0", "edited", "n2", edited_record={**GOOD, "id": "c0", "output": outside}
        )
    assert warehouse.count("reviews") == 1
