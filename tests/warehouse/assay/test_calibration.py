"""Calibration: the golds score at the top; each damaged copy scores lower and fails the check it
targets."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.damages import DAMAGES, GOLD_FILES, Damage, gold
from warehouse.assay.runner import composite_score, evaluate


def _score(record: dict[str, object]) -> tuple[float, dict[str, bool]]:
    verdicts, _ = evaluate(json.dumps(record, ensure_ascii=False))
    return composite_score(verdicts), {name: verdict.passed for name, verdict in verdicts.items()}


@pytest.mark.parametrize("path", GOLD_FILES, ids=lambda p: p.name[:2])
def test_every_gold_scores_at_least_90_and_fails_nothing(path: Path) -> None:
    score, passed = _score(gold(path.name[:2]))
    assert score >= 90 and all(passed.values()), (
        score,
        [name for name, ok in passed.items() if not ok],
    )


def _applies(damage: str, prefix: str) -> bool:
    record = gold(prefix)
    _, kinds, targets = DAMAGES[damage]
    if record["kind"] not in kinds:
        return False
    # error handling and logging are asked only of production code (an explanation documents as is)
    return not (
        targets == ("error_handling", "logging") and record["task_type"] in ("explain", "tests")
    )


CASES = [
    (damage, path.name[:2])
    for damage in DAMAGES
    for path in GOLD_FILES
    if _applies(damage, path.name[:2])
]


@pytest.mark.parametrize(
    ("damage", "prefix"), CASES, ids=[f"{p}-{d.replace(' ', '_')}" for d, p in CASES]
)
def test_a_damaged_gold_scores_lower_and_fails_the_check_it_targets(
    damage: str, prefix: str
) -> None:
    spoil: Damage
    spoil, _, targets = DAMAGES[damage]
    original = gold(prefix)
    gold_score, _ = _score(original)
    damaged_score, passed = _score(spoil(original))
    assert damaged_score < gold_score, (damage, damaged_score, gold_score)
    for target in targets:
        assert passed.get(target) is False, (damage, target, passed)


def test_every_damage_is_exercised_on_at_least_two_golds() -> None:
    counts = {damage: sum(1 for d, _ in CASES if d == damage) for damage in DAMAGES}
    assert min(counts.values()) >= 2, counts
