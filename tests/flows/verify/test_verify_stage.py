"""Verification by execution on a repository built here, with the real pytest: a fix whose test
fails before and passes after is `executed`; one whose test already passes before is dropped; a
broken environment is reported once; a rerun executes nothing again."""

from __future__ import annotations

import json
import sys
from pathlib import Path

from tests.builders import STOCK_V1, STOCK_V2, BuildRepo, Cli, Commit, git, json_object
from warehouse.store import Warehouse

PYPROJECT = """[project]
name = "stocky"
version = "0.1.0"
requires-python = ">=3.11"

[tool.pytest.ini_options]
pythonpath = ["src"]
"""

TEST_RESTOCK = """import pytest

from stock import reserve, restock


def test_restock_adds_units():
    levels = {"a": 1}
    restock(levels, "a", 2)
    assert levels == {"a": 3}
"""

TEST_AFTER_FIX = (
    TEST_RESTOCK
    + """

def test_reserve_rejects_negative_quantity():
    with pytest.raises(ValueError):
        reserve({"a": 3}, "a", -1)
"""
)

TEST_AFTER_GUARD = (
    TEST_AFTER_FIX
    + """

def test_restock_adds_a_new_sku():
    levels = {}
    restock(levels, "b", 2)
    assert levels == {"b": 2}
"""
)

OLD_PYTEST_CONFTEST = """import pytest


@pytest.fixture(autouse=True)
def _monkeypatch_sentinel():
    raise AttributeError("module '_pytest.monkeypatch' has no attribute 'notset'")
"""

GUARD = """    if qty < 0:
        raise ValueError(f"cannot restock a negative quantity, got {qty}")
    levels[sku] = levels.get(sku, 0) + qty"""

STOCK_V3 = STOCK_V2.replace(
    '''    """Add qty units of sku."""
''',
    '''    """Add qty units of sku."""
    if qty < 0:
        raise ValueError(f"cannot restock a negative quantity, got {qty}")
''',
)


def history() -> list[Commit]:
    """A module with a passing test; a fix whose new test fails before it; a guard whose new
    test passes before it too (it tests the old behaviour, not the guard)."""
    return [
        {
            "date": "2024-01-02T10:00:00+00:00",
            "message": "Add stock module\n\nReservations and restocking for the shop.",
            "files": {
                "pyproject.toml": PYPROJECT,
                "src/stock.py": STOCK_V1,
                "tests/test_stock.py": TEST_RESTOCK,
            },
        },
        {
            "date": "2024-01-05T09:30:00+00:00",
            "message": (
                "Reject negative and oversized reservations\n\n"
                "A negative quantity increased the stock instead of failing, and\n"
                "reserving more than the stock went negative."
            ),
            "files": {"src/stock.py": STOCK_V2, "tests/test_stock.py": TEST_AFTER_FIX},
        },
        {
            "date": "2024-01-08T09:30:00+00:00",
            "message": (
                "Refuse negative restocks\n\n"
                "A negative restock silently removed units, because the sign was never\n"
                "checked, which hid data entry errors."
            ),
            "files": {"src/stock.py": STOCK_V3, "tests/test_stock.py": TEST_AFTER_GUARD},
        },
    ]


def _workspace(tmp_path: Path, command: str, setup: str = "") -> Path:
    workspace = tmp_path / "ws"
    workspace.mkdir()
    verify = {"command": command, "setup": setup}
    lines = ["[verify]", *(f"{key} = {json.dumps(value)}" for key, value in verify.items())]
    (workspace / "goldmine.toml").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return workspace


def _pytest(log: Path | None = None) -> str:
    """The real pytest of this environment on the test files; each run leaves a line in
    ``log``."""
    run = f"{sys.executable} -m pytest -q {{tests}}"
    return f"echo ran >> {log} && {run}" if log else run


def _verifications(workspace: Path) -> dict[str, dict[str, object]]:
    """Each verified commit's subject → its verdict (tasks of one commit share one)."""
    with Warehouse(workspace / "goldmine.duckdb", read_only=True) as warehouse:
        rows = warehouse.query(
            "SELECT c.subject, v.status, v.fail_to_pass, v.pass_to_pass, v.skip_category, "
            "t.status AS task_status FROM verifications v JOIN tasks t ON t.id = v.task_id "
            "JOIN commits c ON c.id = v.commit_id ORDER BY c.committed_at"
        ).dicts()
    return {str(row.pop("subject")): row for row in rows}


def test_a_fix_whose_test_fails_before_is_executed_and_one_that_passes_before_is_dropped(
    cli: Cli, make_repo: BuildRepo, tmp_path: Path
) -> None:
    repo = make_repo(history(), "stocky")
    workspace = _workspace(tmp_path, _pytest())
    result = cli("run", "--inline", "--repo", repo, "--workspace", workspace)
    assert result.exit_code == 0, result.output
    assert "  verify: " in result.output
    verdicts = _verifications(workspace)
    fix = verdicts["Reject negative and oversized reservations"]
    assert fix["status"] == "executed"
    assert fix["fail_to_pass"] == ["tests/test_stock.py::test_reserve_rejects_negative_quantity"]
    assert fix["pass_to_pass"] == ["tests/test_stock.py::test_restock_adds_units"]
    assert fix["task_status"] == "selected"
    guard = verdicts["Refuse negative restocks"]
    assert (guard["status"], guard["skip_category"]) == ("failed", "tests_pass_before")
    assert guard["task_status"] == "skipped"
    with Warehouse(workspace / "goldmine.duckdb", read_only=True) as warehouse:
        runs = warehouse.query(
            "SELECT r.side, r.exit_status, r.applied, r.output_tail FROM verification_runs r "
            "JOIN commits c ON c.id = r.commit_id WHERE c.subject LIKE 'Reject%' ORDER BY 1"
        ).rows
        drafted = warehouse.query(
            "SELECT DISTINCT m.subject FROM candidates c JOIN tasks t ON t.id = c.task_id "
            "JOIN commits m ON m.id = t.commit_id"
        ).rows
    (commit_side, commit_exit, _, passing), (parent_side, parent_exit, applied, failing) = runs
    assert (commit_side, commit_exit, parent_side, parent_exit) == ("commit", 0, "parent", 1)
    assert applied == ["tests/test_stock.py"]
    assert "2 passed" in passing and "DID NOT RAISE" in failing  # the real output, kept
    assert drafted == [("Reject negative and oversized reservations",)]  # the dropped task: none
    manifest = json_object((workspace / "export" / "manifest.json").read_text())
    assert manifest["exported_by_verification"] == {"executed": 2}
    assert git(repo, "worktree", "list").count("\n") == 1  # the worktree is gone
    assert git(repo, "status", "--porcelain") == ""  # the user's checkout is untouched


def test_a_task_drafted_before_its_tests_fail_verification_is_rejected_and_not_exported(
    cli: Cli, make_repo: BuildRepo, tmp_path: Path
) -> None:
    repo = make_repo(history(), "stocky")
    workspace = _workspace(tmp_path, "")
    assert cli("run", "--inline", "--repo", repo, "--workspace", workspace).exit_code == 0
    with Warehouse(workspace / "goldmine.duckdb", read_only=True) as warehouse:
        accepted = warehouse.scalar("SELECT count(*) FROM candidates WHERE status = 'accepted'")
    assert accepted == 4  # both commits' tasks: nothing ran their tests yet
    result = cli("verify", "--command", _pytest(), "--workspace", workspace)
    assert result.exit_code == 0, result.output
    assert '"dropped": {"tests_pass_before": 2}' in result.output
    with Warehouse(workspace / "goldmine.duckdb", read_only=True) as warehouse:
        rejected = warehouse.query(
            "SELECT m.subject, k.detail FROM candidates c JOIN tasks t ON t.id = c.task_id "
            "JOIN commits m ON m.id = t.commit_id JOIN checks k ON k.candidate_id = c.id "
            "WHERE c.status = 'rejected' AND k.\"check\" = 'verification' AND NOT k.passed"
        ).rows
    assert [subject for subject, _ in rejected] == ["Refuse negative restocks"] * 2
    assert "already pass before the change" in rejected[0][1]
    (workspace / "goldmine.toml").write_text("[export]\nrequire_executed = true\n")
    assert cli("export", "--workspace", workspace).exit_code == 0
    exported = (workspace / "export" / "goldmine_alpaca.jsonl").read_text().splitlines()
    assert exported and all("reserve" in line for line in exported)


def test_a_rerun_executes_nothing_again(cli: Cli, make_repo: BuildRepo, tmp_path: Path) -> None:
    repo = make_repo(history(), "stocky")
    log = tmp_path / "runs.log"
    workspace = _workspace(tmp_path, _pytest(log))
    assert cli("mine", "--repo", repo, "--workspace", workspace).exit_code == 0
    first = cli("verify", "--workspace", workspace)
    assert first.exit_code == 0, first.output
    executed = log.read_text().count("ran")
    assert executed == 4  # two commits, both sides; a commit's two tasks share its runs
    second = cli("verify", "--workspace", workspace)
    assert second.exit_code == 0, second.output
    assert '"runs_executed": 0' in second.output
    assert log.read_text().count("ran") == executed


def test_a_command_that_errors_everywhere_is_one_environment_problem(
    cli: Cli, make_repo: BuildRepo, tmp_path: Path
) -> None:
    repo = make_repo(history(), "stocky")
    workspace = _workspace(tmp_path, f"{sys.executable} -c 'import no_such_module' {{tests}}")
    assert cli("mine", "--repo", repo, "--workspace", workspace).exit_code == 0
    result = cli("verify", "--workspace", workspace)
    assert result.exit_code == 0, result.output
    notes = [line for line in result.output.splitlines() if "note:" in line]
    assert len(notes) == 1 and "environment problem" in notes[0], result.output
    assert "No module named" in notes[0]
    with Warehouse(workspace / "goldmine.duckdb", read_only=True) as warehouse:
        assert warehouse.count("verifications") == 0  # no task is judged
        assert warehouse.scalar("SELECT count(*) FROM tasks WHERE skip_category LIKE '%ing_%'") == 0
        assert warehouse.scalar("SELECT bool_and(environment_error) FROM verification_runs")
    again = cli("verify", "--workspace", workspace)
    assert '"runs_executed": 0' not in again.output  # fixed or not, it is tried again


def test_tests_that_error_in_set_up_at_every_commit_are_one_environment_problem(
    cli: Cli, make_repo: BuildRepo, tmp_path: Path
) -> None:
    """flask's conftest of 2024-25 reads ``_pytest.monkeypatch.notset``, which pytest 9 removed:
    every test errors in set-up, at every commit. That is the environment, not the tasks."""
    commits = history()
    commits[0]["files"]["tests/conftest.py"] = OLD_PYTEST_CONFTEST
    repo = make_repo(commits, "stocky")
    workspace = _workspace(tmp_path, _pytest())
    assert cli("mine", "--repo", repo, "--workspace", workspace).exit_code == 0
    result = cli("verify", "--workspace", workspace)
    assert result.exit_code == 0, result.output
    notes = [line for line in result.output.splitlines() if "note:" in line]
    assert len(notes) == 1 and "environment problem" in notes[0], result.output
    assert "has no attribute 'notset'" in notes[0]
    assert '"dropped": {}' in result.output
    with Warehouse(workspace / "goldmine.duckdb", read_only=True) as warehouse:
        assert warehouse.count("verifications") == 0


def test_a_task_whose_tests_do_not_run_where_others_ran_before_is_kept_static(
    cli: Cli, make_repo: BuildRepo, tmp_path: Path
) -> None:
    """The environment ran the fix's tests last night; tonight an older commit's tests do not
    import: that commit is unrunnable (kept, static), not an environment problem."""
    base, fix, _ = history()
    # more than a week before the fix, which changes its lines (else rewritten_soon skips it)
    base = {**base, "date": "2023-12-20T10:00:00+00:00"}
    unimportable: Commit = {
        "date": "2023-12-27T09:30:00+00:00",
        "message": (
            "Refuse negative restocks\n\nA negative restock silently removed units, because "
            "the sign was never\nchecked, which hid data entry errors."
        ),
        "files": {
            "src/stock.py": STOCK_V1.replace("    levels[sku] = levels.get(sku, 0) + qty", GUARD),
            "tests/test_restock.py": "import stock_fixtures\n\nfrom stock import restock\n\n\n"
            "def test_restock_refuses_negative():\n    assert stock_fixtures.refused(restock)\n",
        },
    }
    repo = make_repo([base, unimportable, fix], "stocky")
    workspace = _workspace(tmp_path, _pytest())
    assert cli("mine", "--repo", repo, "--workspace", workspace).exit_code == 0
    assert '"executed": 2' in cli("verify", "--max-commits", "1", "--workspace", workspace).output
    result = cli("verify", "--max-commits", "0", "--workspace", workspace)
    assert result.exit_code == 0, result.output
    assert "environment problem" not in result.output
    assert "kept static: exit status 2: ModuleNotFoundError: No module named" in result.output
    verdicts = _verifications(workspace)
    assert verdicts["Refuse negative restocks"]["status"] == "unrunnable"
    assert verdicts["Refuse negative restocks"]["task_status"] == "selected"


def test_a_setup_that_fails_is_one_environment_problem_and_runs_no_test(
    cli: Cli, make_repo: BuildRepo, tmp_path: Path
) -> None:
    repo = make_repo(history(), "stocky")
    workspace = _workspace(tmp_path, _pytest(), setup="echo building; exit 3")
    assert cli("mine", "--repo", repo, "--workspace", workspace).exit_code == 0
    result = cli("verify", "--workspace", workspace)
    assert result.exit_code == 0, result.output
    notes = [line for line in result.output.splitlines() if "note:" in line]
    assert len(notes) == 1, result.output
    assert "setup `echo building; exit 3` failed (exit status 3: building)" in notes[0]
    with Warehouse(workspace / "goldmine.duckdb", read_only=True) as warehouse:
        assert warehouse.count("verification_runs") == 0
        assert warehouse.count("verifications") == 0
    assert git(repo, "worktree", "list").count("\n") == 1


def test_verify_without_a_command_says_what_to_set(cli: Cli, tmp_path: Path) -> None:
    result = cli("verify", "--workspace", tmp_path / "ws")
    assert result.exit_code == 1
    assert "set [verify] command in goldmine.toml" in result.output
