"""LLaMA-Factory's own converter and chat templates accept every exported row: the ``qwen``
template every dataset, the reasoning template ``qwen3`` (``enable_thinking: true``) every dataset
too, with the ``think`` layout's thoughts inside ``<think>`` before each call.

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
    sample: str


# Every format LLaMA-Factory loads, in every thought style.
EXPORT_CONFIG = """[export]
formats = ["alpaca", "sharegpt", "agent_openai", "openai"]
thoughts = ["inline", "think", "drop"]
"""
DATASETS = {
    "goldmine_alpaca",
    *(
        f"goldmine_{form}{style}"
        for form in ("sharegpt", "agent_openai")
        for style in ("", "_think", "_nothought")
    ),
}


def _convert(export_dir: Path, template: str = "qwen") -> tuple[int, dict[str, DatasetReport]]:
    done = subprocess.run(
        [str(PYTHON), str(HERE / "convert_with_llamafactory.py"), str(export_dir), template],
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
    (root / "ws").mkdir()
    (root / "ws" / "goldmine.toml").write_text(EXPORT_CONFIG, encoding="utf-8")
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


def _assert_every_row_loads(export_dir: Path, report: dict[str, DatasetReport]) -> None:
    # the assay's newest records are the holdout datasets, when any
    assert {name.removesuffix("_holdout") for name in report} == DATASETS
    for name, result in report.items():
        rows = len((export_dir / f"{name}.jsonl").read_text().splitlines())
        assert result["rows"] == result["converted"] == result["encoded"] == rows > 0, (
            name,
            result,
        )


def _first_call(export_dir: Path, name: str) -> tuple[str, str]:
    """The thought and the tool's name of the first call in a dataset's first row."""
    row = json.loads((export_dir / f"{name}.jsonl").read_text().splitlines()[0])
    turns = row.get("conversations") or row["messages"]
    value = next(t.get("value") or t["content"] for t in turns if "function_call" in t.values())
    thought, _, call = value.partition("<tool_call>")
    name_of = json.loads(call.removesuffix("</tool_call>"))["name"]
    return thought.removeprefix("<think>\n").removesuffix("\n</think>\n\n"), name_of


def test_every_row_of_every_dataset_converts_and_encodes(export_dir: Path) -> None:
    code, report = _convert(export_dir)
    assert code == 0, report
    _assert_every_row_loads(export_dir, report)


def test_qwen3_loads_every_row_and_renders_each_thought_inside_think_before_its_call(
    export_dir: Path,
) -> None:
    code, report = _convert(export_dir, "qwen3")
    assert code == 0, report
    _assert_every_row_loads(export_dir, report)
    for name in ("goldmine_sharegpt_think", "goldmine_agent_openai_think"):
        thought, tool = _first_call(export_dir, name)
        sample = report[name]["sample"]
        print(f"--- {name}, rendered by qwen3 ---\n{sample}")
        expected = f'<think>\n{thought}\n</think>\n\n<tool_call>\n{{"name": "{tool}"'
        # the assistant's turn opens with the thought, then the call in the template's own words
        assert f"<|im_start|>assistant\n{expected}" in sample, (name, expected)
    # without a thought the reasoning template trains an empty think block before the call
    assert "<think>\n\n</think>\n\n<tool_call>" in report["goldmine_sharegpt_nothought"]["sample"]


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
