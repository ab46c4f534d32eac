"""The assay: every pending candidate is checked, scored, and accepted or rejected with its reasons.

Each candidate is asked every check of ``checklist`` (schema, heuristics, the four principles,
grounding, the agent contract, secrets, the optional judge). The ones that survive are compared
with each other, with earlier runs and with the golds (``duplicates``) and with the user's eval
set (``splits.EvalSet``); the accepted ones are then split into train and holdout. The runner
writes one ``checks`` row per verdict, so "why was this rejected" and "which check rejects most"
are SQL: ``select "check", count(*) from checks where not passed group by 1`` (DuckDB reserves
the word CHECK, so the column name is quoted).

The composite ``score`` is the weighted mean of the sub-scores of the checks that applied, 0–100.
A candidate is accepted when no hard check failed and its score reaches ``min_score``.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import pyarrow as pa
from pydantic import ValidationError

from warehouse.checklist import default_checks
from warehouse.duplicates import Contender, DuplicateOutcome, find_duplicates
from warehouse.grounding import Grounder
from warehouse.near_duplicates import DedupSettings, dedup_text, shingles, signatures
from warehouse.record_text import normalised_text_hash
from warehouse.records import parse_record
from warehouse.seed_reference import SEEDS_DIR, gold_records, tool_catalog
from warehouse.splits import EvalSet, SplitRule, assign_splits, record_texts
from warehouse.store import Warehouse, in_chunks
from warehouse.verdicts import Check, Record, Verdict

ASSAY_VERSION = "assay-2"
__all__ = [
    "ASSAY_VERSION", "AssaySettings", "AssaySummary", "Check", "Verdict", "assay", "composite_score",
    "default_checks", "evaluate", "normalised_text_hash",
]  # fmt: skip

# Checks the runner adds after the per-record ones (all hard), with their weights.
BATCH_CHECK_WEIGHTS = {"exact_duplicate": 1.0, "near_duplicate": 1.0, "contamination": 1.0}
SCHEMA_WEIGHT = 1.0
_CHECKS_SCHEMA = pa.schema([("candidate_id", pa.string()), ("check", pa.string()), ("passed", pa.bool_()),
                            ("score", pa.float64()), ("detail", pa.string()), ("run_id", pa.string())])  # fmt: skip


@dataclass(frozen=True, slots=True)
class AssaySettings:
    """What ``[assay]`` in goldmine.toml configures."""

    min_score: float = 60.0
    weights: Mapping[str, float] = field(default_factory=dict)
    hard: Sequence[str] | None = None
    dedup: DedupSettings = field(default_factory=DedupSettings)
    split: SplitRule = field(default_factory=SplitRule)
    eval_set: EvalSet | None = None
    seeds: Any = SEEDS_DIR


@dataclass(frozen=True, slots=True)
class Evaluation:
    """All per-record verdicts of one candidate, and the record when it validated."""

    verdicts: dict[str, Verdict]
    raw: dict[str, Any]
    record: Record | None


def evaluate(record_json: str, checks: Sequence[Check] | None = None) -> tuple[dict[str, Verdict], Record | None]:
    """All verdicts for one record (a check that does not apply gives none)."""
    evaluation = assess(record_json, default_checks() if checks is None else checks)
    return evaluation.verdicts, evaluation.record


def assess(record_json: str, checks: Sequence[Check]) -> Evaluation:
    """Parse a record and ask it every check; schema failures still get the raw-record checks."""
    try:
        raw = json.loads(record_json)
    except ValueError as error:
        return Evaluation({"schema": Verdict.fail(f"not JSON: {error}")}, {}, None)
    if not isinstance(raw, dict):
        return Evaluation({"schema": Verdict.fail("the record is not a JSON object")}, {}, None)
    record: Record | None
    try:
        record = parse_record(raw)
        verdicts = {"schema": Verdict.ok()}
    except ValidationError as error:
        record = None
        first = error.errors()[0]
        verdicts = {"schema": Verdict.fail(f"{'.'.join(str(p) for p in first['loc'])}: {first['msg']}")}
    for check in checks:
        verdict = check.verdict(raw, record)
        if verdict is not None:
            verdicts[check.name] = verdict
    return Evaluation(verdicts, raw, record)


def weights_of(checks: Sequence[Check], overrides: Mapping[str, float] | None = None) -> dict[str, float]:
    """Each check's weight in the composite score (``overrides`` from goldmine.toml win)."""
    weights = {"schema": SCHEMA_WEIGHT, **BATCH_CHECK_WEIGHTS, **{c.name: c.weight for c in checks}}
    return weights | dict(overrides or {})


def composite_score(
    verdicts: Mapping[str, Verdict], checks: Sequence[Check] | None = None, weights: Mapping[str, float] | None = None
) -> float:
    """The weighted mean of the sub-scores of the checks that applied, 0–100."""
    table = dict(weights) if weights is not None else weights_of(default_checks() if checks is None else checks)
    total = sum(table.get(name, 1.0) for name in verdicts)
    if not total:
        return 0.0
    return round(100 * sum(table.get(n, 1.0) * v.score for n, v in verdicts.items()) / total, 1)


def hard_checks(checks: Sequence[Check], override: Sequence[str] | None = None) -> frozenset[str]:
    """The checks whose failure rejects a candidate (``override`` from goldmine.toml replaces them)."""
    if override is not None:
        return frozenset(override) | {"schema"}
    return frozenset({c.name for c in checks if c.hard} | {"schema", *BATCH_CHECK_WEIGHTS})


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


@dataclass(slots=True)
class _Candidate:
    candidate_id: str
    record_json: str
    created_at: datetime
    verdicts: dict[str, Verdict]
    raw: dict[str, Any]
    viable: bool = False
    score: float = 0.0


def assay(
    warehouse: Warehouse,
    run_id: str,
    *,
    settings: AssaySettings | None = None,
    checks: Sequence[Check] | None = None,
    judge: Callable[[Record], Verdict | None] | None = None,
    progress: Callable[[int], None] | None = None,
) -> AssaySummary:
    """Check every pending candidate; write ``checks`` rows, scores, statuses, clusters and splits."""
    settings = settings or AssaySettings()
    pending = warehouse.query(
        "SELECT id, record, task_id, created_at FROM candidates WHERE status = 'pending' ORDER BY created_at, id"
    ).rows
    grounder = Grounder(warehouse, [row[2] for row in pending])
    try:
        if checks is None:
            checks = default_checks(tool_catalog(settings.seeds), grounding=grounder.verdict, judge=judge)
        weights, hard = weights_of(checks, settings.weights), hard_checks(checks, settings.hard)
        candidates = []
        for chunk in in_chunks(pending, 1_000):
            candidates += [_evaluated(row, checks, weights, hard, settings.min_score) for row in chunk]
            if progress is not None:
                progress(len(chunk))
    finally:
        grounder.close()
    return _settle(warehouse, candidates, settings, weights, hard, run_id)


def _evaluated(
    row: tuple[Any, ...], checks: Sequence[Check], weights: Mapping[str, float], hard: frozenset[str], min_score: float
) -> _Candidate:
    candidate_id, record_json, _, created_at = row
    evaluation = assess(record_json or "null", checks)
    candidate = _Candidate(candidate_id, record_json, created_at, evaluation.verdicts, evaluation.raw)
    candidate.score = composite_score(candidate.verdicts, weights=weights)
    candidate.viable = not _hard_failures(candidate.verdicts, hard) and candidate.score >= min_score
    return candidate


def _hard_failures(verdicts: Mapping[str, Verdict], hard: frozenset[str]) -> list[str]:
    return sorted(name for name, verdict in verdicts.items() if not verdict.passed and name in hard)


def _settle(
    warehouse: Warehouse,
    candidates: list[_Candidate],
    settings: AssaySettings,
    weights: Mapping[str, float],
    hard: frozenset[str],
    run_id: str,
) -> AssaySummary:
    """Duplicates and contamination among the survivors, then scores, statuses, rows and splits."""
    summary = AssaySummary()
    viable = [c for c in candidates if c.viable]
    duplicates = _duplicates(warehouse, viable, settings, run_id)
    summary.duplicates, summary.clusters = duplicates.duplicates, duplicates.clusters
    for candidate in viable:
        candidate.verdicts.update(duplicates.verdicts.get(candidate.candidate_id, {}))
        if settings.eval_set is not None:
            candidate.verdicts["contamination"] = settings.eval_set.verdict(record_texts(candidate.raw))
            summary.contaminated += not candidate.verdicts["contamination"].passed
    updates = []
    for candidate in candidates:
        score = composite_score(candidate.verdicts, weights=weights)
        failed = _hard_failures(candidate.verdicts, hard)
        accepted = not failed and score >= settings.min_score
        summary.accepted += accepted
        summary.rejected += not accepted
        if not accepted:
            summary.failures.update(failed or ["min_score"])
        updates.append({"id": candidate.candidate_id, "status": "accepted" if accepted else "rejected", "score": score})
    _write(warehouse, candidates, updates, duplicates, run_id)
    summary.splits = assign_splits(warehouse, settings.split, run_id)
    return summary


def _duplicates(
    warehouse: Warehouse, viable: list[_Candidate], settings: AssaySettings, run_id: str
) -> DuplicateOutcome:
    texts = [dedup_text(c.raw) for c in viable]
    matrix = signatures([shingles(text, settings.dedup) for text in texts], settings.dedup)
    contenders = [
        Contender(c.candidate_id, _text_hash(c), text, c.score, c.created_at)
        for c, text in zip(viable, texts, strict=True)
    ]
    return find_duplicates(warehouse, contenders, matrix, gold_records(settings.seeds), settings.dedup, run_id)


def _text_hash(candidate: _Candidate) -> str:
    try:
        return normalised_text_hash(parse_record(candidate.raw))
    except ValidationError:
        return ""


def _write(
    warehouse: Warehouse,
    candidates: Sequence[_Candidate],
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


def _check_columns(candidates: Iterable[_Candidate], run_id: str) -> dict[str, list[Any]]:
    columns: dict[str, list[Any]] = {name: [] for name in _CHECKS_SCHEMA.names}
    for candidate in candidates:
        for name, verdict in candidate.verdicts.items():
            columns["candidate_id"].append(candidate.candidate_id)
            columns["check"].append(name)
            columns["passed"].append(verdict.passed)
            columns["score"].append(verdict.score)
            columns["detail"].append(verdict.detail)
    columns["run_id"] = [run_id] * len(columns["candidate_id"])
    return columns


def _insert_checks(warehouse: Warehouse, columns: dict[str, list[Any]]) -> None:
    """Bulk insert-or-ignore of verdicts, built column by column (millions of rows on a large run)."""
    if not columns["candidate_id"]:
        return
    batch = pa.table(columns, schema=_CHECKS_SCHEMA)
    warehouse.connection.register("_goldmine_checks", batch)
    try:
        warehouse.execute("INSERT OR IGNORE INTO checks BY NAME SELECT * FROM _goldmine_checks")
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
