"""The ``runs`` table: one row per command, with its parameters, counts and outcome."""

from __future__ import annotations

import json
import secrets
from collections.abc import Collection
from datetime import UTC, datetime
from typing import Any

from warehouse.outcomes import RunStatus
from warehouse.store import Warehouse

INTERRUPTED_ERROR = "the process stopped before the run finished (killed, or the machine went down)"


def new_run_id() -> str:
    """A sortable, unique run id: UTC time plus a random suffix."""
    return f"{datetime.now(UTC):%Y%m%dT%H%M%SZ}-{secrets.token_hex(3)}"


def start_run(
    warehouse: Warehouse, command: str, params: dict[str, Any], run_id: str | None = None
) -> str:
    """Record that a run began; return its id."""
    run_id = run_id or new_run_id()
    warehouse.insert(
        "runs",
        [
            {
                "id": run_id,
                "command": command,
                "params": json.dumps(params, default=str),
                "status": RunStatus.RUNNING,
                "started_at": datetime.now(UTC),
                "finished_at": None,
                "counts": None,
                "error": None,
            }
        ],
    )
    return run_id


def finish_run(
    warehouse: Warehouse, run_id: str, counts: dict[str, Any], error: str | None = None
) -> None:
    """Record a run's outcome and counts."""
    warehouse.execute(
        "UPDATE runs SET status = ?, finished_at = ?, counts = ?, error = ? WHERE id = ?",
        [
            RunStatus.FAILED if error else RunStatus.COMPLETED,
            datetime.now(UTC),
            json.dumps(counts, default=str),
            error,
            run_id,
        ],
    )


def mark_interrupted(warehouse: Warehouse, keep: Collection[str] = ()) -> int:
    """Mark every run still ``running`` (but those in ``keep``: runs this process has open) as
    ``interrupted``; return how many. Call it holding the workspace lock for writing: a run that
    holds no lock has no process left to finish it."""
    stale = [
        run_id
        for (run_id,) in warehouse.query(
            "SELECT id FROM runs WHERE status = ? ORDER BY id", [RunStatus.RUNNING]
        ).rows
        if run_id not in keep
    ]
    for run_id in stale:
        warehouse.execute(
            "UPDATE runs SET status = ?, error = ? WHERE id = ?",
            [RunStatus.INTERRUPTED, INTERRUPTED_ERROR, run_id],
        )
    return len(stale)


def shown_status(status: str, *, writer_alive: bool) -> str:
    """A run's status as ``goldmine status`` shows it: ``running`` only while a goldmine process
    holds the workspace for writing, else ``interrupted``."""
    if status == RunStatus.RUNNING and not writer_alive:
        return RunStatus.INTERRUPTED
    return status


def watermark_positions(warehouse: Warehouse) -> dict[tuple[str, str], str]:
    """Every source's current watermark: ``(source id, ref)`` → position."""
    rows = warehouse.query("SELECT source_id, ref, position FROM watermarks").rows
    return {(source_id, ref): position for source_id, ref, position in rows}


def record_watermarks(
    warehouse: Warehouse, run_id: str, before: dict[tuple[str, str], str] | None = None
) -> list[dict[str, Any]]:
    """Store in ``runs.watermarks`` where each source stood before the run and where it stands now;
    return what was stored. Call it with ``before`` (:func:`watermark_positions`) when the run
    starts, then without: the positions stored first are kept as the run's starting points."""
    if before is None:
        stored = warehouse.scalar("SELECT watermarks FROM runs WHERE id = ?", [run_id])
        before = {
            (m["source_id"], m["ref"]): m["before"]
            for m in json.loads(stored or "[]")
            if m["before"]
        }
    names = {
        row[0]: (row[1], row[2])
        for row in warehouse.query("SELECT id, name, kind FROM sources").rows
    }
    marks = []
    for (source_id, ref), position in sorted(watermark_positions(warehouse).items()):
        name, kind = names.get(source_id, ("?", "?"))
        marks.append(
            {
                "source_id": source_id,
                "source": name,
                "kind": kind,
                "ref": ref,
                "before": before.get((source_id, ref)),
                "after": position,
            }
        )
    warehouse.execute("UPDATE runs SET watermarks = ? WHERE id = ?", [json.dumps(marks), run_id])
    return marks
