"""The mine stage's repositories: one after another in this process, or fanned out, each repository
(each slice of a large one) as its own unit of work.

Fanned out, every repository is planned here first (registered, its new commits listed against its
watermark), all units are handed to the fan-out at once, and each unit's rows are inserted as it
comes back. A repository's watermark moves as soon as its last unit has landed, so a run stopped
half-way keeps the repositories it finished and resumes the others next time.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator, Sequence

from flows.progress import progress_bar
from flows.run.fanout import FanOut
from warehouse.landing.commit_rows import LandingOptions
from warehouse.landing.mining_units import (
    MiningUnit,
    fact_column_types,
    land_unit,
    mine_unit,
    mining_units,
)
from warehouse.landing.repositories import finish_repository, land_repository, plan_repository
from warehouse.landing.sources import MineSummary
from warehouse.store import Warehouse


def mine_repositories(
    warehouse: Warehouse,
    repos: Sequence[str],
    run_id: str,
    options: LandingOptions,
    fanout: FanOut | None,
    unit_commits: int,
) -> Iterator[MineSummary]:
    """Mine every repository's new commits; yield each repository's summary when it is done."""
    if fanout is None:
        for repo in repos:
            with progress_bar(f"mining {repo}", None) as advance:
                yield land_repository(warehouse, repo, run_id, options, advance)
        return
    yield from _fanned_out(warehouse, repos, run_id, options, fanout, unit_commits)


def _fanned_out(
    warehouse: Warehouse,
    repos: Sequence[str],
    run_id: str,
    options: LandingOptions,
    fanout: FanOut,
    unit_commits: int,
) -> Iterator[MineSummary]:
    # the workers are the parallelism: one process mines each unit
    unit_options = LandingOptions(
        options.key, options.max_diff_bytes, options.keep_author_names, jobs=1
    )
    plans = {
        plan.source_id: plan
        for plan in (plan_repository(warehouse, repo, run_id) for repo in repos)
    }
    types = fact_column_types(warehouse)
    units = [
        unit
        for plan in plans.values()
        for unit in mining_units(plan, run_id, unit_options, types, unit_commits)
    ]
    waiting = Counter(unit.source_id for unit in units)
    for plan in plans.values():
        if not waiting[plan.source_id]:
            yield finish_repository(warehouse, plan, run_id)
    with progress_bar("mining", sum(len(unit.shas) for unit in units)) as advance:
        for mined in fanout.each(mine_unit, units, _label):
            plan = plans[mined.source_id]
            land_unit(warehouse, mined, plan.summary)
            advance(mined.commits)
            waiting[mined.source_id] -= 1
            if not waiting[mined.source_id]:
                yield finish_repository(warehouse, plan, run_id)


def _label(unit: MiningUnit) -> str:
    return f"mine {unit.label}"
