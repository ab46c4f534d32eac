"""LLaMA-Factory's own converter and chat template accept every exported row.

The check runs in a separate virtual environment (LLaMA-Factory pulls torch); `.ci/run` builds it
with `tests/llamafactory/setup_venv.sh`. Without it these tests are skipped with that instruction.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from typing import TypedDict

import pytest
from click.testing import CliRunner

from flows.commands.cli import main
from flows.demo.sample_repo import DEMO_HISTORY, DEMO_TICKETS, build_repository, load_script

HERE = Path(__file__).resolve().parent
VENV = Path(
    os.environ.get("GOLDMINE_LLAMAFACTORY_VENV", Path.home() / ".cache/goldmine/llamafactory-0.9.5")
)
PYTHON = VENV / "bin" / "python"
pytestmark = pytest.mark.skipif(
    not PYTHON.exists(),
    reason=f"no LLaMA-Factory environment at {VENV}: run tests/llamafactory/setup_venv.sh",
)


class DatasetReport(TypedDict):
    """One dataset's line of the summary convert_with_llamafactory.py prints (its
    ``DatasetReport``: that script runs in another environment and cannot be imported here)."""

    formatting: str
    rows: int
    converted: int
    encoded: int
    failures: list[str]


def _convert(export_dir: Path) -> tuple[int, dict[str, DatasetReport]]:
    done = subprocess.run(
        [str(PYTHON), str(HERE / "convert_with_llamafactory.py"), str(export_dir), "qwen"],
        capture_output=True,
        text=True,
        env={**os.environ, "DISABLE_VERSION_CHECK": "1"},
        timeout=600,
    )
    assert done.stdout.strip(), done.stderr[-2000:]
    report: dict[str, DatasetReport] = json.loads(done.stdout.strip().splitlines()[-1])
    return done.returncode, report


@pytest.fixture(scope="module")
def export_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("llamafactory")
    repo = build_repository(root / "sample", load_script(DEMO_HISTORY))
    args = [
        "run",
        "--inline",
        "--repo",
        str(repo),
        "--tickets",
        str(DEMO_TICKETS),
        "--kinds",
        "both",
        "--lang",
        "both",
        "--workspace",
        str(root / "ws"),
    ]
    assert CliRunner().invoke(main, args, catch_exceptions=False).exit_code == 0
    return root / "ws" / "export"


def test_every_alpaca_and_sharegpt_row_converts_and_encodes(export_dir: Path) -> None:
    code, report = _convert(export_dir)
    assert code == 0, report
    # the assay's newest records, when any
    holdout = {
        "goldmine_alpaca_holdout",
        "goldmine_sharegpt_holdout",
    }
    assert set(report) - holdout == {"goldmine_alpaca", "goldmine_sharegpt"}
    for name, result in report.items():
        rows = len((export_dir / f"{name}.jsonl").read_text().splitlines())
        assert result["rows"] == result["converted"] == result["encoded"] == rows > 0, (
            name,
            result,
        )


def test_a_row_llamafactory_would_drop_is_caught(export_dir: Path, tmp_path: Path) -> None:
    broken = tmp_path / "export"
    broken.mkdir()
    for file in export_dir.iterdir():
        (broken / file.name).write_bytes(file.read_bytes())
    rows = (broken / "goldmine_sharegpt.jsonl").read_text().splitlines()
    first = json.loads(rows[0])
    # a call without its turn
    first["conversations"] = first["conversations"][:1] + first["conversations"][2:]
    (broken / "goldmine_sharegpt.jsonl").write_text(
        "\n".join([json.dumps(first), *rows[1:]]) + "\n"
    )
    code, report = _convert(broken)
    assert code == 1 and report["goldmine_sharegpt"]["failures"][0].startswith("row 1:")
