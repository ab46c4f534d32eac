"""Records as the rows LLaMA-Factory's converters read: alpaca, sharegpt, and its ``openai``
formatting — each with the ``dataset_info.json`` entry that names its columns and tags.

Every row is validated against the converter's own rules (human/observation turns at even
positions, gpt/function_call at odd ones, ending with the answer): LLaMA-Factory drops a malformed
row with only a warning.
"""

from __future__ import annotations

import json
from typing import Any

from warehouse.export.thoughts import ThoughtStyle, step_text
from warehouse.records import AgentRecord, InstructionRecord


class ExportRowError(ValueError):
    """Raised when a record cannot be written in a format (the row is reported, not written)."""


ALPACA_INFO: dict[str, Any] = {
    "formatting": "alpaca",
    "columns": {
        "prompt": "instruction",
        "query": "input",
        "response": "output",
        "system": "system",
    },
}
SHAREGPT_INFO: dict[str, Any] = {
    "formatting": "sharegpt",
    "columns": {"messages": "conversations", "system": "system", "tools": "tools"},
    "tags": {
        "role_tag": "from",
        "content_tag": "value",
        "user_tag": "human",
        "assistant_tag": "gpt",
        "observation_tag": "observation",
        "function_tag": "function_call",
    },
}
# A call step's role is ``function_call``, not an assistant message with ``tool_calls``: LLaMA-
# Factory's openai converter replaces such a message's content with the calls, so the thought
# before a call would never be trained (its issue #9107), and it encodes string arguments twice.
AGENT_OPENAI_INFO: dict[str, Any] = {
    "formatting": "openai",
    "columns": {"messages": "messages", "tools": "tools"},
    "tags": {
        "role_tag": "role",
        "content_tag": "content",
        "user_tag": "user",
        "assistant_tag": "assistant",
        "observation_tag": "tool",
        "function_tag": "function_call",
        "system_tag": "system",
    },
}


def alpaca_row(record: InstructionRecord, style: ThoughtStyle = "inline") -> dict[str, Any]:
    """A LLaMA-Factory alpaca row (an instruction record has no thoughts: ``style`` is unused)."""
    if not record.instruction.strip() or not record.output.strip():
        raise ExportRowError(f"{record.id}: empty instruction or output")
    return {
        "instruction": record.instruction,
        "input": record.input,
        "output": record.output,
        "system": record.system,
    }


def sharegpt_row(record: AgentRecord, style: ThoughtStyle = "inline") -> dict[str, Any]:
    """A LLaMA-Factory sharegpt row with tools: human/observation at even, gpt/function_call at
    odd positions; each step's thought laid out in ``style``."""
    conversations = [
        {"from": role, "value": value} for role, value in _turns(record, style, _SHAREGPT_ROLES)
    ]
    _validate_positions(record.id, [c["from"] for c in conversations], _SHAREGPT_ROLES)
    return {
        "conversations": conversations,
        "system": record.system,
        "tools": json.dumps([tool.model_dump() for tool in record.tools], ensure_ascii=False),
    }


def agent_openai_row(record: AgentRecord, style: ThoughtStyle = "inline") -> dict[str, Any]:
    """An agent row in LLaMA-Factory's ``openai`` formatting: ``messages`` with role and content,
    the system prompt as the first message, tool results as ``tool`` messages.

    ``tools`` is a JSON string of the OpenAI ``tools`` list: a column of JSON Schemas that differ
    from row to row cannot be one Arrow type when ``datasets`` loads the file.
    """
    messages = [
        {"role": role, "content": content} for role, content in _turns(record, style, _OPENAI_ROLES)
    ]
    _validate_positions(record.id, [m["role"] for m in messages], _OPENAI_ROLES)
    system = [{"role": "system", "content": record.system}] if record.system else []
    tools = [{"type": "function", "function": tool.model_dump()} for tool in record.tools]
    return {"messages": system + messages, "tools": json.dumps(tools, ensure_ascii=False)}


# The role names of one format: user, observation, function call, answer.
_SHAREGPT_ROLES = ("human", "observation", "function_call", "gpt")
_OPENAI_ROLES = ("user", "tool", "function_call", "assistant")


def _turns(
    record: AgentRecord, style: ThoughtStyle, roles: tuple[str, str, str, str]
) -> list[tuple[str, str]]:
    user, observation, function, answer = roles
    turns: list[tuple[str, str]] = []
    for turn in record.conversation:
        content = turn.content
        if isinstance(content, str):
            turns.append((user, content))
        elif turn.role == "tool":
            result = getattr(content, "result", None)
            text = result if isinstance(result, str) else json.dumps(result, ensure_ascii=False)
            turns.append((observation, text))
        else:
            turns.append(
                (
                    function if content.action is not None else answer,  # type: ignore[union-attr]
                    step_text(content, style),
                )
            )
    return turns


def _validate_positions(record_id: str, found: list[str], roles: tuple[str, str, str, str]) -> None:
    user, observation, function, answer = roles
    for position, role in enumerate(found):
        expected = (user, observation) if position % 2 == 0 else (answer, function)
        if role not in expected:
            raise ExportRowError(
                f"{record_id}: turn {position} is {role}, expected one of {expected}"
            )
    if not found or found[-1] != answer:
        raise ExportRowError(f"{record_id}: the conversation must end with the assistant's answer")
