"""The export every framework test serves: a real pipeline run over the stock repository."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.builders import Cli, JsonObject, json_object


@pytest.fixture
def exported(
    cli: Cli, stock_repo: Path, stock_tickets: Path, tmp_path: Path
) -> tuple[JsonObject, Path]:
    """The first exported OpenAI row that offers tools (an agent trajectory), and the
    ``export/tools.json`` written beside it."""
    result = cli(
        "run",
        "--inline",
        "--repo",
        stock_repo,
        "--tickets",
        stock_tickets,
        "--kinds",
        "agent",
        "--workspace",
        tmp_path / "ws",
    )
    assert result.exit_code == 0, result.output
    rows = [
        json_object(line)
        for line in (tmp_path / "ws" / "export" / "goldmine_openai.jsonl").read_text().splitlines()
    ]
    return next(row for row in rows if "tools" in row), tmp_path / "ws" / "export" / "tools.json"
