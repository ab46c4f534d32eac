"""A reviewable workspace, built once per test session through the real pipeline and copied per
test.

The demo project's history and tickets (flows/demo/fixtures), drafted as instruction records and
agent trajectories in English and Chinese, give 78 accepted records in 20 strata; every ticket
carries a planted AWS key, so each ticket-linked record holds a redaction placeholder.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from flows.commands.cli import main
from flows.demo.sample_repo import DEMO_HISTORY, DEMO_TICKETS, build_repository, load_script
from tests.builders import PLANTED_KEY


@pytest.fixture(scope="session")
def review_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The reviewable workspace, drafted once per session (copy it with ``review_workspace``)."""
    root = tmp_path_factory.mktemp("review-template")
    repo = build_repository(root / "stockroom", load_script(DEMO_HISTORY))
    tickets = json.loads(DEMO_TICKETS.read_text(encoding="utf-8"))
    for ticket in tickets:
        ticket["body"] += f"\n\nOur staging key {PLANTED_KEY} reproduces it."
    (root / "tickets.json").write_text(json.dumps(tickets), encoding="utf-8")
    workspace = root / "ws"
    result = CliRunner().invoke(
        main,
        [
            "run",
            "--inline",
            "--repo",
            str(repo),
            "--tickets",
            str(root / "tickets.json"),
            "--lang",
            "both",
            "--kinds",
            "both",
            "--workspace",
            str(workspace),
        ],
    )
    assert result.exit_code == 0, result.output
    return workspace


@pytest.fixture
def review_workspace(review_template: Path, tmp_path: Path) -> Path:
    """A private copy of the reviewable workspace."""
    target = tmp_path / "ws"
    shutil.copytree(review_template, target)
    return target
