"""Sources (repositories, ticket exports), their watermarks, and what one pass over one gave."""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from warehouse.outcomes import Skip
from warehouse.store import Warehouse


@dataclass(slots=True)
class MineSummary:
    """What one source gave in one run: rows added per table, what was skipped, and notes."""

    source_id: str
    name: str
    kind: str
    added: dict[str, int] = field(default_factory=dict)
    skipped: Counter[Skip] = field(default_factory=Counter)
    notes: list[str] = field(default_factory=list)

    def add(self, table: str, count: int) -> None:
        """Count ``count`` new rows of ``table``."""
        self.added[table] = self.added.get(table, 0) + count

    def skipped_by_category(self) -> dict[str, int]:
        """How many were skipped per category (the notes give the details, e.g. the suffixes of
        files without a grammar)."""
        totals: Counter[str] = Counter()
        for skip, count in self.skipped.items():
            totals[skip.category] += count
        return dict(totals.most_common())


def register_source(
    warehouse: Warehouse,
    source_id: str,
    kind: str,
    location: str,
    name: str,
    run_id: str,
    detail: dict[str, Any],
) -> None:
    """Record a source the first time it is mined (later runs leave its row as it is)."""
    row = {
        "id": source_id,
        "kind": kind,
        "location": location,
        "name": name,
        "detail": json.dumps(detail),
        "first_run_id": run_id,
    }
    warehouse.insert("sources", [row])


def refresh_source_detail(warehouse: Warehouse, source_id: str, detail: dict[str, Any]) -> None:
    """Replace what is known of a source's current state (its ``detail``); its first run stays."""
    warehouse.execute("UPDATE sources SET detail = ? WHERE id = ?", [json.dumps(detail), source_id])


def watermark(warehouse: Warehouse, source_id: str, ref: str) -> str | None:
    """The last position mined of ``ref`` of a source, if any."""
    position = warehouse.scalar(
        "SELECT position FROM watermarks WHERE source_id = ? AND ref = ?", [source_id, ref]
    )
    return str(position) if position is not None else None


def set_watermark(
    warehouse: Warehouse, source_id: str, ref: str, position: str, run_id: str
) -> None:
    """Move a source's watermark (only after a whole pass has landed)."""
    warehouse.execute(
        "INSERT OR REPLACE INTO watermarks VALUES (?, ?, ?, ?, ?)",
        [source_id, ref, position, run_id, datetime.now(UTC)],
    )
