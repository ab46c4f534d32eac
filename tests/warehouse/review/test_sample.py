"""The review sample: stratified allocation, reproducible draws, and resuming where a review
stopped."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.builders import insert_candidates
from warehouse.errors import NothingToReview
from warehouse.review.sample import PoolItem, allocate, draw, open_sample
from warehouse.store import Warehouse


def _pool(sizes: dict[str, int]) -> list[PoolItem]:
    return [
        PoolItem(f"{stratum}-{n}", stratum, "accepted")
        for stratum, size in sizes.items()
        for n in range(size)
    ]


def test_allocation_is_proportional_with_one_record_for_every_stratum() -> None:
    sizes = {
        "instruction/bugfix/en": 600,
        "instruction/feature/en": 300,
        "instruction/refactor/zh": 95,
        "agent/bugfix/en": 5,
    }
    assert allocate(sizes, 100) == {
        "instruction/bugfix/en": 59,
        "instruction/feature/en": 30,
        "instruction/refactor/zh": 10,
        "agent/bugfix/en": 1,
    }
    # 1 each, then the other 96 by share: 57.6, 28.8, 9.12, 0.48 → 57, 28, 9, 0 (94), and the
    # last 2 by largest remainder: 0.8 (feature) and 0.6 (bugfix).


def test_allocation_takes_all_of_a_small_pool_and_the_largest_strata_first_when_n_is() -> None:
    assert allocate({"a": 3, "b": 2}, 100) == {"a": 3, "b": 2}
    assert allocate({"a": 50, "b": 30, "c": 20}, 2) == {"a": 1, "b": 1, "c": 0}
    # a stratum never gives more than it holds
    assert allocate({"a": 1, "b": 99}, 10) == {
        "a": 1,
        "b": 9,
    }


@given(
    st.dictionaries(st.text("abcdef", min_size=1, max_size=3), st.integers(0, 60), max_size=8),
    st.integers(0, 200),
)
def test_allocation_adds_up_and_respects_every_stratum(sizes: dict[str, int], n: int) -> None:
    quota = allocate(sizes, n)
    nonempty = {s for s, size in sizes.items() if size}
    assert sum(quota.values()) == min(n, sum(sizes.values()))
    assert all(0 <= quota[s] <= sizes[s] for s in quota)
    if n >= len(nonempty):
        assert all(quota[s] >= 1 for s in nonempty)


def test_the_same_seed_draws_the_same_records_in_the_same_order_whatever_the_pool_order() -> None:
    pool = _pool({"a": 40, "b": 25, "c": 3})
    first = draw(pool, 20, seed=7)
    assert draw(list(reversed(pool)), 20, seed=7) == first
    assert draw(pool, 20, seed=8) != first
    assert len(first) == 20 and len({item.candidate_id for item in first}) == 20
    assert {item.stratum for item in first} == {"a", "b", "c"}
    # strata are interleaved
    assert [item.stratum for item in first] != sorted(item.stratum for item in first)


def _review(warehouse: Warehouse, candidate_id: str, verdict: str = "accepted") -> None:
    warehouse.insert(
        "reviews",
        [
            {
                "id": f"r-{candidate_id}",
                "candidate_id": candidate_id,
                "verdict": verdict,
                "created_at": datetime.now(UTC),
            }
        ],
    )


def test_a_sample_is_stored_resumed_and_followed_by_one_of_records_not_yet_reviewed(
    warehouse: Warehouse,
) -> None:
    insert_candidates(
        warehouse,
        [("bugfix", "en", "accepted")] * 6
        + [("feature", "zh", "accepted")] * 4
        + [("bugfix", "en", "rejected")] * 3
        + [("bugfix", "en", "pending")],
    )
    sample = open_sample(warehouse, size=5, seed=2)
    assert len(sample.items) == 5 and all(item.assay_status == "accepted" for item in sample.items)
    assert {item.stratum for item in sample.items} == {
        "instruction/bugfix/en",
        "instruction/feature/zh",
    }
    assert open_sample(warehouse).id == sample.id  # unfinished: resumed, whatever the defaults
    assert open_sample(warehouse, size=5, seed=2).id == sample.id
    for item in sample.items:
        _review(warehouse, item.candidate_id)
    following = open_sample(warehouse)
    # the 5 accepted records not yet reviewed
    assert following.id != sample.id and len(following.items) == 5
    assert not {i.candidate_id for i in following.items} & {i.candidate_id for i in sample.items}
    assert warehouse.count("review_samples") == 2


def test_asking_for_another_seed_draws_a_new_sample_and_rejected_records_can_be_mixed_in(
    warehouse: Warehouse,
) -> None:
    insert_candidates(
        warehouse, [("bugfix", "en", "accepted")] * 6 + [("bugfix", "en", "rejected")] * 3
    )
    first = open_sample(warehouse, size=3, seed=1)
    second = open_sample(warehouse, size=3, seed=1, with_rejected=2)
    assert second.id != first.id
    assert sorted(item.assay_status for item in second.items) == ["accepted"] * 3 + ["rejected"] * 2
    strata = warehouse.scalar("SELECT strata FROM review_samples WHERE id = ?", [second.id])
    assert '"pool": 9' in strata and '"drawn": 5' in strata


def test_a_finished_review_with_nothing_left_reopens_the_last_sample(warehouse: Warehouse) -> None:
    with pytest.raises(NothingToReview, match="run `goldmine run`"):
        open_sample(warehouse)
    insert_candidates(warehouse, [("bugfix", "en", "accepted")] * 2)
    sample = open_sample(warehouse)
    for item in sample.items:
        _review(warehouse, item.candidate_id)
    assert open_sample(warehouse).id == sample.id
