"""Records a reviewer keeps: evidence states the problem, and the answer holds what the change
needs (module-level lines, the data files its tests read), with only the tests that exercise it."""

from __future__ import annotations

from flows.draft import extractive_instruction as extractive
from flows.draft.drafting import DraftSkipped
from tests.builders import TEST_KEY, BuildRepo
from warehouse.landing.repositories import LandingOptions, land_repository
from warehouse.outcomes import SkipCategory
from warehouse.records import InstructionRecord
from warehouse.selection.commits import select_tasks
from warehouse.selection.task_context import ContextLoader, TaskContext
from warehouse.store import Warehouse

ORDERS_V1 = '''"""Orders of the shop."""


def sort_orders(orders):
    """The orders, newest first."""
    return sorted(orders, key=lambda order: order["created"], reverse=True)
'''
ORDERS_V2 = '''"""Orders of the shop."""
from operator import itemgetter

PAGE_SIZE = 20


def sort_orders(orders):
    """The orders, newest first, one page of them."""
    return sorted(orders, key=itemgetter("created"), reverse=True)[:PAGE_SIZE]
'''
TEST_V1 = """from shop.orders import sort_orders


def test_unrelated_helper():
    assert 1 + 1 == 2
"""
TEST_V2 = """import json
from pathlib import Path

from shop.orders import sort_orders


def test_unrelated_helper():
    assert 2 + 2 == 4


def test_sort_orders_returns_one_page():
    orders = json.loads((Path(__file__).parent / "orders.json").read_text())
    assert len(sort_orders(orders)) == 20
"""
ORDERS_JSON = "[" + ", ".join(f'{{"created": {n}}}' for n in range(25)) + "]\n"
REASON = (
    "Listing every order made the page slow once shops had thousands of them, so the "
    "list is cut to one page."
)


def _context(warehouse: Warehouse, make_repo: BuildRepo, message: str) -> TaskContext:
    repo = make_repo(
        [
            {
                "message": "Add orders",
                "files": {"shop/orders.py": ORDERS_V1, "tests/test_orders.py": TEST_V1},
            },
            {
                "message": message,
                "files": {
                    "shop/orders.py": ORDERS_V2,
                    "tests/test_orders.py": TEST_V2,
                    "tests/orders.json": ORDERS_JSON,
                },
            },
        ]
    )
    land_repository(warehouse, repo, "r", LandingOptions(key=TEST_KEY))
    select_tasks(warehouse, "r")
    task_id = warehouse.scalar(
        "SELECT t.id FROM tasks t JOIN commits c ON c.id = t.commit_id "
        "WHERE t.status = 'selected' AND c.subject = ?",
        [message.split("\n", 1)[0]],
    )
    loader = ContextLoader(warehouse, TEST_KEY)
    try:
        return loader.load(task_id)
    finally:
        loader.close()


def test_a_subject_with_no_other_evidence_makes_no_record(
    warehouse: Warehouse, make_repo: BuildRepo
) -> None:
    context = _context(warehouse, make_repo, "Paginate orders")
    result = extractive.draft(context, "en")
    assert isinstance(result, DraftSkipped)
    assert result.reason.category == SkipCategory.NO_EVIDENCE


def test_the_answer_holds_the_import_the_constant_and_the_data_file(
    warehouse: Warehouse, make_repo: BuildRepo
) -> None:
    context = _context(warehouse, make_repo, f"Paginate orders\n\n{REASON}")
    record = extractive.draft(context, "en")
    assert isinstance(record, InstructionRecord)
    module_block = record.output.split("`shop/orders.py` — `sort_orders`:")[0]
    assert "`shop/orders.py` — module level:" in module_block
    assert "from operator import itemgetter" in module_block and "PAGE_SIZE = 20" in module_block
    assert "`tests/orders.json`:" in record.output and '{"created": 24}' in record.output
    assert "Listing every order made the page slow" in record.output


def test_only_tests_that_exercise_the_change_are_acceptance_tests(
    warehouse: Warehouse, make_repo: BuildRepo
) -> None:
    context = _context(warehouse, make_repo, f"Paginate orders\n\n{REASON}")
    record = extractive.draft(context, "en")
    assert isinstance(record, InstructionRecord)
    assert "The test `test_sort_orders_returns_one_page`" in record.instruction
    assert "The test `test_unrelated_helper`" not in record.instruction


CONFTEST = """import pytest


@pytest.fixture
def many_orders():
    return [{"created": n} for n in range(25)]
"""
TEST_WITH_FIXTURE = (
    TEST_V1
    + """

def test_sort_orders_cuts_to_a_page(many_orders):
    assert len(sort_orders(many_orders)) == 20
"""
)


def test_the_fixtures_the_acceptance_test_uses_are_shown_in_the_input(
    warehouse: Warehouse, make_repo: BuildRepo
) -> None:
    repo = make_repo(
        [
            {
                "message": "Add orders",
                "files": {
                    "shop/orders.py": ORDERS_V1,
                    "tests/test_orders.py": TEST_V1,
                    "tests/conftest.py": CONFTEST,
                },
            },
            {
                "message": f"Paginate orders\n\n{REASON}",
                "files": {"shop/orders.py": ORDERS_V2, "tests/test_orders.py": TEST_WITH_FIXTURE},
            },
        ]
    )
    land_repository(warehouse, repo, "r", LandingOptions(key=TEST_KEY))
    select_tasks(warehouse, "r")
    task_id = warehouse.scalar(
        "SELECT t.id FROM tasks t JOIN commits c ON c.id = t.commit_id "
        "WHERE t.status = 'selected' AND c.subject = 'Paginate orders'"
    )
    loader = ContextLoader(warehouse, TEST_KEY)
    try:
        record = extractive.draft(loader.load(task_id), "en")
    finally:
        loader.close()
    assert isinstance(record, InstructionRecord)
    assert "test_sort_orders_cuts_to_a_page" in record.instruction
    assert "`tests/conftest.py` — `many_orders` (used by the tests):" in record.input
    assert 'return [{"created": n} for n in range(25)]' in record.input
