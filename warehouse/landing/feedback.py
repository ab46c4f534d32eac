"""The feedback loop: a fine-tuned model's failures become tasks for the next training round.

``goldmine feedback FILE --round N`` stores each failure (redacted, like every text goldmine
keeps) in ``feedback``, tagged with the round whose model failed, and makes a task of it:

- ``correction`` (positive) when the line gives the expected answer: the record teaches the answer
  the model should have given to exactly that prompt;
- ``counter_example`` (negative) when it gives only a verdict: the record teaches the model to
  review such an answer and say what is wrong with it.

Those tasks are drafted and assayed like any other (``flows/draft/extractive_feedback.py``); their
records' provenance names the failure (id, round, file and line). A failure is stored once: its
id is a hash of what it says, so ingesting the same file again adds nothing.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from miners.feedback_file import FailureFact, FeedbackFile
from warehouse.ids import stable_id
from warehouse.landing.commit_rows import Redactor
from warehouse.landing.sources import register_source
from warehouse.outcomes import TaskStatus
from warehouse.store import Warehouse

FEEDBACK_FAMILIES = ("correction", "counter_example")
FEEDBACK_SELECTOR = "feedback-1"


@dataclass(slots=True)
class FeedbackIngest:
    """What ingesting one file did."""

    round: int
    failures: int = 0
    stored: int = 0
    tasks: int = 0
    by_family: dict[str, int] = field(default_factory=dict)


def feedback_id(failure: FailureFact) -> str:
    """The id of a failure: what it says (prompt, output, expected answer, verdict), not where."""
    return stable_id("feedback", failure.prompt, failure.output, failure.expected, failure.verdict)


def round_for(warehouse: Warehouse, path: Path, asked: int | None) -> int:
    """The round to tag a file's failures with: the one asked, else the round this file was
    ingested in before, else the round after the latest one (1 for the first file)."""
    if asked is not None:
        return asked
    earlier = warehouse.scalar("SELECT max(round) FROM feedback WHERE file = ?", [str(path)])
    if earlier is not None:
        return int(earlier)
    return int(warehouse.scalar("SELECT coalesce(max(round), 0) FROM feedback")) + 1


def ingest_feedback(
    warehouse: Warehouse,
    found: FeedbackFile,
    run_id: str,
    key: bytes,
    round_asked: int | None = None,
) -> FeedbackIngest:
    """Store a file's failures and make a task of each new one."""
    path = found.path.resolve()
    source_id = stable_id("feedback", str(path))
    register_source(
        warehouse,
        source_id,
        "feedback",
        str(path),
        path.name,
        run_id,
        {"lines": len(found.failures)},
    )
    result = FeedbackIngest(round_for(warehouse, path, round_asked), len(found.failures))
    redactor = Redactor(key, run_id)
    rows = [
        _feedback_row(failure, result.round, path, run_id, redactor) for failure in found.failures
    ]
    result.stored = warehouse.insert("feedback", rows)
    warehouse.insert("secret_findings", redactor.take())
    tasks = [_task_row(row, source_id, run_id) for row in rows]
    result.tasks = warehouse.insert("tasks", tasks)
    for task in tasks:
        result.by_family[task["family"]] = result.by_family.get(task["family"], 0) + 1
    return result


def _feedback_row(
    failure: FailureFact, round_: int, path: Path, run_id: str, redact: Redactor
) -> dict[str, Any]:
    row_id = feedback_id(failure)
    where = f"feedback:{row_id}"
    return {
        "id": row_id,
        "round": round_,
        "file": str(path),
        "line": failure.line,
        "prompt": redact(failure.prompt, f"{where}:prompt"),
        "model_output": redact(failure.output, f"{where}:model_output"),
        "expected": redact(failure.expected, f"{where}:expected") or None,
        "verdict": redact(failure.verdict, f"{where}:verdict") or None,
        "model": failure.model or None,
        "record_id": failure.record_id or None,
        "meta": json.dumps(
            {
                "system": redact(failure.system, f"{where}:system"),
                "lang": failure.lang,
                **failure.extra,
            },
            ensure_ascii=False,
            default=str,
        ),
        "run_id": run_id,
        "created_at": datetime.now(UTC),
    }


def _task_row(row: dict[str, Any], source_id: str, run_id: str) -> dict[str, Any]:
    corrected = row["expected"] is not None
    where = f"{Path(row['file']).name}:{row['line']}"
    reason = (
        f"round {row['round']} failure ({where}): the expected answer is given"
        if corrected
        else f"round {row['round']} failure ({where}): the verdict says what was wrong"
    )
    facts = {"feedback_id": row["id"], "round": row["round"], "record_id": row["record_id"]}
    return {
        "id": stable_id(row["id"], FEEDBACK_SELECTOR),
        "source_id": source_id,
        "commit_id": None,
        "ticket_id": None,
        "family": "correction" if corrected else "counter_example",
        "polarity": "positive" if corrected else "negative",
        "status": TaskStatus.SELECTED,
        "reason": reason,
        "facts": json.dumps(facts),
        "selector_version": FEEDBACK_SELECTOR,
        "run_id": run_id,
    }


@dataclass(frozen=True, slots=True)
class RoundFigures:
    """One training round's failures and what became of them."""

    round: int
    failures: int
    corrections: int
    counter_examples: int
    candidates: int
    accepted: int
    rejected: int
    pending: int
    exported: int

    COLUMNS = (
        "round",
        "failures",
        "corrections",
        "counter-examples",
        "records",
        "accepted",
        "rejected",
        "pending",
        "exported",
    )

    def values(self) -> tuple[int, ...]:
        """The figures in the order of ``COLUMNS``."""
        return (
            self.round,
            self.failures,
            self.corrections,
            self.counter_examples,
            self.candidates,
            self.accepted,
            self.rejected,
            self.pending,
            self.exported,
        )


def feedback_rounds(warehouse: Warehouse) -> list[RoundFigures]:
    """Failures per round, and the records drafted from them by assay status (for reports)."""
    rows = warehouse.query(
        "WITH t AS (SELECT id AS task_id, family, CAST(json_extract(facts, '$.round') AS INTEGER) "
        "AS round "
        f"          FROM tasks WHERE selector_version = '{FEEDBACK_SELECTOR}'), "
        "c AS (SELECT c.id, c.status, t.round FROM candidates c JOIN t ON t.task_id = c.task_id) "
        "SELECT f.round, count(*), "
        "  count(*) FILTER (WHERE f.expected IS NOT NULL), count(*) FILTER (WHERE f.expected IS "
        "NULL), "
        "  (SELECT count(*) FROM c WHERE c.round = f.round), "
        "  (SELECT count(*) FROM c WHERE c.round = f.round AND c.status = 'accepted'), "
        "  (SELECT count(*) FROM c WHERE c.round = f.round AND c.status = 'rejected'), "
        "  (SELECT count(*) FROM c WHERE c.round = f.round AND c.status = 'pending'), "
        "  (SELECT count(DISTINCT e.candidate_id) FROM exported_records e JOIN c ON c.id = "
        "e.candidate_id "
        "   WHERE c.round = f.round) "
        "FROM feedback f GROUP BY f.round ORDER BY f.round"
    ).rows
    return [RoundFigures(*(int(value) for value in row)) for row in rows]
