"""Agent rows in each thought style, and in LLaMA-Factory's openai formatting."""

from __future__ import annotations

import json

import pytest

from tests.builders import AGENT_RECORD as AGENT
from warehouse.export.llamafactory_rows import ExportRowError, agent_openai_row, sharegpt_row
from warehouse.records import AgentRecord, parse_record

CALL = '<tool_call>{"name": "read_file", "arguments": {"path": "src/stock.py"}}</tool_call>'


def _record() -> AgentRecord:
    record = parse_record(AGENT)
    assert isinstance(record, AgentRecord)
    return record


def test_think_wraps_each_thought_in_the_reasoning_templates_own_words() -> None:
    values = [turn["value"] for turn in sharegpt_row(_record(), "think")["conversations"]]
    assert values[1] == f"<think>\nRead the code first.\n</think>\n\n{CALL}"
    assert values[3] == "<think>\nThere is no check.\n</think>\n\nAdd a qty <= 0 check."


def test_inline_keeps_the_plain_thought_and_drop_leaves_only_the_call_and_answer() -> None:
    inline = [turn["value"] for turn in sharegpt_row(_record(), "inline")["conversations"]]
    dropped = [turn["value"] for turn in sharegpt_row(_record(), "drop")["conversations"]]
    assert inline[1] == f"Read the code first.\n{CALL}"
    assert inline[3] == "There is no check.\n\nAdd a qty <= 0 check."
    assert dropped[1] == CALL and dropped[3] == "Add a qty <= 0 check."


def test_the_openai_formatting_keeps_the_thought_in_a_function_call_message() -> None:
    row = agent_openai_row(_record(), "think")
    roles = [message["role"] for message in row["messages"]]
    assert roles == ["system", "user", "function_call", "tool", "assistant"]
    assert row["messages"][2]["content"] == f"<think>\nRead the code first.\n</think>\n\n{CALL}"
    assert "tool_calls" not in row["messages"][2]  # LLaMA-Factory would drop the thought
    tools = json.loads(row["tools"])
    assert tools[0] == {"type": "function", "function": AGENT["tools"][0]}


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
