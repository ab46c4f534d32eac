from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

from tests.builders import AGENT_RECORD, GOOD, candidate_row, json_object
from warehouse.export.datasets import TrainingWindow, export_accepted
from warehouse.export.tokens import ByteEstimate, row_tokens
from warehouse.store import Warehouse


def test_alpaca_export_writes_only_accepted_rows_and_dataset_info(
    warehouse: Warehouse, tmp_path: Path
) -> None:
    rejected = {**GOOD, "id": "r", "output": "rejected one " * 3}
    rows = [candidate_row(GOOD, 1), candidate_row(rejected, 2)]
    rows[0]["status"], rows[1]["status"] = "accepted", "rejected"
    warehouse.insert("candidates", rows)
    summary = export_accepted(warehouse, tmp_path / "export", "run1")
    lines = (tmp_path / "export" / "goldmine_alpaca.jsonl").read_text().splitlines()
    assert [json.loads(line)["output"] for line in lines] == [GOOD["output"]]
    info = json.loads((tmp_path / "export" / "dataset_info.json").read_text())
    assert info["goldmine_alpaca"]["file_name"] == "goldmine_alpaca.jsonl"
    assert info["goldmine_alpaca"]["columns"]["prompt"] == "instruction"
    manifest = json.loads((tmp_path / "export" / "manifest.json").read_text())
    assert manifest["run_id"] == "run1" and manifest["files"][0]["records"] == 1
    assert summary.records == {"alpaca": 1}
    assert warehouse.count("exports") == 1
    export_accepted(warehouse, tmp_path / "export", "run2")
    assert warehouse.count("exports") == 1  # same content, same export id


def test_a_review_rejection_keeps_a_record_out_and_an_edit_replaces_it(
    warehouse: Warehouse, tmp_path: Path
) -> None:
    second = {**GOOD, "id": "second", "output": GOOD["output"] + " More."}
    rows = [candidate_row(GOOD, 1), candidate_row(second, 2)]
    for row in rows:
        row["status"] = "accepted"
    warehouse.insert("candidates", rows)
    now = datetime.now(UTC)
    edited = json.dumps({**GOOD, "output": GOOD["output"] + " Edited by a reviewer."})
    warehouse.insert(
        "reviews",
        [
            {
                "id": "v1",
                "candidate_id": "c1",
                "verdict": "edited",
                "edited_record": edited,
                "created_at": now,
            },
            {
                "id": "v2",
                "candidate_id": "c2",
                "verdict": "rejected",
                "reasons": ["wrong"],
                "created_at": now,
            },
        ],
    )
    export_accepted(warehouse, tmp_path, "run")
    outputs = [
        json.loads(line)["output"]
        for line in (tmp_path / "goldmine_alpaca.jsonl").read_text().splitlines()
    ]
    assert outputs == [GOOD["output"] + " Edited by a reviewer."]


def _long_agent(observations: int) -> dict[str, object]:
    """The agent record with the file read ``observations`` times: a trajectory as long as wanted
    that still ends with its answer."""
    read, result, answer = AGENT_RECORD["conversation"][1:4]
    steps = [turn for _ in range(observations) for turn in (read, result)]
    return {
        **AGENT_RECORD,
        "id": f"long{observations}",
        "conversation": [AGENT_RECORD["conversation"][0], *steps, answer],
    }


def _agents(warehouse: Warehouse) -> None:
    rows = [candidate_row(AGENT_RECORD, 1), candidate_row(_long_agent(40), 2)]
    for row in rows:
        row["status"] = "accepted"
    warehouse.insert("candidates", rows)


def test_each_thought_style_is_a_dataset_of_its_own_in_both_agent_formattings(
    warehouse: Warehouse, tmp_path: Path
) -> None:
    _agents(warehouse)
    formats = ["sharegpt", "agent_openai"]
    export_accepted(warehouse, tmp_path, "run", formats, thoughts=["inline", "think"])
    info = json.loads((tmp_path / "dataset_info.json").read_text())
    assert set(info) == {
        "goldmine_sharegpt",
        "goldmine_sharegpt_think",
        "goldmine_agent_openai",
        "goldmine_agent_openai_think",
    }
    assert info["goldmine_agent_openai_think"]["formatting"] == "openai"
    think = json_object((tmp_path / "goldmine_sharegpt_think.jsonl").read_text().splitlines()[0])
    assert think["conversations"][1]["value"].startswith("<think>\nRead the code first.\n</think>")


def test_the_manifest_counts_every_rows_tokens_and_a_row_over_max_tokens_is_dropped_with_its_reason(
    warehouse: Warehouse, tmp_path: Path
) -> None:
    _agents(warehouse)
    counted = export_accepted(warehouse, tmp_path / "all", "run1", ["sharegpt"])
    rows = [
        json_object(line)
        for line in (tmp_path / "all/goldmine_sharegpt.jsonl").read_text().splitlines()
    ]
    counts = sorted(row_tokens(row, ByteEstimate()) for row in rows)
    manifest = json_object((tmp_path / "all/manifest.json").read_text())
    print(json.dumps(manifest["files"][0]["tokens"]))
    assert manifest["files"][0]["tokens"] == {
        "rows": 2,
        "min": counts[0],
        "median": counts[0],
        "p90": counts[1],
        "p99": counts[1],
        "max": counts[1],
        "total": sum(counts),
        "over_2048": sum(1 for n in counts if n > 2048),
    }
    assert counted.dropped == []
    limit = (counts[0] + counts[1]) // 2
    window = TrainingWindow(ByteEstimate(), max_tokens=limit)
    summary = export_accepted(warehouse, tmp_path / "fit", "run2", ["sharegpt"], window=window)
    kept = (tmp_path / "fit/goldmine_sharegpt.jsonl").read_text().splitlines()
    assert [json_object(line)["conversations"][-1]["from"] for line in kept] == ["gpt"]
    drop = {"candidate_id": "c2", "dataset": "goldmine_sharegpt", "reason": "over_max_tokens"}
    assert summary.dropped == [{**drop, "tokens": counts[1]}]
    manifest = json_object((tmp_path / "fit/manifest.json").read_text())
    assert manifest["tokens"]["max_tokens"] == limit and manifest["tokens"]["dropped"] == [
        {**drop, "tokens": counts[1]}
    ]
    stored = warehouse.query(
        "SELECT candidate_id, reason, tokens, max_tokens FROM export_drops WHERE run_id = 'run2'"
    ).rows
    assert stored == [("c2", "over_max_tokens", counts[1], limit)]
    export_accepted(warehouse, tmp_path / "fit", "run3", ["sharegpt"], window=window)
    assert warehouse.count("export_drops") == 1  # the same drop, stored once
    recorded = warehouse.query(
        "SELECT e.candidate_id, e.tokens FROM exported_records e JOIN exports x ON x.id = "
        "e.export_id WHERE x.run_id = 'run2'"
    ).rows
    assert recorded == [("c1", counts[0])]
