"""The agent contract, each rule on a gold trajectory broken in one place."""

from __future__ import annotations

import copy
from collections.abc import Callable

import pytest

from tests.damages import Raw, assistant_steps, gold
from warehouse.assay.checks.agent_contract import (
    AgentContract,
    check_thoughts,
    check_turns,
    check_uses_results,
)
from warehouse.seed_folder import SEEDS_DIR
from warehouse.tool_catalog import load_tool_catalog

CONTRACT = AgentContract(
    {
        name: spec.model_dump()
        for name, spec in load_tool_catalog(SEEDS_DIR / "tools.json").tools.items()
    }
)


@pytest.mark.parametrize("prefix", ["07", "08", "09", "10"])
def test_every_agent_gold_keeps_the_contract(prefix: str) -> None:
    record = gold(prefix)
    for check in (
        CONTRACT.check_tools,
        CONTRACT.check_parameters,
        check_turns,
        check_thoughts,
        check_uses_results,
    ):
        verdict = check(record)
        assert verdict is not None and verdict.passed, (check.__name__, verdict)


def test_instruction_records_are_not_asked() -> None:
    assert CONTRACT.check_tools(gold("02")) is None and check_turns(gold("02")) is None


def test_a_tool_definition_that_drifted_from_the_catalog_fails() -> None:
    record = copy.deepcopy(gold("07"))
    record["tools"][1]["parameters"]["properties"]["file"] = record["tools"][1]["parameters"][
        "properties"
    ].pop("path")
    verdict = CONTRACT.check_tools(record)
    assert (
        verdict is not None and not verdict.passed and "differs from the catalog" in verdict.detail
    )


def test_a_call_to_a_tool_the_record_does_not_offer_fails() -> None:
    record = copy.deepcopy(gold("10"))
    assistant_steps(record)[0]["action"] = {
        "tool_name": "read_file",
        "parameters": {"path": "weather.txt"},
    }
    verdict = CONTRACT.check_tools(record)
    assert verdict is not None and not verdict.passed and "does not offer" in verdict.detail


@pytest.mark.parametrize(
    ("parameters", "problem"),
    [
        ({}, "'location' is a required property"),
        ({"location": "北京", "city": "x"}, "Additional properties"),
    ],
)
def test_parameters_are_validated_against_the_json_schema(
    parameters: dict[str, object], problem: str
) -> None:
    record = copy.deepcopy(gold("10"))
    assistant_steps(record)[0]["action"]["parameters"] = parameters
    verdict = CONTRACT.check_parameters(record)
    assert verdict is not None and not verdict.passed and problem in verdict.detail


@pytest.mark.parametrize(
    ("spoil", "problem"),
    [
        (lambda turns: turns.pop(0), "does not start with the user"),
        (lambda turns: turns.insert(3, copy.deepcopy(turns[2])), "answers no action"),
        (lambda turns: turns.pop(), "does not end with the assistant's final answer"),
        (
            lambda turns: turns[-1]["content"].update(
                action={"tool_name": "get_weather", "parameters": {}}
            ),
            "both calls a tool and answers",
        ),
    ],
)
def test_turns_must_alternate_and_end_in_an_answer(
    spoil: Callable[[list[Raw]], object], problem: str
) -> None:
    record = copy.deepcopy(gold("10"))
    spoil(record["conversation"])
    verdict = check_turns(record)
    assert verdict is not None and not verdict.passed and problem in verdict.detail


def test_a_final_answer_that_ignores_the_results_fails() -> None:
    record = copy.deepcopy(gold("10"))
    assistant_steps(record)[-1]["final_answer"] = "两地都建议带伞，出门注意安全。"
    verdict = check_uses_results(record)
    assert verdict is not None and not verdict.passed


def test_a_thought_of_one_word_is_no_thought() -> None:
    record = copy.deepcopy(gold("07"))
    assistant_steps(record)[2]["thought"] = "ok"
    verdict = check_thoughts(record)
    assert verdict is not None and not verdict.passed and "turn 5" in verdict.detail
