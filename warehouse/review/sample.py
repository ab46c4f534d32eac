"""Review samples: a random, stratified, reproducible draw of candidates for a person to read.

The seed document asks for "a random sample of at least 100 records". goldmine draws it
stratified by kind, task type and language: each stratum gets a share proportional to its size
(largest remainder), and at least one record when the sample has room for every stratum.
Within a stratum, candidates are ranked by a hash of the seed and their id, so the same seed
over the same pool draws the same records on any machine. The draw is stored in
``review_samples`` and ``review_sample_items``, so a review resumes where it stopped.

A few assay-rejected candidates can be mixed in (``with_rejected``): the person's verdicts on
them measure how often the assay rejects what a person would keep.
"""

from __future__ import annotations

import hashlib
import json
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from warehouse.errors import NothingToReview
from warehouse.ids import content_hash, stable_id
from warehouse.review.verdicts import UNSAFE
from warehouse.store import Warehouse

DEFAULT_SAMPLE = 100
DEFAULT_SEED = 0


@dataclass(frozen=True, slots=True)
class PoolItem:
    """A candidate that can be drawn: its id, stratum (kind/task_type/lang) and the assay's
    verdict."""

    candidate_id: str
    stratum: str
    assay_status: str


@dataclass(frozen=True, slots=True)
class ReviewSample:
    """A stored draw: its id, how it was drawn, and its items in page order (position 1 first)."""

    id: str
    seed: int
    requested: int
    requested_rejected: int
    items: tuple[PoolItem, ...]


def allocate(sizes: Mapping[str, int], n: int) -> dict[str, int]:
    """How many to draw from each stratum so the draws add up to ``n`` (or to everything, when
    fewer).

    Proportional to each stratum's size by the largest-remainder method, at least one per stratum
    when ``n`` allows it, and never more than a stratum holds.
    """
    strata = sorted(s for s, size in sizes.items() if size > 0)
    total = sum(sizes[s] for s in strata)
    if n >= total:
        return {s: sizes[s] for s in strata}
    base = 1 if n >= len(strata) else 0
    rest = n - base * len(strata)
    shares = {s: rest * sizes[s] / total for s in strata}
    quota = {s: min(sizes[s], base + int(shares[s])) for s in strata}
    by_remainder = sorted(strata, key=lambda s: (-(shares[s] - int(shares[s])), -sizes[s], s))
    left = n - sum(quota.values())
    while left > 0:
        for stratum in by_remainder:
            if left and quota[stratum] < sizes[stratum]:
                quota[stratum] += 1
                left -= 1
    return quota


def draw(pool: Sequence[PoolItem], n: int, seed: int) -> list[PoolItem]:
    """A stratified random draw of ``n`` items from ``pool``, in a random page order; same seed,
    same draw."""
    by_stratum: dict[str, list[PoolItem]] = defaultdict(list)
    for item in pool:
        by_stratum[item.stratum].append(item)
    quotas = allocate({s: len(items) for s, items in by_stratum.items()}, n)
    chosen: list[PoolItem] = []
    for stratum, items in by_stratum.items():
        ranked = sorted(items, key=lambda item: _rank(seed, "pick", item.candidate_id))
        chosen += ranked[: quotas.get(stratum, 0)]
    return sorted(chosen, key=lambda item: _rank(seed, "order", item.candidate_id))


def _rank(seed: int, purpose: str, candidate_id: str) -> str:
    return hashlib.sha256(f"{seed}\x1f{purpose}\x1f{candidate_id}".encode()).hexdigest()


def review_pool(warehouse: Warehouse, assay_status: str) -> list[PoolItem]:
    """Candidates the assay gave ``assay_status`` that hold a record and have no review yet."""
    return warehouse.query(
        "SELECT c.id AS candidate_id, c.kind || '/' || c.task_type || '/' || c.lang AS stratum, "
        "c.status AS assay_status FROM candidates c "
        f"WHERE c.status = ? AND c.record IS NOT NULL AND NOT {UNSAFE} "
        "AND NOT EXISTS (SELECT 1 FROM reviews r WHERE r.candidate_id = c.id) ORDER BY c.id",
        [assay_status],
    ).rows_as(PoolItem)


def open_sample(
    warehouse: Warehouse,
    *,
    size: int | None = None,
    seed: int | None = None,
    with_rejected: int | None = None,
) -> ReviewSample:
    """The sample to review: the latest unfinished one unless other settings are asked for, else a
    new draw.

    ``None`` means "as the unfinished sample was drawn" (or the defaults for a new one).
    """
    unfinished = _latest_sample(warehouse, unfinished=True)
    if unfinished is not None and _matches(unfinished, size, seed, with_rejected):
        return unfinished
    drawn = draw_sample(
        warehouse,
        size=DEFAULT_SAMPLE if size is None else size,
        seed=DEFAULT_SEED if seed is None else seed,
        with_rejected=with_rejected or 0,
    )
    if drawn is not None:
        return drawn
    finished = unfinished or _latest_sample(warehouse, unfinished=False)
    if finished is None:
        raise NothingToReview(
            f"{warehouse.path} has no assayed candidate to review: run `goldmine run` (or "
            "`goldmine assay`) first"
        )
    return finished


def _matches(
    sample: ReviewSample, size: int | None, seed: int | None, with_rejected: int | None
) -> bool:
    return (
        (size is None or size == sample.requested)
        and (seed is None or seed == sample.seed)
        and (with_rejected is None or with_rejected == sample.requested_rejected)
    )


def draw_sample(
    warehouse: Warehouse, *, size: int, seed: int, with_rejected: int = 0
) -> ReviewSample | None:
    """Draw and store a new sample from the unreviewed candidates; None when there is nothing to
    draw."""
    accepted, rejected = review_pool(warehouse, "accepted"), review_pool(warehouse, "rejected")
    chosen = draw(accepted, size, seed) + draw(rejected, with_rejected, seed)
    if not chosen:
        return None
    items = sorted(chosen, key=lambda item: _rank(seed, "order", item.candidate_id))
    pool = accepted + (rejected if with_rejected else [])
    pool_digest = content_hash("\n".join(sorted(item.candidate_id for item in pool)))
    sample_id = stable_id("review-sample", seed, size, with_rejected, pool_digest)
    warehouse.insert(
        "review_samples",
        [
            {
                "id": sample_id,
                "seed": seed,
                "requested": size,
                "requested_rejected": with_rejected,
                "size": len(items),
                "pool": len(pool),
                "strata": json.dumps(_strata(pool, items)),
                "created_at": datetime.now(UTC),
            }
        ],
    )
    warehouse.insert(
        "review_sample_items",
        [
            {
                "sample_id": sample_id,
                "position": position,
                "candidate_id": item.candidate_id,
                "stratum": item.stratum,
                "assay_status": item.assay_status,
            }
            for position, item in enumerate(items, start=1)
        ],
    )
    loaded = load_sample(warehouse, sample_id)
    assert loaded is not None
    return loaded


def _strata(pool: Sequence[PoolItem], items: Sequence[PoolItem]) -> dict[str, dict[str, int]]:
    counts: dict[str, dict[str, int]] = defaultdict(lambda: {"pool": 0, "drawn": 0})
    for item in pool:
        counts[item.stratum]["pool"] += 1
    for item in items:
        counts[item.stratum]["drawn"] += 1
    return dict(sorted(counts.items()))


def load_sample(warehouse: Warehouse, sample_id: str) -> ReviewSample | None:
    """A stored sample with its items in page order, or None."""
    head = warehouse.query(
        "SELECT seed, requested, requested_rejected FROM review_samples WHERE id = ?", [sample_id]
    ).rows
    if not head:
        return None
    items = warehouse.query(
        "SELECT candidate_id, stratum, assay_status FROM review_sample_items WHERE sample_id = ? "
        "ORDER BY position",
        [sample_id],
    ).rows_as(PoolItem)
    seed, requested, requested_rejected = head[0]
    return ReviewSample(
        sample_id,
        int(seed),
        int(requested),
        int(requested_rejected),
        tuple(items),
    )


def _latest_sample(warehouse: Warehouse, *, unfinished: bool) -> ReviewSample | None:
    condition = (
        "WHERE EXISTS (SELECT 1 FROM review_sample_items i WHERE i.sample_id = s.id "
        "AND NOT EXISTS (SELECT 1 FROM reviews r WHERE r.candidate_id = i.candidate_id)) "
        if unfinished
        else ""
    )
    found = warehouse.scalar(
        f"SELECT s.id FROM review_samples s {condition}ORDER BY s.created_at DESC LIMIT 1"
    )
    return load_sample(warehouse, found) if found else None
