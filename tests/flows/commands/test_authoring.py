"""``goldmine seeds check`` and ``goldmine prompts render``."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from tests.builders import Cli
from tests.llm_server import FakeLLMServer, llm_config, valid_records
from warehouse.seed_folder import SEEDS_DIR
from warehouse.store import Warehouse


def test_the_shipped_seeds_pass_the_check(cli: Cli, tmp_path: Path) -> None:
    result = cli("seeds", "check", "--workspace", tmp_path)
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0].split() == ["file", "kind", "task", "type", "lang", "template", "problems"]
    assert sum(line.endswith("  ok") for line in lines) == 10
    assert "02-flask-orders-pagination-bugfix.json  instruction  bugfix" in result.output
    assert lines[-1] == "ok: 10 records (4 agent, 6 instruction; 6 en, 4 zh), 10 tools"


def test_a_broken_seed_fails_the_check_naming_file_and_field(cli: Cli, tmp_path: Path) -> None:
    seeds = Path(shutil.copytree(SEEDS_DIR, tmp_path / "myseeds"))
    weather = seeds / "10-weather-umbrella-agent.json"
    weather.write_text(
        weather.read_text(encoding="utf-8").replace('"get_weather"', '"get_forecast"'),
        encoding="utf-8",
    )
    result = cli("seeds", "check", seeds)
    assert result.exit_code == 1
    assert (
        f"{seeds}/10-weather-umbrella-agent.json: tools[0].name: unknown tool 'get_forecast': not "
        "in tools.json" in result.output
    )
    assert result.output.strip().splitlines()[-1] == (
        f"Error: 3 problem(s) in {seeds} (listed above); fix them and check again"
    )


def test_the_seeds_folder_comes_from_goldmine_toml(cli: Cli, tmp_path: Path) -> None:
    workspace = tmp_path / "ws"
    (workspace / "myseeds").mkdir(parents=True)
    shutil.copy(SEEDS_DIR / "02-flask-orders-pagination-bugfix.json", workspace / "myseeds")
    (workspace / "goldmine.toml").write_text('[draft]\nseeds = "myseeds"\n', encoding="utf-8")
    result = cli("seeds", "check", "--workspace", workspace)
    assert result.exit_code == 0, result.output
    assert result.output.splitlines()[-1] == "ok: 1 record (1 instruction; 1 en), 0 tools"


@pytest.fixture
def mined(cli: Cli, stock_repo: Path, stock_tickets: Path, tmp_path: Path) -> tuple[Path, str]:
    """A workspace with the stock repository mined and its tasks selected; the bug fix's task id."""
    workspace = tmp_path / "ws"
    assert (
        cli(
            "run",
            "--inline",
            "--repo",
            stock_repo,
            "--tickets",
            stock_tickets,
            "--workspace",
            workspace,
        ).exit_code
        == 0
    )
    with Warehouse(workspace / "goldmine.duckdb", read_only=True) as warehouse:
        task_id = warehouse.scalar(
            "SELECT id FROM tasks WHERE status = 'selected' AND family = 'bugfix'"
        )
    return workspace, task_id


def test_prompts_render_prints_the_messages_without_a_model(
    cli: Cli, mined: tuple[Path, str]
) -> None:
    workspace, task_id = mined
    result = cli("prompts", "render", task_id[:8], "--workspace", workspace)
    assert result.exit_code == 0, result.output
    text = result.output
    assert text.startswith("─── system ───\nYou are a senior software engineer")
    assert (
        "─── user ───\nWrite the prose of one fine-tuning record" in text
        and "<untrusted_data_" in text
    )
    assert 'name="02-flask-orders-pagination-bugfix"' in text
    assert (
        text.rstrip()
        .splitlines()[-1]
        .startswith("─── template llm/bugfix_to_instruction.en.md.j2@")
    )
    chinese = cli(
        "prompts",
        "render",
        task_id,
        "--template",
        "llm/feature_to_instruction.zh.md.j2",
        "--workspace",
        workspace,
    )
    assert (
        chinese.exit_code == 0
        and "这次变更新增了一项功能" in chinese.output
        and "你是一名资深软件工程师" in chinese.output
    )


def test_prompts_render_shows_exactly_what_the_drafter_sends(
    cli: Cli, mined: tuple[Path, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    workspace, task_id = mined
    (workspace / "goldmine.toml").write_text(llm_config(), encoding="utf-8")
    with FakeLLMServer(valid_records) as server:
        monkeypatch.setenv("GOLDMINE_LLM_BASE_URL", server.url)
        monkeypatch.setenv("GOLDMINE_LLM_MODEL", "fake-model")
        rendered = cli("prompts", "render", task_id, "--json", "--workspace", workspace)
        assert cli("draft", "--drafter", "llm", "--workspace", workspace).exit_code == 0
        assert json.loads(rendered.output) in server.requests


def test_prompts_render_explains_bad_ids_and_template_names(
    cli: Cli, mined: tuple[Path, str]
) -> None:
    workspace, task_id = mined
    result = cli("prompts", "render", "nope", "--workspace", workspace)
    assert result.exit_code == 1 and result.output.startswith(
        "Error: no task nope: list tasks with goldmine sql"
    )
    result = cli(
        "prompts", "render", task_id, "--template", "llm/bugfix.md.j2", "--workspace", workspace
    )
    assert result.exit_code == 1
    assert (
        "Error: no task template named llm/bugfix.md.j2: choose one of "
        "llm/bugfix_to_instruction.en.md.j2" in result.output
    )
    result = cli(
        "prompts",
        "render",
        task_id,
        "--template",
        "llm/bugfix_to_instruction.zh.md.j2",
        "--lang",
        "en",
        "--workspace",
        workspace,
    )
    assert result.exit_code == 1 and "writes zh records" in result.output
