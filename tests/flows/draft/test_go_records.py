"""Records drafted from a Go history speak Go: the package comment, the module's name, errors
returned rather than exceptions raised."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.builders import Commit, JsonObject, json_object
from warehouse.store import Warehouse

LICENCE = (
    "// Copyright 2024 The Stats Authors\n//\n"
    '// Licensed under the Apache License, Version 2.0 (the "License");\n'
    "// you may not use this file except in compliance with the License.\n\n"
)
STATS = (
    LICENCE
    + "// Package stats computes small statistics over slices of numbers.\npackage stats\n\n"
    'import "errors"\n\n'
    "// Mean returns the arithmetic mean of values.\n"
    "func Mean(values []float64) (float64, error) {\n"
    "\tsum := 0.0\n\tfor _, v := range values {\n\t\tsum += v\n\t}\n"
    "\treturn sum / float64(len(values)), nil\n}\n"
)
STATS_FIXED = STATS.replace(
    "\tsum := 0.0\n",
    '\tif len(values) == 0 {\n\t\treturn 0, errors.New("mean of an empty slice is undefined")\n'
    "\t}\n\tsum := 0.0\n",
)
STATS_TEST = (
    'package stats\n\nimport "testing"\n\n'
    "func TestMeanOfTwo(t *testing.T) {\n"
    '\tif got, _ := Mean([]float64{1, 3}); got != 2 {\n\t\tt.Fatalf("got %v", got)\n\t}\n}\n'
)
STATS_TEST_EMPTY = STATS_TEST + (
    "\nfunc TestMeanOfNothingIsRefused(t *testing.T) {\n"
    '\tif _, err := Mean(nil); err == nil {\n\t\tt.Fatal("Mean(nil) returned no error")\n\t}\n}\n'
)


def go_history() -> list[Commit]:
    return [
        {
            "date": "2024-03-01T10:00:00+00:00",
            "message": "Add the stats package",
            "files": {
                "go.mod": "module github.com/acme/stats/v2\n\ngo 1.22\n",
                "README.md": "# Table of Contents\n\n- [Usage](#usage)\n",
                "stats.go": STATS,
                "stats_test.go": STATS_TEST,
            },
        },
        {
            "date": "2024-03-04T10:00:00+00:00",
            "message": "Refuse the mean of an empty slice\n\nMean(nil) returned NaN because it "
            "divided by zero, so callers could not tell an empty slice from a real mean.",
            "files": {"stats.go": STATS_FIXED, "stats_test.go": STATS_TEST_EMPTY},
        },
    ]


@pytest.fixture(scope="module")
def workspace(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from click.testing import CliRunner

    from flows.commands.cli import main
    from flows.demo.sample_repo import build_repository

    root = tmp_path_factory.mktemp("go")
    repo = build_repository(root / "stats", go_history())
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


def _records(workspace: Path, task_type: str, lang: str) -> list[tuple[str, JsonObject]]:
    """The candidates of one task type in one language, with their status."""
    with Warehouse(workspace / "goldmine.duckdb", read_only=True) as warehouse:
        rows = warehouse.query(
            "SELECT status, record FROM candidates WHERE task_type = ? AND lang = ?",
            [task_type, lang],
        ).rows
    return [(status, json_object(text)) for status, text in rows]


def test_a_go_edge_case_record_asks_for_errors_returned_in_the_package_s_words(
    workspace: Path,
) -> None:
    ((status, record),) = _records(workspace, "edge_cases", "en")
    assert status == "accepted"
    instruction = record["instruction"]
    assert instruction.startswith("You are a Go developer working on stats.")
    assert "`stats.go`: Package stats computes small statistics over slices of numbers." in (
        instruction
    )
    assert "License" not in instruction and "Table of Contents" not in instruction
    assert 'as `condition → error ("message")`' in instruction
    assert "by returning an error (`errors.New`" in instruction
    assert "exception" not in instruction
    assert (
        '`len(values) == 0` → `errors.New` ("mean of an empty slice is undefined")'
        in (record["output"])
    )
    ((_, zh),) = _records(workspace, "edge_cases", "zh")
    assert "返回一个错误" in zh["instruction"] and "异常" not in zh["instruction"]
