"""Each task family on a history built for it: tests, docs, edge cases, review (negative), and
skips."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.builders import JsonObject, calc_history, json_object
from warehouse.store import Warehouse


@pytest.fixture(scope="module")
def workspace(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from click.testing import CliRunner

    from flows.commands.cli import main
    from flows.demo.sample_repo import build_repository

    root = tmp_path_factory.mktemp("families")
    repo = build_repository(root / "calc", calc_history())
    args = [
        "run",
        "--inline",
        "--repo",
        str(repo),
        "--lang",
        "both",
        "--workspace",
        str(root / "ws"),
    ]
    result = CliRunner().invoke(main, args, catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return root / "ws"


# The tests record of "Add tests for clamp" explains itself in one listing sentence ("The tests
# `…` exercise `clamp`."), too thin to teach: record_voice rejects it, as reviewers rejected every
# tests record that explained no more.
REJECTED: set[str] = {"tests"}


def _record(workspace: Path, family: str, lang: str = "en") -> JsonObject:
    status = "rejected" if family in REJECTED else "accepted"
    with Warehouse(workspace / "goldmine.duckdb", read_only=True) as warehouse:
        rows = warehouse.query(
            "SELECT record FROM candidates WHERE task_type = ? AND lang = ? AND status = ?",
            [family, lang, status],
        ).rows
    assert len(rows) == 1, (family, lang, rows)
    return json_object(rows[0][0])


def _tasks(workspace: Path) -> dict[str, tuple[str, str, str]]:
    with Warehouse(workspace / "goldmine.duckdb", read_only=True) as warehouse:
        rows = warehouse.query(
            "SELECT c.subject, t.family, t.polarity, t.status, t.reason FROM tasks t JOIN commits "
            "c ON c.id = t.commit_id"
        ).rows
    return {
        f"{subject}/{family}": (polarity, status, reason)
        for subject, family, polarity, status, reason in rows
    }


def test_a_reverted_commit_yields_a_negative_review_record(workspace: Path) -> None:
    polarity, status, _ = _tasks(workspace)["Remember the last clamped value/review"]
    assert (polarity, status) == ("negative", "selected")
    record = _record(workspace, "review")
    assert (
        "A teammate proposes this change: **Remember the last clamped value**"
        in record["instruction"]
    )
    assert (
        record["input"].startswith("```diff\ndiff --git a/calc.py b/calc.py")
        and "+    global LAST" in record["input"]
    )
    assert record["output"].startswith(
        "Request changes.\n\nA module-level LAST is shared by every caller and thread"
    )
    assert "    return max(low, min(value, high))" in record["output"]
    assert len(record["provenance"]["commits"]) == 2


def test_formatting_and_version_bumps_are_skipped_with_reasons(workspace: Path) -> None:
    tasks = _tasks(workspace)
    assert tasks["Reformat calc/formatting"][1:] == (
        "skipped",
        "formatting only: no behaviour changes",
    )
    assert tasks["Bump version to 0.2.0/version_bump"][1:] == (
        "skipped",
        "version bump: no behaviour to teach",
    )
    assert tasks['Revert "Remember the last clamped value"/revert'][1] == "skipped"


def test_a_tests_only_commit_teaches_writing_tests_for_the_code_they_exercise(
    workspace: Path,
) -> None:
    record = _record(workspace, "tests")
    assert "The tests for `clamp` are missing." in record["instruction"]
    assert "   - clamp keeps values inside the range" in record["instruction"]
    assert "Put the tests in `tests/test_calc.py`, using pytest." in record["instruction"]
    assert "def clamp(value: float, low: float, high: float) -> float:" in record["input"]
    assert "def test_clamp_raises_low_values_to_the_floor" in record["output"]
    assert "def test_mean_of_two" not in record["output"]


def test_tests_carry_the_import_they_need_and_resolve(workspace: Path) -> None:
    """The test file's changed import line is part of the answer, so the applied output
    resolves (without it, ``clamp`` is an undefined name and ``resolves`` rejects the record)."""
    record = _record(workspace, "tests")
    assert "`tests/test_calc.py` — module level:" in record["output"]
    assert "from calc import clamp, mean" in record["output"]
    with Warehouse(workspace / "goldmine.duckdb", read_only=True) as warehouse:
        verdicts = warehouse.query(
            """SELECT c.lang, k.passed FROM checks k JOIN candidates c ON c.id = """
            """k.candidate_id WHERE c.task_type = 'tests' AND k."check" = 'resolves' ORDER BY 1"""
        ).rows
    assert verdicts == [("en", True), ("zh", True)]


def test_a_docstring_commit_teaches_documenting_without_changing_code(workspace: Path) -> None:
    record = _record(workspace, "docs")
    assert "Describe each argument (Google style)." in record["instruction"]
    assert "Describe what it returns." in record["instruction"]
    assert '"""' not in record["input"].split("def mean", 1)[1].split("def clamp")[0]
    assert "Returns:\n        Their sum divided by their count." in record["output"]


def test_guard_clauses_a_fix_added_become_an_edge_case_record(workspace: Path) -> None:
    polarity, status, _ = _tasks(workspace)["Refuse the mean of an empty list/edge_cases"]
    assert (polarity, status) == ("edge", "selected")
    record = _record(workspace, "edge_cases")
    assert (
        '- `not values` → `ValueError` ("mean of an empty list is undefined")' in record["output"]
    )
    assert (
        "`test_mean_of_nothing_is_refused` in the test suite pins these cases." in record["output"]
    )
    assert "raise ValueError" not in record["input"]


@pytest.mark.parametrize("family", ["tests", "docs", "edge_cases", "review", "bugfix"])
def test_every_family_is_drafted_in_chinese_too(workspace: Path, family: str) -> None:
    english, chinese = _record(workspace, family), _record(workspace, family, "zh")
    assert (
        chinese["instruction"].startswith("你是一名 Python 开发工程师")
        and "要求：" in chinese["instruction"]
    )
    assert chinese["input"].count("```") == english["input"].count("```")
