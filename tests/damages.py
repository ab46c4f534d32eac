"""The shipped golds, and ways to damage a copy of one so that exactly one principle breaks.

The calibration test and the check tests use them: a check that cannot tell a gold from its
damaged copy is broken.
"""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Callable
from pathlib import Path

from tests.builders import JsonObject

SEEDS = Path(__file__).resolve().parent.parent / "seeds"
GOLD_FILES = sorted(SEEDS.glob("[0-9][0-9]-*.json"))
Raw = JsonObject  # a record as json.loads returns it
_NUMBERED_LINE = re.compile(
    r"^[ \t]*\d+[.)、][ \t]+.*(?:\n(?![ \t]*\d+[.)、])[ \t]+\S.*)*\n?", re.MULTILINE
)
_ERROR_OR_LOG = re.compile(
    r"\b(?:try|except|raise|throw|catch|finally|reject|logger|logging|log|console|warn)\b"
)


def gold(name: str) -> Raw:
    """A gold record by file-name prefix (``"02"``), without its ``meta`` key."""
    path = next(p for p in GOLD_FILES if p.name.startswith(name))
    data: Raw = json.loads(path.read_text(encoding="utf-8"))
    data.pop("meta")
    return data


def golds() -> list[Raw]:
    """Every gold record."""
    return [gold(path.name[:2]) for path in GOLD_FILES]


def without_numbered_requirements(record: Raw) -> Raw:
    """The instruction's numbered requirement lines deleted."""
    damaged = copy.deepcopy(record)
    damaged["instruction"] = _NUMBERED_LINE.sub("", damaged["instruction"])
    return damaged


def without_role_and_context(record: Raw) -> Raw:
    """No system prompt, and the request starts at its requirements (no role, no situation)."""
    damaged = copy.deepcopy(record)
    damaged["system"] = ""
    if damaged["kind"] == "instruction":
        text = damaged["instruction"]
        first = _NUMBERED_LINE.search(text)
        damaged["instruction"] = "Requirements:\n" + text[first.start() :] if first else text
    return damaged


def without_error_handling_and_logging(record: Raw) -> Raw:
    """Every code line that handles, raises or logs an error deleted from the output."""
    damaged = copy.deepcopy(record)
    damaged["output"] = "\n".join(
        line for line in damaged["output"].split("\n") if not _ERROR_OR_LOG.search(line)
    )
    return damaged


def with_unknown_tool(record: Raw) -> Raw:
    """The first action calls a tool the catalog does not have."""
    damaged = copy.deepcopy(record)
    assistant_steps(damaged)[0]["action"]["tool_name"] = "open_file"
    return damaged


def without_a_thought(record: Raw) -> Raw:
    """The second assistant step acts without stating its reasoning."""
    damaged = copy.deepcopy(record)
    del assistant_steps(damaged)[1]["thought"]
    return damaged


def without_a_tool_result(record: Raw) -> Raw:
    """The last tool turn dropped: an action that is never answered."""
    damaged = copy.deepcopy(record)
    last_tool = max(n for n, turn in enumerate(damaged["conversation"]) if turn["role"] == "tool")
    del damaged["conversation"][last_tool]
    return damaged


def truncated(record: Raw) -> Raw:
    """The output cut off in the middle of its last code block, as when a model runs out of
    tokens."""
    damaged = copy.deepcopy(record)
    output = damaged["output"]
    last_fence = output.rfind("```", 0, output.rfind("```"))
    end = output.rfind("```")
    damaged["output"] = output[: last_fence + (end - last_fence) // 2]
    return damaged


def looping(record: Raw) -> Raw:
    """The answer's last lines repeated until the output runs long, as a small model loops."""
    damaged = copy.deepcopy(record)
    if damaged["kind"] == "instruction":
        damaged["output"] = _loop(damaged["output"])
    else:
        final = assistant_steps(damaged)[-1]
        final["final_answer"] = _loop(final["final_answer"])
    return damaged


def _loop(text: str) -> str:
    tail = "\n".join(line for line in text.strip().split("\n")[-3:] if line.strip())
    return text.rstrip() + ("\n" + tail) * 12


def assistant_steps(record: Raw) -> list[Raw]:
    """The content of every assistant turn of an agent record, in order (edit them in place)."""
    return [turn["content"] for turn in record["conversation"] if turn["role"] == "assistant"]


Damage = Callable[[Raw], Raw]
# Each damage, the record kinds it applies to, and the checks it must fail.
DAMAGES: dict[str, tuple[Damage, tuple[str, ...], tuple[str, ...]]] = {
    "numbered requirements removed": (
        without_numbered_requirements,
        ("instruction",),
        ("numbered_requirements",),
    ),
    "role and context removed": (
        without_role_and_context,
        ("instruction", "agent"),
        ("role_context",),
    ),
    "error handling and logging stripped": (
        without_error_handling_and_logging,
        ("instruction",),
        ("error_handling", "logging"),
    ),
    "unknown tool name": (with_unknown_tool, ("agent",), ("agent_tools",)),
    "missing thought": (without_a_thought, ("agent",), ("agent_thoughts",)),
    "dropped tool result": (without_a_tool_result, ("agent",), ("agent_turns",)),
    "truncated output": (truncated, ("instruction",), ("code_parses",)),
    "looping output": (looping, ("instruction", "agent"), ("repetition",)),
}
