"""Summaries of a workspace for the terminal: table sizes, the last run, rejection reasons."""

from __future__ import annotations

from dataclasses import dataclass, field

from warehouse.feedback import RoundFigures, feedback_rounds
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
    tables = {name: warehouse.count(name) for name in warehouse.tables() if name != "schema_migrations"}
    last = warehouse.query(
        "SELECT id, command, status, started_at, finished_at FROM runs ORDER BY started_at DESC LIMIT 1"
    ).rows
    last_run = f"{last[0][0]} ({last[0][1]}, {last[0][2]}, started {last[0][3]:%Y-%m-%d %H:%M})" if last else ""
    by_status = dict(warehouse.query("SELECT status, count(*) FROM candidates GROUP BY 1 ORDER BY 2 DESC").rows)
    rejections = dict(
        warehouse.query(
            'SELECT k."check", count(*) FROM checks k JOIN candidates c ON c.id = k.candidate_id '
            "WHERE NOT k.passed AND c.status = 'rejected' GROUP BY 1 ORDER BY 2 DESC"
        ).rows
    )
    return WorkspaceStatus(tables, last_run, by_status, rejections, feedback_rounds(warehouse))
