"""A tests record says the tests of some code are missing only when they are: the parent's test
files decide (flask 5eaed371 claimed the tests of ``prepare_exec_for_file`` missing beside
``test_prepare_exec_for_file``; c367a86c renamed a test and called it new)."""

from __future__ import annotations

import pytest

from flows.draft import extractive_instruction as extractive
from flows.draft.drafting import DraftSkipped
from flows.draft.families import family_problem
from tests.builders import TEST_KEY, BuildRepo
from warehouse.landing.repositories import LandingOptions, land_repository
from warehouse.outcomes import SkipCategory
from warehouse.records import InstructionRecord
from warehouse.selection.commits import select_tasks
from warehouse.selection.task_context import ContextLoader, TaskContext
from warehouse.store import Warehouse

READER = '''"""Reading the shop's CSV exports."""


def parse(text):
    """The fields of one line."""
    return [field.strip() for field in text.split(",")]


def load(lines):
    """Every line's fields; blank lines are skipped."""
    return [parse(line) for line in lines if line.strip()]
'''
TESTS = """from shop.reader import load, parse


def test_parse():
    assert parse("a, b") == ["a", "b"]


def test_parse_bad_input():
    assert parse("") == [""]
"""
TEST_LOAD = """

def test_load_skips_blank_lines():
    assert load(["a,b", " ", "c"]) == [parse("a,b"), ["c"]]
"""
RENAMED = TESTS.replace(
    'def test_parse_bad_input():\n    assert parse("") == [""]',
    'def test_parse_of_an_empty_line():\n    fields = parse("")\n    assert fields == [""]',
)
TEST_PARSE_SPACES = """

def test_parse_strips_spaces():
    assert parse(" a ,b ") == ["a", "b"]
"""


def _context(warehouse: Warehouse, make_repo: BuildRepo, message: str, tests: str) -> TaskContext:
    repo = make_repo(
        [
            {
                "message": "Add the CSV reader",
                "files": {"shop/reader.py": READER, "tests/test_reader.py": TESTS},
            },
            {"message": message, "files": {"tests/test_reader.py": tests}},
        ]
    )
    land_repository(warehouse, repo, "r", LandingOptions(key=TEST_KEY))
    select_tasks(warehouse, "r")
    task_id = warehouse.scalar(
        "SELECT t.id FROM tasks t JOIN commits c ON c.id = t.commit_id "
        "WHERE t.status = 'selected' AND t.family = 'tests' AND c.subject = ?",
        [message.split("\n", 1)[0]],
    )
    loader = ContextLoader(warehouse, TEST_KEY)
    try:
        return loader.load(task_id)
    finally:
        loader.close()


def test_code_whose_tests_exist_at_the_parent_is_not_said_to_lack_them(
    warehouse: Warehouse, make_repo: BuildRepo
) -> None:
    message = "Test load on its own\n\nload had no test; blank lines must stay skipped."
    context = _context(warehouse, make_repo, message, TESTS + TEST_LOAD)
    assert {u.qualified_name for u in context.under_test} == {"parse", "load"}
    record = extractive.draft(context, "en")
    assert isinstance(record, InstructionRecord)
    assert "The tests for `load` are missing." in record.instruction
    assert "def load(lines):" in record.input and "def parse(text):" not in record.input


def test_new_tests_named_after_tested_code_add_to_its_tests(
    warehouse: Warehouse, make_repo: BuildRepo
) -> None:
    message = "Test that parse strips spaces\n\nExports pad fields with spaces."
    record = extractive.draft(
        _context(warehouse, make_repo, message, TESTS + TEST_PARSE_SPACES), "en"
    )
    assert isinstance(record, InstructionRecord)
    assert "The tests for `parse` are missing." in record.instruction


@pytest.mark.parametrize(
    ("tests", "reason"),
    [
        (RENAMED, "the tests were renamed, not written: `test_parse_bad_input` → "),
        # only code whose tests exist, and the new test is named after neither
        (
            TESTS + "\n\ndef test_blank_fields():\n    assert parse(' , ') == ['', '']\n",
            "the code under test has tests at the parent: `test_parse`",
        ),
    ],
)
def test_renamed_tests_or_tested_code_make_no_tests_record(
    warehouse: Warehouse, make_repo: BuildRepo, tests: str, reason: str
) -> None:
    message = "Tests for empty lines\n\nEmpty export lines crashed the import once."
    context = _context(warehouse, make_repo, message, tests)
    problem = family_problem(context)
    assert problem is not None and problem.category == SkipCategory.TESTS_NOT_NEW
    assert problem.detail.startswith(reason), problem.detail
    assert isinstance(extractive.draft(context, "en"), DraftSkipped)
