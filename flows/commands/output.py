"""What commands print: tables and a run's counts, on one console."""

from __future__ import annotations

import json
from typing import Any

from rich.console import Console
from rich.table import Table

console = Console(highlight=False, soft_wrap=True, markup=False)
_stderr = Console(stderr=True, highlight=False, soft_wrap=True, markup=False)


def say_on_stderr(line: str) -> None:
    """A line for the person at the terminal that is not the command's output (a hint)."""
    _stderr.print(line)


def render_table(columns: list[str], rows: list[tuple[Any, ...]]) -> None:
    """Print rows as a table."""
    table = Table(*columns, show_lines=False)
    for row in rows:
        table.add_row(*("" if v is None else str(v) for v in row))
    console.print(table)


def render_counts(run_id: str, counts: dict[str, Any]) -> None:
    """Print what each stage of a run did."""
    console.print(f"run {run_id}")
    for stage, values in counts.items():
        notes = values.pop("notes", []) if isinstance(values, dict) else []
        console.print(f"  {stage}: {json.dumps(values, ensure_ascii=False)}")
        for note in notes:
            console.print(f"    note: {note}")
