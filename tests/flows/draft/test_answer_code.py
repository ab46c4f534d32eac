"""The code part of a code task's output (``flows/draft/answer_code.py``): the real change as
labelled blocks that the ``resolves`` check reads back and applies."""

from __future__ import annotations

from flows.draft import extractive_instruction as extractive
from flows.draft.answer_code import answer_code
from tests.builders import TEST_KEY, BuildRepo
from warehouse.assay.output_blocks import Removal, labelled_blocks, removals
from warehouse.assay.resolves import Resolver
from warehouse.landing.repositories import LandingOptions, land_repository
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
ORDERS_JSON = "[" + ", ".join(f'{{"created": {n}}}' for n in range(25)) + "]\n"
REASON = (
    "Listing every order made the page slow once shops had thousands of them, so the "
    "list is cut to one page."
)
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


HANDLERS_V1 = '''"""Error handlers of the app."""
from collections import deque


def find_handler(handlers, exc_class):
    """The handler registered for ``exc_class`` or its nearest base."""
    queue = deque([exc_class])
    while queue:
        cls = queue.popleft()
        if cls in handlers:
            return handlers[cls]
        queue.extend(cls.__bases__)
    return None


def _walk(exc_class):
    return exc_class.__bases__
'''
HANDLERS_V2 = '''"""Error handlers of the app."""


def find_handler(handlers, exc_class):
    """The handler registered for ``exc_class`` or its nearest base, along its MRO."""
    for cls in exc_class.__mro__:
        if cls in handlers:
            return handlers[cls]
    return None
'''
HANDLER_TESTS_V1 = """from app.handlers import _walk, find_handler


def test_walk():
    assert _walk(KeyError) == (LookupError,)


def test_find_handler_takes_the_base():
    assert find_handler({LookupError: 1}, KeyError) == 1
"""
HANDLER_TESTS_V2 = """import pytest

from app.handlers import find_handler


@pytest.mark.parametrize("exc", [KeyError, IndexError])
def test_find_handler_takes_the_base(exc):
    assert find_handler({LookupError: 1}, exc) == 1
"""


def _handlers_context(warehouse: Warehouse, make_repo: BuildRepo) -> TaskContext:
    return load_context(
        warehouse,
        make_repo,
        {"app/handlers.py": HANDLERS_V1, "tests/test_handlers.py": HANDLER_TESTS_V1},
        {"app/handlers.py": HANDLERS_V2, "tests/test_handlers.py": HANDLER_TESTS_V2},
    )


def test_deletions_and_edited_tests_are_part_of_the_answer(
    warehouse: Warehouse, make_repo: BuildRepo
) -> None:
    context = _handlers_context(warehouse, make_repo)
    code = answer_code(context, "en")
    assert removals(code) == [
        Removal("app/handlers.py", "from collections import deque"),
        Removal("app/handlers.py", "_walk"),
        Removal("tests/test_handlers.py", "from app.handlers import _walk"),
        Removal("tests/test_handlers.py", "test_walk"),
    ]
    blocks = [(b.path, b.part, b.symbol) for b in labelled_blocks(code)]
    assert blocks == [
        ("app/handlers.py", "unit", "find_handler"),
        ("tests/test_handlers.py", "module", None),
        ("tests/test_handlers.py", "unit", "test_find_handler_takes_the_base"),
    ]
    assert "`tests/test_handlers.py` — module level:\n\n```python\nimport pytest\n```" in code
    zh = answer_code(context, "zh")
    assert "`app/handlers.py` — 删除：`_walk`" in zh and removals(zh) == removals(code)


def test_the_drafted_answer_resolves_and_without_its_deletions_it_does_not(
    warehouse: Warehouse, make_repo: BuildRepo
) -> None:
    context = _handlers_context(warehouse, make_repo)
    record = extractive.draft(context, "en")
    assert isinstance(record, InstructionRecord)
    assert "Remove `_walk` from `app/handlers.py`." in record.instruction
    assert "Update the existing test `test_find_handler_takes_the_base`" in record.instruction
    kept = record.output.replace("`app/handlers.py` — removed: `from collections import deque`", "")
    resolver = Resolver(warehouse, [context.task_id])
    try:
        whole = resolver.verdict(record)
        left_over = resolver.verdict(record.model_copy(update={"output": kept}))
    finally:
        resolver.close()
    assert whole is not None and whole.passed, whole
    assert left_over is not None and not left_over.passed
    assert left_over.detail.startswith(
        "app/handlers.py still imports `from collections import deque` after applying the output"
    )


FIXTURE_TESTS_V2 = """import json
from pathlib import Path

import pytest

from shop.orders import sort_orders


@pytest.fixture
def orders():
    return json.loads((Path(__file__).parent / "orders.json").read_text())


def test_sorts():
    assert sort_orders([]) == []


def test_sort_orders_returns_one_page(orders):
    assert len(sort_orders(orders)) == 20
"""


def test_with_tests_the_answer_writes_the_regression_test_its_imports_and_fixture(
    warehouse: Warehouse, make_repo: BuildRepo
) -> None:
    context = load_context(
        warehouse,
        make_repo,
        {"shop/orders.py": ORDERS_V1, "tests/test_orders.py": TEST_V1},
        {
            "shop/orders.py": ORDERS_V2,
            "tests/test_orders.py": FIXTURE_TESTS_V2,
            "tests/orders.json": ORDERS_JSON,
        },
    )
    without = [(b.path, b.part, b.symbol) for b in labelled_blocks(answer_code(context, "en"))]
    assert ("tests/test_orders.py", "unit", "test_sort_orders_returns_one_page") not in without
    code = answer_code(context, "en", with_tests=True)
    blocks = labelled_blocks(code)
    assert [(b.path, b.part, b.symbol) for b in blocks] == [
        ("shop/orders.py", "module", None),
        ("shop/orders.py", "unit", "sort_orders"),
        ("tests/test_orders.py", "module", None),
        ("tests/test_orders.py", "unit", "orders"),
        ("tests/test_orders.py", "unit", "test_sort_orders_returns_one_page"),
        ("tests/orders.json", "file", None),
    ]
    assert blocks[2].code == "import json\nfrom pathlib import Path\nimport pytest\n"
    record = extractive.draft(context, "en")
    assert isinstance(record, InstructionRecord)
    resolver = Resolver(warehouse, [context.task_id])
    try:
        verdict = resolver.verdict(record.model_copy(update={"output": code}))
        without_module = code.replace(render_module(blocks[2].code), "")
        missing = resolver.verdict(record.model_copy(update={"output": without_module}))
    finally:
        resolver.close()
    assert verdict is not None and verdict.passed, verdict
    assert missing is not None and not missing.passed
    # the fixture is the commit's: the parent has none, so the input must not show it as given
    assert [f.change for f in context.fixtures] == ["added"]


def render_module(code: str) -> str:
    return f"`tests/test_orders.py` — module level:\n\n```python\n{code}```"


def test_a_fixture_the_parent_has_is_given_as_the_parent_has_it(
    warehouse: Warehouse, make_repo: BuildRepo
) -> None:
    parent_tests = FIXTURE_TESTS_V2.replace(
        "def test_sort_orders_returns_one_page(orders):\n"
        "    assert len(sort_orders(orders)) == 20\n",
        "",
    )
    old_fixture = parent_tests.replace('(Path(__file__).parent / "orders.json")', 'Path("o.json")')
    context = load_context(
        warehouse,
        make_repo,
        {"shop/orders.py": ORDERS_V1, "tests/test_orders.py": old_fixture},
        {
            "shop/orders.py": ORDERS_V2,
            "tests/test_orders.py": FIXTURE_TESTS_V2,
            "tests/orders.json": ORDERS_JSON,
        },
    )
    [fixture] = context.fixtures
    assert fixture.change == "existing" and 'Path("o.json")' in fixture.after
    [edited] = context.test_edits
    assert edited.qualified_name == "orders" and 'Path("o.json")' in edited.before
