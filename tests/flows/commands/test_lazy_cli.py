"""The command answers at once: ``--help``, ``status`` and ``sql`` import only what they need, and
the help the group lists without loading a command is that command's own."""

from __future__ import annotations

from pathlib import Path

import click

from flows.commands.cli import COMMANDS, main
from tests.builders import Cli, goldmine_watched

HEAVY = {"prefect", "openai", "jinja2", "tree_sitter", "numpy", "libcst", "detect_secrets", "git"}


def test_the_listed_help_is_each_commands_own() -> None:
    context = click.Context(main)
    for name, lazy in COMMANDS.items():
        command = lazy.load()
        assert command.name == name
        assert command.get_short_help_str(limit=500) == lazy.help, name
    assert set(main.list_commands(context)) == set(COMMANDS)


def test_help_imports_no_command(tmp_path: Path) -> None:
    done, imported = goldmine_watched(tmp_path, "--help")
    assert done.returncode == 0, done.stderr
    for name in COMMANDS:
        assert f"  {name} " in done.stdout
    assert not imported & (HEAVY | {"duckdb", "pydantic", "pyarrow", "rich"}), imported


def test_status_and_sql_import_neither_prefect_nor_the_drafters(
    cli: Cli, stock_repo: Path, tmp_path: Path
) -> None:
    workspace = tmp_path / "W"
    assert cli("mine", "--repo", stock_repo, "--workspace", workspace).exit_code == 0
    for args in (("status",), ("sql", "select count(*) from commits")):
        done, imported = goldmine_watched(tmp_path, *args, "--workspace", workspace)
        assert done.returncode == 0, done.stderr
        assert not imported & (HEAVY | {"pyarrow"}), (args, imported & HEAVY)
