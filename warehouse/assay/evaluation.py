"""Asking every check of every candidate, in this process or in worker processes, and scoring the
answers.

This is the part of the assay that looks at one candidate at a time, so it parallelises: the
runner sends chunks of candidates to worker processes (``spawn``: nothing of the parent's DuckDB
or threads is inherited) and gets back verdicts, a score, and for each survivor its exact-
duplicate hash and MinHash signature. Checks that cannot travel to another process (an LLM judge
holding a network client) keep the work in this process.
"""

from __future__ import annotations

import json
import multiprocessing
import pickle
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pydantic import ValidationError

from warehouse.assay.checklist import default_checks
from warehouse.assay.checks.base import Check, Verdict
from warehouse.assay.near_duplicates import (
    DedupSettings,
    dedup_text,
    hashed,
    shingles,
    signatures_of,
)
from warehouse.errors import WarehouseError
from warehouse.record_text import normalised_text_hash
from warehouse.records import Record, parse_record
from warehouse.store import in_chunks

# Checks the runner adds after the per-record ones (all hard), with their weights.
BATCH_CHECK_WEIGHTS = {"exact_duplicate": 1.0, "near_duplicate": 1.0, "contamination": 1.0}
SCHEMA_WEIGHT = 1.0
CHUNK = 500
MIN_PARALLEL = 4_000  # below this, starting worker processes costs more than it saves


@dataclass(frozen=True, slots=True)
class Evaluation:
    """All per-record verdicts of one candidate, and the record when it validated."""

    verdicts: dict[str, Verdict]
    raw: dict[str, Any]
    record: Record | None


def evaluate(
    record_json: str, checks: Sequence[Check] | None = None
) -> tuple[dict[str, Verdict], Record | None]:
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
        verdicts = {
            "schema": Verdict.fail(f"{'.'.join(str(p) for p in first['loc'])}: {first['msg']}")
        }
    for check in checks:
        verdict = check.verdict(raw, record)
        if verdict is not None:
            verdicts[check.name] = verdict
    return Evaluation(verdicts, raw, record)


def weights_of(
    checks: Sequence[Check], overrides: Mapping[str, float] | None = None
) -> dict[str, float]:
    """Each check's weight in the composite score (``overrides`` from goldmine.toml win)."""
    weights = {"schema": SCHEMA_WEIGHT, **BATCH_CHECK_WEIGHTS, **{c.name: c.weight for c in checks}}
    return weights | dict(overrides or {})


def composite_score(
    verdicts: Mapping[str, Verdict],
    checks: Sequence[Check] | None = None,
    weights: Mapping[str, float] | None = None,
) -> float:
    """The weighted mean of the sub-scores of the checks that applied, 0–100."""
    table = (
        dict(weights)
        if weights is not None
        else weights_of(default_checks() if checks is None else checks)
    )
    total = sum(table.get(name, 1.0) for name in verdicts)
    if not total:
        return 0.0
    return round(100 * sum(table.get(n, 1.0) * v.score for n, v in verdicts.items()) / total, 1)


# A leak or a copy of the eval set is never merely a lower score, whatever the configuration says.
ALWAYS_HARD = frozenset({"schema", "secrets", "contamination"})


def hard_checks(checks: Sequence[Check], override: Sequence[str] | None = None) -> frozenset[str]:
    """The checks whose failure rejects a candidate (``override`` from goldmine.toml replaces
    them)."""
    if override is not None:
        known = {c.name for c in checks} | {"schema", *BATCH_CHECK_WEIGHTS}
        unknown = sorted(set(override) - known)
        if unknown:
            raise WarehouseError(
                f"[assay] hard names checks that do not exist: {', '.join(unknown)}; "
                f"choose from {', '.join(sorted(known))}"
            )
        return frozenset(override) | ALWAYS_HARD
    return frozenset({c.name for c in checks if c.hard} | {"schema", *BATCH_CHECK_WEIGHTS})


def hard_failures(verdicts: Mapping[str, Verdict], hard: frozenset[str]) -> list[str]:
    """The hard checks a candidate failed, sorted."""
    return sorted(name for name, verdict in verdicts.items() if not verdict.passed and name in hard)


@dataclass(frozen=True, slots=True)
class Plan:
    """Everything a worker needs to judge candidates on its own."""

    checks: tuple[Check, ...]
    weights: dict[str, float]
    hard: frozenset[str]
    min_score: float
    dedup: DedupSettings


@dataclass(slots=True)
class Judged:
    """One candidate after its own checks: verdicts, score, and what duplicate detection needs."""

    candidate_id: str
    record_json: str
    created_at: datetime
    verdicts: dict[str, Verdict]
    score: float
    viable: bool
    lang: str = ""
    text_hash: str = ""
    signature: bytes = b""
    shingles: bytes = b""  # hashed shingle set, sorted uint64


def judge_rows(plan: Plan, rows: Sequence[tuple[Any, ...]]) -> list[Judged]:
    """Check and score ``(id, record, task_id, created_at)`` rows; sign the survivors for dedup."""
    judged = []
    texts = []
    for candidate_id, record_json, _, created_at in rows:
        evaluation = assess(record_json or "null", plan.checks)
        score = composite_score(evaluation.verdicts, weights=plan.weights)
        viable = not hard_failures(evaluation.verdicts, plan.hard) and score >= plan.min_score
        item = Judged(candidate_id, record_json, created_at, evaluation.verdicts, score, viable)
        if viable and evaluation.record is not None:
            item.lang, item.text_hash = (
                evaluation.record.lang,
                normalised_text_hash(evaluation.record),
            )
            # while its parts are cached
            texts.append(shingles(dedup_text(evaluation.raw), plan.dedup))
        judged.append(item)
    survivors = [item for item in judged if item.viable]
    hashes = hashed(texts)
    for item, row, shingle_hashes in zip(
        survivors, signatures_of(hashes, plan.dedup), hashes, strict=True
    ):
        item.signature, item.shingles = row.astype("<u4").tobytes(), shingle_hashes.tobytes()
    return judged


def judge_all(
    plan: Plan,
    rows: Sequence[tuple[Any, ...]],
    workers: int,
    progress: Callable[[int], None] | None = None,
    parallel_from: int = MIN_PARALLEL,
) -> list[Judged]:
    """Every row judged, in order: by ``workers`` processes when there are ``parallel_from``
    rows, else here."""
    chunks = list(in_chunks(rows, CHUNK))
    results: list[Judged] = []
    parallel = workers if len(rows) >= parallel_from and _travels(plan) else 1
    for chunk, chunk_result in zip(chunks, _map(plan, chunks, parallel), strict=True):
        for row, item in zip(chunk, chunk_result, strict=True):
            item.record_json = row[1]  # workers do not send the record back
        results += chunk_result
        if progress is not None:
            progress(len(chunk_result))
    return results


def _map(plan: Plan, chunks: list[list[tuple[Any, ...]]], workers: int) -> Iterator[list[Judged]]:
    if workers <= 1:
        for chunk in chunks:
            yield judge_rows(plan, chunk)
        return
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(
        workers, mp_context=context, initializer=_install, initargs=(plan,)
    ) as pool:
        for wires in pool.map(_judge_in_worker, chunks):
            yield [_from_wire(wire) for wire in wires]


def _travels(plan: Plan) -> bool:
    """Whether the plan can be sent to another process (an LLM judge's client cannot)."""
    try:
        pickle.dumps(plan)
    except (pickle.PicklingError, TypeError, AttributeError):
        return False
    return True


_WORKER_PLAN: list[Plan] = []


def _install(plan: Plan) -> None:
    _WORKER_PLAN[:] = [plan]


def _judge_in_worker(rows: list[tuple[Any, ...]]) -> list[tuple[Any, ...]]:
    """Judge a chunk and send it back as plain tuples (pickling them costs a tenth of the
    objects)."""
    return [_to_wire(item) for item in judge_rows(_WORKER_PLAN[0], rows)]


def _to_wire(item: Judged) -> tuple[Any, ...]:
    verdicts = [(name, v.passed, v.score, v.detail) for name, v in item.verdicts.items()]
    return (
        item.candidate_id,
        item.created_at,
        verdicts,
        item.score,
        item.viable,
        item.lang,
        item.text_hash,
        item.signature,
        item.shingles,
    )


def _from_wire(wire: tuple[Any, ...]) -> Judged:
    candidate_id, created_at, verdicts, score, viable, lang, text_hash, signature, shingles = wire
    found = {name: Verdict(passed, value, detail) for name, passed, value, detail in verdicts}
    return Judged(
        candidate_id, "", created_at, found, score, viable, lang, text_hash, signature, shingles
    )
