"""The assay: every pending candidate is checked, scored, and accepted or rejected with its reasons.

Each candidate is asked every check of ``checklist`` (schema, heuristics, the four principles,
grounding, the output's code the commit's own (``real_code``), the output applied to its parent
(``resolves``), the agent contract, secrets, the optional judge). The ones that survive are
compared with each other, with earlier runs and with the golds (``duplicates``) and with the
user's eval set (``splits.EvalSet``); the accepted ones are then split into train and holdout.
The runner writes one ``checks`` row per verdict, so "why was this rejected" and "which check
rejects most" are SQL: ``select "check", count(*) from checks where not passed group by 1``
(DuckDB reserves the word CHECK, so the column name is quoted).

The composite ``score`` is the weighted mean of the sub-scores of the checks that applied, 0–100.
A candidate is accepted when no hard check failed and its score reaches ``min_score``.
"""

from __future__ import annotations

import json
import os
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa

from warehouse.assay.checklist import default_checks
from warehouse.assay.checks.base import Check, Verdict
from warehouse.assay.commit_code import CommitCode
from warehouse.assay.duplicates import Contender, DuplicateOutcome, find_duplicates
from warehouse.assay.evaluation import (
    MIN_PARALLEL,
    Judged,
    Plan,
    assess,
    composite_score,
    evaluate,
    hard_checks,
    hard_failures,
    judge_all,
    weights_of,
)
from warehouse.assay.grounding import Grounder
from warehouse.assay.near_duplicates import DedupSettings
from warehouse.assay.resolves import Resolver
from warehouse.assay.splits import EvalSet, SplitRule, assign_splits, record_texts
from warehouse.assay.traceability import TicketTracer
from warehouse.outcomes import CandidateStatus
from warehouse.record_text import normalised_text_hash
from warehouse.records import Record
from warehouse.seed_folder import CATALOG_NAME, SEEDS_DIR, read_seed_folder
from warehouse.store import Warehouse, in_chunks
from warehouse.tool_catalog import load_tool_catalog

ASSAY_VERSION = "assay-2"
__all__ = [
    "ASSAY_VERSION",
    "AssaySettings",
    "AssaySummary",
    "Check",
    "Verdict",
    "assay",
    "assess",
    "composite_score",
    "default_checks",
    "evaluate",
    "normalised_text_hash",
]

_CHECKS_SCHEMA = pa.schema(
    [
        ("candidate_id", pa.string()),
        ("check", pa.string()),
        ("passed", pa.bool_()),
        ("score", pa.float64()),
        ("detail", pa.string()),
        ("run_id", pa.string()),
    ]
)


@dataclass(frozen=True, slots=True)
class AssaySettings:
    """What ``[assay]`` in goldmine.toml configures."""

    min_score: float = 60.0
    weights: Mapping[str, float] = field(default_factory=dict)
    hard: Sequence[str] | None = None
    dedup: DedupSettings = field(default_factory=DedupSettings)
    split: SplitRule = field(default_factory=SplitRule)
    eval_set: EvalSet | None = None
    seeds: Path = SEEDS_DIR  # the golds no candidate may copy
    catalog: Mapping[str, dict[str, Any]] | None = (
        None  # tools by name; None: the seeds folder's tools.json
    )
    workers: int = field(default_factory=lambda: min(4, os.cpu_count() or 1))
    parallel_from: int = MIN_PARALLEL


@dataclass(slots=True)
class AssaySummary:
    """Counts of one assay pass."""

    accepted: int = 0
    rejected: int = 0
    failures: Counter[str] = field(default_factory=Counter)
    duplicates: int = 0
    clusters: int = 0
    contaminated: int = 0
    splits: dict[str, int] = field(default_factory=dict)


def assay(
    warehouse: Warehouse,
    run_id: str,
    *,
    settings: AssaySettings | None = None,
    checks: Sequence[Check] | None = None,
    judge: Callable[[Record], Verdict | None] | None = None,
    progress: Callable[[int], None] | None = None,
) -> AssaySummary:
    """Check every pending candidate; write ``checks`` rows, scores, statuses, clusters and
    splits."""
    settings = settings or AssaySettings()
    pending = warehouse.query(
        "SELECT id, record, task_id, created_at FROM candidates WHERE status = ? "
        "ORDER BY created_at, id",
        [CandidateStatus.PENDING],
    ).rows
    tracer = TicketTracer(warehouse, [row[2] for row in pending])
    grounder = Grounder(warehouse, [row[2] for row in pending])
    resolver = Resolver(warehouse, [row[2] for row in pending])
    commit_code = CommitCode(warehouse, [row[2] for row in pending])
    try:
        if checks is None:
            checks = default_checks(
                _catalog(settings),
                grounding=grounder.verdict,
                judge=judge,
                traceability=tracer.verdict,
                resolves=resolver.verdict,
                real_code=commit_code.verdict,
            )
        weights, hard = weights_of(checks, settings.weights), hard_checks(checks, settings.hard)
        plan = Plan(tuple(checks), weights, hard, settings.min_score, settings.dedup)
        judged = judge_all(plan, pending, settings.workers, progress, settings.parallel_from)
    finally:
        grounder.close()
        resolver.close()
        commit_code.close()
    return _settle(warehouse, judged, settings, weights, hard, run_id)


def _catalog(settings: AssaySettings) -> dict[str, dict[str, Any]]:
    if settings.catalog is not None:
        return dict(settings.catalog)
    path = Path(settings.seeds) / CATALOG_NAME
    if not path.exists():
        return {}
    return load_tool_catalog(path).schemas()


def _golds(settings: AssaySettings) -> list[dict[str, Any]]:
    if not Path(settings.seeds).is_dir():
        return []
    return [
        seed.record.model_dump(mode="json") for seed in read_seed_folder(Path(settings.seeds)).seeds
    ]


def _settle(
    warehouse: Warehouse,
    judged: list[Judged],
    settings: AssaySettings,
    weights: Mapping[str, float],
    hard: frozenset[str],
    run_id: str,
) -> AssaySummary:
    """Duplicates and contamination among the survivors, then scores, statuses, rows and splits."""
    summary = AssaySummary()
    viable = [c for c in judged if c.viable]
    duplicates = _duplicates(warehouse, viable, settings, run_id)
    summary.duplicates, summary.clusters = duplicates.duplicates, duplicates.clusters
    for candidate in viable:
        candidate.verdicts.update(duplicates.verdicts.get(candidate.candidate_id, {}))
        if settings.eval_set is not None:
            texts = record_texts(json.loads(candidate.record_json))
            candidate.verdicts["contamination"] = settings.eval_set.verdict(texts)
            summary.contaminated += not candidate.verdicts["contamination"].passed
    updates = []
    for candidate in judged:
        score = composite_score(candidate.verdicts, weights=weights)
        failed = hard_failures(candidate.verdicts, hard)
        accepted = not failed and score >= settings.min_score
        summary.accepted += accepted
        summary.rejected += not accepted
        if not accepted:
            summary.failures.update(failed or ["min_score"])
        updates.append(
            {
                "id": candidate.candidate_id,
                "status": CandidateStatus.ACCEPTED if accepted else CandidateStatus.REJECTED,
                "score": score,
            }
        )
    with warehouse.transaction():  # all of a pass's results land, or none do
        _write(warehouse, judged, updates, duplicates, run_id)
        summary.splits = assign_splits(warehouse, settings.split, run_id)
    return summary


def _duplicates(
    warehouse: Warehouse, viable: list[Judged], settings: AssaySettings, run_id: str
) -> DuplicateOutcome:
    matrix = np.frombuffer(b"".join(c.signature for c in viable), dtype="<u4").reshape(
        -1, settings.dedup.num_perm
    )
    contenders = [
        Contender(
            c.candidate_id,
            c.text_hash,
            np.frombuffer(c.shingles, dtype=np.uint64),
            c.score,
            c.lang,
        )
        for c in viable
    ]
    return find_duplicates(
        warehouse, contenders, matrix.astype(np.uint32), _golds(settings), settings.dedup, run_id
    )


def _write(
    warehouse: Warehouse,
    candidates: Sequence[Judged],
    updates: list[dict[str, Any]],
    duplicates: DuplicateOutcome,
    run_id: str,
) -> None:
    for chunk in in_chunks(candidates, 20_000):
        _insert_checks(warehouse, _check_columns(chunk, run_id))
    _update_candidates(warehouse, updates)
    warehouse.insert("dup_clusters", duplicates.cluster_rows)
    for rows in in_chunks(duplicates.signature_rows, 20_000):
        warehouse.insert("dup_signatures", rows)


def _check_columns(candidates: Sequence[Judged], run_id: str) -> dict[str, list[Any]]:
    """The verdicts as columns (comprehensions: millions of rows on a large run)."""
    verdicts = [verdict for c in candidates for verdict in c.verdicts.values()]
    return {
        "candidate_id": [c.candidate_id for c in candidates for _ in c.verdicts],
        "check": [name for c in candidates for name in c.verdicts],
        "passed": [v.passed for v in verdicts],
        "score": [v.score for v in verdicts],
        "detail": [v.detail for v in verdicts],
        "run_id": [run_id] * len(verdicts),
    }


def _insert_checks(warehouse: Warehouse, columns: dict[str, list[Any]]) -> None:
    """Bulk insert of verdicts. Only pending candidates are assayed and the pass commits as one
    transaction, so no verdict can be there already (a plain INSERT skips the conflict handling)."""
    if not columns["candidate_id"]:
        return
    batch = pa.table(columns, schema=_CHECKS_SCHEMA)
    warehouse.connection.register("_goldmine_checks", batch)
    try:
        warehouse.execute("INSERT INTO checks BY NAME SELECT * FROM _goldmine_checks")
    finally:
        warehouse.connection.unregister("_goldmine_checks")


def _update_candidates(warehouse: Warehouse, updates: list[dict[str, Any]]) -> None:
    if not updates:
        return
    batch = pa.Table.from_pylist(updates)
    warehouse.connection.register("_goldmine_updates", batch)
    try:
        warehouse.execute(
            "UPDATE candidates SET status = u.status, score = u.score "
            "FROM _goldmine_updates u WHERE candidates.id = u.id"
        )
    finally:
        warehouse.connection.unregister("_goldmine_updates")
