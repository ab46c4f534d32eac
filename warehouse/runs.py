"""The ``runs`` table: one row per command, with its parameters, counts and outcome."""

from __future__ import annotations

import json
import secrets
from datetime import UTC, datetime
from typing import Any

from warehouse.store import Warehouse


def new_run_id() -> str:
    """A sortable, unique run id: UTC time plus a random suffix."""
    return f"{datetime.now(UTC):%Y%m%dT%H%M%SZ}-{secrets.token_hex(3)}"


def start_run(warehouse: Warehouse, command: str, params: dict[str, Any], run_id: str | None = None) -> str:
    """Record that a run began; return its id."""
    run_id = run_id or new_run_id()
    warehouse.insert(
        "runs",
        [{"id": run_id, "command": command, "params": json.dumps(params, default=str), "status": "running",
          "started_at": datetime.now(UTC), "finished_at": None, "counts": None, "error": None}],
    )  # fmt: skip
    return run_id


def finish_run(warehouse: Warehouse, run_id: str, counts: dict[str, Any], error: str | None = None) -> None:
    """Record a run's outcome and counts."""
    warehouse.execute(
        "UPDATE runs SET status = ?, finished_at = ?, counts = ?, error = ? WHERE id = ?",
        ["failed" if error else "completed", datetime.now(UTC), json.dumps(counts, default=str), error, run_id],
    )
