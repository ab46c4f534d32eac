"""The ``llm_endpoints`` table: the structured-output mode each endpoint and model accepts.

The LLM client finds the mode on the first request to an endpoint (``json_schema``, else
``json_object``, else ``none``: JSON parsed from the reply's text) by what the server answers, and
stores it here with the reason, so later runs start in the mode that works instead of being
rejected again. ``goldmine llm check`` finds it afresh and replaces the row.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime

from warehouse.store import Warehouse


@dataclass(frozen=True, slots=True)
class EndpointMode:
    """The mode chosen for one endpoint and model, why, and by which run."""

    endpoint: str
    model: str
    mode: str
    reason: str
    run_id: str
    chosen_at: datetime = field(default_factory=lambda: datetime.now(UTC))


def remembered_mode(warehouse: Warehouse, endpoint: str, model: str) -> EndpointMode | None:
    """The mode stored for ``endpoint`` and ``model``, or None when none was found yet."""
    rows = warehouse.query(
        "SELECT endpoint, model, mode, reason, run_id, chosen_at FROM llm_endpoints "
        "WHERE endpoint = ? AND model = ?",
        [endpoint, model],
    ).rows_as(EndpointMode)
    return rows[0] if rows else None


def remember_mode(warehouse: Warehouse, choice: EndpointMode) -> None:
    """Store the mode chosen for an endpoint and model, replacing an earlier choice."""
    warehouse.execute(
        "INSERT OR REPLACE INTO llm_endpoints (endpoint, model, mode, reason, run_id, chosen_at) "
        "VALUES (?, ?, ?, ?, ?, ?)",
        [
            choice.endpoint,
            choice.model,
            choice.mode,
            choice.reason,
            choice.run_id,
            choice.chosen_at,
        ],
    )
