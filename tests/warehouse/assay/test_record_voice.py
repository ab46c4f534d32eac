"""A mined record speaks as a record: no pasted commit text, filler, empty references or
placeholders in code."""

from __future__ import annotations

import pytest

from warehouse.assay.checks.voice import check_record_voice
from warehouse.records import InstructionRecord, Provenance

GOOD_OUTPUT = (
    "`calc.py` — `mean`:\n\n```python\ndef mean(values):\n    if not values:\n"
    '        raise ValueError("empty")\n    return sum(values) / len(values)\n```\n\n'
    "`mean([])` raised `ZeroDivisionError` from deep inside. It now raises `ValueError` "
    "when `not values`."
)
GOOD_INSTRUCTION = (
    "You are a Python developer working on calc, a small statistics library.\n\n"
    "Task: **Refuse the mean of nothing**\n\nProblem: `mean([])` crashes with a "
    "`ZeroDivisionError` from deep inside the division, which tells the caller nothing about "
    "what they did wrong.\n\nRequirements:\n1. Raise `ValueError` when `values` is empty, "
    "before dividing.\n2. Keep the result for every non-empty list exactly as it is."
)


def _record(
    instruction: str = GOOD_INSTRUCTION,
    output: str = GOOD_OUTPUT,
    commits: tuple[str, ...] = ("a" * 40,),
) -> InstructionRecord:
    return InstructionRecord(
        id="r",
        task_type="bugfix",
        lang="en",
        instruction=instruction,
        output=output,
        provenance=Provenance(
            repo="calc", commits=list(commits), drafter="extractive", template="t@1"
        ),
    )


def test_a_record_in_its_own_voice_passes() -> None:
    verdict = check_record_voice(_record())
    assert verdict is not None and verdict.passed


@pytest.mark.parametrize(
    ("explanation", "problem"),
    [
        ("I added a guard because the mean crashed.", "first person"),
        ("The mean crashed (fixes #759).", "an issue number"),
        ("Use :meth:`mean` with ``values``.", "reST markup"),
        ("The mean crashed.\n\n(cherry picked from commit 1234abcd)", "a cherry-pick note"),
        ("The mean crashed.\n\nCo-authored-by: A <a@b.c>", "a trailer"),
    ],
)
def test_pasted_commit_text_is_rejected(explanation: str, problem: str) -> None:
    output = GOOD_OUTPUT.rsplit("```", 1)[0] + "```\n\n" + explanation
    verdict = check_record_voice(_record(output=output))
    assert verdict is not None and not verdict.passed and problem in verdict.detail


@pytest.mark.parametrize(
    ("instruction", "explanation", "problem"),
    [
        # SmolLM2-135M's reply on the stock history, accepted before this rule
        (
            "reject negative quantity of sku and return what is left.",
            "The change made a task to the module, which changed it. The new code does not have "
            "any changes.",
            "the instruction is 10 words",
        ),
        (GOOD_INSTRUCTION.split("Requirements:")[0] * 2, None, "no numbered requirements"),
        (GOOD_INSTRUCTION, "It raises now.", "the explanation is 3 words"),
    ],
)
def test_a_thin_instruction_or_explanation_is_rejected(
    instruction: str, explanation: str | None, problem: str
) -> None:
    output = GOOD_OUTPUT
    if explanation is not None:
        output = GOOD_OUTPUT.rsplit("```", 1)[0] + "```\n\n" + explanation
    verdict = check_record_voice(_record(instruction=instruction, output=output))
    assert verdict is not None and not verdict.passed and problem in verdict.detail


def test_an_explanation_that_only_lists_what_changed_is_filler() -> None:
    output = (
        GOOD_OUTPUT.rsplit("```", 1)[0]
        + "```\n\nThe change updates `mean` in `calc.py`. `test_mean` in the test suite covers it."
    )
    verdict = check_record_voice(_record(output=output))
    assert verdict is not None and "only lists" in verdict.detail


def test_a_requirement_pointing_at_an_unstated_problem_is_rejected() -> None:
    instruction = (
        "Task: **Fix typos**\n\nRequirements:\n1. Fix `mean` in `calc.py` so that the problem "
        "described above no longer occurs."
    )
    verdict = check_record_voice(_record(instruction=instruction))
    assert verdict is not None and "does not state" in verdict.detail


def test_a_placeholder_inside_code_is_rejected() -> None:
    output = GOOD_OUTPUT.replace('"empty"', '"<SECRET:aws-key>"')
    verdict = check_record_voice(_record(output=output))
    assert verdict is not None and "placeholder" in verdict.detail


def test_records_not_mined_from_a_commit_are_not_judged() -> None:
    assert check_record_voice(_record(output="I wrote this.", commits=())) is None
