"""What one run did, in figures read back from the warehouse: the nightly run's summary.

Everything is counted from rows that carry the run's id, so the summary is true whichever stages
ran and however they were run (inline, a Prefect flow, a served nightly deployment).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from warehouse.store import Warehouse


@dataclass(frozen=True, slots=True)
class RunSummary:
    """The figures of one run."""

    run_id: str
    command: str
    status: str
    added: dict[str, int]
    new_candidates: int
    assayed: int
    accepted: int
    rejected: int
    rejected_by_check: dict[str, int]
    llm_calls: int
    cost_usd: float
    unpriced_calls: int
    watermarks: list[dict[str, Any]] = field(default_factory=list)


_ADDED = {
    "commits": "SELECT count(*) FROM commits WHERE run_id = ?",
    "tickets": "SELECT count(*) FROM tickets WHERE run_id = ?",
    "tasks selected": "SELECT count(*) FROM tasks WHERE run_id = ? AND status = 'selected'",
    "tasks skipped": "SELECT count(*) FROM tasks WHERE run_id = ? AND status = 'skipped'",
    "feedback": "SELECT count(*) FROM feedback WHERE run_id = ?",
}


def run_summary(warehouse: Warehouse, run_id: str) -> RunSummary:
    """Count what run ``run_id`` added, drafted, accepted and rejected, and what its LLM calls
    cost."""
    run = warehouse.query(
        "SELECT command, status, watermarks FROM runs WHERE id = ?", [run_id]
    ).rows
    command, status, marks = run[0] if run else ("?", "?", None)
    added = {name: int(warehouse.scalar(sql, [run_id])) for name, sql in _ADDED.items()}
    verdicts = dict(
        warehouse.query(
            "SELECT c.status, count(DISTINCT c.id) FROM candidates c JOIN checks k ON "
            "k.candidate_id = c.id "
            "WHERE k.run_id = ? GROUP BY 1",
            [run_id],
        ).rows
    )
    calls, cost, unpriced = warehouse.query(
        "SELECT count(*), coalesce(sum(cost_usd), 0), count(*) FILTER (WHERE cost_usd IS NULL) "
        "FROM llm_calls WHERE run_id = ?",
        [run_id],
    ).rows[0]
    return RunSummary(
        run_id=run_id,
        command=command,
        status=status,
        added=added,
        new_candidates=int(
            warehouse.scalar("SELECT count(*) FROM candidates WHERE run_id = ?", [run_id])
        ),
        assayed=sum(verdicts.values()),
        accepted=int(verdicts.get("accepted", 0)),
        rejected=int(verdicts.get("rejected", 0)),
        rejected_by_check=_rejections(warehouse, run_id),
        llm_calls=int(calls),
        cost_usd=float(cost),
        unpriced_calls=int(unpriced),
        watermarks=json.loads(marks) if marks else [],
    )


def _rejections(warehouse: Warehouse, run_id: str) -> dict[str, int]:
    """Candidates this run rejected, per failing check (one candidate can fail several)."""
    rows = warehouse.query(
        'SELECT k."check", count(*) FROM checks k JOIN candidates c ON c.id = k.candidate_id '
        "WHERE k.run_id = ? AND NOT k.passed AND c.status = 'rejected' GROUP BY 1 ORDER BY 2 "
        "DESC, 1",
        [run_id],
    ).rows
    return {check: int(n) for check, n in rows}
