"""Running stages: as a Prefect flow (``goldmine run``) or inline (single-stage commands).

Prefect is imported only when a flow runs, after :func:`flows.workspace.configure_prefect` has
pointed it at the workspace. Tasks get ids, not data: the open warehouse stays in this process
(DuckDB allows one writer) and tasks find it through the run id.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from flows.stages import STAGES, StageContext
from flows.workspace import Settings, Workspace, configure_prefect
from miners.errors import GoldmineError
from warehouse.runs import finish_run, start_run

PIPELINE = ("mine", "draft", "assay", "export")
_OPEN_RUNS: dict[str, StageContext] = {}


def run_stages(
    workspace: Workspace,
    settings: Settings,
    stages: Sequence[str] = PIPELINE,
    *,
    command: str = "run",
    use_prefect: bool = True,
    verbose: bool = False,
) -> tuple[str, dict[str, Any]]:
    """Run ``stages`` in order inside one ``runs`` row; return the run id and each stage's counts."""
    workspace.ensure()
    with workspace.open_warehouse() as warehouse:
        run_id = start_run(warehouse, command, {"stages": list(stages), **settings.model_dump()})
        context = StageContext(workspace, warehouse, settings, run_id)
        try:
            counts = _in_prefect(context, stages, verbose) if use_prefect else _inline(context, stages)
        except GoldmineError as error:
            finish_run(warehouse, run_id, {}, error=str(error))
            raise
        except BaseException as error:
            finish_run(warehouse, run_id, {}, error=f"{type(error).__name__}: {error}")
            raise
        finish_run(warehouse, run_id, counts)
    return run_id, counts


def _inline(context: StageContext, stages: Sequence[str]) -> dict[str, Any]:
    return {name: STAGES[name](context) for name in stages}


def _in_prefect(context: StageContext, stages: Sequence[str], verbose: bool) -> dict[str, Any]:
    configure_prefect(context.workspace, verbose)
    flow = _build_flow()
    _OPEN_RUNS[context.run_id] = context
    try:
        result: dict[str, Any] = flow(run_id=context.run_id, stages=list(stages))
        return result
    finally:
        _OPEN_RUNS.pop(context.run_id, None)


def _build_flow() -> Any:
    """Define the Prefect flow on first use, so importing this module does not import Prefect."""
    from prefect import flow, task
    from prefect.cache_policies import NO_CACHE

    @task(name="stage", task_run_name="{name}", cache_policy=NO_CACHE)
    def stage_task(name: str, run_id: str) -> dict[str, Any]:
        return STAGES[name](_OPEN_RUNS[run_id])

    @flow(name="goldmine", flow_run_name="goldmine-{run_id}", validate_parameters=False)
    def goldmine_flow(run_id: str, stages: list[str]) -> dict[str, Any]:
        return {name: stage_task(name, run_id) for name in stages}

    return goldmine_flow
