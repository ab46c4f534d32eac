"""The review report: the Wilson interval by hand, acceptance per stratum, reasons, agreement
with the assay."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta

import pytest

from tests.builders import insert_candidates
from warehouse.review.sample import open_sample
from warehouse.review.stats import Agreement, Proportion, review_report, wilson_interval
from warehouse.store import Warehouse


def test_the_wilson_interval_matches_a_hand_computation() -> None:
    # 87 of 100, z = 1.96: p = 0.87, z²/n = 0.038416
    #   centre = (0.87 + 0.019208) / 1.038416 = 0.856309…
    #   margin = 1.96 · √(0.87·0.13/100 + 0.038416/400) / 1.038416 = 1.96 · √0.00122704 / 1.038416 =
    # 0.066118…
    low, high = wilson_interval(87, 100, z=1.96)
    assert low == pytest.approx(0.856309 - 0.066118, abs=1e-5)
    assert high == pytest.approx(0.856309 + 0.066118, abs=1e-5)
    assert (round(low, 4), round(high, 4)) == (0.7902, 0.9224)


def test_the_wilson_interval_stays_inside_zero_and_one_and_refuses_an_empty_sample() -> None:
    low, high = wilson_interval(0, 10)
    # 3.8415 / 13.8415
    assert low == 0.0 and high == pytest.approx(1.959964**2 / (10 + 1.959964**2), rel=1e-6)
    assert wilson_interval(10, 10)[1] == 1.0
    with pytest.raises(ValueError, match="total > 0"):
        wilson_interval(0, 0)
    assert Proportion(0, 0).rate is None and Proportion(0, 0).interval is None


def test_cohens_kappa_by_hand() -> None:
    agreement = Agreement(
        accepted_kept=40, accepted_rejected=10, rejected_kept=5, rejected_rejected=45
    )
    # observed 0.85; chance = 0.5·0.45 + 0.5·0.55 = 0.5 → kappa = (0.85 − 0.5) / 0.5 = 0.7
    assert agreement.kappa == pytest.approx(0.7)
    assert Agreement(accepted_kept=3).kappa is None  # one verdict only: undefined


def _verdict(
    warehouse: Warehouse,
    candidate_id: str,
    verdict: str,
    at: int,
    reasons: list[str] | None = None,
    note: str | None = None,
) -> None:
    warehouse.insert(
        "reviews",
        [
            {
                "id": f"{candidate_id}-{at}",
                "candidate_id": candidate_id,
                "verdict": verdict,
                "reasons": reasons,
                "note": note,
                "created_at": datetime(2024, 5, 1, tzinfo=UTC) + timedelta(minutes=at),
            }
        ],
    )


def test_the_report_counts_the_latest_verdict_per_sampled_record(warehouse: Warehouse) -> None:
    insert_candidates(
        warehouse,
        [("bugfix", "en", "accepted")] * 4
        + [("feature", "zh", "accepted")] * 2
        + [("bugfix", "en", "rejected")] * 2,
    )
    sample = open_sample(warehouse, size=6, seed=0, with_rejected=2)
    by_status = {
        s: [i.candidate_id for i in sample.items if i.assay_status == s]
        for s in ("accepted", "rejected")
    }
    bugfix = [c for c in by_status["accepted"] if c in {"c0", "c1", "c2", "c3"}]
    feature = [c for c in by_status["accepted"] if c in {"c4", "c5"}]
    _verdict(warehouse, bugfix[0], "rejected", 1, ["wrong"])
    _verdict(warehouse, bugfix[0], "accepted", 2)  # changed their mind: the later verdict counts
    _verdict(warehouse, bugfix[1], "edited", 3)
    _verdict(warehouse, bugfix[2], "rejected", 4, ["mismatch", "other"], "tests the wrong function")
    _verdict(warehouse, feature[0], "accepted", 5)
    _verdict(warehouse, by_status["rejected"][0], "accepted", 6)  # the assay was too strict here
    _verdict(warehouse, by_status["rejected"][1], "rejected", 7, ["duplicate"])
    _verdict(warehouse, "not-sampled", "rejected", 8, ["wrong"])  # outside any sample: not counted
    report = review_report(warehouse)
    assert (report.overall.accepted, report.overall.edited, report.overall.rejected) == (2, 1, 1)
    assert (report.acceptance.successes, report.acceptance.total) == (2, 4)
    assert report.defect_rate.successes == 2
    assert (
        report.strata["instruction/bugfix/en"].reviewed == 3
        and report.strata["instruction/feature/zh"].accepted == 1
    )
    assert report.reasons == {"mismatch": 1, "other": 1, "duplicate": 1}
    assert report.notes == ["tests the wrong function"]
    agreement = report.agreement
    assert (agreement.accepted_kept, agreement.accepted_rejected) == (3, 1)
    assert (agreement.rejected_kept, agreement.rejected_rejected) == (1, 1)
    assert math.isclose(agreement.agreement.rate or 0, 4 / 6)
    assert [(s.size, s.reviewed) for s in report.samples] == [(8, 6)]
