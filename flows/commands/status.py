"""Looking inside a workspace: ``goldmine status`` (table sizes, the last run, rejection reasons)
and ``goldmine sql``."""

from __future__ import annotations

import csv
import json
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import click

from flows.commands.options import workspace_options
from flows.commands.output import console, render_table
from flows.workspace import Workspace
from warehouse.runs import shown_status

if TYPE_CHECKING:
    from warehouse.landing.feedback import RoundFigures
    from warehouse.store import Warehouse


@dataclass(frozen=True, slots=True)
class WorkspaceStatus:
    """What ``goldmine status`` prints."""

    table_rows: dict[str, int]
    last_run: str
    candidates_by_status: dict[str, int]
    rejections: dict[str, int]
    feedback: list[RoundFigures] = field(default_factory=list)


def workspace_status(warehouse: Warehouse) -> WorkspaceStatus:
    """Count rows per table, describe the last run, and count rejections by failing check."""
    tables = {
        name: warehouse.count(name) for name in warehouse.tables() if name != "schema_migrations"
    }
    last = warehouse.query(
        "SELECT id, command, status, started_at, finished_at FROM runs ORDER BY started_at DESC "
        "LIMIT 1"
    ).rows
    last_run = ""
    if last:
        run_id, command, run_status, started = last[0][:4]
        # read under the shared lock: no goldmine process is writing, so a `running` run is dead
        shown = shown_status(run_status, writer_alive=False)
        last_run = f"{run_id} ({command}, {shown}, started {started:%Y-%m-%d %H:%M})"
    by_status = dict(
        warehouse.query("SELECT status, count(*) FROM candidates GROUP BY 1 ORDER BY 2 DESC").rows
    )
    rejections = dict(
        warehouse.query(
            'SELECT k."check", count(*) FROM checks k JOIN candidates c ON c.id = k.candidate_id '
            "WHERE NOT k.passed AND c.status = 'rejected' GROUP BY 1 ORDER BY 2 DESC"
        ).rows
    )
    return WorkspaceStatus(tables, last_run, by_status, rejections, _feedback_rounds(warehouse))


def _feedback_rounds(warehouse: Warehouse) -> list[RoundFigures]:
    """The feedback rounds, read (and their module imported) only when there are any."""
    if not warehouse.count("feedback"):
        return []
    from warehouse.landing.feedback import feedback_rounds

    return feedback_rounds(warehouse)


@click.command()
@workspace_options()
def status(workspace: Path | None, verbose: bool) -> None:
    """Rows per table, the last run, and why candidates were rejected."""
    with Workspace.at(workspace).open_warehouse(read_only=True) as warehouse:
        report = workspace_status(warehouse)
    render_table(["table", "rows"], list(report.table_rows.items()))
    if report.last_run:
        console.print(f"last run: {report.last_run}")
    render_table(["status", "candidates"], list(report.candidates_by_status.items()))
    if report.rejections:
        render_table(["failed check", "candidates"], list(report.rejections.items()))
    if report.feedback:
        from flows.commands.feedback import render_rounds

        console.print("feedback rounds (goldmine feedback):")
        render_rounds(report.feedback)


@click.command()
@click.argument("query")
@click.option("--json", "as_json", is_flag=True, help="Print rows as a JSON array.")
@click.option("--csv", "as_csv", is_flag=True, help="Print rows as CSV.")
@workspace_options()
def sql(query: str, as_json: bool, as_csv: bool, workspace: Path | None, verbose: bool) -> None:
    """Run a SQL query against the warehouse."""
    with Workspace.at(workspace).open_warehouse(read_only=True) as warehouse:
        result = warehouse.query(query)
    if as_json:
        click.echo(json.dumps(result.dicts(), default=str, ensure_ascii=False, indent=2))
    elif as_csv:
        writer = csv.writer(sys.stdout)
        writer.writerow(result.columns)
        writer.writerows(result.rows)
    else:
        render_table(result.columns, result.rows)
