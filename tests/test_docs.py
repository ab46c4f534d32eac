"""The README documents every command and every warehouse table."""

from __future__ import annotations

import subprocess
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
    for name in main.commands:  # type: ignore[attr-defined]
        assert f"goldmine {name}" in readme, f"README.md does not document `goldmine {name}`"


def test_the_tables_page_documents_every_table(tmp_path: Path) -> None:
    text = (ROOT / "docs" / "tables.md").read_text()
    with Warehouse(tmp_path / "w.duckdb") as warehouse:
        for table in warehouse.tables():
            assert f"`{table}`" in text, f"docs/tables.md does not document the table {table}"


def test_every_folder_says_what_it_is_for_in_a_readme() -> None:
    tracked = subprocess.run(
        ["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout.split()
    folders = {str(Path(path).parent) for path in tracked}
    missing = sorted(f for f in folders if not (ROOT / f / "README.md").exists())
    assert not missing, f"folders without a README.md: {missing}"
