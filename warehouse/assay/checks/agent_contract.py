"""The agent contract: what an agent trajectory must be for a framework to replay it at serving
time.

Tools come from the catalog (``seeds/tools.json``) unchanged, every action's parameters validate
against its tool's JSON Schema, turns alternate user → assistant → tool → assistant …, every
assistant step states a thought, every action is answered by exactly one tool turn, and the final
answer draws on what the tools returned. The checks read the raw record (a dict), so a record that
fails the schema (a step without a thought, say) still says which part of the contract it breaks.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from itertools import pairwise
from typing import Any

import jsonschema

from warehouse.assay.checks.base import Verdict
from warehouse.record_text import cjk_count, raw_turns

_RESULT_TOKEN = re.compile(r"\d+(?:[.,:]\d+)*%?|[A-Za-z_][\w./:-]{3,}|[\u4e00-\u9fff]{2,}")
MIN_THOUGHT_WORDS = 3
MIN_USED_RESULT_TOKENS = 2


@dataclass(frozen=True, slots=True)
class Step:
    """One turn of a raw conversation, reduced to what the contract looks at."""

    position: int
    role: str
    content: Any

    @property
    def action(self) -> dict[str, Any] | None:
        action = self.content.get("action") if isinstance(self.content, dict) else None
        return action if isinstance(action, dict) else None

    @property
    def final_answer(self) -> str:
        answer = self.content.get("final_answer") if isinstance(self.content, dict) else None
        return answer if isinstance(answer, str) else ""


def _steps(raw: dict[str, Any]) -> list[Step]:
    return [
        Step(n, str(turn.get("role", "")), turn.get("content"))
        for n, turn in enumerate(raw_turns(raw))
    ]


def _is_agent(raw: dict[str, Any]) -> bool:
    return raw.get("kind") == "agent"


@dataclass(slots=True)
class AgentContract:
    """The contract against one tool catalog (name → the tool object of ``tools.json``)."""

    catalog: dict[str, dict[str, Any]]
    _validators: dict[str, Any] = field(default_factory=dict)

    def __getstate__(self) -> dict[str, Any]:
        """What a worker process receives: the catalog (validators are compiled again there)."""
        return {"catalog": self.catalog}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.catalog = state["catalog"]
        self._validators = {}

    def validator(self, name: str) -> Any:
        """A compiled JSON-Schema validator for the tool's parameters."""
        if name not in self._validators:
            schema = self.catalog[name]["parameters"]
            self._validators[name] = jsonschema.validators.validator_for(schema)(schema)
        return self._validators[name]

    def check_tools(self, raw: dict[str, Any]) -> Verdict | None:
        """Are the offered tools and every called tool in the catalog, exactly as the catalog
        defines them?"""
        if not _is_agent(raw):
            return None
        offered: dict[str, Any] = {}
        for tool in raw.get("tools") or []:
            name = tool.get("name") if isinstance(tool, dict) else None
            if name not in self.catalog:
                return Verdict.fail(
                    f"the record offers the tool {name!r}, which is not in the catalog"
                )
            if tool != self.catalog[name]:
                return Verdict.fail(
                    f"the record's {name!r} differs from the catalog's definition", 0.3
                )
            offered[name] = tool
        for step, action in _actions(raw):
            name = action.get("tool_name")
            if name not in self.catalog:
                return Verdict.fail(
                    f"turn {step.position} calls {name!r}, which is not in the catalog"
                )
            if name not in offered:
                return Verdict.fail(
                    f"turn {step.position} calls {name!r}, which the record does not offer", 0.3
                )
        return Verdict.ok(f"{len(offered)} catalog tool(s)")

    def check_parameters(self, raw: dict[str, Any]) -> Verdict | None:
        """Does every action's ``parameters`` validate against its tool's JSON Schema?"""
        if not _is_agent(raw):
            return None
        calls = 0
        for step, action in _actions(raw):
            name, parameters = action.get("tool_name"), action.get("parameters", {})
            if name not in self.catalog:
                continue  # check_tools reports it
            error = jsonschema.exceptions.best_match(
                self.validator(str(name)).iter_errors(parameters)
            )
            if error is not None:
                return Verdict.fail(
                    f"turn {step.position}: {name} parameters are invalid: {error.message}"
                )
            calls += 1
        return Verdict.ok(f"{calls} valid call(s)")


def _actions(raw: dict[str, Any]) -> Iterator[tuple[Step, dict[str, Any]]]:
    for step in _steps(raw):
        if step.role == "assistant" and step.action is not None:
            yield step, step.action


def check_turns(raw: dict[str, Any]) -> Verdict | None:
    """Do roles alternate correctly, is every action answered by one tool turn, does it end in an
    answer?"""
    if not _is_agent(raw):
        return None
    steps = _steps(raw)
    if not steps or steps[0].role != "user":
        return Verdict.fail("the conversation does not start with the user")
    for previous, current in pairwise(steps):
        problem = _transition_problem(previous, current)
        if problem:
            return Verdict.fail(problem)
    last = steps[-1]
    if last.role == "assistant" and last.action is not None:
        return Verdict.fail(f"turn {last.position} calls a tool that never answers")
    if last.role != "assistant" or not last.final_answer.strip():
        return Verdict.fail("the conversation does not end with the assistant's final answer")
    return Verdict.ok(f"{len(steps)} turns")


def _transition_problem(previous: Step, current: Step) -> str:
    if previous.role == "assistant" and previous.action is not None:
        if current.role != "tool":
            return f"the action in turn {previous.position} is not answered by a tool turn"
        return ""
    if current.role == "tool":
        return f"turn {current.position} is a tool result that answers no action"
    if previous.role == "assistant" and previous.action is None and current.role == "assistant":
        return f"turn {current.position} follows a final answer without a user turn"
    if previous.role in ("user", "tool") and current.role != "assistant":
        return f"turn {current.position} ({current.role}) should be the assistant's"
    if current.role == "assistant" and current.action is not None and current.final_answer:
        return f"turn {current.position} both calls a tool and answers"
    return ""


def check_thoughts(raw: dict[str, Any]) -> Verdict | None:
    """Does every assistant step state its reasoning in ``thought``?"""
    if not _is_agent(raw):
        return None
    steps = [s for s in _steps(raw) if s.role == "assistant"]
    for step in steps:
        thought = step.content.get("thought") if isinstance(step.content, dict) else None
        if not isinstance(thought, str) or not _says_something(thought):
            return Verdict.fail(f"the assistant step in turn {step.position} has no thought")
    return Verdict.ok(f"{len(steps)} thoughts")


def _says_something(text: str) -> bool:
    return len(re.findall(r"\w+", text)) >= MIN_THOUGHT_WORDS or cjk_count(text) >= 4


def check_uses_results(raw: dict[str, Any]) -> Verdict | None:
    """Does the final answer draw on what the tools returned (their numbers, names, findings)?"""
    if not _is_agent(raw):
        return None
    steps = _steps(raw)
    results = " ".join(
        _as_text(s.content.get("result"))
        for s in steps
        if s.role == "tool" and isinstance(s.content, dict)
    )
    if not results.strip():
        return None  # an agent that needed no tool has nothing to draw on
    asked = (
        " ".join(_as_text(s.content) for s in steps if s.role == "user")
        + " "
        + str(raw.get("system", ""))
    )
    answer = " ".join(s.final_answer for s in steps if s.role == "assistant")
    used = (_tokens(results) & _tokens(answer)) - _tokens(asked)
    if len(used) >= MIN_USED_RESULT_TOKENS:
        return Verdict.ok(f"the answer uses {len(used)} facts from the tool results")
    return Verdict.fail("the final answer does not use what the tools returned", 0.3 * len(used))


def _as_text(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)


def _tokens(text: str) -> set[str]:
    return {token.rstrip(".,:") for token in _RESULT_TOKEN.findall(text) if len(token) >= 2}
