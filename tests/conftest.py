"""Shared fixtures: real git repositories built in tmp folders with fixed dates, real warehouses.

What they build with lives in tests/builders.py; test modules import from there, not from here.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator, Sequence
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from flows.commands.cli import main
from flows.demo.sample_repo import build_repository
from tests.builders import STOCK_TICKETS, BuildRepo, Cli, Commit, stock_history
from warehouse.store import Warehouse

# The socket guard keeps every test on loopback (see socket_guard.py); pytester runs the guard's
# own tests in an inner session.
pytest_plugins = ("tests.socket_guard", "pytester")


@pytest.fixture(autouse=True)
def _isolated_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No user git config, no inherited workspace, no Prefect server of the developer's."""
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", os.devnull)
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    for role in ("AUTHOR", "COMMITTER"):
        monkeypatch.setenv(f"GIT_{role}_NAME", "Test Person")
        monkeypatch.setenv(f"GIT_{role}_EMAIL", "test@example.com")
    monkeypatch.delenv("GOLDMINE_HOME", raising=False)
    monkeypatch.delenv("PREFECT_API_URL", raising=False)


@pytest.fixture
def make_repo(tmp_path: Path) -> BuildRepo:
    """Build a git repository from commit tables (see flows/demo/sample_repo.py) under tmp_path."""
    counter = iter(range(1000))

    def build(commits: Sequence[Commit], name: str | None = None) -> Path:
        return build_repository(tmp_path / (name or f"repo{next(counter)}"), commits)

    return build


@pytest.fixture
def stock_repo(make_repo: BuildRepo) -> Path:
    """The stock history (tests/builders.py) as a repository named ``stocky``."""
    return make_repo(stock_history(), "stocky")


@pytest.fixture
def stock_tickets(tmp_path: Path) -> Path:
    """The stock project's GitHub issues as an export file."""
    path = tmp_path / "issues.json"
    path.write_text(json.dumps(STOCK_TICKETS), encoding="utf-8")
    return path


@pytest.fixture
def warehouse(tmp_path: Path) -> Iterator[Warehouse]:
    """A fresh warehouse file, migrated and open for writing."""
    with Warehouse(tmp_path / "test.duckdb") as opened:
        yield opened


@pytest.fixture
def cli() -> Cli:
    """Invoke the goldmine CLI in-process; returns click's Result."""
    runner = CliRunner()

    def invoke(*args: str | Path) -> Result:
        return runner.invoke(main, [str(a) for a in args], catch_exceptions=False)

    return invoke
