"""Records as OpenAI chat fine-tuning rows: ``messages`` with ``tool_calls``, and ``tools``.

Arguments of a tool call are a JSON string, and each tool message answers its call by id, as the
OpenAI fine-tuning format requires. Instruction records become a system/user/assistant exchange.
"""

from __future__ import annotations

import json
from typing import Any

from warehouse.records import AgentRecord, InstructionRecord


def openai_row(record: InstructionRecord | AgentRecord) -> dict[str, Any]:
    """One fine-tuning row for either kind of record."""
    if isinstance(record, InstructionRecord):
        return {"messages": _instruction_messages(record)}
    tools = [{"type": "function", "function": tool.model_dump()} for tool in record.tools]
    return {"messages": _agent_messages(record), "tools": tools}


def _instruction_messages(record: InstructionRecord) -> list[dict[str, Any]]:
    user = f"{record.instruction}\n\n{record.input}" if record.input.strip() else record.instruction
    system = [{"role": "system", "content": record.system}] if record.system else []
    return [
        *system,
        {"role": "user", "content": user},
        {"role": "assistant", "content": record.output},
    ]


def _agent_messages(record: AgentRecord) -> list[dict[str, Any]]:
    messages: list[dict[str, Any]] = (
        [{"role": "system", "content": record.system}] if record.system else []
    )
    calls = 0
    for turn in record.conversation:
        content = turn.content
        if isinstance(content, str):
            messages.append({"role": "user", "content": content})
        elif turn.role == "tool":
            result = getattr(content, "result", "")
            text = result if isinstance(result, str) else json.dumps(result, ensure_ascii=False)
            messages.append({"role": "tool", "tool_call_id": f"call_{calls}", "content": text})
        elif getattr(content, "action", None) is not None:
            calls += 1
            messages.append(_tool_call_message(content, f"call_{calls}"))
        else:
            answer = f"{content.thought}\n\n{content.final_answer or ''}".strip()  # type: ignore[union-attr]
            messages.append({"role": "assistant", "content": answer})
    return messages


def _tool_call_message(step: Any, call_id: str) -> dict[str, Any]:
    arguments = json.dumps(step.action.parameters, ensure_ascii=False)
    call = {
        "id": call_id,
        "type": "function",
        "function": {"name": step.action.tool_name, "arguments": arguments},
    }
    return {"role": "assistant", "content": step.thought, "tool_calls": [call]}
