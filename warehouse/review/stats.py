"""What the reviewers' verdicts say: acceptance with a Wilson interval, per stratum, why records
were rejected, and how often the reviewers and the assay agree.

Only candidates drawn into a review sample count, so every figure is an estimate from a random
sample. *Acceptance* is the share of assay-accepted records a reviewer accepted as drafted; its
complement, the *defect rate*, counts rejections and edits (a record that needed an edit was not
right as drafted), and estimates the share of defective records among the accepted ones no
person has read.
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime

from warehouse.outcomes import CandidateStatus, ReviewVerdict
from warehouse.review.verdicts import LATEST_REVIEWS
from warehouse.store import Warehouse

Z_95 = 1.959963984540054  # the standard normal quantile for a two-sided 95% interval
KEPT = (ReviewVerdict.ACCEPTED, ReviewVerdict.EDITED)


def wilson_interval(successes: int, total: int, z: float = Z_95) -> tuple[float, float]:
    """The Wilson score interval for a binomial proportion (95% by default)."""
    if total <= 0 or not 0 <= successes <= total:
        raise ValueError(f"need 0 <= successes <= total and total > 0, got {successes}/{total}")
    p = successes / total
    z2 = z * z
    denominator = 1 + z2 / total
    centre = (p + z2 / (2 * total)) / denominator
    margin = z * math.sqrt(p * (1 - p) / total + z2 / (4 * total * total)) / denominator
    # At 0 or n successes the bound is exactly 0 or 1; rounding would leave 1e-16 on the wrong side.
    low = 0.0 if successes == 0 else max(0.0, centre - margin)
    high = 1.0 if successes == total else min(1.0, centre + margin)
    return low, high


@dataclass(frozen=True, slots=True)
class Proportion:
    """``successes`` of ``total``, with its rate and 95% Wilson interval (None when nothing was
    counted)."""

    successes: int
    total: int

    @property
    def rate(self) -> float | None:
        return self.successes / self.total if self.total else None

    @property
    def interval(self) -> tuple[float, float] | None:
        return wilson_interval(self.successes, self.total) if self.total else None

    def complement(self) -> Proportion:
        """The failures as a proportion of the same total."""
        return Proportion(self.total - self.successes, self.total)


@dataclass(slots=True)
class VerdictCounts:
    """Latest verdicts on assay-accepted records of one group (all, or one stratum)."""

    accepted: int = 0
    edited: int = 0
    rejected: int = 0

    @property
    def reviewed(self) -> int:
        return self.accepted + self.edited + self.rejected

    @property
    def acceptance(self) -> Proportion:
        """Accepted as drafted, of all reviewed."""
        return Proportion(self.accepted, self.reviewed)

    def add(self, verdict: str) -> None:
        """Count one verdict (accepted, edited or rejected)."""
        setattr(self, verdict, getattr(self, verdict) + 1)


@dataclass(slots=True)
class Agreement:
    """Reviewer versus assay: the assay's verdict (rows) against the reviewer's (kept or
    rejected)."""

    accepted_kept: int = 0
    accepted_rejected: int = 0
    rejected_kept: int = 0
    rejected_rejected: int = 0

    def add(self, *, assay_accepted: bool, kept: bool) -> None:
        """Count one candidate the assay and a reviewer both judged."""
        name = ("accepted" if assay_accepted else "rejected") + ("_kept" if kept else "_rejected")
        setattr(self, name, getattr(self, name) + 1)

    @property
    def human_rejects_assay_accepted(self) -> Proportion:
        return Proportion(self.accepted_rejected, self.accepted_kept + self.accepted_rejected)

    @property
    def human_keeps_assay_rejected(self) -> Proportion:
        return Proportion(self.rejected_kept, self.rejected_kept + self.rejected_rejected)

    @property
    def agreement(self) -> Proportion:
        agree = self.accepted_kept + self.rejected_rejected
        return Proportion(agree, agree + self.accepted_rejected + self.rejected_kept)

    @property
    def kappa(self) -> float | None:
        """Cohen's kappa (agreement beyond chance); None when it is undefined (one side gave one
        verdict only)."""
        total = self.agreement.total
        if not total:
            return None
        assay_yes = (self.accepted_kept + self.accepted_rejected) / total
        human_yes = (self.accepted_kept + self.rejected_kept) / total
        chance = assay_yes * human_yes + (1 - assay_yes) * (1 - human_yes)
        if chance >= 1:
            return None
        return (self.agreement.successes / total - chance) / (1 - chance)


@dataclass(frozen=True, slots=True)
class SampleProgress:
    """One stored sample and how far its review got."""

    id: str
    seed: int
    size: int
    reviewed: int
    created_at: datetime


@dataclass(slots=True)
class ReviewReport:
    """Everything ``goldmine review --report`` shows."""

    overall: VerdictCounts = field(default_factory=VerdictCounts)
    strata: dict[str, VerdictCounts] = field(default_factory=dict)
    reasons: Counter[str] = field(default_factory=Counter)
    notes: list[str] = field(default_factory=list)
    agreement: Agreement = field(default_factory=Agreement)
    samples: list[SampleProgress] = field(default_factory=list)

    @property
    def acceptance(self) -> Proportion:
        return self.overall.acceptance

    @property
    def defect_rate(self) -> Proportion:
        return self.overall.acceptance.complement()


_LATEST = f"latest AS ({LATEST_REVIEWS})"


def review_report(warehouse: Warehouse) -> ReviewReport:
    """Summarise the latest verdict on every sampled candidate."""
    rows = warehouse.query(
        f"WITH {_LATEST}, items AS (SELECT candidate_id, min(stratum) AS stratum, "
        "min(assay_status) AS assay_status "
        "FROM review_sample_items GROUP BY 1) "
        "SELECT i.stratum, i.assay_status, l.verdict, l.reasons, l.note FROM items i "
        "JOIN latest l USING (candidate_id) ORDER BY i.stratum"
    ).rows
    report = ReviewReport(samples=_samples(warehouse))
    for stratum, assay_status, verdict, reasons, note in rows:
        _count(report, stratum, assay_status, verdict, reasons or [], note)
    return report


def _count(
    report: ReviewReport,
    stratum: str,
    assay_status: str,
    verdict: str,
    reasons: list[str],
    note: str | None,
) -> None:
    if assay_status == CandidateStatus.ACCEPTED:
        report.overall.add(verdict)
        report.strata.setdefault(stratum, VerdictCounts()).add(verdict)
    report.agreement.add(
        assay_accepted=assay_status == CandidateStatus.ACCEPTED, kept=verdict in KEPT
    )
    if verdict == ReviewVerdict.REJECTED:
        report.reasons.update(reasons)
        if note:
            report.notes.append(note)


def _samples(warehouse: Warehouse) -> list[SampleProgress]:
    rows = warehouse.query(
        f"WITH {_LATEST} SELECT s.id, s.seed, s.size, count(l.candidate_id), s.created_at FROM "
        "review_samples s "
        "JOIN review_sample_items i ON i.sample_id = s.id LEFT JOIN latest l USING (candidate_id) "
        "GROUP BY ALL ORDER BY s.created_at"
    ).rows
    return [SampleProgress(row[0], int(row[1]), int(row[2]), int(row[3]), row[4]) for row in rows]
