from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from tests.builders import GOOD, AgentJson, candidate_row
from warehouse.export.datasets import ExportRowError, export_accepted, sharegpt_row
from warehouse.records import AgentRecord, parse_record
from warehouse.store import Warehouse

AGENT: AgentJson = {
    "id": "agent",
    "kind": "agent",
    "task_type": "bugfix",
    "lang": "en",
    "system": "You are a coding agent.",
    "tools": [
        {
            "name": "read_file",
            "description": "Read a file.",
            "parameters": {"type": "object", "properties": {"path": {"type": "string"}}},
        }
    ],
    "conversation": [
        {"role": "user", "content": "Why does reserve accept -1?"},
        {
            "role": "assistant",
            "content": {
                "thought": "Read the code first.",
                "action": {"tool_name": "read_file", "parameters": {"path": "src/stock.py"}},
            },
        },
        {"role": "tool", "content": {"result": "def reserve(...): ..."}},
        {
            "role": "assistant",
            "content": {"thought": "There is no check.", "final_answer": "Add a qty <= 0 check."},
        },
    ],
    "provenance": {"drafter": "extractive", "template": "t@1", "observations": "replayed"},
}


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


def test_sharegpt_rows_follow_llamafactory_positions_and_json_strings() -> None:
    record = parse_record(AGENT)
    assert isinstance(record, AgentRecord)
    row = sharegpt_row(record)
    assert [m["from"] for m in row["conversations"]] == [
        "human",
        "function_call",
        "observation",
        "gpt",
    ]
    value = row["conversations"][1]["value"]
    thought, call = value.split("\n<tool_call>")
    assert thought == "Read the code first." and call.endswith("</tool_call>")
    assert json.loads(call.removesuffix("</tool_call>")) == {
        "name": "read_file",
        "arguments": {"path": "src/stock.py"},
    }
    assert json.loads(row["tools"])[0]["name"] == "read_file"


def test_sharegpt_rejects_a_conversation_out_of_order() -> None:
    broken = {
        **AGENT,
        "conversation": [
            AGENT["conversation"][0],
            AGENT["conversation"][2],
            AGENT["conversation"][3],
        ],
    }
    record = parse_record(broken)
    assert isinstance(record, AgentRecord)
    with pytest.raises(ExportRowError, match="turn 1 is observation"):
        sharegpt_row(record)
