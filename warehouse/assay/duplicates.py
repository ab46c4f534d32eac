"""Exact and near-duplicate clusters across this run, earlier runs and the golds.

The candidates that survived every other check (the *contenders*) are compared with each other,
with the candidates accepted by earlier runs (through the MinHash signatures those runs stored)
and with the gold records (a copy of a gold is not new data). Members linked by the same
normalised text or by a true Jaccard similarity at or above the threshold form a cluster, which
keeps one member: a gold first, else one accepted earlier (exports stay stable), else the
best-scored contender. Every other contender in it fails ``exact_duplicate`` or ``near_duplicate``.
Cherry-picks and backports of one fix draft nearly the same record, so they collapse here too.

One answer per input: which member is kept depends on the candidates alone, never on the order in
which a runner delivered them or on when they were stored. Members are compared in id order, and
ties are broken by ``keep_order``: the higher score, then the earlier commit (committer time,
then sha; a ticket's candidate after every commit's), then the lower id.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import numpy as np

from warehouse.assay import near_duplicates as nd
from warehouse.assay.checks.base import Verdict
from warehouse.assay.near_duplicates import (
    DedupSettings,
    DisjointSet,
    candidate_pairs,
    dedup_text,
    hashed_jaccard,
    plausible,
    shingles,
)
from warehouse.record_text import normalised_text_hash
from warehouse.records import parse_record
from warehouse.store import Warehouse, in_chunks

GOLD_PREFIX = "gold:"


@dataclass(frozen=True, slots=True)
class Contender:
    """A candidate of this run that passed every other hard check."""

    candidate_id: str
    text_hash: str
    shingles: np.ndarray  # hashed shingle set (sorted uint64)
    score: float
    lang: str = "en"


# (committer time, sha) of the commit a candidate was drafted from; a ticket's has none
CommitOrder = tuple[datetime, str]
_NO_COMMIT: CommitOrder = (datetime.max.replace(tzinfo=UTC), "")


@dataclass(slots=True)
class _Member:
    member_id: str
    text_hash: str
    # hashed shingles; None: an earlier candidate's, loaded if a pair needs them
    shingles: np.ndarray | None
    reference: bool  # a gold or an earlier accepted candidate: it cannot be rejected now
    lang: str  # records in two languages are translations of each other, never duplicates
    score: float = 0.0


@dataclass(slots=True)
class DuplicateOutcome:
    """The duplicate verdicts of the contenders, and the rows to store."""

    verdicts: dict[str, dict[str, Verdict]] = field(default_factory=dict)
    cluster_rows: list[dict[str, Any]] = field(default_factory=list)
    signature_rows: list[dict[str, Any]] = field(default_factory=list)
    clusters: int = 0
    duplicates: int = 0


def find_duplicates(
    warehouse: Warehouse,
    contenders: Sequence[Contender],
    signatures: np.ndarray,
    golds: Sequence[Mapping[str, Any]],
    settings: DedupSettings,
    run_id: str,
) -> DuplicateOutcome:
    """Cluster the contenders with each other, earlier accepted candidates and the golds (in id
    order, whatever order they came in)."""
    order = sorted(range(len(contenders)), key=lambda i: contenders[i].candidate_id)
    contenders = [contenders[i] for i in order]
    signatures = signatures.reshape(-1, settings.num_perm)[order]
    earlier, earlier_signatures = _earlier(
        warehouse, settings, {c.candidate_id for c in contenders}
    )
    gold_members = sorted(
        (_gold_member(gold, settings) for gold in golds), key=lambda m: m.member_id
    )
    members = [
        _Member(c.candidate_id, c.text_hash, c.shingles, False, c.lang, c.score) for c in contenders
    ]
    members += earlier + gold_members
    gold_signatures = nd.signatures_of(
        [m.shingles for m in gold_members if m.shingles is not None], settings
    )
    matrix = np.vstack([signatures, earlier_signatures, gold_signatures])
    texts = _ShingleCache(warehouse, members, settings)
    links = DisjointSet()
    _link_exact(members, links)
    _link_near(members, matrix, texts, settings, links)
    outcome = DuplicateOutcome()
    _judge_clusters(warehouse, members, contenders, links, texts, outcome, run_id)
    outcome.signature_rows = [
        {
            "candidate_id": c.candidate_id,
            "params": settings.params,
            "signature": row.astype("<u4").tobytes(),
            "run_id": run_id,
        }
        for c, row in zip(contenders, signatures, strict=True)
    ]
    return outcome


def _earlier(
    warehouse: Warehouse, settings: DedupSettings, exclude: set[str]
) -> tuple[list[_Member], np.ndarray]:
    """Candidates accepted by earlier runs: their text hashes, and the signatures stored for
    them."""
    rows = warehouse.query(
        "SELECT c.id, c.text_hash, s.signature, c.lang, coalesce(c.score, 0) FROM candidates c "
        "LEFT JOIN dup_signatures s ON s.candidate_id = c.id AND s.params = ? "
        "WHERE c.status = 'accepted' ORDER BY c.id",
        [settings.params],
    ).rows
    members, vectors = [], []
    for candidate_id, text_hash, signature, lang, score in rows:
        if candidate_id in exclude:
            continue
        members.append(_Member(candidate_id, text_hash or "", None, True, lang, score))
        vector = (
            np.frombuffer(signature, dtype="<u4")
            if signature
            else np.zeros(settings.num_perm, np.uint32)
        )
        # a zero row shares no band with a real signature: exact matches only
        vectors.append(vector)
    matrix = np.vstack(vectors) if vectors else np.zeros((0, settings.num_perm), dtype=np.uint32)
    return members, matrix.astype(np.uint32)


def _gold_member(gold: Mapping[str, Any], settings: DedupSettings) -> _Member:
    record = parse_record(dict(gold))
    hashes = nd.hashed([shingles(dedup_text(dict(gold)), settings)])[0]
    return _Member(
        f"{GOLD_PREFIX}{record.id}", normalised_text_hash(record), hashes, True, record.lang
    )


class _ShingleCache:
    """Hashed shingle sets; an earlier candidate's are made from its record when a pair needs
    them."""

    def __init__(
        self, warehouse: Warehouse, members: Sequence[_Member], settings: DedupSettings
    ) -> None:
        self._warehouse = warehouse
        self._members = members
        self._settings = settings

    def load(self, indices: set[int]) -> None:
        """Read and shingle the records of the earlier candidates among ``indices`` (in one query
        per 1,000)."""
        wanted = {
            self._members[i].member_id: i for i in indices if self._members[i].shingles is None
        }
        for chunk in in_chunks(sorted(wanted), 1_000):
            rows = self._warehouse.query(
                "SELECT id, record FROM candidates WHERE id IN (SELECT unnest(?::VARCHAR[]))",
                [chunk],
            ).rows
            sets = [
                shingles(dedup_text(json.loads(record_json)), self._settings)
                for _, record_json in rows
            ]
            for (candidate_id, _), hashes in zip(rows, nd.hashed(sets), strict=True):
                self._members[wanted[candidate_id]].shingles = hashes

    def shingles(self, index: int) -> np.ndarray:
        """The hashed shingle set of one member."""
        found = self._members[index].shingles
        if found is None:
            self.load({index})
            found = self._members[index].shingles
        return found if found is not None else np.zeros(0, dtype=np.uint64)


def _link_exact(members: Sequence[_Member], links: DisjointSet) -> None:
    first_with: dict[str, int] = {}
    for index, member in enumerate(members):
        if not member.text_hash:
            continue
        if member.text_hash in first_with:
            links.union(first_with[member.text_hash], index)
        else:
            first_with[member.text_hash] = index


def _link_near(
    members: Sequence[_Member],
    matrix: np.ndarray,
    texts: _ShingleCache,
    settings: DedupSettings,
    links: DisjointSet,
) -> None:
    """Link the LSH candidate pairs (same language, not both references) whose true Jaccard
    reaches the threshold."""
    langs = np.array([m.lang for m in members])
    references = np.array([m.reference for m in members], dtype=bool)
    pairs = candidate_pairs(matrix, settings)
    keep = (langs[pairs[:, 0]] == langs[pairs[:, 1]]) & ~(
        references[pairs[:, 0]] & references[pairs[:, 1]]
    )
    checked = plausible(pairs[keep], matrix, settings).tolist()
    texts.load({i for pair in checked for i in pair})
    for a, b in checked:
        if links.find(a) == links.find(b):
            continue
        if hashed_jaccard(texts.shingles(a), texts.shingles(b)) >= settings.threshold:
            links.union(a, b)


def _judge_clusters(
    warehouse: Warehouse,
    members: Sequence[_Member],
    contenders: Sequence[Contender],
    links: DisjointSet,
    texts: _ShingleCache,
    outcome: DuplicateOutcome,
    run_id: str,
) -> None:
    for contender in contenders:
        outcome.verdicts[contender.candidate_id] = {
            "exact_duplicate": Verdict.ok(),
            "near_duplicate": Verdict.ok(),
        }
    known = _known_clusters(warehouse, [m.member_id for m in members if m.reference])
    groups = [g for g in links.groups() if not all(members[i].reference for i in g)]
    commits = commit_order(
        warehouse,
        [members[i].member_id for g in groups for i in g if not _is_gold(members[i])],
    )
    for group in groups:
        keeper = _keeper(group, members, commits)
        cluster_id = min(
            (known[members[i].member_id] for i in group if members[i].member_id in known),
            default=members[keeper].member_id,
        )
        outcome.clusters += 1
        for index in group:
            member = members[index]
            exact = member.text_hash == members[keeper].text_hash
            similarity = (
                1.0 if exact else hashed_jaccard(texts.shingles(index), texts.shingles(keeper))
            )
            outcome.cluster_rows.append(
                {
                    "candidate_id": member.member_id,
                    "cluster_id": cluster_id,
                    "kept": index == keeper,
                    "method": "kept" if index == keeper else "exact" if exact else "near",
                    "similarity": round(similarity, 4),
                    "run_id": run_id,
                }
            )
            if index != keeper and not member.reference:
                outcome.duplicates += 1
                outcome.verdicts[member.member_id] = _duplicate_verdicts(
                    exact, similarity, members[keeper].member_id
                )
            elif index == keeper and not member.reference:
                outcome.verdicts[member.member_id]["near_duplicate"] = Verdict.ok(
                    f"kept in cluster {cluster_id}"
                )


def _is_gold(member: _Member) -> bool:
    return member.member_id.startswith(GOLD_PREFIX)


def _keeper(
    group: list[int], members: Sequence[_Member], commits: Mapping[str, CommitOrder]
) -> int:
    """A gold, else an earlier-accepted member, else a contender: the first by ``keep_order``."""
    golds = [i for i in group if _is_gold(members[i])]
    if golds:
        return min(golds, key=lambda i: members[i].member_id)
    earlier = [i for i in group if members[i].reference]
    candidates = earlier or group
    return min(
        candidates,
        key=lambda i: keep_order(
            members[i].score, commits.get(members[i].member_id, _NO_COMMIT), members[i].member_id
        ),
    )


def keep_order(
    score: float, commit: CommitOrder, candidate_id: str
) -> tuple[float, datetime, str, str]:
    """How cluster members rank for keeping: the higher score, then the earlier commit (its
    committer time, then its sha), then the lower id. Facts of the candidates alone, so every
    runner and every arrival order keep the same one."""
    return (-score, commit[0], commit[1], candidate_id)


def commit_order(warehouse: Warehouse, candidate_ids: Sequence[str]) -> dict[str, CommitOrder]:
    """The (committer time, sha) of the commit each candidate's task was drafted from (a ticket's
    candidate has none)."""
    found: dict[str, CommitOrder] = {}
    for chunk in in_chunks(sorted(set(candidate_ids)), 1_000):
        rows = warehouse.query(
            "SELECT c.id, m.committed_at, m.sha FROM candidates c JOIN tasks t ON t.id = c.task_id "
            "JOIN commits m ON m.id = t.commit_id "
            "WHERE c.id IN (SELECT unnest(?::VARCHAR[])) AND m.committed_at IS NOT NULL",
            [chunk],
        ).rows
        found.update({candidate_id: (when, sha) for candidate_id, when, sha in rows})
    return found


def _duplicate_verdicts(exact: bool, similarity: float, keeper: str) -> dict[str, Verdict]:
    if exact:
        return {
            "exact_duplicate": Verdict.fail(
                f"the same text (ignoring case and spacing) as {keeper}"
            )
        }
    return {
        "exact_duplicate": Verdict.ok(),
        "near_duplicate": Verdict.fail(
            f"a near-duplicate (Jaccard {similarity:.2f}) of {keeper}", 1 - similarity
        ),
    }


def _known_clusters(warehouse: Warehouse, member_ids: list[str]) -> dict[str, str]:
    if not member_ids:
        return {}
    rows = warehouse.query(
        "SELECT candidate_id, cluster_id FROM dup_clusters WHERE candidate_id IN (SELECT "
        "unnest(?::VARCHAR[]))",
        [member_ids],
    ).rows
    return dict(rows)
