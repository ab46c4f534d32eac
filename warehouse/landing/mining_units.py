"""A repository's new commits cut into units a worker anywhere can mine: a process of this
machine's pool, or a Dask worker on another.

The flow process plans (:func:`warehouse.landing.repositories.plan_repository` lists what is new),
cuts the
list into :class:`MiningUnit` slices, and hands them out. A worker mines its slice with the same
code a single process uses (:func:`warehouse.landing.mining_pool.mine_slice`) and returns compact
Arrow tables typed like the warehouse columns — it never opens the warehouse. The flow process
inserts them (:func:`land_unit`) and, once every unit of a repository has landed, moves its
watermark (:func:`warehouse.landing.repositories.finish_repository`). Rows have deterministic ids,
so the order in which units come back changes nothing stored, and a unit that fails leaves the
watermark where it was.
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass, field

import pyarrow as pa

from miners.git_history import RepositoryInfo
from warehouse.landing.commit_rows import ROW_TABLES, LandingOptions
from warehouse.landing.mining_pool import mine_slice, split_evenly
from warehouse.landing.repositories import RepositoryPlan
from warehouse.landing.sources import MineSummary
from warehouse.outcomes import Skip
from warehouse.store import Warehouse, arrow_rows

ColumnTypes = dict[str, dict[str, pa.DataType]]
_CHUNK = 500


@dataclass(frozen=True, slots=True)
class MiningUnit:
    """One slice of one repository's new commits, with everything a worker needs to mine it."""

    info: RepositoryInfo
    shas: tuple[str, ...]
    source_id: str
    run_id: str
    options: LandingOptions
    column_types: ColumnTypes
    part: int = 1
    parts: int = 1

    @property
    def label(self) -> str:
        """``flask`` or ``flask 2/3``: the name of the task that mines it."""
        return self.info.name if self.parts == 1 else f"{self.info.name} {self.part}/{self.parts}"


@dataclass(slots=True)
class MinedUnit:
    """What a worker sends back: one Arrow table per fact table, and what it skipped and why."""

    source_id: str
    commits: int
    tables: dict[str, pa.Table] = field(default_factory=dict)
    skipped: Counter[Skip] = field(default_factory=Counter)


def mining_units(
    plan: RepositoryPlan,
    run_id: str,
    options: LandingOptions,
    column_types: ColumnTypes,
    unit_commits: int,
) -> list[MiningUnit]:
    """The plan's commits cut into units of at most ``unit_commits`` (about equal in size)."""
    if not plan.shas:
        return []
    parts = max(1, math.ceil(len(plan.shas) / max(unit_commits, 1)))
    return [
        MiningUnit(plan.info, tuple(shas), plan.source_id, run_id, options, column_types, n, parts)
        for n, shas in enumerate(split_evenly(plan.shas, parts), start=1)
    ]


def fact_column_types(warehouse: Warehouse) -> ColumnTypes:
    """The Arrow types of the fact tables' columns, for workers that cannot ask the warehouse."""
    return {table: warehouse.column_types(table) for table in ROW_TABLES}


def mine_unit(unit: MiningUnit) -> MinedUnit:
    """Mine one unit's commits in this process (a worker's whole job)."""
    rows: dict[str, list[pa.Table]] = {table: [] for table in ROW_TABLES}
    mined = MinedUnit(unit.source_id, 0)
    for batch in mine_slice(
        unit.info, unit.shas, unit.source_id, unit.run_id, unit.options, _CHUNK
    ):
        mined.commits += batch.commits
        mined.skipped.update(batch.skipped)
        for table in ROW_TABLES:
            if batch.rows[table]:
                rows[table].append(arrow_rows(unit.column_types[table], batch.rows[table]))
    mined.tables = {table: pa.concat_tables(parts) for table, parts in rows.items() if parts}
    return mined


def land_unit(warehouse: Warehouse, mined: MinedUnit, summary: MineSummary) -> None:
    """Insert a mined unit's tables (in the flow process, the warehouse's only writer)."""
    # One transaction, as for a batch mined here: a commit is stored with its file changes and
    # symbols, or not at all (the next run skips the commits it finds stored).
    with warehouse.transaction():
        added = {
            table: warehouse.insert_arrow(table, mined.tables[table])
            if table in mined.tables
            else 0
            for table in ROW_TABLES
        }
    for table, count in added.items():
        summary.add(table, count)
    summary.skipped.update(mined.skipped)
