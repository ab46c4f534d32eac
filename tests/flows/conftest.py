"""A reviewable workspace, built once per test session through the real pipeline and copied per test.

The demo project's history and tickets (flows/demo_fixtures) drafted in English and Chinese give
36 accepted instruction records in 8 strata; every ticket carries a planted AWS key, so each
ticket-linked record holds a redaction placeholder; one agent trajectory is added by hand (the
extractive drafter does not make them yet) so the page's timeline has something to show.
"""

from __future__ import annotations

import json
import shutil
from datetime import UTC, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner

from flows.cli import main
from flows.sample_repo import DEMO_HISTORY, DEMO_TICKETS, build_repository, load_script
from tests.warehouse.test_export import AGENT
from warehouse.store import Warehouse

PLANTED_KEY = "AKIAZ7Q4EXAMPLE3KEY9"
AGENT_ID = "agent-trajectory-1"


@pytest.fixture(scope="session")
def review_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("review-template")
    repo = build_repository(root / "stockroom", load_script(DEMO_HISTORY))
    tickets = json.loads(DEMO_TICKETS.read_text(encoding="utf-8"))
    for ticket in tickets:
        ticket["body"] += f"\n\nOur staging key {PLANTED_KEY} reproduces it."
    (root / "tickets.json").write_text(json.dumps(tickets), encoding="utf-8")
    workspace = root / "ws"
    result = CliRunner().invoke(main, ["run", "--inline", "--repo", str(repo), "--tickets", str(root / "tickets.json"),
                                       "--lang", "both", "--workspace", str(workspace)])  # fmt: skip
    assert result.exit_code == 0, result.output
    _add_agent_record(workspace)
    return workspace


def _add_agent_record(workspace: Path) -> None:
    with Warehouse(workspace / "goldmine.duckdb") as warehouse:
        sha = warehouse.scalar("SELECT sha FROM commits ORDER BY committed_at DESC LIMIT 1")
        record = {**AGENT, "id": AGENT_ID, "provenance": {**AGENT["provenance"], "commits": [sha],
                                                          "paths": ["src/stockroom/stock.py"]}}  # fmt: skip
        warehouse.insert("candidates", [{
            "id": AGENT_ID, "task_id": "t-agent", "kind": "agent", "task_type": "bugfix", "lang": "en",
            "drafter": "extractive", "template": "t@1", "status": "accepted", "score": 90.0,
            "record": json.dumps(record), "provenance": json.dumps(record["provenance"]), "run_id": "test",
            "created_at": datetime(2024, 1, 1, tzinfo=UTC),
        }])  # fmt: skip


@pytest.fixture
def review_workspace(review_template: Path, tmp_path: Path) -> Path:
    """A private copy of the reviewable workspace."""
    target = tmp_path / "ws"
    shutil.copytree(review_template, target)
    return target
