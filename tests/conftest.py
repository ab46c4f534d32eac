"""Shared fixtures: real git repositories built in tmp folders with fixed dates, real warehouses."""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from flows.commands.cli import main
from flows.demo.sample_repo import build_repository
from warehouse.store import Warehouse

BuildRepo = Callable[..., Path]

STOCK_V1 = '''"""Stock levels and reservations."""
import logging

logger = logging.getLogger(__name__)


def reserve(levels: dict[str, int], sku: str, qty: int) -> int:
    """Reserve qty of sku and return what is left."""
    levels[sku] = levels[sku] - qty
    return levels[sku]


def restock(levels: dict[str, int], sku: str, qty: int) -> None:
    """Add qty units of sku."""
    levels[sku] = levels.get(sku, 0) + qty
'''

STOCK_V2 = STOCK_V1.replace(
    '''    """Reserve qty of sku and return what is left."""
    levels[sku] = levels[sku] - qty''',
    '''    """Reserve qty of sku and return what is left."""
    if qty <= 0:
        raise ValueError(f"quantity must be positive, got {qty}")
    if levels.get(sku, 0) < qty:
        logger.warning("not enough %s in stock", sku)
        raise LookupError(f"not enough {sku} in stock")
    levels[sku] = levels[sku] - qty''',
)

TEST_STOCK = """import pytest

from stock import reserve


def test_reserve_rejects_negative_quantity():
    with pytest.raises(ValueError):
        reserve({"a": 3}, "a", -1)
"""

PYPROJECT = """[project]
name = "stocky"
version = "0.1.0"
requires-python = ">=3.11"
dependencies = ["pydantic>=2.6"]
"""

README = "# stocky\n\nstocky tracks stock levels and reservations for small shops.\n"


def stock_history() -> list[dict[str, Any]]:
    """A small history: skeleton, a ticket-linked bug fix with its test, a formatting-only
    commit."""
    return [
        {
            "date": "2024-01-02T10:00:00+00:00",
            "author": "Ana Lima <ana@corp.example>",
            "message": "Add stock module\n\nReservations and restocking for the shop.",
            "files": {"pyproject.toml": PYPROJECT, "README.md": README, "src/stock.py": STOCK_V1},
        },
        {
            "date": "2024-01-05T09:30:00+00:00",
            "author": "Bo Chen <bo@corp.example>",
            "message": (
                "Reject negative and oversized reservations\n\n"
                "A negative quantity increased the stock instead of failing, and\n"
                "reserving more than the stock went negative.\n\nFixes #1"
            ),
            "files": {"src/stock.py": STOCK_V2, "tests/test_stock.py": TEST_STOCK},
        },
        {
            "date": "2024-01-06T09:30:00+00:00",
            "author": "Bo Chen <bo@corp.example>",
            "message": "Reformat stock module",
            "files": {
                "src/stock.py": STOCK_V2.replace(
                    "levels[sku] = levels[sku] - qty", "levels[sku] = levels[sku]  -  qty"
                )
            },
        },
    ]


STOCK_TICKETS = [
    {
        "number": 1,
        "title": "reserve() accepts negative quantities",
        "body": "Calling `reserve(levels, 'a', -1)` increases the stock.\n\nExpected: an error.",
        "state": "closed",
        "labels": [{"name": "bug"}],
        "user": {"login": "mkowalski"},
        "html_url": "https://example.com/stocky/issues/1",
        "created_at": "2024-01-03T08:00:00Z",
        "closed_at": "2024-01-05T09:30:00Z",
        "comments": [
            {
                "user": {"login": "ana-lima"},
                "created_at": "2024-01-04T08:00:00Z",
                "body": "The qty check is missing.",
            },
            {
                "user": {"login": "bo-chen"},
                "created_at": "2024-01-06T08:00:00Z",
                "body": "Fixed by adding a guard.",
            },
        ],
    },
    {
        "number": 2,
        "title": "Support restocking from CSV",
        "body": "Please add CSV import.",
        "state": "open",
        "labels": [{"name": "enhancement"}],
        "user": {"login": "mkowalski"},
        "html_url": "https://example.com/stocky/issues/2",
        "created_at": "2024-01-04T08:00:00Z",
        "closed_at": None,
    },
]


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

    def build(commits: Sequence[Mapping[str, Any]], name: str | None = None) -> Path:
        return build_repository(tmp_path / (name or f"repo{next(counter)}"), commits)

    return build


@pytest.fixture
def stock_repo(make_repo: BuildRepo) -> Path:
    return make_repo(stock_history(), "stocky")


@pytest.fixture
def stock_tickets(tmp_path: Path) -> Path:
    path = tmp_path / "issues.json"
    path.write_text(json.dumps(STOCK_TICKETS), encoding="utf-8")
    return path


@pytest.fixture
def warehouse(tmp_path: Path) -> Iterator[Warehouse]:
    with Warehouse(tmp_path / "test.duckdb") as opened:
        yield opened


@pytest.fixture
def cli() -> Callable[..., Result]:
    """Invoke the goldmine CLI in-process; returns click's Result."""
    runner = CliRunner()

    def invoke(*args: str | Path) -> Result:
        return runner.invoke(main, [str(a) for a in args], catch_exceptions=False)

    return invoke


def git(repo: Path, *args: str) -> str:
    """Run git in a test repository and return its stdout."""
    return subprocess.run(
        ["git", *args], cwd=repo, capture_output=True, text=True, check=True
    ).stdout
