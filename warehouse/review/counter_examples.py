"""Records a reviewer rejected, with the reasons, as counter-examples for the next training round.

The seed's last roadmap step feeds failures back "as counter-examples or new training data".
Each line of ``goldmine_counter_examples.jsonl`` holds the drafted record exactly as it was
rejected, the reason tags and the reviewer's note; nothing identifies the reviewer.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from warehouse.review.verdicts import LATEST_REVIEWS, REASONS
from warehouse.store import Warehouse

COUNTER_EXAMPLES_FILE = "goldmine_counter_examples.jsonl"


def counter_examples(warehouse: Warehouse) -> list[dict[str, Any]]:
    """Every candidate whose latest review verdict is a rejection, with its reasons, oldest
    review first."""
    rows = warehouse.query(
        f"WITH latest AS ({LATEST_REVIEWS}) "
        "SELECT c.id, c.kind, c.task_type, c.lang, c.status, l.reasons, l.note, l.reviewed_at, "
        "c.record "
        "FROM latest l JOIN candidates c ON c.id = l.candidate_id "
        "WHERE l.verdict = 'rejected' AND c.record IS NOT NULL ORDER BY l.reviewed_at, c.id"
    ).rows
    return [
        {
            "id": cid,
            "kind": kind,
            "task_type": task_type,
            "lang": lang,
            "assay_status": status,
            "reasons": list(reasons or []),
            "reason_labels": [REASONS.get(r, r) for r in reasons or []],
            "note": note or "",
            "reviewed_at": reviewed_at.isoformat(),
            "record": json.loads(record),
        }
        for cid, kind, task_type, lang, status, reasons, note, reviewed_at, record in rows
    ]


def write_counter_examples(warehouse: Warehouse, target: Path) -> tuple[Path | None, int]:
    """Write the counter-examples into ``target``; return the file and its count (None, 0 when there
    are none).

    A stale file from an earlier export is removed when no rejection is left (a verdict was
    changed).
    """
    rows = counter_examples(warehouse)
    path = target / COUNTER_EXAMPLES_FILE
    if not rows:
        path.unlink(missing_ok=True)
        return None, 0
    temporary = path.with_name(f".{path.name}.tmp")
    temporary.write_text(
        "".join(json.dumps(row, ensure_ascii=False) + "\n" for row in rows), encoding="utf-8"
    )
    temporary.replace(path)
    return path, len(rows)
