"""The code part of a code task's output (``flows/draft/answer_code.py``): the real change as
labelled blocks that the ``resolves`` check reads back and applies."""

from __future__ import annotations

from flows.draft.answer_code import answer_code
from tests.builders import TEST_KEY, BuildRepo
from tests.flows.draft.test_complete_answers import ORDERS_JSON, ORDERS_V1, ORDERS_V2, REASON
from warehouse.assay.output_blocks import labelled_blocks
from warehouse.landing.repositories import LandingOptions, land_repository
from warehouse.selection.commits import select_tasks
from warehouse.selection.task_context import ContextLoader, TaskContext
from warehouse.store import Warehouse

TEST_V1 = """from shop.orders import sort_orders


def test_sorts():
    assert sort_orders([]) == []
"""
TEST_V2 = """import json
from pathlib import Path

from shop.orders import sort_orders


def test_sorts():
    assert sort_orders([]) == []


def test_sort_orders_returns_one_page():
    orders = json.loads((Path(__file__).parent / "orders.json").read_text())
    assert len(sort_orders(orders)) == 20
"""


def load_context(
    warehouse: Warehouse, make_repo: BuildRepo, before: dict[str, str], after: dict[str, str]
) -> TaskContext:
    """The context of the one task a two-commit history makes (``after`` changes ``before``)."""
    repo = make_repo(
        [
            {"message": "Start", "files": before},
            {"message": f"Change it\n\n{REASON}", "files": after},
        ]
    )
    land_repository(warehouse, repo, "r", LandingOptions(key=TEST_KEY))
    select_tasks(warehouse, "r")
    task_id = warehouse.scalar(
        "SELECT t.id FROM tasks t JOIN commits c ON c.id = t.commit_id "
        "WHERE t.status = 'selected' AND c.subject = 'Change it'"
    )
    loader = ContextLoader(warehouse, TEST_KEY)
    try:
        return loader.load(task_id)
    finally:
        loader.close()


def test_the_blocks_read_back_as_module_level_unit_and_data_file(
    warehouse: Warehouse, make_repo: BuildRepo
) -> None:
    context = load_context(
        warehouse,
        make_repo,
        {"shop/orders.py": ORDERS_V1, "tests/test_orders.py": TEST_V1},
        {
            "shop/orders.py": ORDERS_V2,
            "tests/test_orders.py": TEST_V2,
            "tests/orders.json": ORDERS_JSON,
        },
    )
    for lang in ("en", "zh"):
        blocks = labelled_blocks(answer_code(context, lang))
        assert [(b.path, b.part, b.symbol) for b in blocks] == [
            ("shop/orders.py", "module", None),
            ("shop/orders.py", "unit", "sort_orders"),
            ("tests/orders.json", "file", None),
        ]
        assert blocks[0].code == "from operator import itemgetter\n\nPAGE_SIZE = 20\n"
