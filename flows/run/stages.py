"""The stages as plain functions over an open warehouse: mine, verify (with ``[verify]``), draft,
assay, export.

The Prefect flow (``flows/run/pipeline.py``) and the single-stage commands both call these, so a
stage behaves the same whether Prefect runs it or a person does. Each returns a JSON-able dict
of counts and notes that ends up in ``runs.counts``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flows.draft.drafters import choose_drafter
from flows.draft.drafting import ByKind, Drafter, draft_tasks, undrafted_tasks
from flows.draft.extractive_feedback import draft_feedback
from flows.draft.extractive_instruction import DRAFTER as EXTRACTIVE
from flows.errors import ConfigError
from flows.progress import progress_bar
from flows.run.assaying import assay_pending
from flows.run.fanned_out_drafting import DrafterSpec, FannedOutDrafter
from flows.run.fanout import FanOut
from flows.run.source_mining import mine_repositories
from flows.settings import Settings, catalog_of
from flows.verify.stage import verify_tasks
from flows.workspace import Workspace
from miners.tickets import TicketMapping
from warehouse.export.datasets import TrainingWindow, export_accepted
from warehouse.export.tokens import token_counter
from warehouse.landing.repositories import LandingOptions, land_ticket_export, link_tickets
from warehouse.selection.commits import select_tasks
from warehouse.selection.task_context import ContextLoader
from warehouse.selection.tickets import select_ticket_tasks
from warehouse.store import Warehouse
from warehouse.tool_catalog import write_tool_catalogs


@dataclass(frozen=True, slots=True)
class StageContext:
    """What every stage needs: where it works, how it is configured, and which run it belongs to."""

    workspace: Workspace
    warehouse: Warehouse
    settings: Settings
    run_id: str
    # Where mining units and drafting batches run (flows/run/fanout.py); None: in this process, as
    # is.
    fanout: FanOut | None = None


def mine_stage(stage: StageContext) -> dict[str, Any]:
    """Mine every configured repository and ticket export, then link tickets to commits."""
    sources = stage.settings.sources
    if not sources.repos and not sources.tickets:
        raise ConfigError(
            "nothing to mine: pass --repo PATH or --tickets FILE, or list sources in goldmine.toml"
        )
    options = LandingOptions(
        key=stage.workspace.key(),
        max_diff_bytes=stage.settings.mine.max_diff_bytes,
        keep_author_names=stage.settings.mine.author_names,
        jobs=stage.settings.mine.jobs,
    )
    tickets = stage.settings.tickets
    mapping = TicketMapping(
        dict(tickets.mapping), tickets.source, tickets.key_prefix, tickets.list_separator
    )
    added: dict[str, int] = {}
    skipped: dict[str, int] = {}
    notes: list[str] = []
    for summary in mine_repositories(
        stage.warehouse,
        sources.repos,
        stage.run_id,
        options,
        stage.fanout,
        stage.settings.scale.unit_commits,
    ):
        _merge(added, summary.added)
        _merge(skipped, summary.skipped_by_category())
        notes += summary.notes
    for export in sources.tickets:
        summary = land_ticket_export(stage.warehouse, export, stage.run_id, options, mapping)
        _merge(added, summary.added)
        notes += summary.notes
    added["ticket_links"] = link_tickets(stage.warehouse, notes)
    return {"added": added, "skipped": skipped, "notes": notes}


def _merge(total: dict[str, int], more: dict[str, int]) -> None:
    for table, count in more.items():
        total[table] = total.get(table, 0) + count


def draft_stage(stage: StageContext) -> dict[str, Any]:
    """Select teachable moments, then draft a candidate per selected task, kind and language."""
    config = stage.settings.draft
    drafter = fanned_out(
        choose_drafter(stage.settings, stage.warehouse, stage.run_id, stage.workspace.key()), stage
    )
    window = stage.settings.select.later_fix_window
    selection = select_tasks(stage.warehouse, stage.run_id, later_fix_window=window).merged(
        select_ticket_tasks(stage.warehouse, stage.run_id)
    )
    loader = ContextLoader(stage.warehouse, stage.workspace.key())
    if config.dry_run:
        from flows.draft.llm_instruction import plan_drafting

        try:
            plan = plan_drafting(
                stage.warehouse,
                loader,
                drafter,
                kinds=list(config.kinds),
                langs=list(config.lang),
                limit=config.limit,
            )
        finally:
            loader.close()
        return {
            "tasks_selected": selection.selected,
            "tasks_skipped": selection.skipped,
            "dry_run": plan,
        }
    todo = sum(
        len(undrafted_tasks(stage.warehouse, kind, lang, drafter.name, config.limit))
        for kind in config.kinds
        for lang in config.lang
    )
    try:
        with progress_bar("drafting", todo) as advance:
            summary = draft_tasks(
                stage.warehouse,
                loader,
                drafter,
                kinds=list(config.kinds),
                langs=list(config.lang),
                limit=config.limit,
                run_id=stage.run_id,
                progress=advance,
            )
    finally:
        loader.close()
    # the model failures fed back (goldmine feedback)
    feedback = draft_feedback(stage.warehouse, stage.run_id)
    notes = [f"drafting stopped: {summary.stopped}"] if summary.stopped else []
    notes += [
        f"{n} task(s) not drafted ({category}), tried again next run; e.g. "
        f"{summary.deferred_example[category]}"
        for category, n in summary.deferred.items()
    ]
    return {
        "tasks_selected": selection.selected,
        "tasks_skipped": selection.skipped,
        "candidates": summary.candidates,
        "unparseable": summary.unparseable,
        "skipped_at_drafting": dict(summary.skipped.most_common()),
        "deferred": sum(summary.deferred.values()),
        **({"feedback_candidates": feedback} if feedback else {}),
        "notes": notes,
    }


def fanned_out(drafter: Drafter, stage: StageContext) -> Drafter:
    """The extractive drafter, drafting batches of tasks on the stage's fan-out when it has one
    (the LLM drafter stays here: its requests are concurrent already, and it writes
    ``llm_calls``)."""
    if stage.fanout is None or not isinstance(drafter, ByKind) or drafter.name != EXTRACTIVE:
        return drafter
    spec = DrafterSpec(stage.settings, stage.workspace.key())
    return FannedOutDrafter(drafter, spec, stage.fanout, stage.settings.scale.draft_batch)


def verify_stage(stage: StageContext) -> dict[str, Any]:
    """Select tasks, then run each one's acceptance tests at its commit and its parent."""
    return verify_tasks(stage.warehouse, stage.settings, stage.run_id, stage.workspace.key())


def assay_stage(stage: StageContext) -> dict[str, Any]:
    """Check, score and accept or reject every pending candidate; cluster duplicates; split."""
    return assay_pending(stage.warehouse, stage.run_id, stage.settings, stage.workspace.key())


def export_stage(stage: StageContext) -> dict[str, Any]:
    """Write the accepted records for LLaMA-Factory into ``export/``, with the tool catalog
    beside them."""
    config = stage.settings.export
    summary = export_accepted(
        stage.warehouse,
        stage.workspace.export_dir,
        stage.run_id,
        config.formats,
        include_unreviewed=config.unreviewed == "include",
        require_executed=config.require_executed,
        thoughts=config.thoughts,
        window=TrainingWindow(token_counter(config.tokenizer), config.max_tokens),
    )
    catalog = catalog_of(stage.settings)
    write_tool_catalogs(catalog, stage.workspace.export_dir)
    return {
        "files": {name: str(path) for name, path in summary.files.items()},
        "records": summary.records,
        "problems": summary.problems,
        "dropped": len(summary.dropped),
        "manifest": str(summary.manifest) if summary.manifest else None,
    }


STAGES = {
    "mine": mine_stage,
    "verify": verify_stage,
    "draft": draft_stage,
    "assay": assay_stage,
    "export": export_stage,
}
