"""The principle signals one by one: each passes on a gold and fails on the one thing it
measures."""

from __future__ import annotations

import copy
from collections.abc import Callable

import pytest

from tests.damages import Raw, gold
from warehouse.assay.checks import principles
from warehouse.assay.checks.base import Verdict
from warehouse.assay.checks.code_syntax import syntax_problem
from warehouse.record_text import CodeBlock
from warehouse.records import Record, parse_record

Check = Callable[[Record], Verdict | None]


def _check(check: Check, record: Raw) -> Verdict | None:
    """The verdict of one principle check on a raw record (None: the check does not apply)."""
    return check(parse_record(record))


def _verdict(check: Check, record: Raw) -> Verdict:
    """The verdict of a check that applies to the record."""
    verdict = _check(check, record)
    assert verdict is not None, f"{check.__name__} does not apply"
    return verdict


def _with(prefix: str, **fields: str) -> Raw:
    return copy.deepcopy(gold(prefix)) | fields


def test_an_output_that_ignores_what_the_instruction_names_fails_the_match() -> None:
    assert _verdict(principles.check_instruction_match, gold("01")).passed
    other = _with("01", output=gold("03")["output"])  # a fine answer to another question
    verdict = _check(principles.check_instruction_match, other)
    assert verdict is not None and not verdict.passed and "CleaningReport" in verdict.detail


def test_format_templates_and_file_paths_are_not_things_to_address() -> None:
    text = 'List them as `condition → exception ("message")` in `src/stock.py`, then fix `reserve`.'
    assert principles.named_things(text) == {"reserve"}


def test_constraints_need_two_of_stack_format_and_boundaries() -> None:
    bare = _with(
        "02",
        system="",
        instruction="You are a developer on the shop. Fix the list endpoint:\n"
        "1. Pages are 1-based.\n2. Order newest first.",
    )
    verdict = _check(principles.check_constraints, bare)
    assert verdict is not None and not verdict.passed and "stack" in verdict.detail


def test_a_data_task_without_an_example_fails_and_other_tasks_are_not_asked() -> None:
    verdict = _check(
        principles.check_io_example,
        _with("01", input="", instruction=gold("01")["instruction"].replace("示例", "")),
    )
    assert verdict is not None and not verdict.passed
    assert _check(principles.check_io_example, gold("02")) is None


def test_vague_wording_is_not_specific() -> None:
    vague = _with(
        "02",
        instruction="You are a developer. Improve the code and make it better, etc., as needed.",
    )
    verdict = _check(principles.check_specificity, vague)
    assert verdict is not None and not verdict.passed and "vague" in verdict.detail


def test_code_without_comments_and_an_output_without_prose_fail() -> None:
    record = gold("02")
    lines = [line for line in record["output"].split("\n") if "#" not in line and '"""' not in line]
    only_code = "\n".join(lines[lines.index("```python") : lines.index("```") + 1])
    assert not _verdict(principles.check_comments, _with("02", output=only_code)).passed
    assert not _verdict(principles.check_explanation, _with("02", output=only_code)).passed


@pytest.mark.parametrize(
    ("block", "problem"),
    [
        (CodeBlock("python", "python", "def f(:\n    pass\n", True), "does not parse"),
        (
            CodeBlock("python", "python", "def f():\n    return 1\nreturn 2\n", True),
            "does not compile",
        ),
        (CodeBlock("ts", "typescript", "function f( {\n", True), "does not parse"),
        (CodeBlock("json", "json", '{"a": 1,}', True), "does not load"),
        (CodeBlock("python", "python", "x = 1\n", False), "cut off"),
        (CodeBlock("text", None, "anything at all (", True), ""),
        (
            CodeBlock(
                "python", "python", ">>> f(1, 2)\n3\n>>> for x in y:\n...     print(x)\n1\n", True
            ),
            "",
        ),
        (CodeBlock("python", "python", ">>> f(1,\n3\n", True), "does not"),
    ],
)
def test_syntax_problems_name_what_is_wrong(block: CodeBlock, problem: str) -> None:
    found = syntax_problem(block)
    assert (problem in found) if problem else found == ""
