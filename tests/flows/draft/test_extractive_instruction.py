from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from flows.draft import extractive_instruction as extractive
from flows.draft.commit_text import explanation
from tests.builders import TEST_KEY, BuildRepo
from warehouse.landing.repositories import (
    LandingOptions,
    land_repository,
    land_ticket_export,
    link_tickets,
)
from warehouse.records import InstructionRecord
from warehouse.selection.commits import select_tasks
from warehouse.selection.task_context import ContextLoader, TaskContext
from warehouse.store import Warehouse


@pytest.fixture
def bugfix_context(
    warehouse: Warehouse, stock_repo: Path, stock_tickets: Path
) -> Iterator[TaskContext]:
    """The context of the stock history's ticket-linked bug fix, landed and selected."""
    options = LandingOptions(key=TEST_KEY)
    land_repository(warehouse, stock_repo, "r", options)
    land_ticket_export(warehouse, stock_tickets, "r", options)
    link_tickets(warehouse)
    select_tasks(warehouse, "r")
    task_id = warehouse.scalar(
        "SELECT id FROM tasks WHERE status = 'selected' AND family = 'bugfix'"
    )
    loader = ContextLoader(warehouse, TEST_KEY)
    try:
        yield loader.load(task_id)
    finally:
        loader.close()


def _draft(context: TaskContext, lang: str) -> InstructionRecord:
    record = extractive.draft(context, lang)
    assert isinstance(record, InstructionRecord)
    return record


def test_bugfix_record_states_role_stack_requirements_and_test(bugfix_context: TaskContext) -> None:
    record = _draft(bugfix_context, "en")
    text = record.instruction
    assert text.startswith(
        "You are a Python developer working on stocky. stocky tracks stock levels"
    )
    assert "Stack: Python >=3.11. Key dependencies: pydantic>=2.6." in text
    assert "`src/stock.py`: Stock levels and reservations." in text
    assert "A bug was reported in #1: **reserve() accepts negative quantities**" in text
    requirements = re.findall(r"^(\d+)\. (.*)$", text, re.MULTILINE)
    assert [n for n, _ in requirements] == [str(i) for i in range(1, len(requirements) + 1)]
    wanted = [
        "Fix `reserve` in `src/stock.py`",
        'When `qty <= 0`, raise `ValueError` with a message like "quantity must be positive, '
        'got {qty}"',
        "Log the situation with `logger.warning`",
        "The test `test_reserve_rejects_negative_quantity` in `tests/test_stock.py` (below) must "
        "pass.",
        "Output format: for each changed function or class, a label line",
    ]
    for phrase in wanted:
        assert any(phrase in req for _, req in requirements), phrase
    assert "def reserve(levels: dict[str, int], sku: str, qty: int) -> int:" in record.input
    assert "raise ValueError" not in record.input


def test_only_comments_written_before_the_fix_are_used(bugfix_context: TaskContext) -> None:
    record = _draft(bugfix_context, "en")
    assert "The qty check is missing." in record.instruction
    assert "Fixed by adding a guard." not in record.instruction


def test_output_is_the_complete_fixed_function_with_the_commit_explanation(
    bugfix_context: TaskContext,
) -> None:
    record = _draft(bugfix_context, "en")
    assert record.output.startswith("`src/stock.py` — `reserve`:\n\n```python\n")
    block = re.search(r"```python\n(.*?)```", record.output, re.DOTALL)
    assert block is not None
    code = block.group(1)
    assert (
        code.startswith("def reserve(")
        and 'raise ValueError(f"quantity must be positive, got {qty}")' in code
    )
    compile(code, "reserve", "exec")
    assert (
        "A negative quantity increased the stock instead of failing, and reserving more"
        in record.output
    )
    assert "Fixes #1" not in record.output
    assert record.provenance.commits == [bugfix_context.sha] and record.provenance.tickets == ["#1"]
    assert record.provenance.template.startswith("extractive/commit_to_instruction.en.md.j2@")


def test_the_same_record_in_chinese_keeps_code_and_identifiers(bugfix_context: TaskContext) -> None:
    english, chinese = _draft(bugfix_context, "en"), _draft(bugfix_context, "zh")
    assert chinese.lang == "zh" and chinese.id != english.id
    assert chinese.instruction.startswith("你是一名 Python 开发工程师，正在维护 stocky 项目。")
    assert (
        "要求：" in chinese.instruction
        and "`tests/test_stock.py` 中的测试 `test_reserve_rejects_negative_quantity`（见下文）"
        "必须通过。"
        in chinese.instruction
    )
    chinese_code = re.search(r"```python\n(.*?)```", chinese.output, re.DOTALL)
    english_code = re.search(r"```python\n(.*?)```", english.output, re.DOTALL)
    assert chinese_code is not None and english_code is not None
    assert chinese_code.group(1) == english_code.group(1)


def test_drafting_is_deterministic(bugfix_context: TaskContext) -> None:
    assert _draft(bugfix_context, "en") == _draft(bugfix_context, "en")


def test_explanation_drops_trailers_and_ticket_lines_and_unwraps() -> None:
    body = (
        "Totals were rounded per line,\nso they drifted.\n\n- keep lists\n- as they "
        "are\n\nFixes #3\nSigned-off-by: A <a@b.c>"
    )
    assert (
        explanation(body)
        == "Totals were rounded per line, so they drifted.\n\n- keep lists\n- as they are"
    )


PRICES_V1 = '''"""Prices of the stock items."""
import functools

from typing_extensions import deprecated


def list_price(sku: str) -> int:
    """The list price of sku in cents."""
    return len(sku) * 100
'''
PRICES_V2 = (
    PRICES_V1
    + '''

@functools.lru_cache(maxsize=256)
@deprecated(
    "use price_after(sku, discount) instead; discounted_price goes in the next major release",
)
@staticmethod
def discounted_price(
    sku: str,
    percent: int = 10,
) -> int:
    """The list price of sku less percent, rounded down to whole cents."""
    if not 0 <= percent <= 100:
        raise ValueError(f"percent must be between 0 and 100, got {percent}")
    return list_price(sku) * (100 - percent) // 100
'''
)


def test_an_added_python_function_is_asked_for_with_libcsts_signature_and_its_decorators(
    warehouse: Warehouse,
    make_repo: BuildRepo,
) -> None:
    repo = make_repo(
        [
            {"message": "Add list prices", "files": {"src/prices.py": PRICES_V1}},
            {
                "message": "Add discounted prices\n\nShops quote prices after a percentage "
                "discount; the lookup is cached "
                "because the price list is read on every request.",
                "files": {"src/prices.py": PRICES_V2},
            },
        ]
    )
    land_repository(warehouse, repo, "r", LandingOptions(key=TEST_KEY))
    select_tasks(warehouse, "r")
    task_id = warehouse.scalar(
        "SELECT t.id FROM tasks t JOIN commits c ON c.id = t.commit_id "
        "WHERE t.status = 'selected' AND c.subject = 'Add discounted prices' AND t.family = "
        "'feature'"
    )
    loader = ContextLoader(warehouse, TEST_KEY)
    try:
        context = loader.load(task_id)
    finally:
        loader.close()
    english, chinese = _draft(context, "en").instruction, _draft(context, "zh").instruction
    signature = (
        "`def discounted_price(sku: str, percent: int = 10) -> int`"  # libcst: one line, as written
    )
    assert (
        f"Add the function `discounted_price` to `src/prices.py` with the signature {signature}."
        in english
    )
    # a long one by its name
    decorators = "`@functools.lru_cache(maxsize=256)`, `@deprecated(…)` and `@staticmethod`"
    assert f"Decorate `discounted_price` with {decorators}, in this order." in english
    zh = (
        "按顺序为 `discounted_price` 加上装饰器 "
        "`@functools.lru_cache(maxsize=256)`、`@deprecated(…)`、`@staticmethod`。"
    )
    assert zh in chinese
