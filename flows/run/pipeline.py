"""Running stages: as a Prefect flow (``goldmine run``, the nightly deployment) or inline
(single-stage commands, ``--inline``).

Every run holds the workspace lock for its whole length (``flows/workspace_lock.py``) and is one
``runs`` row with its parameters, counts, outcome and the watermarks it moved. Prefect is imported
only when a flow runs, after :func:`flows.workspace.configure_prefect` has pointed it at the
workspace (``flows/run/prefect_flows.py``).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from flows.run.stages import STAGES, StageContext
from flows.settings import Settings
from flows.workspace import Workspace, configure_prefect
from miners.errors import GoldmineError
from warehouse.runs import finish_run, record_watermarks, start_run, watermark_positions

PIPELINE = ("mine", "draft", "assay", "export")
VERIFIED_PIPELINE = ("mine", "verify", "draft", "assay", "export")
Body = Callable[[StageContext], dict[str, Any]]


def pipeline_stages(settings: Settings) -> tuple[str, ...]:
    """The whole pipeline; with a ``[verify] command``, tasks are verified before drafting."""
    return VERIFIED_PIPELINE if settings.verify.command else PIPELINE


def run_stages(
    workspace: Workspace,
    settings: Settings,
    stages: Sequence[str] = PIPELINE,
    *,
    command: str = "run",
    use_prefect: bool = True,
    verbose: bool = False,
    wait: float = 0.0,
) -> tuple[str, dict[str, Any]]:
    """Run ``stages`` in order inside one ``runs`` row; return the run id and each stage's counts.

    Waits up to ``wait`` seconds for another goldmine process to release the workspace.
    """

    def body(context: StageContext) -> dict[str, Any]:
        return _in_prefect(context, stages, verbose) if use_prefect else _inline(context, stages)

    return run_recorded(workspace, settings, stages, body, command=command, wait=wait)


def run_recorded(
    workspace: Workspace,
    settings: Settings,
    stages: Sequence[str],
    body: Body,
    *,
    command: str,
    wait: float,
) -> tuple[str, dict[str, Any]]:
    """Hold the workspace, open the warehouse and run ``body`` inside one ``runs`` row."""
    workspace.ensure()
    with workspace.open_warehouse(wait=wait, command=command) as warehouse:
        run_id = start_run(warehouse, command, {"stages": list(stages), **settings.model_dump()})
        record_watermarks(warehouse, run_id, watermark_positions(warehouse))
        context = StageContext(workspace, warehouse, settings, run_id)
        try:
            counts = body(context)
        except GoldmineError as error:
            _finish(context, {}, str(error))
            raise
        except BaseException as error:
            _finish(context, {}, f"{type(error).__name__}: {error}")
            raise
        _finish(context, counts, None)
    return run_id, counts


def _finish(context: StageContext, counts: dict[str, Any], error: str | None) -> None:
    record_watermarks(context.warehouse, context.run_id)
    finish_run(context.warehouse, context.run_id, counts, error=error)


def _inline(context: StageContext, stages: Sequence[str]) -> dict[str, Any]:
    return {name: STAGES[name](context) for name in stages}


def _in_prefect(context: StageContext, stages: Sequence[str], verbose: bool) -> dict[str, Any]:
    configure_prefect(context.workspace, verbose)
    from flows.run.prefect_flows import run_flow

    return run_flow(context, stages)
