"""Each task family on a history built for it: tests, docs, edge cases, review (negative), and
skips."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from warehouse.store import Warehouse

CALC = '''"""Small statistics helpers."""


def mean(values: list[float]) -> float:
    return sum(values) / len(values)


def clamp(value: float, low: float, high: float) -> float:
    """Limit value to the range [low, high]."""
    return max(low, min(value, high))
'''
CALC_DOCUMENTED = CALC.replace(
    "def mean(values: list[float]) -> float:\n",
    'def mean(values: list[float]) -> float:\n    """The arithmetic mean of values.\n\n    '
    "Args:\n        values: the numbers to average.\n\n"
    '    Returns:\n        Their sum divided by their count.\n    """\n',
)
CALC_CACHED = CALC_DOCUMENTED.replace(
    "    return max(low, min(value, high))",
    "    global LAST\n    LAST = max(low, min(value, high))\n    return LAST",
)
CALC_FIXED = CALC_DOCUMENTED.replace(
    "    return sum(values) / len(values)",
    '    if not values:\n        raise ValueError("mean of an empty list is undefined")\n    '
    "return sum(values) / len(values)",
)
TESTS = "from calc import mean\n\n\ndef test_mean_of_two():\n    assert mean([1.0, 3.0]) == 2.0\n"
TESTS_CLAMP = TESTS.replace("from calc import mean", "from calc import clamp, mean") + (
    "\n\ndef test_clamp_keeps_values_inside_the_range():\n    assert clamp(5.0, 0.0, 10.0) == 5.0\n"
    "\n\ndef test_clamp_raises_low_values_to_the_floor():\n    assert clamp(-1.0, 0.0, 10.0) == "
    "0.0\n"
)
TESTS_EMPTY = TESTS_CLAMP + (
    "\n\ndef test_mean_of_nothing_is_refused():\n    import pytest\n\n    with "
    "pytest.raises(ValueError):\n        mean([])\n"
)
PYPROJECT = '[project]\nname = "calc"\nversion = "0.1.0"\nrequires-python = ">=3.12"\n'


def history() -> list[dict[str, Any]]:
    day = iter(range(1, 20))

    def at() -> str:
        return f"2024-02-{next(day):02d}T10:00:00+00:00"

    return [
        {
            "date": at(),
            "message": "Add calc helpers",
            "files": {"pyproject.toml": PYPROJECT, "calc.py": CALC, "tests/test_calc.py": TESTS},
        },
        {
            "date": at(),
            "message": "Add tests for clamp\n\nclamp had no tests; pin the range behaviour.",
            "files": {"tests/test_calc.py": TESTS_CLAMP},
        },
        {
            "date": at(),
            "message": "Document mean\n\nCallers asked what mean returns.",
            "files": {"calc.py": CALC_DOCUMENTED},
        },
        {
            "date": at(),
            "message": "Remember the last clamped value",
            "files": {"calc.py": CALC_CACHED},
        },
        {
            "date": at(),
            "message": 'Revert "Remember the last clamped value"\n\nA module-level LAST is shared '
            "by every caller and thread, so concurrent callers read each other's "
            "values.",
            "files": {"calc.py": CALC_DOCUMENTED},
        },
        {
            "date": at(),
            "message": "Refuse the mean of an empty list\n\nmean([]) raised ZeroDivisionError "
            "from deep inside.",
            "files": {"calc.py": CALC_FIXED, "tests/test_calc.py": TESTS_EMPTY},
        },
        {
            "date": at(),
            "message": "Reformat calc",
            "files": {
                "calc.py": CALC_FIXED.replace(
                    "return max(low, min(value, high))", "return max(low,  min(value, high))"
                )
            },
        },
        {
            "date": at(),
            "message": "Bump version to 0.2.0",
            "files": {"pyproject.toml": PYPROJECT.replace("0.1.0", "0.2.0")},
        },
    ]


@pytest.fixture(scope="module")
def workspace(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from click.testing import CliRunner

    from flows.commands.cli import main
    from flows.demo.sample_repo import build_repository

    root = tmp_path_factory.mktemp("families")
    repo = build_repository(root / "calc", history())
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


def _record(workspace: Path, family: str, lang: str = "en") -> dict[str, Any]:
    with Warehouse(workspace / "goldmine.duckdb", read_only=True) as warehouse:
        rows = warehouse.query(
            "SELECT record FROM candidates WHERE task_type = ? AND lang = ? AND status = "
            "'accepted'",
            [family, lang],
        ).rows
    assert len(rows) == 1, (family, lang, rows)
    return json.loads(rows[0][0])


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
        chinese["instruction"].startswith("你是一名Python 开发工程师")
        and "要求：" in chinese["instruction"]
    )
    assert chinese["input"].count("```") == english["input"].count("```")
