"""Mined facts landed in the warehouse: redacted, pseudonymised, with deterministic ids.

Mining is incremental: a watermark per repository and ref remembers the last mined head. The next
run lists only ``watermark..HEAD``; when history was rewritten (the watermark is no longer an
ancestor of the head) it lists everything again. Either way commits already stored are left out
before any is read, and insert-or-ignore keeps the rest idempotent. The watermark moves only after
a whole pass lands, so a crashed run simply resumes its pass.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from miners.git_history import (
    RepositoryInfo,
    is_ancestor,
    list_commits,
    open_repository,
    shallow_boundary,
)
from warehouse.ids import stable_id
from warehouse.landing.commit_rows import ROW_TABLES, LandingOptions, RowBatch
from warehouse.landing.mining_pool import mine_rows
from warehouse.landing.sources import (
    MineSummary,
    refresh_source_detail,
    register_source,
    set_watermark,
    watermark,
)
from warehouse.landing.tickets import land_ticket_export, link_tickets
from warehouse.outcomes import Skip, SkipCategory
from warehouse.store import Warehouse

__all__ = [
    "LandingOptions",
    "MineSummary",
    "RepositoryPlan",
    "finish_repository",
    "land_batch",
    "land_repository",
    "land_ticket_export",
    "link_tickets",
    "plan_repository",
]

_CHUNK = 500
Progress = Callable[[int], None]


def repository_source_id(info: RepositoryInfo) -> str:
    """The id of a repository source: stable for the same clone on the same path."""
    return stable_id("repository", str(info.path))


def land_repository(
    warehouse: Warehouse,
    path: str | Path,
    run_id: str,
    options: LandingOptions,
    progress: Progress | None = None,
) -> MineSummary:
    """Mine a repository's new commits into ``commits``, ``file_changes`` and ``symbols``."""
    plan = plan_repository(warehouse, path, run_id)
    for batch in mine_rows(plan.info, plan.shas, plan.source_id, run_id, options, _CHUNK):
        land_batch(warehouse, batch, plan.summary)
        if progress is not None:
            progress(batch.commits)
    return finish_repository(warehouse, plan, run_id)


@dataclass(slots=True)
class RepositoryPlan:
    """A repository registered as a source, and the new commits a pass has to mine (none when its
    watermark is the head)."""

    info: RepositoryInfo
    source_id: str
    summary: MineSummary
    shas: list[str] = field(default_factory=list)


def plan_repository(warehouse: Warehouse, path: str | Path, run_id: str) -> RepositoryPlan:
    """Register a repository and list the commits this pass mines: those since its watermark
    (everything after a rewrite) that are not stored yet."""
    info = open_repository(path)
    source_id = repository_source_id(info)
    plan = RepositoryPlan(info, source_id, MineSummary(source_id, info.name, "repository"))
    register_source(
        warehouse, source_id, "repository", str(info.path), info.name, run_id, _repo_detail(info)
    )
    # remotes and shallowness change
    refresh_source_detail(warehouse, source_id, _repo_detail(info))
    if info.is_shallow:
        plan.summary.notes.append(
            f"{info.path} is a shallow clone: mining the {info.name} history it has; its oldest "
            f"{len(shallow_boundary(info))} commit(s) have no parent here, so no file changes"
        )
    since = _resume_point(warehouse, source_id, info, plan.summary)
    if since != info.head_sha:
        plan.shas = _unstored(warehouse, source_id, list_commits(info, since=since))
    return plan


def finish_repository(warehouse: Warehouse, plan: RepositoryPlan, run_id: str) -> MineSummary:
    """After every batch of a plan has landed: move the watermark and note what was skipped."""
    info = plan.info
    if watermark(warehouse, plan.source_id, info.head_ref) != info.head_sha:
        set_watermark(warehouse, plan.source_id, info.head_ref, info.head_sha, run_id)
    if plan.summary.skipped:
        plan.summary.notes.append(_skipped_note(info.name, plan.summary.skipped))
    odd = _oddities(warehouse, plan.source_id, run_id)
    if odd:
        counted = ", ".join(f"{oddity} {n}" for oddity, n in odd)
        plan.summary.notes.append(f"{info.name}: commits stored with oddities: {counted}")
    return plan.summary


def _oddities(warehouse: Warehouse, source_id: str, run_id: str) -> list[tuple[str, int]]:
    """How many commits this run stored with each oddity (``commits.oddities``)."""
    rows: list[tuple[str, int]] = warehouse.query(
        "SELECT oddity, count(*) FROM (SELECT unnest(oddities) AS oddity FROM commits "
        "WHERE source_id = ? AND run_id = ?) GROUP BY oddity ORDER BY 2 DESC, 1",
        [source_id, run_id],
    ).rows
    return rows


def _unstored(warehouse: Warehouse, source_id: str, shas: list[str]) -> list[str]:
    """The shas not stored yet: a resumed or rewritten pass mines only what is missing."""
    stored = {
        row[0]
        for row in warehouse.query("SELECT sha FROM commits WHERE source_id = ?", [source_id]).rows
    }
    return [sha for sha in shas if sha not in stored] if stored else shas


def land_batch(warehouse: Warehouse, batch: RowBatch, summary: MineSummary) -> None:
    """Insert one batch of a repository's rows and count them in its summary."""
    # One transaction: a commit is stored with its file changes and symbols, or not at all, because
    # the next run skips the commits it finds stored.
    with warehouse.transaction():
        added = {table: warehouse.insert(table, batch.rows[table]) for table in ROW_TABLES}
    for table, count in added.items():
        summary.add(table, count)
    summary.skipped.update(batch.skipped)


def _skipped_note(name: str, skipped: Counter[Skip]) -> str:
    files = [
        (skip.detail, n)
        for skip, n in skipped.most_common()
        if skip.category != SkipCategory.MANY_PYTHON_FUNCTIONS
    ]
    parts = (
        [f"changed files without symbols: {', '.join(f'{reason} {n}' for reason, n in files[:8])}"]
        if files
        else []
    )
    functions = sum(
        n for skip, n in skipped.items() if skip.category == SkipCategory.MANY_PYTHON_FUNCTIONS
    )
    if functions:
        parts.append(
            "Python functions without libcst details (their commit changes more than six): "
            f"{functions}"
        )
    return f"{name}: {'; '.join(parts)}"


def _repo_detail(info: RepositoryInfo) -> dict[str, Any]:
    return {
        "root_commits": list(info.root_commits),
        "bare": info.is_bare,
        "shallow": info.is_shallow,
        "projects": list(info.projects),
    }


def _resume_point(
    warehouse: Warehouse, source_id: str, info: RepositoryInfo, summary: MineSummary
) -> str | None:
    mark = watermark(warehouse, source_id, info.head_ref)
    if mark is None or mark == info.head_sha:
        return mark
    if not is_ancestor(info, mark, info.head_sha):
        summary.notes.append(
            f"{info.name}: history was rewritten since the last run (watermark {mark[:10]} is "
            "gone); "
            "listing it all again and mining the commits not stored yet"
        )
        return None
    return mark
