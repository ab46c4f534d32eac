"""Train/holdout by commit time, and contamination against the user's own eval set.

The holdout is what a model trained on the train split has not seen: the newest N% of accepted
records (or every record after a date), judged by the time of the commit it was drafted from.
Records are grouped so that one ticket's commits never straddle the split: a ticket with one fix
in March and a follow-up in June goes to the holdout whole, since its newest commit is new. The
split is recomputed over all accepted records by every assay run; as new commits arrive the
cut-off only moves forward, so a record once in train never moves to the holdout.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from warehouse.assay.checks.base import Verdict
from warehouse.assay.near_duplicates import DisjointSet
from warehouse.errors import EvalSetError
from warehouse.record_text import string_values
from warehouse.store import Warehouse

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


@dataclass(frozen=True, slots=True)
class SplitRule:
    """The newest ``holdout_percent`` of records, or (when set) every record after
    ``holdout_after``."""

    holdout_percent: float = 10.0
    holdout_after: datetime | None = None

    def describe(self) -> str:
        """How the rule reads in the ``splits.rule`` column."""
        if self.holdout_after is not None:
            return f"after {self.holdout_after.isoformat()}"
        return f"newest {self.holdout_percent:g}%"


@dataclass(frozen=True, slots=True)
class _Group:
    key: str
    newest: datetime
    candidates: tuple[str, ...]


def assign_splits(warehouse: Warehouse, rule: SplitRule, run_id: str) -> dict[str, int]:
    """Put every accepted candidate in train or holdout; return how many went to each."""
    groups = _groups(warehouse)
    holdout = _holdout_keys(groups, rule)
    rows = [
        {
            "candidate_id": candidate,
            "split": "holdout" if group.key in holdout else "train",
            "group_key": group.key,
            "committed_at": None if group.newest == _EPOCH else group.newest,
            "rule": rule.describe(),
            "run_id": run_id,
        }
        for group in groups
        for candidate in group.candidates
    ]
    warehouse.execute("DELETE FROM splits")
    warehouse.insert("splits", rows)
    holdout_count = sum(1 for row in rows if row["split"] == "holdout")
    return {"train": len(rows) - holdout_count, "holdout": holdout_count}


def _groups(warehouse: Warehouse) -> list[_Group]:
    """Accepted candidates grouped by the tickets that link their commits, newest commit per
    group."""
    rows = warehouse.query(
        "SELECT c.id, coalesce(t.commit_id, ''), coalesce(t.ticket_id, ''), "
        "coalesce(m.committed_at, k.closed_at, k.created_at, c.created_at) "
        "FROM candidates c LEFT JOIN tasks t ON t.id = c.task_id LEFT JOIN commits m ON m.id = "
        "t.commit_id "
        "LEFT JOIN tickets k ON k.id = t.ticket_id WHERE c.status = 'accepted' ORDER BY c.id"
    ).rows
    links = warehouse.query("SELECT commit_id, ticket_id FROM ticket_links").rows
    joined = DisjointSet()
    for commit_id, ticket_id in links:
        joined.union(f"commit:{commit_id}", f"ticket:{ticket_id}")
    members: dict[str, list[str]] = defaultdict(list)
    newest: dict[str, datetime] = {}
    for candidate_id, commit_id, ticket_id, when in rows:
        anchor = (
            f"commit:{commit_id}"
            if commit_id
            else f"ticket:{ticket_id}"
            if ticket_id
            else f"candidate:{candidate_id}"
        )
        if commit_id and ticket_id:
            joined.union(anchor, f"ticket:{ticket_id}")
        key = joined.find(anchor)
        members[key].append(candidate_id)
        newest[key] = max(newest.get(key, _EPOCH), when or _EPOCH)
    return [_Group(key, newest[key], tuple(ids)) for key, ids in members.items()]


def _holdout_keys(groups: Sequence[_Group], rule: SplitRule) -> set[str]:
    if rule.holdout_after is not None:
        return {g.key for g in groups if g.newest > rule.holdout_after}
    # small sets stay in train
    wanted = int(sum(len(g.candidates) for g in groups) * rule.holdout_percent / 100)
    chosen: set[str] = set()
    taken = 0
    for group in sorted(groups, key=lambda g: (g.newest, g.key), reverse=True):
        if taken >= wanted:  # whole groups: a ticket never straddles the split
            break
        chosen.add(group.key)
        taken += len(group.candidates)
    return chosen


class EvalSet:
    """The user's own eval set: its word n-grams, to find candidates that would leak into it."""

    def __init__(self, ngrams: set[int], n: int, share: float, name: str) -> None:
        self.ngrams = ngrams
        self.n = n
        self.share = share
        self.name = name

    @classmethod
    def read(cls, path: Path, n: int = 13, share: float = 0.1) -> EvalSet:
        """Read a JSON Lines file (one object per line; every string in it counts)."""
        if not path.is_file():
            raise EvalSetError(
                f"the eval set {path} does not exist: fix [assay] eval_set in goldmine.toml"
            )
        ngrams: set[int] = set()
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            if not line.strip():
                continue
            try:
                item = json.loads(line)
            except ValueError:
                raise EvalSetError(
                    f"{path}:{number} is not JSON: the eval set must be JSON Lines"
                ) from None
            ngrams.update(_ngrams(" ".join(string_values(item)), n))
        return cls(ngrams, n, share, path.name)

    def verdict(self, texts: Iterable[str]) -> Verdict:
        """Contaminated when at least ``share`` of the record's n-grams occur in the eval set."""
        grams = _ngrams(" ".join(texts), self.n)
        if not grams:
            return Verdict.ok("too short to compare")
        overlap = len(grams & self.ngrams) / len(grams)
        if overlap >= self.share:
            return Verdict.fail(
                f"{overlap:.0%} of its {self.n}-word sequences are in the eval set {self.name}"
            )
        return Verdict(True, 1.0, f"{overlap:.0%} overlap with {self.name}")


def _ngrams(text: str, n: int) -> set[int]:
    words = text.lower().split()
    return {hash(tuple(words[i : i + n])) for i in range(len(words) - n + 1)}


def record_texts(raw: dict[str, Any]) -> list[str]:
    """The texts of a raw record that an eval item could share (everything but provenance)."""
    return string_values({k: v for k, v in raw.items() if k not in ("provenance", "id", "tools")})
