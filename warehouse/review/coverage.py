"""Coverage of the candidates: what kinds of records there are, what the assay kept, and why not.

The seed asks for a diversity check (positive, negative and edge cases) before records are used;
this module counts candidates and accepted records by kind, task type, language, polarity,
top-level module and ticket type, with the near-duplicate rate, the split, each check's pass
rate and the records of each feedback round. ``goldmine report`` draws it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from warehouse.landing.feedback import RoundFigures, feedback_rounds
from warehouse.store import Warehouse

# One row per assayed candidate with every dimension the report breaks counts down by.
_CANDIDATE_DIMENSIONS = """
WITH links AS (
    SELECT l.commit_id,
           arg_max(coalesce(nullif(k.type, ''), k.labels[1], 'untyped'), l.confidence)
               AS ticket_type
    FROM ticket_links l JOIN tickets k ON k.id = l.ticket_id GROUP BY 1
)
SELECT c.id, c.status, c.kind, c.task_type, c.lang, coalesce(t.polarity, 'unknown') AS polarity,
       coalesce(
           nullif(split_part(json_extract_string(c.provenance, '$.paths[0]'), '/', 1), ''), '(none)'
       ) AS module,
       CASE WHEN t.ticket_id IS NOT NULL THEN coalesce(nullif(tk.type, ''), 'untyped')
            ELSE coalesce(links.ticket_type, 'no ticket') END AS ticket_type,
       c.score
FROM candidates c
LEFT JOIN tasks t ON t.id = c.task_id
LEFT JOIN tickets tk ON tk.id = t.ticket_id
LEFT JOIN links ON links.commit_id = t.commit_id
WHERE c.status IN ('accepted', 'rejected')
"""
DIMENSIONS = ("kind", "task_type", "lang", "polarity", "module", "ticket_type")


@dataclass(frozen=True, slots=True)
class Breakdown:
    """Candidates and accepted records per value of one dimension, largest first."""

    dimension: str
    rows: list[tuple[str, int, int]]


@dataclass(frozen=True, slots=True)
class CheckRate:
    """How often a check applied, passed, and was a reason for rejection."""

    check: str
    applied: int
    passed: int
    rejected: int

    @property
    def pass_rate(self) -> float:
        """Passed over applied."""
        return self.passed / self.applied if self.applied else 0.0


@dataclass(frozen=True, slots=True)
class Coverage:
    """Everything ``goldmine report`` shows."""

    statuses: dict[str, int]
    breakdowns: list[Breakdown]
    checks: list[CheckRate]
    duplicates: int
    clusters: int
    splits: dict[str, int]
    scores: list[tuple[str, int]]
    # feedback rounds (``goldmine feedback``)
    rounds: list[RoundFigures] = field(default_factory=list)

    @property
    def assayed(self) -> int:
        """Candidates that were accepted or rejected."""
        return self.statuses.get("accepted", 0) + self.statuses.get("rejected", 0)

    @property
    def near_duplicate_rate(self) -> float:
        """Assayed candidates that were dropped as a copy of another, over all assayed."""
        return self.duplicates / self.assayed if self.assayed else 0.0


def coverage(warehouse: Warehouse) -> Coverage:
    """Count the warehouse's candidates along every dimension."""
    statuses = dict(
        warehouse.query("SELECT status, count(*) FROM candidates GROUP BY 1 ORDER BY 1").rows
    )
    breakdowns = [_breakdown(warehouse, dimension) for dimension in DIMENSIONS]
    duplicates = warehouse.scalar(
        "SELECT count(*) FROM dup_clusters d JOIN candidates c ON c.id = d.candidate_id WHERE NOT "
        "d.kept"
    )
    clusters = warehouse.scalar("SELECT count(DISTINCT cluster_id) FROM dup_clusters")
    splits = dict(warehouse.query("SELECT split, count(*) FROM splits GROUP BY 1 ORDER BY 1").rows)
    return Coverage(
        statuses,
        breakdowns,
        _check_rates(warehouse),
        int(duplicates),
        int(clusters),
        splits,
        _score_bins(warehouse),
        feedback_rounds(warehouse),
    )


def _breakdown(warehouse: Warehouse, dimension: str) -> Breakdown:
    rows = warehouse.query(
        f"SELECT {dimension}, count(*), count(*) FILTER (WHERE status = 'accepted') "
        f"FROM ({_CANDIDATE_DIMENSIONS}) GROUP BY 1 ORDER BY 2 DESC, 1"
    ).rows
    return Breakdown(
        dimension, [(str(value), int(total), int(accepted)) for value, total, accepted in rows]
    )


def _check_rates(warehouse: Warehouse) -> list[CheckRate]:
    rows = warehouse.query(
        'SELECT k."check", count(*), count(*) FILTER (WHERE k.passed), '
        "count(*) FILTER (WHERE NOT k.passed AND c.status = 'rejected') "
        "FROM checks k JOIN candidates c ON c.id = k.candidate_id GROUP BY 1 ORDER BY 4 DESC, 1"
    ).rows
    return [
        CheckRate(name, int(applied), int(passed), int(rejected))
        for name, applied, passed, rejected in rows
    ]


def _score_bins(warehouse: Warehouse) -> list[tuple[str, int]]:
    rows = dict(
        warehouse.query(
            "SELECT least(floor(score / 10), 9)::INTEGER, count(*) FROM candidates WHERE score IS "
            "NOT NULL GROUP BY 1"
        ).rows
    )
    return [(f"{bin_ * 10}–{bin_ * 10 + 10}", int(rows.get(bin_, 0))) for bin_ in range(10)]
