"""The README documents every command and every warehouse table."""

from __future__ import annotations

from pathlib import Path

from flows.commands.cli import main
from warehouse.store import Warehouse

ROOT = Path(__file__).resolve().parent.parent


def test_readme_has_the_two_command_quickstart() -> None:
    readme = (ROOT / "README.md").read_text()
    assert (
        "uv run goldmine demo" in readme
        and "uv run pytest" in readme
        and "pip install uv" in readme
    )


def test_readme_documents_every_command() -> None:
    readme = (ROOT / "README.md").read_text()
    for name in main.commands:
        assert f"goldmine {name}" in readme, f"README.md does not document `goldmine {name}`"


def test_the_tables_page_documents_every_table(tmp_path: Path) -> None:
    text = (ROOT / "docs" / "tables.md").read_text()
    with Warehouse(tmp_path / "w.duckdb") as warehouse:
        for table in warehouse.tables():
            assert f"`{table}`" in text, f"docs/tables.md does not document the table {table}"
