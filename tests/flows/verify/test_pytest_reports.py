"""pytest's own report, read back as node ids and outcomes: classes, parametrized cases, a module
that does not import, a rootdir below the repository's root, and a command that is not pytest."""

from __future__ import annotations

import sys
from pathlib import Path

from flows.verify.execution import command_for, run_tests
from flows.verify.pytest_reports import in_repository, outcome_of

TESTS = """import pytest


class TestStock:
    def test_counts(self):
        assert 1 + 1 == 2

    def test_breaks(self):
        assert 1 + 1 == 3


@pytest.mark.parametrize("n", [1, 2])
def test_even(n):
    assert n % 2 == 0


@pytest.mark.skip(reason="not today")
def test_later():
    pass
"""

PYTEST = f"{sys.executable} -m pytest -q {{tests}}"


def _project(root: Path, files: dict[str, str]) -> Path:
    for path, text in files.items():
        (root / path).parent.mkdir(parents=True, exist_ok=True)
        (root / path).write_text(text, encoding="utf-8")
    return root


def test_every_test_case_gets_its_node_id_and_outcome(tmp_path: Path) -> None:
    root = _project(tmp_path, {"tests/test_stock.py": TESTS})
    done = run_tests(command_for(PYTEST, ["tests/test_stock.py"]), root, 120)
    assert done.exit_status == 1
    assert done.results == {
        "tests/test_stock.py::TestStock::test_counts": "passed",
        "tests/test_stock.py::TestStock::test_breaks": "failed",
        "tests/test_stock.py::test_even[1]": "failed",
        "tests/test_stock.py::test_even[2]": "passed",
        "tests/test_stock.py::test_later": "skipped",
    }
    assert outcome_of(done.results, "tests/test_stock.py::test_even") == "failed"  # the worst case
    assert outcome_of(done.results, "tests/test_stock.py::test_gone") == "missing"
    assert "1 skipped" in done.output_tail and not (root / ".pytest_cache").exists()


def test_a_module_that_does_not_import_is_an_error_and_no_test_ran(tmp_path: Path) -> None:
    broken = "from stock import reserve\n\n\ndef test_reserve():\n    assert reserve\n"
    root = _project(tmp_path, {"tests/test_stock.py": broken})
    done = run_tests(command_for(PYTEST, ["tests/test_stock.py"]), root, 120)
    assert done.results == {"tests/test_stock.py": "error"}
    assert done.error_line == "ModuleNotFoundError: No module named 'stock'"
    assert "ModuleNotFoundError: No module named 'stock'" in done.output_tail


ENVIRONMENT_BROKEN = """import pytest

import stock


@pytest.fixture
def levels():
    return {"a": stock.__version__}


def test_uses_the_fixture(levels):
    assert levels


def test_reads_the_version_itself():
    assert stock.__version__


def test_fails_on_its_own():
    assert stock.LEVELS == {"a": 2}
"""


def test_a_test_that_fails_with_the_set_up_error_is_an_error(tmp_path: Path) -> None:
    files = {"tests/test_stock.py": ENVIRONMENT_BROKEN, "stock.py": "LEVELS = {'a': 1}\n"}
    root = _project(tmp_path, files)
    done = run_tests(f"{sys.executable} -m pytest -q tests/test_stock.py", root, 120)
    assert done.error_line == "AttributeError: module 'stock' has no attribute '__version__'"
    assert done.results == {
        "tests/test_stock.py::test_uses_the_fixture": "error",
        "tests/test_stock.py::test_reads_the_version_itself": "error",  # the same error
        "tests/test_stock.py::test_fails_on_its_own": "failed",
    }


def test_node_ids_below_a_deeper_rootdir_are_made_relative_to_the_repository(
    tmp_path: Path,
) -> None:
    files = {"pkg/pytest.ini": "[pytest]\n", "pkg/tests/test_stock.py": TESTS}
    root = _project(tmp_path, files)
    done = run_tests(f"cd pkg && {sys.executable} -m pytest -q tests/test_stock.py", root, 120)
    assert done.results is not None
    assert "tests/test_stock.py::test_later" in done.results
    moved = in_repository(done.results, ["pkg/tests/test_stock.py"])
    assert moved["pkg/tests/test_stock.py::TestStock::test_counts"] == "passed"


def test_a_command_that_is_not_pytest_has_only_its_exit_status(tmp_path: Path) -> None:
    done = run_tests(command_for("echo checking {tests}; exit 4", ["a b.py"]), tmp_path, 120)
    assert (done.exit_status, done.results) == (4, None)
    assert done.command == "echo checking 'a b.py'; exit 4"
    assert done.output_tail == "checking a b.py"


def test_a_command_that_does_not_finish_is_stopped_with_its_children(tmp_path: Path) -> None:
    marker = tmp_path / "finished"
    done = run_tests(f"sh -c 'sleep 30; touch {marker}' & wait", tmp_path, 1)
    assert done.timed_out and done.exit_status is None
    assert done.output_tail.endswith("the command did not finish within 1 s")
    assert not marker.exists()
